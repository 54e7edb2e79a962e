from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "peersupport.integrations"
    verbose_name = "Integrations (API and SCIM tokens)"

    def ready(self):
        # The HR roster sync of the API: accounts is the kernel, so the kernel serves it.
        from .api_roster import ready

        ready()
