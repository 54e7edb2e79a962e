"""The outbox delivers through real servers: an SMTP server and an SMS webhook on 127.0.0.1.

Delivery is at least once and idempotent per notification (one claim at a time, the same
Message-ID and Idempotency-Key on every attempt), failures are retried with backoff, and the
sweeper takes back what a dead worker held.
"""

import hashlib
import hmac
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from peersupport.notifications import services
from peersupport.notifications.channels import message_id
from peersupport.notifications.models import Channel, Notification
from peersupport.notifications.tasks import deliver_notification

from ..servers import SMTPServer, WebhookServer

pytestmark = pytest.mark.django_db

Status = Notification.Status


@pytest.fixture
def smtp(settings):
    with SMTPServer() as server:
        settings.MAILERS = server.mailers
        yield server.recorder


@pytest.fixture
def gateway(settings):
    with WebhookServer(fail_first=0) as server:
        settings.SMS_WEBHOOK_URL = server.url
        settings.SMS_WEBHOOK_SECRET = "test-webhook-secret-0123456789"
        yield server


def _queue(user, *, key="k1", channel=Channel.EMAIL, address=""):
    return services.notification_queue(
        key=key,
        user=user,
        channel=channel,
        subject="Something is waiting",
        body="Sign in to see it: http://testserver/x/",
        topic="test",
        address=address,
    )


def test_queueing_enqueues_its_delivery_in_the_same_transaction(personas):
    notification = _queue(personas["bhs_manager"])
    assert notification.status == Status.PENDING
    task = DBTaskResult.objects.get(task_path=deliver_notification.module_path)
    assert task.args_kwargs["args"] == [notification.pk]
    # The same key again: the same row, no second task.
    again = _queue(personas["bhs_manager"])
    assert again.pk == notification.pk
    assert DBTaskResult.objects.filter(task_path=deliver_notification.module_path).count() == 1


def test_email_reaches_a_real_smtp_server_once(personas, smtp):
    notification = _queue(personas["bhs_manager"])
    assert deliver_notification.call(notification.pk) == "sent"
    assert deliver_notification.call(notification.pk) == "not due"  # a repeated task: nothing
    assert len(smtp.messages) == 1
    message = smtp.messages[0].message
    assert message["To"] == personas["bhs_manager"].email
    assert message["Subject"] == "[Peer Support] Something is waiting"
    assert message["Message-ID"] == message_id("k1", "localhost")
    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.attempts == 1


def test_sms_goes_to_the_webhook_signed_and_keyed(personas, gateway):
    notification = _queue(
        personas["bhs_manager"], key="sms1", channel=Channel.SMS, address="+1 555 0100 999"
    )
    assert services.deliver(notification.pk) == "sent"
    (hit,) = gateway.requests
    assert hit["json"] == {
        "id": "sms1",
        "to": "+1 555 0100 999",
        "text": "Sign in to see it: http://testserver/x/",
    }
    assert hit["headers"]["Idempotency-Key"] == "sms1"
    expected = hmac.new(b"test-webhook-secret-0123456789", hit["body"], hashlib.sha256)
    assert hit["headers"]["X-Peersupport-Signature"] == expected.hexdigest()


def test_a_failing_gateway_is_retried_with_backoff_until_it_answers(personas, settings):
    settings.SMS_WEBHOOK_SECRET = "test-webhook-secret-0123456789"
    with WebhookServer(fail_first=3) as server:
        settings.SMS_WEBHOOK_URL = server.url
        notification = _queue(
            personas["bhs_manager"], key="sms2", channel=Channel.SMS, address="+15550100999"
        )
        start = timezone.now()
        delays = []
        with time_machine.travel(start, tick=False) as clock:
            for _ in range(3):
                assert services.deliver(notification.pk) == "retry"
                notification.refresh_from_db()
                assert notification.status == Status.PENDING
                assert "500" in notification.last_error
                delays.append((notification.next_attempt_at - timezone.now()).total_seconds())
                # Not before its time.
                assert services.deliver(notification.pk) == "not due"
                clock.move_to(notification.next_attempt_at)
            assert services.deliver(notification.pk) == "sent"
        assert delays == [30, 60, 120]
        assert len(server.requests) == 1 and server.refused == 3
        # Each retry was enqueued as a task to run at its time.
        retries = DBTaskResult.objects.filter(
            task_path=deliver_notification.module_path, args_kwargs__args=[notification.pk]
        )
        assert retries.count() == 4  # the first, then one per failure


def test_backoff_is_capped(settings):
    settings.NOTIFY_RETRY_MAX_SECONDS = 900
    assert services.retry_delay(1) == timedelta(seconds=30)
    assert services.retry_delay(5) == timedelta(seconds=480)
    assert services.retry_delay(50) == timedelta(seconds=900)


def test_sweeper_takes_back_what_a_dead_worker_held(personas, smtp, settings):
    settings.NOTIFY_LEASE_SECONDS = 60
    notification = _queue(personas["bhs_manager"])
    # A worker claimed it and died before marking it sent.
    Notification.objects.filter(pk=notification.pk).update(
        status=Status.SENDING, lease_until=timezone.now() + timedelta(seconds=60), attempts=1
    )
    assert services.sweep() == {"reclaimed": 0, "requeued": 0}  # still within its lease
    later = timezone.now() + timedelta(seconds=61)
    assert services.sweep(now=later) == {"reclaimed": 1, "requeued": 1}
    assert services.deliver(notification.pk, now=later) == "sent"
    assert len(smtp.messages) == 1


def test_sweeper_requeues_a_due_notification_whose_task_was_lost(personas, smtp):
    notification = _queue(personas["bhs_manager"])
    DBTaskResult.objects.all().delete()  # the task never made it (or was purged)
    later = timezone.now() + services.SWEEP_GRACE + timedelta(seconds=1)
    assert services.sweep(now=later)["requeued"] == 1
    task = DBTaskResult.objects.get(task_path=deliver_notification.module_path)
    assert task.args_kwargs["args"] == [notification.pk]


def test_no_address_or_no_channel_is_recorded_not_retried(personas, settings):
    settings.SMS_WEBHOOK_URL = ""
    notification = _queue(
        personas["bhs_manager"], key="sms3", channel=Channel.SMS, address="+15550100"
    )
    assert notification.status == Status.SKIPPED
    assert not DBTaskResult.objects.exists()


def test_notify_uses_every_configured_channel(personas, gateway):
    sent = services.notify(
        key="n1", user=personas["bhs_manager"], subject="S", body="B", phone="+15550100"
    )
    assert sorted(n.channel for n in sent) == ["email", "sms"]
    only_mail = services.notify(key="n2", user=personas["bhs_manager"], subject="S", body="B")
    assert [n.channel for n in only_mail] == ["email"]
