from django.apps import AppConfig


class CommitteeConfig(AppConfig):
    name = "peersupport.committee"
    label = "committee"
    verbose_name = "Advisory committee"

    def ready(self):
        from peersupport.notifications.scheduling import register_periodic

        from .tasks import committee_tick

        register_periodic(committee_tick, seconds="COMMITTEE_TICK_SECONDS")

        from peersupport.accounts.models import Role
        from peersupport.web.waiting import register_waiting

        from . import waiting

        register_waiting(
            "committee", roles=[Role.PEER_SUPPORTER, Role.COORDINATOR], items=waiting.for_person
        )

        from peersupport.accounts.agencies import agency_created

        from .defaults import seed_new_agency

        # A new agency's committee starts with the default seats (docs/design/agencies.md §1.3).
        agency_created.connect(seed_new_agency, dispatch_uid="committee.seed_new_agency")
