from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "peersupport.governance"
    verbose_name = "Governance and policy"

    def ready(self):
        from peersupport.accounts.models import Role
        from peersupport.web.waiting import register_waiting

        from . import waiting

        register_waiting(
            "governance", roles=[Role.CHIEF, Role.PEER_SUPPORTER], items=waiting.for_person
        )
