from django.apps import AppConfig


class SelectionConfig(AppConfig):
    name = "peersupport.selection"
    label = "selection"
    verbose_name = "Selection of supporters"

    def ready(self):
        from peersupport.notifications.scheduling import register_periodic

        from .tasks import selection_tick

        register_periodic(selection_tick, seconds="SELECTION_TICK_SECONDS")
