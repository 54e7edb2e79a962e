from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "peersupport.support"
    verbose_name = "Support requests and contacts"

    def ready(self):
        from peersupport.notifications.recipients import register_address
        from peersupport.notifications.scheduling import register_periodic
        from peersupport.roster.selectors import register_load_source
        from peersupport.roster.signals import supporter_left_active

        from .selectors import supporter_open_load
        from .services import FAMILY_ADDRESS_PREFIX, family_alert_address, requests_reoffer_from
        from .tasks import TICK_SECONDS, support_tick

        register_periodic(support_tick, seconds=TICK_SECONDS)
        # A family member's "a supporter replied" alert reads their address only when sent.
        register_address(FAMILY_ADDRESS_PREFIX, family_alert_address)
        # Matching ranks the supporters with fewer open requests and offers first.
        register_load_source("support", supporter_open_load)

        def reoffer(sender, *, supporter, actor=None, **kwargs):
            requests_reoffer_from(supporter=supporter)

        # A supporter who leaves active status: their requests go to others, in the same
        # transaction as the change of status.
        supporter_left_active.connect(reoffer, dispatch_uid="support.reoffer", weak=False)

        from peersupport.accounts.models import Role
        from peersupport.web.waiting import register_waiting

        from . import waiting

        # "Waiting for you" on the home page.
        register_waiting(
            "support.supporter", roles=[Role.PEER_SUPPORTER], items=waiting.for_supporter
        )
        register_waiting(
            "support.coordinator", roles=[Role.COORDINATOR], items=waiting.for_coordinator
        )

        from peersupport.notifications.monitoring import register_gauges

        from .selectors import request_gauges

        register_gauges("support.requests", request_gauges)
