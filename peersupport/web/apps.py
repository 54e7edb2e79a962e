from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "peersupport.web"
    verbose_name = "Web interface"
