from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "peersupport.training"
    verbose_name = "Training and compliance"

    def ready(self):
        from peersupport.notifications.scheduling import register_periodic

        from .tasks import training_tick

        register_periodic(training_tick, seconds="TRAINING_TICK_SECONDS")
