from django.apps import AppConfig


class RosterConfig(AppConfig):
    name = "peersupport.roster"
    verbose_name = "Peer supporters"

    def ready(self):
        from peersupport.notifications.scheduling import register_periodic

        from .tasks import roster_tick

        register_periodic(roster_tick, seconds="ROSTER_TICK_SECONDS")
