"""Webhooks: content-free events told to other systems, signed, delivered through the outbox.

Domain apps register the events they may send (``register_event`` in their
``AppConfig.ready()``) and send them with ``emit`` inside the transaction of the change; the
kernel never imports a domain app. ``emit`` writes one outbox row per active endpoint that asked
for the event (``Channel.WEBHOOK``, no person, the row's address a reference to the endpoint),
so a delivery has the outbox's lease, backoff and sweep, and survives a crash or a restart.

What goes out carries nothing protected: the event's name, an opaque id, when it happened and
a link to the page where a system allowed to read it fetches the details. Never a name, a
codename, a count or anything else of the record (docs/webhooks.md).

Each attempt is signed afresh (``signature``): ``X-Peersupport-Timestamp`` is the Unix time of
the attempt and ``X-Peersupport-Signature`` is ``v1=`` and the HMAC-SHA256, under the endpoint's
secret, of the timestamp, a full stop and the body. A receiver recomputes it, compares in
constant time and refuses a timestamp more than a few minutes old (``verify``), so a captured
request cannot be replayed later; the event id (also ``Idempotency-Key``) drops the rare repeat
of a delivery interrupted after the receiver had it.

The system administrator sets the addresses (docs/threat-model.md, "Webhooks"): https only
(``WEBHOOK_ALLOW_HTTP`` for development and tests), no user name or password in the address,
redirects never followed, a short timeout, and nothing of an answer kept but its status code.
"""

import hashlib
import hmac
import json
import re
import secrets
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.http import Http404
from django.utils import timezone

from peersupport.audit.models import AuditAction
from peersupport.audit.services import record

from .channels import DeliveryError, Undeliverable
from .models import Channel, Notification, WebhookEndpoint
from .services import notification_queue

ADDRESS_PREFIX = "webhook:"
SIGNATURE_HEADER = "X-Peersupport-Signature"
TIMESTAMP_HEADER = "X-Peersupport-Timestamp"
EVENT_HEADER = "X-Peersupport-Event"
# How old a timestamp ``verify`` accepts (receivers should use the same or less).
TOLERANCE_SECONDS = 300
MAX_URL = WebhookEndpoint._meta.get_field("url").max_length
_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


# --- The registry of events -----------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    name: str  # "training.record.created"
    label: str  # what the administrator picks from
    description: str = ""


TEST_EVENT = Event(
    "webhook.test",
    "Test event",
    "Sent only when the system administrator asks, to check the receiver and its signature.",
)
_events: dict[str, Event] = {}


def register_event(name: str, *, label: str, description: str = "") -> Event:
    """Declare an event a domain app may send (call it in ``AppConfig.ready()``). Names are
    dotted lower-case words; registering the same name again replaces it."""
    if not _NAME.match(name) or name == TEST_EVENT.name:
        raise ValueError(f"not a usable webhook event name: {name!r}")
    _events[name] = event = Event(name, label, description)
    return event


def events() -> list[Event]:
    """The events an endpoint may ask for, by name."""
    return sorted(_events.values(), key=lambda e: e.name)


def event_label(name: str) -> str:
    found = _events.get(name) or (TEST_EVENT if name == TEST_EVENT.name else None)
    return found.label if found else name


# --- Rules: addresses, ids, payloads, signatures ---------------------------------------------


def check_url(url: str) -> str:
    """The address, cleaned, or a ValidationError on ``url`` saying what is wrong with it."""
    url = (url or "").strip()
    schemes = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        parts = None
    if parts is None or not url:
        problem = "Give the address of the receiving system, starting with https://."
    elif len(url) > MAX_URL:
        problem = f"Give an address of at most {MAX_URL} characters."
    elif parts.scheme not in schemes:
        problem = "The address must start with https:// (deliveries are always encrypted)."
    elif not parts.hostname:
        problem = "The address needs a host name, such as https://hr.example.org/hooks."
    elif parts.username is not None or parts.password is not None:
        problem = (
            "Leave user names and passwords out of the address: the receiver checks the "
            "signature instead."
        )
    elif parts.fragment or any(c.isspace() for c in url):
        problem = "The address cannot hold spaces or a “#” part."
    else:
        return url
    raise ValidationError({"url": problem})


def check_events(names) -> list[str]:
    known = {e.name for e in events()}
    names = sorted(set(names))
    if not set(names) <= known:
        raise ValidationError({"events": "Pick events from the list."})
    return names


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _id_key() -> bytes:
    return hmac.new(
        settings.AUDIT_HMAC_KEY.encode(), b"peersupport webhook event id", hashlib.sha256
    ).digest()


def event_id(source: str | None = None) -> str:
    """An opaque id: random, or (given ``source``, what the event is about, e.g. the periods a
    build published) a keyed hash of it, the same for two writers racing to send one event and
    saying nothing of the source to anyone without the key."""
    if source is None:
        return uuid.uuid4().hex
    return hmac.new(_id_key(), source.encode(), hashlib.sha256).hexdigest()[:32]


def payload(*, name: str, event: str, occurred_at: datetime, link: str) -> str:
    """The body every endpoint gets for one event. Only these four fields, ever."""
    return json.dumps(
        {
            "event": name,
            "id": event,
            "occurred_at": occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "link": link,
        },
        sort_keys=True,
    )


def absolute(path: str) -> str:
    """A path of this site as the address a receiving system can follow."""
    if path.startswith(("https://", "http://")):
        return path
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """``v1=`` and the hex HMAC-SHA256 under ``secret`` of ``"<timestamp>." + body``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify(
    secret: str,
    *,
    timestamp: str,
    signature_header: str,
    body: bytes,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does (docs/webhooks.md): the signature matches and the timestamp is
    recent. Several signatures separated by commas are accepted (none is sent today)."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - sent) > tolerance:
        return False
    expected = signature(secret, sent, body)
    return any(
        hmac.compare_digest(expected, given.strip())
        for given in (signature_header or "").split(",")
    )


# --- Sending ---------------------------------------------------------------------------------


# Failed deliveries an event has had, at least, before WEBHOOK_RETRY_HOURS may drop it.
GIVE_UP_AFTER_ATTEMPTS = 5


def resolve(rest: str) -> str:
    """The outbox's reference ``webhook:<id>`` read just before sending (recipients.py): the
    same reference while the endpoint is active, "" (the row is skipped) once it is disabled or
    deleted."""
    if not rest.isdigit():
        return ""
    # The outbox is install-wide: any agency's endpoint (it was queued in that agency).
    found = WebhookEndpoint.everywhere.filter(pk=int(rest), active=True).exists()
    return ADDRESS_PREFIX + rest if found else ""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a new address to send to: it fails the delivery."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def send(notification: Notification) -> None:
    """channels.SENDERS[Channel.WEBHOOK]: POST the row's body, signed now. Raises
    ``Undeliverable`` when the endpoint was disabled or deleted (never retried) and
    ``DeliveryError`` for anything else, which the outbox retries with backoff."""
    rest = notification.address.removeprefix(ADDRESS_PREFIX)
    endpoint = (
        WebhookEndpoint.everywhere.filter(pk=int(rest), active=True).first()
        if rest.isdigit() and len(rest) < 12
        else None
    )
    if endpoint is None:
        raise Undeliverable("the endpoint was disabled or deleted")
    # A receiver down for days is not waited for forever: the event is dropped (the page shows
    # it as failed), so the outbox does not grow with one dead system's backlog. Only after it
    # was really tried and refused several times: a worker that was down for days sends first.
    if notification.attempts > GIVE_UP_AFTER_ATTEMPTS and notification.created_at < (
        timezone.now() - timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    ):
        raise Undeliverable(f"gave up after {settings.WEBHOOK_RETRY_HOURS} hours of failures")
    try:
        url = check_url(endpoint.url)
    except ValidationError:
        raise Undeliverable("the endpoint's address is no longer allowed") from None
    body = notification.body.encode()
    timestamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 (check_url allows http(s) only)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "peersupport-webhooks/1",
            "Idempotency-Key": json.loads(notification.body)["id"],
            EVENT_HEADER: notification.subject,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: signature(endpoint.secret, timestamp, body),
        },
    )
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        # Only the status: an answer's words never reach a page (docs/threat-model.md).
        raise DeliveryError(f"the receiver answered {exc.code}") from None
    except (OSError, ValueError) as exc:  # URLError, timeouts, refused connections
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"the receiver was unreachable ({type(reason).__name__})") from None
    if not 200 <= status < 300:
        raise DeliveryError(f"the receiver answered {status}")


def _queue(endpoint: WebhookEndpoint, *, name: str, event: str, body: str) -> Notification:
    return notification_queue(
        key=f"{ADDRESS_PREFIX}{event}:{endpoint.pk}",
        user=None,
        channel=Channel.WEBHOOK,
        subject=name,
        body=body,
        topic=f"{ADDRESS_PREFIX}{endpoint.pk}",
        address=f"{ADDRESS_PREFIX}{endpoint.pk}",
    )


def emit(
    name: str,
    *,
    link: str,
    source: str | None = None,
    occurred_at: datetime | None = None,
) -> list[Notification]:
    """Tell every active endpoint that asked for ``name`` that it happened; call it inside
    the transaction of the change. ``link``: the path (or address) of the page where a system
    allowed to read it finds the details. ``source``: what the event is about, for an id that
    is the same when two writers send the same event (one row per endpoint, whoever wins);
    never put it in ``link``. An unregistered name is a mistake in the caller: ValueError."""
    if name not in _events:
        raise ValueError(f"webhook event {name!r} was never registered")
    targets = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(active=True).only("pk", "events", "row_id")
        if name in endpoint.events
    ]
    if not targets:
        return []
    event = event_id(source)
    body = payload(
        name=name, event=event, occurred_at=occurred_at or timezone.now(), link=absolute(link)
    )
    return [_queue(endpoint, name=name, event=event, body=body) for endpoint in targets]


# --- Reads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """How an endpoint's deliveries went, for its line on the webhooks page."""

    last_status: str  # a Notification.Status label, or "" before the first
    last_at: datetime | None
    last_error: str
    failing: int  # waiting to be tried again after a failure
    sent: int


def endpoints() -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.all())


def endpoint(endpoint_id: int) -> WebhookEndpoint:
    found = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if found is None:
        raise Http404("No such webhook endpoint.")
    return found


def deliveries(found: list[WebhookEndpoint]) -> dict[int, Delivery]:
    """endpoint id -> how its deliveries went. Two queries, however many endpoints."""
    topics = {f"{ADDRESS_PREFIX}{e.pk}": e.pk for e in found}
    rows = Notification.objects.filter(channel=Channel.WEBHOOK, topic__in=list(topics))
    counts = {
        r["topic"]: r
        for r in rows.values("topic").annotate(
            last=Max("pk"),
            sent=Count("pk", filter=Q(status=Notification.Status.SENT)),
            failing=Count("pk", filter=Q(status=Notification.Status.PENDING, attempts__gt=0)),
        )
    }
    last = {
        n.topic: n
        for n in Notification.objects.filter(pk__in=[c["last"] for c in counts.values()]).only(
            "topic", "status", "sent_at", "created_at", "last_error", "attempts"
        )
    }
    result = {}
    for topic, pk in topics.items():
        row = last.get(topic)
        counted = counts.get(topic, {})
        result[pk] = Delivery(
            last_status=row.get_status_display() if row else "",
            last_at=(row.sent_at or row.created_at) if row else None,
            last_error=row.last_error if row else "",
            failing=counted.get("failing", 0),
            sent=counted.get("sent", 0),
        )
    return result


# --- Writes (the system administrator's) -----------------------------------------------------


def _skip_waiting(endpoint: WebhookEndpoint) -> int:
    """What still waits for an endpoint that is disabled or deleted is never sent."""
    return Notification.objects.filter(
        channel=Channel.WEBHOOK,
        topic=f"{ADDRESS_PREFIX}{endpoint.pk}",
        status=Notification.Status.PENDING,
    ).update(status=Notification.Status.SKIPPED, last_error="the endpoint was disabled")


def _checked(*, label: str, url: str, events) -> tuple[str, str, list[str]]:
    """An endpoint's fields, cleaned, or one ValidationError naming every field that is wrong."""
    label = " ".join((label or "").split())[:80]
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for field, check, value in (("url", check_url, url), ("events", check_events, events)):
        try:
            cleaned[field] = check(value)
        except ValidationError as exc:
            errors |= exc.message_dict
    if not label:
        errors["label"] = ["Give the receiving system a name."]
    if errors:
        raise ValidationError(errors)
    return label, cleaned["url"], cleaned["events"]


@transaction.atomic
def _locked(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """``endpoint`` locked for a change; 404 when another request deleted it meanwhile (two
    tabs, a double submission), never a 500."""
    found = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint.pk).first()
    if found is None:
        raise Http404("This webhook endpoint no longer exists.")
    return found


def endpoint_add(*, actor, label: str, url: str, events: list[str]) -> tuple[WebhookEndpoint, str]:
    """A new endpoint, active. Returns it and its secret, to be shown once."""
    label, url, events = _checked(label=label, url=url, events=events)
    secret = new_secret()
    now = timezone.now()
    endpoint = WebhookEndpoint.objects.create(
        label=label, url=url, events=events, secret=secret, created_at=now, secret_set_at=now
    )
    # The address is the administrator's choice, not protected, but it may name an internal
    # host: the audit keeps the events and the id.
    record(
        actor=actor,
        action=AuditAction.WEBHOOK_ADDED,
        target=endpoint,
        details={"events": events},
    )
    return endpoint, secret


@transaction.atomic
def endpoint_update(
    *, actor, endpoint: WebhookEndpoint, label: str, url: str, events: list[str], active: bool
) -> WebhookEndpoint:
    """Change an endpoint; disabling it skips whatever still waits for it."""
    endpoint = _locked(endpoint)
    label, url, events = _checked(label=label, url=url, events=events)
    new = {"label": label, "url": url, "events": events, "active": bool(active)}
    changed = sorted(k for k, v in new.items() if getattr(endpoint, k) != v)
    if not changed:
        return endpoint
    for field, value in new.items():
        setattr(endpoint, field, value)
    endpoint.save(update_fields=changed)
    skipped = _skip_waiting(endpoint) if not endpoint.active else 0
    record(
        actor=actor,
        action=AuditAction.WEBHOOK_CHANGED,
        target=endpoint,
        details={
            "changed": changed,
            "events": events,
            "active": endpoint.active,
            "skipped": skipped,
        },
    )
    return endpoint


@transaction.atomic
def endpoint_rotate(*, actor, endpoint: WebhookEndpoint) -> str:
    """A new signing secret, at once: deliveries from now on (retries too) are signed with it.
    Returns it, to be shown once."""
    endpoint = _locked(endpoint)
    secret = new_secret()
    endpoint.secret, endpoint.secret_set_at = secret, timezone.now()
    endpoint.save(update_fields=["secret", "secret_set_at"])
    record(actor=actor, action=AuditAction.WEBHOOK_SECRET_ROTATED, target=endpoint)
    return secret


@transaction.atomic
def endpoint_delete(*, actor, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint; what waits for it is skipped (its rows stay, as the outbox's do)."""
    endpoint = _locked(endpoint)
    skipped = _skip_waiting(endpoint)
    record(
        actor=actor,
        action=AuditAction.WEBHOOK_DELETED,
        target=endpoint,
        details={"skipped": skipped},
    )
    endpoint.delete()


@transaction.atomic
def endpoint_test(*, actor, endpoint: WebhookEndpoint) -> Notification:
    """Queue one test event to ``endpoint`` (whatever it asked for), linking to the home page."""
    endpoint = _locked(endpoint)
    if not endpoint.active:
        raise ValidationError("This endpoint is disabled: enable it to send a test event.")
    event = event_id()
    body = payload(
        name=TEST_EVENT.name, event=event, occurred_at=timezone.now(), link=absolute("/")
    )
    sent = _queue(endpoint, name=TEST_EVENT.name, event=event, body=body)
    record(actor=actor, action=AuditAction.WEBHOOK_TESTED, target=endpoint)
    return sent
