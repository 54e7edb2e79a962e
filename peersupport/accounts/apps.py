from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "peersupport.accounts"
    verbose_name = "People and roles"

    def ready(self):
        from allauth.socialaccount.providers import registry

        from . import signals  # noqa: F401  (connects login/lockout auditing)

        # allauth reads SOCIALACCOUNT_PROVIDERS' provider_class when it first loads its
        # registry: load it now, from the settings the process started with.
        registry.load()
