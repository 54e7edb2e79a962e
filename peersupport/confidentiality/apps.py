from django.apps import AppConfig


class ConfidentialityConfig(AppConfig):
    name = "peersupport.confidentiality"
    verbose_name = "Confidentiality exceptions and escalations"

    def ready(self):
        from peersupport.notifications.scheduling import register_periodic

        from .tasks import escalation_tick

        register_periodic(escalation_tick, seconds="ESCALATION_TICK_SECONDS")

        from peersupport.accounts.alerts import employee_separated

        from .receivers import duty_holder_separated

        employee_separated.connect(
            duty_holder_separated, dispatch_uid="confidentiality.separated", weak=False
        )

        from peersupport.web.banners import register_banner

        from .selectors import banner_for

        # Until it is acknowledged, every page of everyone alerted says an escalation waits.
        register_banner("escalations", template="confidentiality/_banner.html", items=banner_for)

        from peersupport.accounts.models import Role
        from peersupport.web.waiting import register_waiting

        from . import waiting

        register_waiting(
            "confidentiality.escalations",
            roles=[Role.PEER_SUPPORTER, Role.BHS_MANAGER, Role.ADVOCACY_SUPERVISOR],
            items=waiting.for_recipient,
        )

        from peersupport.notifications.monitoring import register_gauges

        from .selectors import escalation_gauges

        register_gauges("confidentiality.escalations", escalation_gauges)
