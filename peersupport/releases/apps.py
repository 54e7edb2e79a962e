from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    name = "peersupport.releases"
    verbose_name = "Releases of information and disclosures"

    def ready(self):
        from peersupport.notifications.scheduling import register_periodic

        from .tasks import releases_tick

        register_periodic(releases_tick, seconds="RELEASES_TICK_SECONDS")
