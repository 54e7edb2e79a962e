"""Writes to the outbox and its delivery.

``notification_queue`` is called inside the transaction of the change being announced; it
writes the row and enqueues its delivery task in that same transaction (the django-tasks-db
queue is a table of the same database), so either both commit or neither does. ``deliver``
claims a row with a lease before sending, so two workers never send it at once, and marks it
sent after; a failure is retried with exponential backoff, for ever. ``sweep`` takes back rows
whose worker died holding the lease, and re-enqueues due rows whose task was lost.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from .channels import SENDERS, Undeliverable, is_configured
from .models import Channel, Notification

logger = logging.getLogger(__name__)

Status = Notification.Status
RETRY_BASE_SECONDS = 30
# A due row still pending this long after it was due has lost its task (a crash, a purge).
SWEEP_GRACE = timedelta(seconds=30)


def _enqueue(notification_id: int, *, run_after=None) -> None:
    from .tasks import deliver_notification

    task = deliver_notification.using(run_after=run_after) if run_after else deliver_notification
    task.enqueue(notification_id)


def notification_queue(
    *, key: str, user, channel: str, subject: str, body: str, topic: str = "", address: str = ""
) -> Notification:
    """One message to one person on one channel, once per ``key`` however often it is asked."""
    if channel == Channel.EMAIL:
        address = address or user.email
    usable = bool(address) and is_configured(channel) and user.is_active
    notification, created = Notification.objects.get_or_create(
        key=key,
        defaults={
            "user": user,
            "channel": channel,
            "address": address,
            "subject": subject,
            "body": body,
            "topic": topic,
            "status": Status.PENDING if usable else Status.SKIPPED,
        },
    )
    if created and usable:
        _enqueue(notification.pk)
    return notification


def notify(
    *, key: str, user, subject: str, body: str, topic: str = "", phone: str = ""
) -> list[Notification]:
    """Every configured channel for ``user``: e-mail always, a text message when there is a
    phone number and an SMS gateway, a push to each device they added (push.py)."""
    sent = [
        notification_queue(
            key=f"{key}:email",
            user=user,
            channel=Channel.EMAIL,
            subject=subject,
            body=body,
            topic=topic,
        )
    ]
    if phone and is_configured(Channel.SMS):
        sent.append(
            notification_queue(
                key=f"{key}:sms",
                user=user,
                channel=Channel.SMS,
                subject=subject,
                body=f"{subject}. {body}",
                topic=topic,
                address=phone,
            )
        )
    from .push import push_queue  # push.py builds on this module

    sent += push_queue(key=key, user=user, body=body, topic=topic)
    return sent


def retry_delay(attempts: int) -> timedelta:
    seconds = min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), settings.NOTIFY_RETRY_MAX_SECONDS)
    return timedelta(seconds=seconds)


def deliver(notification_id: int, *, now=None) -> str:
    """Send one notification if it is due and nobody else holds it. Returns what happened."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)
    claimed = Notification.objects.filter(
        pk=notification_id, status=Status.PENDING, next_attempt_at__lte=now
    ).update(status=Status.SENDING, lease_until=lease, attempts=F("attempts") + 1)
    if not claimed:
        return "not due"
    notification = Notification.objects.get(pk=notification_id)
    try:
        SENDERS[notification.channel](notification)
    except Undeliverable as exc:
        # Gone for good (a device its push service forgot): retrying would never succeed.
        Notification.objects.filter(pk=notification_id, status=Status.SENDING).update(
            status=Status.SKIPPED, lease_until=None, last_error=str(exc)[:300]
        )
        return "undeliverable"
    except Exception as exc:  # noqa: BLE001 (any failure of the channel is retried)
        retry_at = timezone.now() + retry_delay(notification.attempts)
        Notification.objects.filter(pk=notification_id, status=Status.SENDING).update(
            status=Status.PENDING,
            lease_until=None,
            next_attempt_at=retry_at,
            last_error=f"{type(exc).__name__}: {exc}"[:300],
        )
        logger.warning(
            "notification %s (%s) failed, attempt %s; retrying at %s",
            notification_id,
            notification.channel,
            notification.attempts,
            retry_at.isoformat(),
        )
        _enqueue(notification_id, run_after=retry_at)
        return "retry"
    Notification.objects.filter(pk=notification_id).update(
        status=Status.SENT, sent_at=timezone.now(), lease_until=None, last_error=""
    )
    return "sent"


def sweep(*, now=None) -> dict[str, int]:
    """Take back what a dead worker held; re-enqueue what lost its task. Idempotent: a row
    enqueued twice is claimed once."""
    now = now or timezone.now()
    expired = list(
        Notification.objects.filter(status=Status.SENDING, lease_until__lt=now).values_list(
            "pk", flat=True
        )[:500]
    )
    reclaimed = Notification.objects.filter(
        pk__in=expired, status=Status.SENDING, lease_until__lt=now
    ).update(status=Status.PENDING, lease_until=None, next_attempt_at=now)
    lost = list(
        Notification.objects.filter(
            status=Status.PENDING, next_attempt_at__lte=now - SWEEP_GRACE
        ).values_list("pk", flat=True)[:500]
    )
    again = set(expired) | set(lost)
    for pk in sorted(again):
        _enqueue(pk)
    return {"reclaimed": reclaimed, "requeued": len(again)}


def deliver_due(*, now=None) -> dict[str, int]:
    """Deliver every due notification here and now, without the worker (``manage.py
    deliver_notifications``; tests)."""
    now = now or timezone.now()
    outcome: dict[str, int] = {}
    due = Notification.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
    for pk in list(due.values_list("pk", flat=True)):
        result = deliver(pk, now=now)
        outcome[result] = outcome.get(result, 0) + 1
    return outcome
