from django.apps import AppConfig


class SelectionConfig(AppConfig):
    name = "peersupport.selection"
    label = "selection"
    verbose_name = "Selection of supporters"
