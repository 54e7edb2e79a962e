from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "peersupport.outreach"
    verbose_name = "Outreach after tragedy, injury and critical incidents"

    def ready(self):
        from peersupport.notifications.scheduling import register_periodic

        from .tasks import OUTREACH_TICK_SECONDS, outreach_tick

        register_periodic(outreach_tick, seconds=OUTREACH_TICK_SECONDS)

        from peersupport.accounts.agencies import agency_created

        from .defaults import seed_agency

        # A new agency gets the default follow-up plans, as the migration gave agency 1.
        agency_created.connect(seed_agency, dispatch_uid="outreach.seed_agency", weak=False)

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

        from peersupport.calendars.registry import register_source

        from .selectors import followup_feed_events

        register_source(
            "outreach",
            title="Outreach follow-ups",
            reveals="When each open follow-up of the people you have accepted to support is "
            "due, as “Outreach follow-up” with a link to its page here. Never who they are, "
            "their unit, the event or any note.",
            roles=[Role.PEER_SUPPORTER],
            events=followup_feed_events,
        )
