from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "peersupport.resources"
    verbose_name = "Resource directory"
