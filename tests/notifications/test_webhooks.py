"""Webhooks go through the outbox to a real receiver on 127.0.0.1, signed so that the receiver
can check them and refuse a replay; a failure is retried, a redirect is not followed, and a
disabled or deleted endpoint gets nothing. What goes out names nobody."""

import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.notifications import services, webhooks
from peersupport.notifications.models import Channel, Notification, WebhookEndpoint
from peersupport.reports import publishing
from peersupport.training import services as training
from peersupport.training.models import Enrolment

from ..factories import SessionDayFactory, TrainingSessionFactory, UserFactory
from ..matrix.webhooks import endpoint as make_endpoint
from ..servers import PushServer, WebhookServer

pytestmark = pytest.mark.django_db

Status = Notification.Status
RECORD = "training.record.created"


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_HTTP = True  # the receiver here is http://127.0.0.1 (tests only)
    with WebhookServer() as server:
        yield server


def _rows():
    return Notification.objects.filter(channel=Channel.WEBHOOK)


def test_the_events_of_the_domain_apps_are_registered():
    names = {e.name for e in webhooks.events()}
    assert {RECORD, "report.published"} <= names
    assert webhooks.TEST_EVENT.name not in names  # never subscribed to: sent on request only
    with pytest.raises(ValueError):
        webhooks.register_event("Not A Name", label="x")
    with pytest.raises(ValueError):
        webhooks.emit("never.registered", link="/")


def test_a_delivery_is_signed_and_the_receiver_can_verify_it(receiver):
    endpoint, secret = make_endpoint(url=receiver.url, events=[RECORD])
    [row] = webhooks.emit(RECORD, link="/training/days/7/attendance/")
    assert row.user_id is None and row.status == Status.PENDING
    assert services.deliver_due() == {"sent": 1}
    [got] = receiver.requests
    headers = got["headers"]
    assert set(got["json"]) == {"event", "id", "occurred_at", "link"}
    assert got["json"]["event"] == RECORD
    assert got["json"]["link"] == "http://127.0.0.1:8000/training/days/7/attendance/"
    assert headers["Idempotency-Key"] == got["json"]["id"]
    assert headers["X-Peersupport-Event"] == RECORD
    timestamp, signature = headers["X-Peersupport-Timestamp"], headers["X-Peersupport-Signature"]
    assert abs(int(timestamp) - time.time()) < 60 and signature.startswith("v1=")
    # What docs/webhooks.md tells a receiver to do, by hand:
    import hashlib
    import hmac

    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + got["body"], hashlib.sha256)
    assert signature == "v1=" + mac.hexdigest()
    assert webhooks.verify(
        secret, timestamp=timestamp, signature_header=signature, body=got["body"]
    )
    # A wrong secret, a changed body or an old timestamp (a replay) is refused.
    assert not webhooks.verify(
        "whsec_other", timestamp=timestamp, signature_header=signature, body=got["body"]
    )
    assert not webhooks.verify(
        secret, timestamp=timestamp, signature_header=signature, body=got["body"] + b" "
    )
    assert not webhooks.verify(
        secret,
        timestamp=timestamp,
        signature_header=signature,
        body=got["body"],
        now=int(timestamp) + webhooks.TOLERANCE_SECONDS + 1,
    )
    assert not webhooks.verify(secret, timestamp="soon", signature_header=signature, body=b"")
    row.refresh_from_db()
    assert row.status == Status.SENT


def test_a_failure_is_retried_with_backoff_and_signed_again(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    with WebhookServer(fail_first=1) as receiver:
        endpoint, secret = make_endpoint(url=receiver.url, events=[RECORD])
        [row] = webhooks.emit(RECORD, link="/")
        assert services.deliver(row.pk) == "retry"
        row.refresh_from_db()
        assert row.status == Status.PENDING and row.attempts == 1
        assert row.last_error.endswith("the receiver answered 500")
        assert row.next_attempt_at > timezone.now()
        assert receiver.requests == []
        later = timezone.now() + timedelta(minutes=2)
        with time_machine.travel(later, tick=False):
            assert services.deliver(row.pk) == "sent"
            [got] = receiver.requests
            headers = got["headers"]
            # Signed at the retry, so a receiver's replay window accepts it however late.
            assert int(headers["X-Peersupport-Timestamp"]) == int(later.timestamp())
            assert webhooks.verify(
                secret,
                timestamp=headers["X-Peersupport-Timestamp"],
                signature_header=headers["X-Peersupport-Signature"],
                body=got["body"],
            )
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 2


def test_an_event_undelivered_for_too_long_is_dropped_not_retried_forever(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    late = timedelta(hours=settings.WEBHOOK_RETRY_HOURS + 1)
    with WebhookServer(fail_first=1000) as receiver:
        endpoint, _ = make_endpoint(url=receiver.url, events=[RECORD])
        [row] = webhooks.emit(RECORD, link="/")
        # Past the window, but tried only a few times: tried again each time it is due.
        for day in range(webhooks.GIVE_UP_AFTER_ATTEMPTS):
            with time_machine.travel(row.created_at + late + timedelta(days=day), tick=False):
                assert services.deliver(row.pk) == "retry"
        with time_machine.travel(row.created_at + late + timedelta(days=9), tick=False):
            assert services.deliver(row.pk) == "undeliverable"
            assert services.deliver_due() == {}
        # Refused five times; the sixth time nothing was sent.
        assert receiver.refused == webhooks.GIVE_UP_AFTER_ATTEMPTS
    row.refresh_from_db()
    assert row.status == Status.SKIPPED
    assert row.last_error == "gave up after 72 hours of failures"
    status = webhooks.deliveries([endpoint])[endpoint.pk]
    assert status.last_error == "gave up after 72 hours of failures" and status.failing == 0


def test_an_event_a_stopped_worker_never_tried_is_sent_however_late(receiver, settings):
    make_endpoint(url=receiver.url, events=[RECORD])
    [row] = webhooks.emit(RECORD, link="/")
    later = row.created_at + timedelta(hours=settings.WEBHOOK_RETRY_HOURS * 2)
    with time_machine.travel(later, tick=False):
        assert services.deliver(row.pk) == "sent"
    assert len(receiver.requests) == 1


def test_a_delivery_left_by_a_dead_worker_is_taken_back_and_sent(receiver):
    make_endpoint(url=receiver.url, events=[RECORD])
    [row] = webhooks.emit(RECORD, link="/")
    # A worker claimed it and died: the lease runs out, the sweeper takes it back.
    Notification.objects.filter(pk=row.pk).update(
        status=Status.SENDING, lease_until=timezone.now() - timedelta(seconds=1), attempts=1
    )
    assert services.sweep()["reclaimed"] == 1
    assert services.deliver_due() == {"sent": 1}
    assert len(receiver.requests) == 1


def test_a_redirect_is_not_followed(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    with PushServer(answers=[302]) as server:
        make_endpoint(url=server.endpoint("hook"), events=[RECORD])
        [row] = webhooks.emit(RECORD, link="/")
        assert services.deliver(row.pk) == "retry"
        assert len(server.requests) == 1
    row.refresh_from_db()
    assert row.last_error.endswith("the receiver answered 302")


def test_an_unreachable_receiver_is_retried_without_its_words(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    make_endpoint(url="http://127.0.0.1:9/nothing-listens", events=[RECORD])
    [row] = webhooks.emit(RECORD, link="/")
    assert services.deliver(row.pk) == "retry"
    row.refresh_from_db()
    assert "unreachable" in row.last_error


def test_nothing_is_sent_to_a_disabled_endpoint_or_for_an_event_not_asked_for(receiver):
    asked, _ = make_endpoint(label="Asked", url=receiver.url, events=[RECORD])
    make_endpoint(label="Not asked", url=receiver.url, events=["report.published"])
    off, _ = make_endpoint(label="Off", url=receiver.url, events=[RECORD])
    webhooks.endpoint_update(
        actor=None, endpoint=off, label="Off", url=receiver.url, events=[RECORD], active=False
    )
    rows = webhooks.emit(RECORD, link="/")
    assert [r.topic for r in rows] == [f"webhook:{asked.pk}"]
    # Disabled after the event was queued: what waits is dropped, nothing goes.
    webhooks.endpoint_update(
        actor=None, endpoint=asked, label="Asked", url=receiver.url, events=[RECORD], active=False
    )
    assert services.deliver_due() == {}
    assert receiver.requests == []
    assert _rows().get().status == Status.SKIPPED
    # Disabled behind the service's back (a database edit): read at sending, still nothing.
    webhooks.endpoint_update(
        actor=None, endpoint=asked, label="Asked", url=receiver.url, events=[RECORD], active=True
    )
    [row] = webhooks.emit(RECORD, link="/")
    WebhookEndpoint.objects.filter(pk=asked.pk).update(active=False)
    assert services.deliver(row.pk) == "skipped"
    # Deleted: the same.
    WebhookEndpoint.objects.filter(pk=asked.pk).update(active=True)
    [row] = webhooks.emit(RECORD, link="/")
    webhooks.endpoint_delete(actor=None, endpoint=asked)
    row.refresh_from_db()
    assert row.status == Status.SKIPPED
    assert receiver.requests == []


def _person(name: str):
    return UserFactory(display_name=name, email=f"{name.split()[0].lower()}@pd.example.org")


def test_a_training_record_is_told_without_names_or_numbers(personas, receiver):
    """The canary: a trainee with a name found nowhere else; the event carries none of it."""
    make_endpoint(url=receiver.url, events=[RECORD])
    # An id no other row of the test has, so finding it in the event can only mean the trainee's
    # (a small id collided with the day's or the delivery's now and then).
    trainee = UserFactory(
        pk=987_654_321, display_name="Zebulon Canarywing", email="zebulon@pd.example.org"
    )
    session = TrainingSessionFactory(
        starts_at=timezone.now() - timedelta(days=1, hours=2), day=None
    )
    day = SessionDayFactory(
        session=session,
        starts_at=session.starts_at,
        ends_at=session.starts_at + timedelta(hours=8),
        hours=Decimal(8),
    )
    Enrolment.objects.create(session=session, user=trainee, status=Enrolment.Status.ENROLLED)
    training.attendance_record(
        actor=personas["coordinator"], day=day, hours_by_user={trainee.pk: Decimal(8)}
    )
    [row] = _rows()
    assert services.deliver_due() == {"sent": 1}
    [got] = receiver.requests
    sent = got["body"].decode() + json.dumps(got["headers"]) + row.subject + row.address
    for secret in ("Zebulon", "Canarywing", "zebulon@", str(trainee.pk) + '"', "8.00"):
        assert secret not in sent
    assert got["json"]["link"].endswith(reverse("training:attendance", args=[day.pk]))
    # A correction records nothing new: no second event.
    training.attendance_record(
        actor=personas["coordinator"],
        day=day,
        hours_by_user={trainee.pk: Decimal(7)},
        reason="Left early",
    )
    assert _rows().count() == 1


def test_published_figures_are_told_once_without_periods_or_counts(receiver):
    make_endpoint(url=receiver.url, events=["report.published"])
    new = {("contacts", "2026-03"): ({"counts": {"kind": {"a": 3}}}, {"tables": {"kind": {}}})}
    assert publishing.publish(new)
    # A second builder racing on the same periods sends no second event.
    assert publishing.publish(new)
    [row] = _rows()
    assert services.deliver_due() == {"sent": 1}
    [got] = receiver.requests
    assert got["json"]["event"] == "report.published"
    assert got["json"]["link"].endswith(reverse("reports:dashboard"))
    assert "2026-03" not in got["body"].decode() and "contacts" not in got["body"].decode()


# --- Addresses and the endpoint's writes -------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://hooks.example.test/x",  # http is refused unless WEBHOOK_ALLOW_HTTP
        "ftp://hooks.example.test/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https://user:pass@hooks.example.test/x",
        "https://token@hooks.example.test/x",
        "https:///no-host",
        "https://hooks.example.test:port/x",
        "https://hooks.example.test/x#part",
        "https://hooks.example.test/a b",
        "https://hooks.example.test/" + "x" * 500,
    ],
)
def test_an_address_that_is_not_allowed_is_refused_with_a_reason(url):
    with pytest.raises(ValidationError) as caught:
        webhooks.check_url(url)
    assert caught.value.message_dict["url"]
    with pytest.raises(ValidationError):
        make_endpoint(url=url)
    assert not WebhookEndpoint.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.WEBHOOK_ADDED).exists()


def test_http_is_allowed_only_by_the_setting(settings):
    assert webhooks.check_url(" https://hooks.example.test/x ") == "https://hooks.example.test/x"
    settings.WEBHOOK_ALLOW_HTTP = True
    assert webhooks.check_url("http://127.0.0.1:8080/x") == "http://127.0.0.1:8080/x"
    with pytest.raises(ValidationError):
        webhooks.check_url("ftp://127.0.0.1/x")


def test_the_secret_is_encrypted_at_rest_and_never_audited():
    endpoint, secret = make_endpoint()
    assert secret.startswith("whsec_") and len(secret) > 40
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret FROM notifications_webhookendpoint WHERE id = %s", [endpoint.pk]
        )
        [stored] = cursor.fetchone()
    assert stored.startswith("v2:") and secret not in stored
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == secret
    rotated = webhooks.endpoint_rotate(actor=None, endpoint=endpoint)
    assert rotated != secret and WebhookEndpoint.objects.get(pk=endpoint.pk).secret == rotated
    audited = json.dumps(list(AuditEvent.objects.values_list("details", flat=True)))
    assert secret not in audited and rotated not in audited and "example.test" not in audited


def test_unknown_events_and_a_missing_name_are_refused_and_change_nothing():
    endpoint, _ = make_endpoint()
    with pytest.raises(ValidationError) as caught:
        webhooks.endpoint_update(
            actor=None,
            endpoint=endpoint,
            label="  ",
            url="https://elsewhere.example.test/",
            events=["support.request.created"],
            active=True,
        )
    assert set(caught.value.message_dict) == {"label", "events"}
    endpoint.refresh_from_db()
    assert endpoint.label == "Training unit" and endpoint.events == [RECORD]
    assert endpoint.url == "https://hooks.example.test/peersupport"


def test_a_test_event_goes_to_a_disabled_endpoint_never(receiver):
    endpoint, _ = make_endpoint(url=receiver.url, events=[])
    row = webhooks.endpoint_test(actor=None, endpoint=endpoint)
    assert row.subject == "webhook.test"
    assert services.deliver_due() == {"sent": 1}
    assert receiver.requests[0]["json"]["event"] == "webhook.test"
    webhooks.endpoint_update(
        actor=None, endpoint=endpoint, label="x", url=receiver.url, events=[], active=False
    )
    with pytest.raises(ValidationError):
        webhooks.endpoint_test(actor=None, endpoint=endpoint)


def test_the_delivery_status_is_read_in_two_queries(receiver, django_assert_num_queries):
    ok, _ = make_endpoint(label="Ok", url=receiver.url, events=[RECORD])
    failing, _ = make_endpoint(label="Failing", url="http://127.0.0.1:9/x", events=[RECORD])
    webhooks.emit(RECORD, link="/")
    services.deliver_due()
    found = webhooks.endpoints()
    with django_assert_num_queries(2):
        status = webhooks.deliveries(found)
    assert status[ok.pk].sent == 1 and status[ok.pk].failing == 0
    assert status[failing.pk].failing == 1 and "unreachable" in status[failing.pk].last_error


def test_an_endpoint_deleted_meanwhile_is_a_404_and_a_bad_address_is_never_sent(receiver):
    """Two tabs, or a double submission: the second change finds the endpoint gone (404, not
    a 500). A row whose address is not an endpoint's is dropped, never retried."""
    from django.http import Http404

    from peersupport.notifications.channels import Undeliverable

    endpoint, _ = make_endpoint(url=receiver.url, events=[])
    webhooks.endpoint_delete(actor=None, endpoint=endpoint)
    for change in (webhooks.endpoint_rotate, webhooks.endpoint_delete, webhooks.endpoint_test):
        with pytest.raises(Http404):
            change(actor=None, endpoint=endpoint)
    for address in ("", "x", "-1", "9" * 40):
        row = Notification(channel=Channel.WEBHOOK, address=webhooks.ADDRESS_PREFIX + address)
        with pytest.raises(Undeliverable):
            webhooks.send(row)
    assert receiver.requests == []
