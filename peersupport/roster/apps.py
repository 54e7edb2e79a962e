from django.apps import AppConfig


class RosterConfig(AppConfig):
    name = "peersupport.roster"
    verbose_name = "Peer supporters"

    def ready(self):
        from peersupport.accounts.alerts import employee_separated
        from peersupport.notifications.scheduling import register_periodic

        from .receivers import supporter_separated
        from .tasks import roster_tick

        employee_separated.connect(supporter_separated, dispatch_uid="roster.separated", weak=False)

        register_periodic(roster_tick, seconds="ROSTER_TICK_SECONDS")
