from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "peersupport.support"
    verbose_name = "Support requests and contacts"
