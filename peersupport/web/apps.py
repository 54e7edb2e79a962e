from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "peersupport.web"
    verbose_name = "Web interface"

    def ready(self):
        # django.contrib.admin comes first in INSTALLED_APPS, so by now every app's admin
        # module has registered its models.
        from . import account_alerts  # noqa: F401  (alerts about guarded accounts)
        from .admin import _unregister_sensitive

        _unregister_sensitive()

        from peersupport.notifications.scheduling import register_periodic

        from .tasks import kernel_tick

        # The kernel's machinery (grant requests, the audit chain, task results) is install-wide.
        register_periodic(kernel_tick, seconds="KERNEL_TICK_SECONDS", per_agency=False)

        from peersupport.accounts.models import GRANT_APPROVERS

        from .waiting import register_waiting, role_requests_waiting

        register_waiting(
            "accounts.role_requests", roles=GRANT_APPROVERS, items=role_requests_waiting
        )
