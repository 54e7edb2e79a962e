"""Web Push: alerts to the browsers and phones people add on their devices page.

A push carries nothing of the alert: a fixed title and body (``messages/push/waiting.txt``)
and the path of the page it links to, encrypted for the one browser (RFC 8291) and signed
with the server's VAPID key (RFC 8292). The page behind the path applies the access rules as
always. ``notify()`` adds one outbox row per active device (``push_queue``), keyed by the
event and the device, so a retry or a second call never alerts a device twice for one event.

The devices themselves (add, remove, test) are written here too, each audited with the row's
id only: never the endpoint, which names the push service and the browser.
"""

import hashlib
import hmac
import json
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from peersupport.audit.models import AuditAction
from peersupport.audit.services import record

from .channels import is_configured as channel_configured
from .messages import render_message
from .models import Channel, Notification, PushSubscription
from .services import notification_queue

MAX_ENDPOINT = 2000


def is_configured() -> bool:
    return channel_configured(Channel.PUSH)


def endpoint_digest(endpoint: str) -> str:
    """A keyed hash of the endpoint: finds the row of a browser that subscribes again, and says
    nothing to someone with only the database."""
    key = hmac.new(
        settings.AUDIT_HMAC_KEY.encode(), b"peersupport push endpoint key", hashlib.sha256
    ).digest()
    return hmac.new(key, endpoint.encode(), hashlib.sha256).hexdigest()


def link_path(body: str) -> str:
    """The path of the first link to this site in an alert's body (the alert's own page), or
    the home page. Only a path leaves in a push: never a host, a query or any words."""
    site = settings.SITE_URL.rstrip("/")
    for word in body.split():
        if site and word.startswith(site + "/"):
            path = urlsplit(word.rstrip(".,;:)")).path
            if path.startswith("/") and not path.startswith("//"):
                return path
    return reverse("web:home")


def payload(words: tuple[str, str], *, path: str) -> str:
    """The JSON a device receives: a template's fixed words (subject, body) and a path."""
    title, text = words
    return json.dumps({"title": title, "body": text, "path": path}, sort_keys=True)


# --- Reads ----------------------------------------------------------------------------------


def push_targets(user) -> list[PushSubscription]:
    """The devices an alert for ``user`` goes to: none while push is off or the account is
    disabled."""
    if not is_configured() or not user.is_active:
        return []
    return list(PushSubscription.objects.filter(user=user, active=True))


def devices_of(user) -> list[PushSubscription]:
    return list(PushSubscription.objects.filter(user=user))


def device_of(*, user, device_id: int) -> PushSubscription:
    """One of ``user``'s own devices; anyone else's is 404, as if it did not exist."""
    try:
        return PushSubscription.objects.get(pk=device_id, user=user)
    except PushSubscription.DoesNotExist:
        raise Http404("No such device") from None


# --- The outbox -----------------------------------------------------------------------------


def push_queue(*, key: str, user, body: str, topic: str = "", **common) -> list[Notification]:
    """One outbox row per active device of ``user`` for the alert ``key`` (whose text, ``body``,
    gives only its link's path to the push). ``common``: what ``notify`` gives every channel
    (the kind, urgency, when it may go, whether the person wants push for this kind)."""
    content = payload(render_message("push/waiting"), path=link_path(body))
    title = json.loads(content)["title"]
    return [
        notification_queue(
            key=f"{key}:push:{device.pk}",
            user=user,
            channel=Channel.PUSH,
            subject=title,
            body=content,
            topic=topic,
            address=str(device.pk),
            **common,
        )
        for device in push_targets(user)
    ]


# --- Writes ---------------------------------------------------------------------------------


def _check_subscription(endpoint: str, p256dh: str, auth: str) -> None:
    from .vapid import b64url_decode

    parts = urlsplit(endpoint)
    secure = parts.scheme == "https" or (not settings.PRODUCTION and parts.scheme == "http")
    if not secure or not parts.netloc or len(endpoint) > MAX_ENDPOINT:
        raise ValidationError({"endpoint": "This browser gave a push address that is not usable."})
    try:
        point, secret = b64url_decode(p256dh), b64url_decode(auth)
    except ValueError:
        point, secret = b"", b""
    if len(point) != 65 or point[0] != 4 or len(secret) != 16:
        raise ValidationError({"p256dh": "This browser gave push keys that are not usable."})


@transaction.atomic
def device_add(*, actor, label: str, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Add the browser ``actor`` is using, or renew it when it is theirs already. A browser
    another account had added (a shared computer) leaves that account: alerts follow whoever
    added the browser last."""
    if not is_configured():
        raise ValidationError("Push alerts are not set up on this service.")
    label = label.strip()
    if not label:
        raise ValidationError({"label": "Give this device a name you will recognise."})
    _check_subscription(endpoint, p256dh, auth)
    digest = endpoint_digest(endpoint)
    existing = PushSubscription.objects.select_for_update().filter(
        endpoint_digest=digest, active=True
    )
    for old in existing:
        if old.user_id == actor.pk:
            old.label, old.p256dh, old.auth = label[:60], p256dh, auth
            old.save(update_fields=["label", "p256dh", "auth"])
            record(actor=actor, action=AuditAction.PUSH_DEVICE_RENEWED, target=old)
            return old
        old.active, old.gone_at = False, timezone.now()
        old.save(update_fields=["active", "gone_at"])
        record(
            actor=actor,
            action=AuditAction.PUSH_DEVICE_REMOVED,
            target=old,
            details={"why": "added by another account"},
        )
    device = PushSubscription.objects.create(
        user=actor,
        label=label[:60],
        endpoint=endpoint,
        p256dh=p256dh,
        auth=auth,
        endpoint_digest=digest,
    )
    record(actor=actor, action=AuditAction.PUSH_DEVICE_ADDED, target=device)
    return device


@transaction.atomic
def device_remove(*, actor, device: PushSubscription) -> None:
    if device.user_id != actor.pk:
        raise Http404("No such device")
    record(actor=actor, action=AuditAction.PUSH_DEVICE_REMOVED, target=device)
    device.delete()


@transaction.atomic
def device_test(*, actor, device: PushSubscription) -> Notification:
    """A test alert to one device, now (each press is a new alert)."""
    if device.user_id != actor.pk:
        raise Http404("No such device")
    if not device.active or not is_configured():
        raise ValidationError("This device no longer receives alerts: remove it and add it again.")
    content = payload(render_message("push/test"), path=reverse("web:devices"))
    record(actor=actor, action=AuditAction.PUSH_DEVICE_TESTED, target=device)
    return notification_queue(
        key=f"push-test:{device.pk}:{uuid.uuid4().hex}",
        user=actor,
        channel=Channel.PUSH,
        subject=json.loads(content)["title"],
        body=content,
        topic="push",
        address=str(device.pk),
    )
