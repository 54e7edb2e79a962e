from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "peersupport.support"
    verbose_name = "Support requests and contacts"

    def ready(self):
        from peersupport.notifications.scheduling import register_periodic

        from .tasks import TICK_SECONDS, support_tick

        register_periodic(support_tick, seconds=TICK_SECONDS)
