from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "peersupport.outreach"
    verbose_name = "Outreach after tragedy, injury and critical incidents"

    def ready(self):
        from peersupport.notifications.scheduling import register_periodic

        from .tasks import OUTREACH_TICK_SECONDS, outreach_tick

        register_periodic(outreach_tick, seconds=OUTREACH_TICK_SECONDS)
