from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "peersupport.governance"
    verbose_name = "Governance and policy"

    def ready(self):
        from peersupport.notifications.scheduling import register_periodic

        from .tasks import committee_tick

        register_periodic(committee_tick, seconds="COMMITTEE_TICK_SECONDS")
