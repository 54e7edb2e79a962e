from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "peersupport.training"
    verbose_name = "Training and compliance"

    def ready(self):
        from peersupport.notifications.scheduling import register_periodic
        from peersupport.roster.selectors import register_initial_training_check

        from .selectors import initial_training_complete
        from .tasks import training_tick

        register_periodic(training_tick, seconds="TRAINING_TICK_SECONDS")
        # The roster asks whether an appointed supporter may become active.
        register_initial_training_check(initial_training_complete)

        from peersupport.accounts.models import Role
        from peersupport.web.waiting import register_waiting

        from . import waiting

        register_waiting(
            "training",
            roles=[Role.COORDINATOR, Role.PEER_SUPPORTER],
            items=waiting.for_person,
        )
