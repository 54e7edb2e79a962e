"""The channels a notification can go out on. Each send raises on failure; the caller retries.

E-mail goes through Django's mailer (EMAIL_URL: SMTP in production). Text messages go to the
department's SMS or phone gateway through an HTTP webhook: a JSON POST signed with
SMS_WEBHOOK_SECRET, so any gateway (a vendor's API behind a small adapter, an on-premises modem
service) can be plugged in without code here.

Push alerts go to the push service of each browser a person added (push.py): the payload is
encrypted for that browser (RFC 8291, aes128gcm) and the request signed with the server's VAPID
key (RFC 8292). A push service that answers 404 or 410 has forgotten the browser: the device is
made inactive and the row is not retried (``Undeliverable``); any other failure is retried.
"""

import hashlib
import hmac
import json
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from requests import RequestException

from peersupport.audit.models import AuditAction
from peersupport.audit.services import record

from .models import Channel, Notification, PushSubscription
from .vapid import private_key


class DeliveryError(Exception):
    pass


class Undeliverable(DeliveryError):
    """The address is gone for good (a push service forgot the browser): trying again would
    fail the same way for ever."""


def is_configured(channel: str) -> bool:
    if channel == Channel.SMS:
        return bool(settings.SMS_WEBHOOK_URL)
    if channel == Channel.PUSH:
        return bool(settings.VAPID_PRIVATE_KEY)
    return True


def message_id(key: str, domain: str) -> str:
    """The same Message-ID for every attempt at one notification (a header-safe digest of its
    key): a receiver sees a repeated delivery as the same message."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}.peersupport@{domain}>"


def send_email(notification: Notification) -> None:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    message = EmailMessage(
        # Someone without an account gets the subject alone: nothing that says what it is from.
        subject=(
            f"[Peer Support] {notification.subject}"
            if notification.user_id
            else notification.subject
        ),
        body=notification.body,
        to=[notification.address],
        # The same Message-ID on every attempt: a repeat after an interrupted delivery is the
        # same message to the receiving server and mail client.
        headers={"Message-ID": message_id(notification.key, domain)},
    )
    message.send(fail_silently=False)


def webhook_signature(body: bytes) -> str:
    return hmac.new(settings.SMS_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()


def send_sms(notification: Notification) -> None:
    url = settings.SMS_WEBHOOK_URL
    if not url.startswith(("http://", "https://")):
        raise DeliveryError("SMS_WEBHOOK_URL is not an http(s) URL")
    payload = json.dumps(
        {"id": notification.key, "to": notification.address, "text": notification.body},
        sort_keys=True,
    ).encode()
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=payload,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Idempotency-Key": notification.key,
            "X-Peersupport-Signature": webhook_signature(payload),
        },
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.SMS_WEBHOOK_TIMEOUT_SECONDS
        ) as response:
            if not 200 <= response.status < 300:
                raise DeliveryError(f"gateway answered {response.status}")
    except OSError as exc:  # URLError, HTTPError, timeouts
        raise DeliveryError(f"gateway unreachable or refused: {exc}") from exc


def _push_device(notification: Notification) -> PushSubscription:
    device = PushSubscription.objects.filter(
        pk=int(notification.address or 0), user_id=notification.user_id
    ).first()
    if device is None or not device.active:
        raise Undeliverable("the device was removed or no longer receives alerts")
    return device


@transaction.atomic
def _push_device_gone(device: PushSubscription, status: int) -> None:
    device = PushSubscription.objects.select_for_update().filter(pk=device.pk, active=True).first()
    if device is None:
        return
    device.active, device.gone_at = False, timezone.now()
    device.save(update_fields=["active", "gone_at"])
    record(
        actor=None,
        action=AuditAction.PUSH_DEVICE_GONE,
        target=device,
        details={"status": status},
    )


def send_push(notification: Notification) -> None:
    """``notification.body`` is the JSON the browser gets (push.payload: fixed words, a path)."""
    if not settings.VAPID_PRIVATE_KEY:
        raise Undeliverable("push alerts were turned off (no VAPID_PRIVATE_KEY)")
    device = _push_device(notification)
    # An urgent kind (an offer, an escalation: notifications/kinds.py), or a topic listed in
    # PUSH_URGENT_TOPICS, wakes the device at once.
    urgent = notification.urgent or (
        notification.topic.split(":", 1)[0] in settings.PUSH_URGENT_TOPICS
    )
    try:
        webpush(
            subscription_info={
                "endpoint": device.endpoint,
                "keys": {"p256dh": device.p256dh, "auth": device.auth},
            },
            data=notification.body,
            vapid_private_key=Vapid(private_key(settings.VAPID_PRIVATE_KEY)),
            vapid_claims={"sub": settings.VAPID_SUBJECT},
            ttl=settings.PUSH_TTL_SECONDS,
            headers={"Urgency": "high" if urgent else "normal"},
            timeout=settings.PUSH_TIMEOUT_SECONDS,
        )
    except WebPushException as exc:
        status = exc.status_code
        if status in (404, 410):
            _push_device_gone(device, status)
            raise Undeliverable(f"push service answered {status}: the browser is gone") from None
        raise DeliveryError(f"push service answered {status}") from None
    except RequestException as exc:
        raise DeliveryError(f"push service unreachable: {type(exc).__name__}") from None
    PushSubscription.objects.filter(pk=device.pk).update(last_success_at=timezone.now())


def send_webhook(notification: Notification) -> None:
    """An event to another system, signed with its endpoint's secret (webhooks.py)."""
    from . import webhooks  # webhooks.py raises this module's errors

    webhooks.send(notification)


SENDERS = {
    Channel.EMAIL: send_email,
    Channel.SMS: send_sms,
    Channel.PUSH: send_push,
    Channel.WEBHOOK: send_webhook,
}
