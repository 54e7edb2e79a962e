from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "peersupport.outreach"
    verbose_name = "Outreach after tragedy, injury and critical incidents"

    def ready(self):
        from peersupport.notifications.scheduling import register_periodic

        from .tasks import OUTREACH_TICK_SECONDS, outreach_tick

        register_periodic(outreach_tick, seconds=OUTREACH_TICK_SECONDS)

        from peersupport.roster.selectors import register_involvement_source

        from .selectors import involved_in_open_outreaches

        register_involvement_source("outreach", involved_in_open_outreaches)

        from peersupport.accounts.models import Role
        from peersupport.web.waiting import register_waiting

        from . import waiting

        register_waiting(
            "outreach",
            roles=[Role.PEER_SUPPORTER, Role.COORDINATOR, Role.BHS_MANAGER],
            items=waiting.for_person,
        )
