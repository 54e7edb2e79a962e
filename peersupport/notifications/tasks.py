"""The worker's side of the outbox."""

from django.tasks import task


@task()
def deliver_notification(notification_id: int) -> str:
    from .services import deliver

    return deliver(notification_id)
