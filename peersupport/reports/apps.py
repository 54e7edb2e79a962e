from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "peersupport.reports"
    label = "reports"
    verbose_name = "Program reports"

    def ready(self):
        from peersupport.support.selectors import register_reporting_periods

        from .selectors import published_through

        # The supporter logging a contact dated in a published month is told it counts as a
        # late entry of a later month.
        register_reporting_periods(published_through)
