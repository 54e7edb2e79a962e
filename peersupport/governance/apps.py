from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "peersupport.governance"
    verbose_name = "Governance and policy"
