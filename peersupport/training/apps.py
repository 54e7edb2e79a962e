from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "peersupport.training"
    verbose_name = "Training and compliance"
