from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "peersupport.reports"
    label = "reports"
    verbose_name = "Program reports"

    def ready(self):
        from peersupport.audit.signals import data_changed
        from peersupport.notifications.scheduling import register_periodic
        from peersupport.support.selectors import register_reporting_periods

        from .builds import TICK_SECONDS, on_data_changed
        from .selectors import published_through
        from .tasks import reports_tick

        # The supporter logging a contact dated in a published month is told it counts as a
        # late entry of a later month.
        register_reporting_periods(published_through)
        # A write queues a rebuild of the figures for the worker; the tick catches the rest.
        data_changed.connect(on_data_changed, dispatch_uid="reports-rebuild")
        register_periodic(reports_tick, seconds=TICK_SECONDS)
        # Other systems may be told that figures were published (publishing.publish).
        from peersupport.notifications.webhooks import register_event

        from .publishing import PUBLISHED

        register_event(
            PUBLISHED,
            label="Report published",
            description="The program reports' figures of a closed period were published.",
        )
        # Published figures in the REST API (peersupport/integrations/api.py).
        from .api import ready as api_ready

        api_ready()
