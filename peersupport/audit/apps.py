from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "peersupport.audit"
    verbose_name = "Audit log"

    def ready(self):
        from . import maintenance  # noqa: F401  (registers the SQLite trigger function)
