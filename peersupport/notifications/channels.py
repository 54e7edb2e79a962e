"""The channels a notification can go out on. Each send raises on failure; the caller retries.

E-mail goes through Django's mailer (EMAIL_URL: SMTP in production). Text messages go to the
department's SMS or phone gateway through an HTTP webhook: a JSON POST signed with
SMS_WEBHOOK_SECRET, so any gateway (a vendor's API behind a small adapter, an on-premises modem
service) can be plugged in without code here.
"""

import hashlib
import hmac
import json
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage

from .models import Channel, Notification


class DeliveryError(Exception):
    pass


def is_configured(channel: str) -> bool:
    if channel == Channel.SMS:
        return bool(settings.SMS_WEBHOOK_URL)
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


SENDERS = {Channel.EMAIL: send_email, Channel.SMS: send_sms}
