from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "peersupport.calendars"
    verbose_name = "Calendar feeds"
