from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "peersupport.outreach"
    verbose_name = "Outreach after tragedy, injury and critical incidents"
