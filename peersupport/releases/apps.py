from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    name = "peersupport.releases"
    verbose_name = "Releases of information and disclosures"

    def ready(self):
        from peersupport.notifications.scheduling import register_periodic
        from peersupport.support.selectors import register_requester_section
        from peersupport.support.services import register_purge

        from .selectors import for_request
        from .services import releases_purge
        from .tasks import releases_tick

        register_periodic(releases_tick, seconds="RELEASES_TICK_SECONDS")
        register_purge("release(s) of information", releases_purge)
        # The person sees their own releases, and what was disclosed, on their request's page.
        register_requester_section(
            "releases", template="releases/_for_person.html", items=for_request
        )
