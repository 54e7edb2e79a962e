from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "peersupport.notifications"
    verbose_name = "Notifications and their delivery"

    def ready(self):
        # Every installed app's alerts.KINDS, found without naming any app (kinds.py).
        from . import recipients, webhooks
        from .kinds import autodiscover

        autodiscover()

        # What the metrics endpoint reads of the kernel (web/metrics.py).
        from . import monitoring

        monitoring.register_gauges("notifications.outbox", monitoring.outbox_gauges)
        monitoring.register_gauges("notifications.tasks", monitoring.task_gauges)
        monitoring.register_gauges("notifications.heartbeat", monitoring.heartbeat_gauges)

        # A webhook row's address is a reference to its endpoint, read just before sending:
        # a disabled or deleted endpoint's rows are skipped.
        recipients.register_address(webhooks.ADDRESS_PREFIX, webhooks.resolve)
