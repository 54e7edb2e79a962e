from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "peersupport.resources"
    verbose_name = "Resource directory"

    def ready(self):
        # The directory in the REST API (peersupport/integrations/api.py).
        from .api import ready

        ready()
