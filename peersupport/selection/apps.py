from django.apps import AppConfig


class SelectionConfig(AppConfig):
    name = "peersupport.selection"
    label = "selection"
    verbose_name = "Selection of supporters"

    def ready(self):
        from peersupport.notifications.scheduling import register_periodic

        from .tasks import selection_tick

        register_periodic(selection_tick, seconds="SELECTION_TICK_SECONDS")

        from peersupport.accounts.models import Role
        from peersupport.web.waiting import register_waiting

        from . import waiting

        register_waiting(
            "selection",
            roles=[
                Role.EMPLOYEE,
                Role.PANELIST,
                Role.SUPERVISOR,
                Role.COORDINATOR,
                Role.BHS_MANAGER,
                Role.CHIEF,
            ],
            items=waiting.for_person,
        )
