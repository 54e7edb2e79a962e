from django.apps import AppConfig


class ConfidentialityConfig(AppConfig):
    name = "peersupport.confidentiality"
    verbose_name = "Confidentiality exceptions and escalations"
