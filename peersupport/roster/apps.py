from django.apps import AppConfig


class RosterConfig(AppConfig):
    name = "peersupport.roster"
    verbose_name = "Peer supporters"
