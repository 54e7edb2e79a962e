from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo department's management commands. No models, no URLs, no signals."""

    name = "demo"
    label = "demo"
    verbose_name = "Demo department"
