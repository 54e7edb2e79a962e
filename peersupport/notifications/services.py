"""Writes to the outbox and its delivery; a person's alert settings.

``notification_queue`` is called inside the transaction of the change being announced; it
writes the row and enqueues its delivery task in that same transaction (the django-tasks-db
queue is a table of the same database), so either both commit or neither does. ``deliver``
claims a row with a lease before sending, so two workers never send it at once, and marks it
sent after; a failure is retried with exponential backoff, for ever. ``sweep`` takes back rows
whose worker died holding the lease, and re-enqueues due rows whose task was lost.

``notify`` applies the person's choices (docs/operations.md, "Alerts"): the channels they want
for the alert's kind, their quiet hours, and a short hold (NOTIFY_COALESCE_SECONDS) that lets a
burst of non-urgent alerts gather. Urgent kinds go at once, alone, on at least one channel.

Gathering keeps the guarantees: ``deliver`` claims, under one lease token, every due non-urgent
row of the same person, channel and address, sends them as one message and marks exactly the
rows it claimed. A row is claimed by one delivery at a time (the claim is an UPDATE ... WHERE
status='pending'), so nothing goes twice at once; a failure or a dead worker puts every claimed
row back, so nothing is lost; the same set of rows gives the same Message-ID, so the receiver
sees a repeat after a crash as the same message.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Min
from django.utils import timezone

from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.tenancy import current_agency_id_or_none

from . import kinds, recipients, rules, selectors
from .channels import SENDERS, Undeliverable, is_configured
from .models import (
    PREFERENCE_CHANNELS,
    AlertPhone,
    AlertPreference,
    Channel,
    Notification,
    QuietHours,
)

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
    *,
    key: str,
    user,
    channel: str,
    subject: str,
    body: str,
    topic: str = "",
    address: str = "",
    kind: str = "",
    urgent: bool = False,
    link: str = "",
    send_at: datetime | None = None,
    gather: bool = False,
    wanted: bool = True,
) -> Notification:
    """One message to one person on one channel, once per ``key`` however often it is asked.

    ``send_at``: not before then (quiet hours, the gathering hold); ``gather``: go with an
    earlier-held message to the same person and address when that one goes before ``send_at``.
    ``wanted=False`` (the person switched the channel off) records the row as skipped."""
    if channel == Channel.EMAIL and user is not None:
        address = address or user.email
    # Without an account, only a reference to an address kept elsewhere (recipients.py).
    reachable = user.is_active if user is not None else recipients.is_reference(address)
    usable = bool(address) and is_configured(channel) and reachable
    now = timezone.now()
    send_at = send_at or now
    if usable and wanted and gather and send_at > now:
        held = Notification.objects.filter(
            user=user,
            channel=channel,
            address=address,
            status=Status.PENDING,
            urgent=False,
            next_attempt_at__gt=now,
            next_attempt_at__lt=send_at,
        ).aggregate(first=Min("next_attempt_at"))["first"]
        send_at = held or send_at
    notification, created = Notification.objects.get_or_create(
        key=key,
        defaults={
            "user": user,
            "channel": channel,
            "address": address,
            "subject": subject,
            "body": body,
            "topic": topic,
            "kind": kind,
            "urgent": urgent,
            # An address too long to keep is left out: the gathered message links home instead.
            "link": link if len(link) <= Notification._meta.get_field("link").max_length else "",
            "next_attempt_at": send_at,
            "created_at": now,
            "status": Status.PENDING if usable and wanted else Status.SKIPPED,
            "agency_id": current_agency_id_or_none(),
        },
    )
    if created and notification.status == Status.PENDING:
        _enqueue(notification.pk, run_after=send_at if send_at > now else None)
    return notification


# --- The channels a notification fans out to ------------------------------------------------
# Each channel says whether an alert can reach the person on it, and queues its rows. Push adds
# itself here (one row per device) and to channels.SENDERS; notify() needs no other change.


@dataclass(frozen=True)
class FanOut:
    reaches: Callable[..., bool]  # (user, phone) -> can this channel reach them?
    queue: Callable[..., list[Notification]]


def _email_reaches(user, phone: str) -> bool:
    return True  # a missing address is recorded as skipped by notification_queue


def _email_queue(*, key: str, user, subject: str, body: str, phone: str, **common):
    return [
        notification_queue(
            key=f"{key}:email",
            user=user,
            channel=Channel.EMAIL,
            subject=subject,
            body=body,
            **common,
        )
    ]


def _sms_phone(user, phone: str) -> str:
    """The number an alert carries (the on-duty roster's), else the person's own for alerts."""
    return phone or selectors.alert_phone_of(user)


def sms_configured() -> bool:
    return is_configured(Channel.SMS)


def _sms_reaches(user, phone: str) -> bool:
    return is_configured(Channel.SMS) and bool(_sms_phone(user, phone))


def _sms_queue(*, key: str, user, subject: str, body: str, phone: str, **common):
    phone = _sms_phone(user, phone)
    return [
        notification_queue(
            key=f"{key}:sms",
            user=user,
            channel=Channel.SMS,
            subject=subject,
            body=f"{subject}. {body}",
            address=phone,
            **common,
        )
    ]


def _push_reaches(user, phone: str) -> bool:
    from . import push  # push.py queues through this module

    return push.is_configured() and bool(push.push_targets(user))


def _push_queue(*, key: str, user, subject: str, body: str, phone: str, **common):
    from . import push

    return push.push_queue(key=key, user=user, body=body, **common)


FAN_OUTS: dict[str, FanOut] = {
    Channel.EMAIL: FanOut(reaches=_email_reaches, queue=_email_queue),
    Channel.SMS: FanOut(reaches=_sms_reaches, queue=_sms_queue),
    # One row per device the person added (push.py), never two to a device for one alert.
    Channel.PUSH: FanOut(reaches=_push_reaches, queue=_push_queue),
}


def _send_at(*, user, kind: kinds.Kind | None, now: datetime) -> tuple[datetime, bool]:
    """When an alert of ``kind`` to ``user`` may go, and whether it may gather with others:
    urgent (or undeclared) kinds at once; the rest at the end of the person's quiet hours,
    else after the gathering hold."""
    if kind is None or kind.urgent:
        return now, False
    quiet = selectors.quiet_hours_of(user)
    if quiet is not None:
        until = rules.quiet_until(now, quiet.start, quiet.end, ZoneInfo(settings.TIME_ZONE))
        if until is not None:
            return until, False
    return now + timedelta(seconds=settings.NOTIFY_COALESCE_SECONDS), True


def notify(
    *,
    key: str,
    user,
    subject: str,
    body: str,
    kind: str = "",
    topic: str = "",
    phone: str = "",
    link: str = "",
) -> list[Notification]:
    """The alert ``kind`` (a template name, kinds.py) to ``user`` on the channels they chose
    among those that reach them: e-mail always reaches; a text message when there is a phone
    number and an SMS gateway. A channel they switched off is recorded as skipped. An urgent
    kind always goes on one channel at least (e-mail when every chosen one is out of reach)."""
    declared = kinds.kind(kind)
    reachable = [c for c, fan_out in FAN_OUTS.items() if fan_out.reaches(user, phone)]
    chosen = selectors.channels_for(user, kind) if declared else set(reachable)
    on = chosen & set(reachable)
    if declared and declared.urgent and not on:
        on = {Channel.EMAIL}  # never nowhere: the choice was made for channels out of reach
    now = timezone.now()
    send_at, gather = _send_at(user=user, kind=declared, now=now)
    sent = []
    for channel in reachable:
        sent += FAN_OUTS[channel].queue(
            key=key,
            user=user,
            subject=subject,
            body=body,
            phone=phone,
            topic=topic,
            kind=kind,
            urgent=bool(declared and declared.urgent),
            link=link,
            send_at=send_at,
            gather=gather,
            wanted=channel in on,
        )
    return sent


def retry_delay(attempts: int) -> timedelta:
    seconds = min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), settings.NOTIFY_RETRY_MAX_SECONDS)
    return timedelta(seconds=seconds)


def deliver(notification_id: int, *, now=None) -> str:
    """Send one notification if it is due and nobody else holds it, together with every other
    due non-urgent one to the same person and address on that channel (one message for all).
    Returns what happened."""
    now = now or timezone.now()
    token = uuid4().hex
    claim = {
        "status": Status.SENDING,
        "lease_until": now + timedelta(seconds=settings.NOTIFY_LEASE_SECONDS),
        "attempts": F("attempts") + 1,
        "lease_token": token,
    }
    due = Notification.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
    if not due.filter(pk=notification_id).update(**claim):
        return "not due"
    first = Notification.objects.get(pk=notification_id)
    # A push goes alone: its body is the device's fixed payload (push.py), and a device shows
    # one notification per link anyway. So does an alert to someone without an account: its
    # words are chosen to say nothing (no program name), which a gathered message would.
    if not first.urgent and first.channel != Channel.PUSH and first.user_id is not None:
        due.filter(
            user_id=first.user_id, channel=first.channel, address=first.address, urgent=False
        ).update(**claim)
    batch = list(Notification.objects.filter(lease_token=token, status=Status.SENDING))
    message = first if len(batch) <= 1 else _gathered(batch)
    if message.user_id is None:
        # Someone without an account: the address is read now, from where it is kept, and
        # only for this send (the row keeps the reference). Gone since: nothing to send.
        address = recipients.resolve(message.address)
        if not address:
            Notification.objects.filter(lease_token=token).update(
                status=Status.SKIPPED, lease_until=None
            )
            return "skipped"
        message = Notification(
            key=message.key,
            channel=message.channel,
            address=address,
            subject=message.subject,
            body=message.body,
            created_at=message.created_at,
            attempts=message.attempts,
        )
    try:
        SENDERS[first.channel](message)
    except Undeliverable as exc:
        # Gone for good (a device its push service forgot): retrying would never succeed.
        Notification.objects.filter(lease_token=token, status=Status.SENDING).update(
            status=Status.SKIPPED, lease_until=None, last_error=str(exc)[:300]
        )
        return "undeliverable"
    except Exception as exc:  # noqa: BLE001 (any failure of the channel is retried)
        attempts = max(n.attempts for n in batch) if batch else first.attempts
        retry_at = timezone.now() + retry_delay(attempts)
        Notification.objects.filter(lease_token=token, status=Status.SENDING).update(
            status=Status.PENDING,
            lease_until=None,
            next_attempt_at=retry_at,
            last_error=f"{type(exc).__name__}: {exc}"[:300],
        )
        logger.warning(
            "notification %s (%s, %s together) failed, attempt %s; retrying at %s",
            notification_id,
            first.channel,
            len(batch),
            attempts,
            retry_at.isoformat(),
        )
        _enqueue(notification_id, run_after=retry_at)
        return "retry"
    # Exactly the rows this delivery claimed (a row the sweeper took back and another worker
    # claimed since carries that worker's token, and is its to mark).
    Notification.objects.filter(lease_token=token).update(
        status=Status.SENT, sent_at=timezone.now(), lease_until=None, last_error=""
    )
    return "sent"


def _gathered(batch: list[Notification]) -> Notification:
    """One message (unsaved) for several: what waits, with the links. Its key, and so its
    Message-ID and Idempotency-Key, is a digest of the rows' keys: the same set gives the same
    message on every attempt."""
    from .gathering import gathered_key, gathered_words

    first = batch[0]
    subject, body = gathered_words(batch)
    if first.channel == Channel.SMS:
        body = f"{subject}. {body}"
    return Notification(
        key=gathered_key(batch),
        user_id=first.user_id,
        channel=first.channel,
        address=first.address,
        subject=subject,
        body=body,
    )


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
    deliver_notifications``; tests). A row gathered into an earlier one's message is not
    counted again."""
    now = now or timezone.now()
    outcome: dict[str, int] = {}
    due = Notification.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
    for pk in list(due.values_list("pk", flat=True)):
        if not due.filter(pk=pk).exists():
            continue  # sent with an earlier one
        result = deliver(pk, now=now)
        outcome[result] = outcome.get(result, 0) + 1
    return outcome


# --- A person's alert settings ---------------------------------------------------------------


def choosable_channels() -> list[str]:
    """The channels a person chooses between: those that can send (FAN_OUTS), in order; push
    only where the server has a VAPID key (docs/operations.md, "Web Push")."""
    from . import push

    return [
        c
        for c in PREFERENCE_CHANNELS
        if c in FAN_OUTS and (c != Channel.PUSH or push.is_configured())
    ]


@transaction.atomic
def alert_settings_save(
    *,
    actor,
    choices: dict[str, set[str]],
    quiet_start=None,
    quiet_end=None,
    phone: str | None = None,
) -> int:
    """``actor``'s own alert settings: for each kind in ``choices`` the channels they want (of
    ``choosable_channels()``; a channel not offered keeps its value), and their quiet hours
    (both times, or neither for none). Kinds at the default (every channel) keep no row.
    Returns how many kinds changed. Audited without content: counts only."""
    offered = choosable_channels()
    known = {k.name: k for k in kinds.kinds_for(actor.roles)}
    errors: dict[str, list[str]] = {}
    for name, wanted in choices.items():
        if name not in known:
            raise ValidationError("That kind of alert is not one of yours.")
        if not set(wanted) <= set(offered):
            raise ValidationError("That channel is not offered.")
        if known[name].urgent and not wanted:
            errors.setdefault(name, []).append(
                f"“{known[name].label}” is urgent: keep at least one channel on."
            )
    if (quiet_start is None) != (quiet_end is None):
        errors.setdefault("quiet_end", []).append(
            "Give both the start and the end of your quiet hours, or neither."
        )
    elif quiet_start is not None and quiet_start == quiet_end:
        errors.setdefault("quiet_end", []).append(
            "Quiet hours need an end different from their start."
        )
    if phone is not None:
        phone = " ".join(phone.split())
        try:
            phone = rules.clean_phone(phone) if phone else ""
        except ValueError as exc:
            errors.setdefault("phone", []).append(str(exc))
    if errors:
        raise ValidationError(errors)

    current = {p.kind: p for p in AlertPreference.objects.select_for_update().filter(user=actor)}
    changed = 0
    for name, wanted in choices.items():
        row = current.get(name)
        before = row.channels() if row else set(PREFERENCE_CHANNELS)
        after = (before - set(offered)) | set(wanted)
        if after == before:
            continue
        changed += 1
        if after == set(PREFERENCE_CHANNELS):
            row.delete()
            continue
        row = row or AlertPreference(user=actor, kind=name)
        for channel in PREFERENCE_CHANNELS:
            setattr(row, channel, channel in after)
        row.updated_at = timezone.now()
        row.save()

    quiet = QuietHours.objects.select_for_update().filter(user=actor).first()
    quiet_changed = False
    if quiet_start is None:
        if quiet is not None:
            quiet.delete()
            quiet_changed = True
    elif quiet is None or (quiet.start, quiet.end) != (quiet_start, quiet_end):
        quiet = quiet or QuietHours(user=actor)
        quiet.start, quiet.end, quiet.updated_at = quiet_start, quiet_end, timezone.now()
        quiet.save()
        quiet_changed = True

    phone_changed = phone is not None and _phone_save(actor, phone)
    if changed or quiet_changed or phone_changed:
        details = {"kinds_changed": changed, "quiet_hours_changed": quiet_changed}
        if phone_changed:
            details["text_number_changed"] = True  # never the number
        record(
            actor=actor,
            action=AuditAction.ALERT_SETTINGS_CHANGED,
            target=actor,
            details=details,
        )
    return changed


def _phone_save(actor, phone: str) -> bool:
    """The person's own number for text alerts ("" removes it). Returns whether it changed."""
    row = AlertPhone.objects.select_for_update().filter(user=actor).first()
    if (row.phone if row else "") == phone:
        return False
    if not phone:
        row.delete()
        return True
    row = row or AlertPhone(user=actor)
    row.phone, row.updated_at = phone, timezone.now()
    row.save()
    return True
