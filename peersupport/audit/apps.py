from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "peersupport.audit"
    verbose_name = "Audit log"
