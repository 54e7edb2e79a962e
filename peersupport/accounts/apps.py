from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "peersupport.accounts"
    verbose_name = "People and roles"

    def ready(self):
        from allauth.socialaccount.providers import registry
        from django.db.models.signals import post_migrate

        # signals connects login/lockout auditing; checks registers the one-agency check.
        from . import checks, signals  # noqa: F401
        from .agencies import sync_default_agency

        # The default agency exists and follows DEPARTMENT_NAME and TIME_ZONE (agencies.py).
        post_migrate.connect(
            sync_default_agency, sender=self, dispatch_uid="accounts.sync_default_agency"
        )

        # allauth reads SOCIALACCOUNT_PROVIDERS' provider_class when it first loads its
        # registry: load it now, from the settings the process started with.
        registry.load()
