from django.apps import AppConfig


class RosterConfig(AppConfig):
    name = "peersupport.roster"
    verbose_name = "Peer supporters"

    def ready(self):
        from peersupport.accounts.alerts import employee_separated
        from peersupport.accounts.models import Role
        from peersupport.notifications.scheduling import register_periodic

        from .receivers import supporter_separated
        from .tasks import roster_tick

        employee_separated.connect(supporter_separated, dispatch_uid="roster.separated", weak=False)

        register_periodic(roster_tick, seconds="ROSTER_TICK_SECONDS")

        from peersupport.accounts.selectors import PersonPool, register_person_pool

        from .selectors import any_supporters, serving_supporters

        # Who keeps the roster and runs outreach picks supporters by name (outreach's assign
        # and responder forms): a select of every supporter grew with the program.
        keepers = frozenset({Role.COORDINATOR, Role.BHS_MANAGER})
        register_person_pool("supporter", PersonPool(roles=keepers, narrow=serving_supporters))
        register_person_pool("any_supporter", PersonPool(roles=keepers, narrow=any_supporters))

        from peersupport.calendars.registry import register_source

        from .selectors import oncall_feed_events

        register_source(
            "oncall",
            title="On-call shifts",
            reveals="Each on-call shift you add on your directory entry, as “On call (peer "
            "support)” with its start and end, a year back and on.",
            roles=[Role.PEER_SUPPORTER],
            events=oncall_feed_events,
        )
        # On-call coverage in the REST API (peersupport/integrations/api.py).
        from .api import ready as api_ready

        api_ready()
