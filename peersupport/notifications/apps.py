from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "peersupport.notifications"
    verbose_name = "Notifications and their delivery"
