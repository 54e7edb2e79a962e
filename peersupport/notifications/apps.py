from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "peersupport.notifications"
    verbose_name = "Notifications and their delivery"

    def ready(self):
        # Every installed app's alerts.KINDS, found without naming any app (kinds.py).
        from . import recipients, webhooks
        from .kinds import autodiscover

        autodiscover()
        # A webhook row's address is a reference to its endpoint, read just before sending:
        # a disabled or deleted endpoint's rows are skipped.
        recipients.register_address(webhooks.ADDRESS_PREFIX, webhooks.resolve)
