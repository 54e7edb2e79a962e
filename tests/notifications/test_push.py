"""Web Push end to end against a push service on 127.0.0.1 (tests/servers.PushServer).

The test plays the browser: it makes the ECDH key pair and auth secret a browser makes when it
subscribes, adds the device through the service, lets the outbox deliver, then checks what
reached the push service as a push service and as the browser would: the VAPID signature
(RFC 8292) against the server's public key, the payload decrypted per RFC 8291 (aes128gcm,
with http_ece), and that it is content-free: the fixed words and a path.
"""

import base64
import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.notifications import push, services
from peersupport.notifications.messages import notify_message, render_message, site_link
from peersupport.notifications.models import Channel, Notification, PushSubscription
from peersupport.notifications.vapid import b64url_decode, generate, public_key_of

from ..matrix.devices import b64url, browser_keys
from ..servers import PushServer
from ..system.test_platform import GOOD_PROD, ROOT
from .helpers import Browser

pytestmark = pytest.mark.django_db

Status = Notification.Status
WAITING = render_message("push/waiting")


@pytest.fixture
def push_service():
    with PushServer() as server:
        yield server


def vapid_claims(request: dict, *, audience: str) -> dict:
    """Check the request's VAPID signature as a push service does; return the JWT's claims."""
    scheme, _, params = request["headers"]["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.split("=", 1) for part in params.split(","))
    assert fields["k"] == settings.VAPID_PUBLIC_KEY == public_key_of(settings.VAPID_PRIVATE_KEY)
    header, claims, signature = fields["t"].split(".")
    assert json.loads(b64url_decode(header)) == {"typ": "JWT", "alg": "ES256"}
    raw = b64url_decode(signature)
    assert len(raw) == 64
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), b64url_decode(fields["k"])
    )
    public.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    # A signature over anything else does not verify: the check above means something.
    with pytest.raises(InvalidSignature):
        public.verify(der, f"{header}.{claims}x".encode(), ec.ECDSA(hashes.SHA256()))
    decoded = json.loads(b64url_decode(claims))
    assert decoded["aud"] == audience
    assert decoded["sub"] == settings.VAPID_SUBJECT
    assert timezone.now().timestamp() < decoded["exp"] <= timezone.now().timestamp() + 24 * 3600
    return decoded


def _push_rows(user=None):
    rows = Notification.objects.filter(channel=Channel.PUSH)
    return rows.filter(user=user) if user is not None else rows


def test_a_push_reaches_the_device_signed_encrypted_and_content_free(personas, push_service):
    supporter = personas["supporter"]
    browser = Browser(push_service.endpoint("supporter-phone"))
    device = browser.subscribe(supporter)

    notify_message(
        key="followups:1",
        user=supporter,
        message="support/followups_due",
        n=1,
        link=site_link("support:inbox"),
    )
    assert services.deliver_due() == {"sent": 2}  # the e-mail and the push

    [request] = push_service.requests
    assert request["path"] == "/push/supporter-phone"
    vapid_claims(request, audience=push_service.origin)
    assert request["headers"]["ttl"] == str(settings.PUSH_TTL_SECONDS)
    assert request["headers"]["urgency"] == "normal"
    # What the browser decrypts: the fixed words and the path of the alert's page, nothing else.
    message = browser.read(request)
    assert message == {"title": WAITING[0], "body": WAITING[1], "path": reverse("support:inbox")}
    assert message["title"] == "Something waits for you in Peer Support"
    assert "follow-up" not in json.dumps(message).lower()
    # The ciphertext is not the plaintext, and another browser's keys cannot open it.
    assert b"Something waits" not in request["body"]
    with pytest.raises(Exception):  # noqa: B017 (http_ece raises InvalidTag or ValueError)
        Browser("https://other.test/").read(request)
    device.refresh_from_db()
    assert device.last_success_at is not None


def test_an_alert_goes_to_each_of_the_persons_own_active_devices_once(personas, push_service):
    supporter, coordinator = personas["supporter"], personas["coordinator"]
    phone = Browser(push_service.endpoint("phone")).subscribe(supporter, "Phone")
    laptop = Browser(push_service.endpoint("laptop")).subscribe(supporter, "Laptop")
    gone = Browser(push_service.endpoint("gone")).subscribe(supporter, "Old tablet")
    PushSubscription.objects.filter(pk=gone.pk).update(active=False)
    Browser(push_service.endpoint("coordinator")).subscribe(coordinator)

    for _ in range(2):  # asked twice (a retried transaction): still one alert per device
        notify_message(
            key="followups:2",
            user=supporter,
            message="support/followups_due",
            n=1,
            link=site_link("support:inbox"),
        )
    rows = _push_rows()
    assert sorted(rows.values_list("key", flat=True)) == sorted(
        [f"followups:2:push:{phone.pk}", f"followups:2:push:{laptop.pk}"]
    )
    assert set(rows.values_list("user", flat=True)) == {supporter.pk}
    # The outbox row holds exactly what is encrypted and sent: no alert words, no endpoint.
    for row in rows:
        assert json.loads(row.body)["path"] == reverse("support:inbox")
        assert "push" not in row.address and row.address in {str(phone.pk), str(laptop.pk)}
    services.deliver_due()
    assert sorted(r["path"] for r in push_service.requests) == ["/push/laptop", "/push/phone"]


def test_an_escalation_goes_with_high_urgency_to_its_recipients_devices_only(
    personas, push_service
):
    """A real escalation (confidentiality.services.escalation_raise): the people it alerts get
    an urgent push on their devices; the raiser's and everyone else's devices get nothing."""
    from ..matrix.confidentiality import raised_escalation

    browsers = {}
    for name in ("bhs_manager", "advocacy_supervisor", "supporter", "coordinator", "chief"):
        browsers[name] = Browser(push_service.endpoint(name))
        browsers[name].subscribe(personas[name])
    escalation = raised_escalation(personas["supporter"])
    alerted = {r.user_id for r in escalation.recipients.all()}
    assert alerted and personas["supporter"].pk not in alerted
    rows = _push_rows().filter(topic__startswith="escalation:")
    assert set(rows.values_list("user", flat=True)) == alerted
    # The supporter's own push is the offer of the request they then held, nothing else.
    others = _push_rows().exclude(topic__startswith="escalation:")
    assert {(r.user_id, r.kind) for r in others} <= {(personas["supporter"].pk, "support/offered")}

    services.deliver_due()
    names = {f"/push/{name}": name for name in browsers}
    reached = {names[r["path"]] for r in push_service.requests} - {"supporter"}
    assert {personas[name].pk for name in reached} == alerted
    for request in push_service.requests:
        assert request["headers"]["urgency"] == "high"  # the offer is urgent too
        if names[request["path"]] == "supporter":
            continue
        message = browsers[names[request["path"]]].read(request)
        assert message["title"] == WAITING[0]
        assert message["path"] == reverse(
            "confidentiality:escalation", kwargs={"public_id": escalation.public_id}
        )
        assert "Matrix note" not in json.dumps(message)


def test_a_push_service_error_is_retried_until_it_takes_the_push(personas, push_service):
    supporter = personas["supporter"]
    Browser(push_service.endpoint("flaky")).subscribe(supporter)
    push_service.answers = [503, 500]
    notify_message(
        key="followups:3",
        user=supporter,
        message="support/followups_due",
        n=2,
        link=site_link("support:inbox"),
    )
    [row] = _push_rows()
    start = timezone.now()
    assert services.deliver(row.pk, now=start) == "retry"
    row.refresh_from_db()
    assert row.status == Status.PENDING and "503" in row.last_error
    assert "127.0.0.1" not in row.last_error  # the error names no endpoint
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1), tick=False):
        assert services.deliver(row.pk) == "retry"
    row.refresh_from_db()
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1), tick=False):
        assert services.deliver(row.pk) == "sent"
    assert [r["answered"] for r in push_service.requests] == [503, 500, 201]
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 3


def test_a_push_service_that_forgot_the_browser_ends_the_device(personas, push_service):
    supporter = personas["supporter"]
    device = Browser(push_service.endpoint("uninstalled")).subscribe(supporter)
    push_service.answers = [410]
    notify_message(
        key="followups:4",
        user=supporter,
        message="support/followups_due",
        n=1,
        link=site_link("support:inbox"),
    )
    [row] = _push_rows()
    assert services.deliver(row.pk) == "undeliverable"
    row.refresh_from_db()
    device.refresh_from_db()
    assert row.status == Status.SKIPPED and "410" in row.last_error
    assert not device.active and device.gone_at is not None
    event = AuditEvent.objects.filter(action=AuditAction.PUSH_DEVICE_GONE).get()
    assert event.target_id == str(device.pk) and event.details == {"status": 410}
    # Not retried, and no later alert is queued for it.
    assert services.deliver_due(now=timezone.now() + timedelta(days=1)) == {"sent": 1}  # e-mail
    assert len(push_service.requests) == 1
    notify_message(
        key="followups:5",
        user=supporter,
        message="support/followups_due",
        n=1,
        link=site_link("support:inbox"),
    )
    assert _push_rows().count() == 1


def test_a_404_ends_the_device_too_and_a_removed_device_gets_nothing(personas, push_service):
    supporter = personas["supporter"]
    first = Browser(push_service.endpoint("a")).subscribe(supporter, "A")
    second = Browser(push_service.endpoint("b")).subscribe(supporter, "B")
    push_service.answers = [404]
    notify_message(
        key="followups:6",
        user=supporter,
        message="support/followups_due",
        n=1,
        link=site_link("support:inbox"),
    )
    row_a = _push_rows().get(address=str(first.pk))
    row_b = _push_rows().get(address=str(second.pk))
    assert services.deliver(row_a.pk) == "undeliverable"
    push.device_remove(actor=supporter, device=second)  # removed after the alert was queued
    assert services.deliver(row_b.pk) == "undeliverable"
    assert len(push_service.requests) == 1
    assert not PushSubscription.objects.filter(pk=second.pk).exists()


def test_push_is_off_without_a_vapid_key(personas, push_service, settings):
    supporter = personas["supporter"]
    Browser(push_service.endpoint("x")).subscribe(supporter)
    settings.VAPID_PRIVATE_KEY = ""
    notify_message(
        key="followups:7",
        user=supporter,
        message="support/followups_due",
        n=1,
        link=site_link("support:inbox"),
    )
    assert not _push_rows().exists()
    assert Notification.objects.filter(user=supporter, channel=Channel.EMAIL).exists()


def test_pushes_queued_before_push_was_turned_off_are_not_retried(personas, push_service, settings):
    supporter = personas["supporter"]
    Browser(push_service.endpoint("x")).subscribe(supporter)
    notify_message(
        key="followups:8",
        user=supporter,
        message="support/followups_due",
        n=1,
        link=site_link("support:inbox"),
    )
    [row] = _push_rows()
    settings.VAPID_PRIVATE_KEY = ""
    assert services.deliver(row.pk) == "undeliverable"
    row.refresh_from_db()
    assert row.status == Status.SKIPPED and not push_service.requests


def test_a_disabled_account_gets_no_push(personas, push_service):
    supporter = personas["supporter"]
    Browser(push_service.endpoint("x")).subscribe(supporter)
    supporter.is_active = False
    supporter.save(update_fields=["is_active"])
    assert push.push_targets(supporter) == []


def test_link_path_keeps_only_the_path_of_a_link_to_this_site(settings):
    settings.SITE_URL = "https://ps.example"
    body = "See your inbox: https://ps.example/support/inbox/?x=1#y. Also https://evil.example/a/"
    assert push.link_path(body) == "/support/inbox/"
    assert push.link_path("No link here.") == reverse("web:home")
    assert push.link_path("https://evil.example/a/ https://ps.example//evil.example/") == "/"


# --- Devices: adding, again, from another account, removing, testing ------------------------


def test_adding_is_audited_without_the_endpoint_and_stored_encrypted(personas, push_service):
    from django.db import connection

    supporter = personas["supporter"]
    browser = Browser(push_service.endpoint("secret-endpoint-token"))
    device = browser.subscribe(supporter)
    event = AuditEvent.objects.filter(action=AuditAction.PUSH_DEVICE_ADDED).get()
    assert event.target_id == str(device.pk) and event.actor_id == supporter.pk
    assert "secret-endpoint-token" not in json.dumps(event.details) + event.target_id
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT endpoint, p256dh, auth FROM notifications_pushsubscription WHERE id = %s",
            [device.pk],
        )
        stored = cursor.fetchone()
    assert all(value.startswith("v2:") for value in stored)
    assert "secret-endpoint-token" not in " ".join(stored) and browser.p256dh not in stored[1]


def test_a_browser_added_again_is_one_device(personas, push_service):
    supporter = personas["supporter"]
    browser = Browser(push_service.endpoint("same"))
    first = browser.subscribe(supporter, "Phone")
    again = browser.subscribe(supporter, "My phone")
    assert again.pk == first.pk
    assert list(PushSubscription.objects.values_list("label", flat=True)) == ["My phone"]


def test_a_browser_another_account_had_added_moves_to_the_new_account(personas, push_service):
    """A shared computer: alerts follow whoever added the browser last, never both."""
    supporter, coordinator = personas["supporter"], personas["coordinator"]
    browser = Browser(push_service.endpoint("shared"))
    old = browser.subscribe(supporter)
    new = browser.subscribe(coordinator)
    old.refresh_from_db()
    assert not old.active and new.active and new.user == coordinator
    assert push.push_targets(supporter) == [] and push.push_targets(coordinator) == [new]


@pytest.mark.parametrize(
    ("endpoint", "p256dh", "auth", "field"),
    [
        ("ftp://push.test/x", None, None, "endpoint"),
        ("https://push.test/" + "x" * 3000, None, None, "endpoint"),
        ("https://push.test/x", "bm90IGEga2V5", None, "p256dh"),
        ("https://push.test/x", None, "c2hvcnQ", "p256dh"),
        ("https://push.test/x", "!!!", None, "p256dh"),
    ],
)
def test_an_unusable_subscription_is_refused(personas, endpoint, p256dh, auth, field):
    from django.core.exceptions import ValidationError

    _, good_point, good_auth = browser_keys()
    with pytest.raises(ValidationError) as caught:
        push.device_add(
            actor=personas["supporter"],
            label="Phone",
            endpoint=endpoint,
            p256dh=p256dh or good_point,
            auth=auth or b64url(good_auth),
        )
    assert field in caught.value.error_dict
    assert not PushSubscription.objects.exists()


def test_a_test_alert_goes_to_that_device_only(personas, push_service):
    supporter = personas["supporter"]
    phone_browser = Browser(push_service.endpoint("phone"))
    phone = phone_browser.subscribe(supporter, "Phone")
    Browser(push_service.endpoint("laptop")).subscribe(supporter, "Laptop")
    push.device_test(actor=supporter, device=phone)
    push.device_test(actor=supporter, device=phone)  # each press is a new alert
    assert services.deliver_due() == {"sent": 2}
    assert [r["path"] for r in push_service.requests] == ["/push/phone", "/push/phone"]
    title, body = render_message("push/test")
    assert phone_browser.read(push_service.requests[0]) == {
        "title": title,
        "body": body,
        "path": reverse("web:devices"),
    }
    assert not Notification.objects.exclude(channel=Channel.PUSH).exists()  # no e-mail
    assert AuditEvent.objects.filter(action=AuditAction.PUSH_DEVICE_TESTED).count() == 2


def test_the_vapid_key_in_the_settings_is_the_fixed_test_key():
    assert settings.VAPID_PRIVATE_KEY
    assert len(base64.urlsafe_b64decode(settings.VAPID_PRIVATE_KEY + "=")) == 32
    assert public_key_of(settings.VAPID_PRIVATE_KEY) == settings.VAPID_PUBLIC_KEY


# --- The key in production ------------------------------------------------------------------


def _production(code: str = "", **env) -> subprocess.CompletedProcess:
    """Start Django with production settings (tests/system/test_platform.py's) and ``env``."""
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PEERSUPPORT_ENV")}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "peersupport.settings", **GOOD_PROD, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_a_vapid_key_starts_with_push_off():
    result = _production("from django.conf import settings; print(repr(settings.VAPID_PUBLIC_KEY))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "''"


def test_production_takes_a_vapid_key_from_a_file_with_a_subject(tmp_path):
    key = tmp_path / "vapid"
    private = generate()
    key.write_text(private + "\n")
    result = _production(
        "from django.conf import settings; print(settings.VAPID_PUBLIC_KEY)",
        VAPID_PRIVATE_KEY_FILE=str(key),
        VAPID_SUBJECT="mailto:it-security@pd.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == public_key_of(private)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"VAPID_PRIVATE_KEY": "not-a-key"}, "VAPID_PRIVATE_KEY"),
        ({"VAPID_PRIVATE_KEY": b64url(b"\x00" * 32)}, "VAPID_PRIVATE_KEY"),
        ({"VAPID_PRIVATE_KEY": "new"}, "VAPID_SUBJECT"),
        ({"VAPID_PRIVATE_KEY": "new", "VAPID_SUBJECT": "mailto:nobody"}, "VAPID_SUBJECT"),
    ],
)
def test_production_refuses_a_bad_vapid_key_or_no_subject(env, named):
    env = {k: (generate() if v == "new" else v) for k, v in env.items()}
    result = _production(**env)
    assert result.returncode != 0
    assert named in result.stderr
    assert env["VAPID_PRIVATE_KEY"] not in result.stderr  # the key is never printed
