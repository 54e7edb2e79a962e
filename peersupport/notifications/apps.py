from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "peersupport.notifications"
    verbose_name = "Notifications and their delivery"

    def ready(self):
        # Every installed app's alerts.KINDS, found without naming any app (kinds.py).
        from .kinds import autodiscover

        autodiscover()
