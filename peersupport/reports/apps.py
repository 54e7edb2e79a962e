from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "peersupport.reports"
    label = "reports"
    verbose_name = "Program reports"
