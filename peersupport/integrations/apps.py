from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "peersupport.integrations"
    verbose_name = "Integrations (API and SCIM tokens)"
