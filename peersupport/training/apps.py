from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "peersupport.training"
    verbose_name = "Training and compliance"

    def ready(self):
        from peersupport.notifications.scheduling import register_periodic
        from peersupport.roster.selectors import register_initial_training_check
        from peersupport.roster.signals import supporter_appointed

        from .selectors import initial_training_complete
        from .services import ready_on_appointment
        from .tasks import training_tick

        register_periodic(training_tick, seconds="TRAINING_TICK_SECONDS")
        # Other systems (the training unit's) may be told that attendance was recorded.
        from peersupport.notifications.webhooks import register_event

        from .services import RECORD_CREATED

        register_event(
            RECORD_CREATED,
            label="Training record created",
            description="Attendance was recorded for a day of a training session.",
        )
        # The roster asks whether an appointed supporter may become active.
        register_initial_training_check(initial_training_complete)
        # Someone who finished initial training before the Chief's approval is ready at once.
        supporter_appointed.connect(
            ready_on_appointment, dispatch_uid="training.ready_on_appointment", weak=False
        )

        from peersupport.accounts.models import Role
        from peersupport.web.waiting import register_waiting

        from . import activation_waiting, waiting

        register_waiting(
            "training",
            roles=[Role.COORDINATOR, Role.PEER_SUPPORTER],
            items=waiting.for_person,
        )
        register_waiting(
            "activation",
            roles=[Role.COORDINATOR],
            items=activation_waiting.ready_to_activate,
        )
        # Records and compliance in the REST API (peersupport/integrations/api.py).
        from .api import ready as api_ready

        api_ready()
