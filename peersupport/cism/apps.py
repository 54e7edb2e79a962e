from django.apps import AppConfig


class CismConfig(AppConfig):
    name = "peersupport.cism"
    verbose_name = "CISM team call-outs"

    def ready(self):
        from peersupport.accounts.models import Role
        from peersupport.accounts.selectors import PersonPool, register_person_pool

        from .selectors import MEMBER_ROLES, team_candidates

        # Who keeps the team picks its members by name: active peer supporters, and the BHS
        # manager or an advocacy supervisor as the clinician.
        keepers = frozenset({Role.COORDINATOR, Role.BHS_MANAGER})
        register_person_pool("cism_member", PersonPool(roles=keepers, narrow=team_candidates))

        from peersupport.web.waiting import register_waiting

        from . import waiting

        register_waiting("cism", roles=MEMBER_ROLES, items=waiting.for_person)

        from peersupport.notifications.scheduling import register_periodic

        from .tasks import CISM_TICK_SECONDS, cism_tick

        register_periodic(cism_tick, seconds=CISM_TICK_SECONDS)
