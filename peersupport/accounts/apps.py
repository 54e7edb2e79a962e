from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "peersupport.accounts"
    verbose_name = "People and roles"

    def ready(self):
        from . import signals  # noqa: F401  (connects login/lockout auditing)
