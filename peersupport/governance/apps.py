from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "peersupport.governance"
    verbose_name = "Governance and policy"

    def ready(self):
        from peersupport.notifications.scheduling import register_periodic

        from .tasks import TICK_SECONDS, governance_tick

        register_periodic(governance_tick, seconds=TICK_SECONDS)

        from peersupport.accounts.agencies import agency_created

        from .defaults import seed_agency

        # A new agency starts with the program's exception categories and policy documents.
        agency_created.connect(seed_agency, dispatch_uid="governance.seed_agency")

        from peersupport.accounts.models import Role
        from peersupport.web.waiting import register_waiting

        from . import waiting

        register_waiting(
            "governance", roles=[Role.CHIEF, Role.PEER_SUPPORTER], items=waiting.for_person
        )
