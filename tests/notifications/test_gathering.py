"""Alerts to one person on one channel that fall due together go out as one message ("3 things
wait for you", with the links), with the outbox's guarantees intact: each row claimed by one
delivery at a time, none lost when a send fails or a worker dies, and the same Message-ID for
the same set of rows on every attempt."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from peersupport.notifications import channels, services
from peersupport.notifications.channels import message_id
from peersupport.notifications.gathering import gathered_key
from peersupport.notifications.messages import notify_message
from peersupport.notifications.models import Channel, Notification

from ..factories import UserFactory
from ..servers import WebhookServer

pytestmark = pytest.mark.django_db
Status = Notification.Status


def _soon(user, n, *, link=None, phone=""):
    return notify_message(
        key=f"soon:{n}:{user.pk}",
        user=user,
        message="training/session_soon",
        phone=phone,
        course="Update",
        starts_at="",
        place="HQ",
        link=link or f"https://ps.example/training/sessions/{n}/",
    )


def _escalation(user, n=1):
    return notify_message(
        key=f"escalation:{n}:{user.pk}",
        user=user,
        message="confidentiality/escalation_waiting",
        reminder=False,
        link=f"https://ps.example/confidentiality/{n}/",
    )


def _message_id(email_message):
    return email_message.extra_headers["Message-ID"]


def test_three_alerts_due_together_go_as_one_message_and_nobody_else_hears():
    person, other = UserFactory(), UserFactory()
    _soon(person, 1)
    _soon(person, 2)
    notify_message(
        key="moved:3",
        user=person,
        message="training/session_moved",
        course="Update",
        when="Monday",
        place="HQ",
        link="https://ps.example/training/sessions/2/",  # the same page as the second
    )
    _soon(other, 9)
    assert services.deliver_due() == {"sent": 2}

    mine = [m for m in mail.outbox if m.to == [person.email]]
    theirs = [m for m in mail.outbox if m.to == [other.email]]
    assert len(mail.outbox) == 2 and len(mine) == 1 and len(theirs) == 1
    (message,) = mine
    assert message.subject == "[Peer Support] 3 things wait for you in Peer Support"
    # Each page once, in order, and nothing of what the alerts said.
    assert message.body == (
        "Sign in to see them:\n"
        "https://ps.example/training/sessions/1/\n"
        "https://ps.example/training/sessions/2/"
    )
    assert "Update" not in message.body and "HQ" not in message.body
    rows = Notification.objects.filter(user=person)
    assert {r.status for r in rows} == {Status.SENT}
    assert len({r.lease_token for r in rows}) == 1
    assert _message_id(message) == message_id(gathered_key(list(rows)), "localhost")
    # The other person's one alert went as it was written.
    assert theirs[0].subject == "[Peer Support] Training soon: Update"


def test_one_alert_alone_goes_as_written_with_its_own_message_id():
    person = UserFactory()
    (row,) = _soon(person, 1)
    assert services.deliver(row.pk) == "sent"
    (message,) = mail.outbox
    assert message.subject == "[Peer Support] Training soon: Update"
    assert _message_id(message) == message_id(row.key, "localhost")


def test_an_urgent_alert_goes_alone_and_is_not_gathered():
    person = UserFactory()
    _soon(person, 1)
    (urgent,) = _escalation(person)
    _soon(person, 2)
    assert services.deliver(urgent.pk) == "sent"
    (alone,) = mail.outbox
    assert alone.subject == "[Peer Support] A confidentiality escalation is waiting"
    assert Notification.objects.filter(status=Status.PENDING).count() == 2
    assert services.deliver_due() == {"sent": 1}
    assert mail.outbox[1].subject == "[Peer Support] 2 things wait for you in Peer Support"


def test_a_non_urgent_delivery_does_not_take_an_urgent_row_with_it():
    person = UserFactory()
    (first,) = _soon(person, 1)
    (urgent,) = _escalation(person)
    assert services.deliver(first.pk) == "sent"
    urgent.refresh_from_db()
    assert urgent.status == Status.PENDING
    assert mail.outbox[0].subject == "[Peer Support] Training soon: Update"


def test_another_address_is_another_message():
    person = UserFactory()
    _soon(person, 1)
    services.notification_queue(
        key="old-address",
        user=person,
        channel=Channel.EMAIL,
        subject="S",
        body="B",
        address="old@pd.example.org",
    )
    assert services.deliver_due() == {"sent": 2}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([person.email, "old@pd.example.org"])


def test_a_second_worker_finds_nothing_to_send_while_the_first_sends_them_all(monkeypatch):
    person = UserFactory()
    (first,) = _soon(person, 1)
    (second,) = _soon(person, 2)
    send = channels.SENDERS[Channel.EMAIL]
    seen = []

    def meanwhile(notification):
        # Another worker runs the second row's task while the first worker is sending.
        seen.append(services.deliver(second.pk))
        send(notification)

    monkeypatch.setitem(channels.SENDERS, Channel.EMAIL, meanwhile)
    assert services.deliver(first.pk) == "sent"
    assert seen == ["not due"]
    assert services.deliver(second.pk) == "not due"  # its own task, later: already sent
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "[Peer Support] 2 things wait for you in Peer Support"


def test_a_failed_send_puts_every_row_back_and_the_retry_is_the_same_message(monkeypatch):
    person = UserFactory()
    rows = [_soon(person, n)[0] for n in (1, 2, 3)]
    send = channels.SENDERS[Channel.EMAIL]
    tried = []

    def refused(notification):
        tried.append(notification.key)
        raise OSError("connection refused")

    monkeypatch.setitem(channels.SENDERS, Channel.EMAIL, refused)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert services.deliver(rows[1].pk) == "retry"
        again = list(Notification.objects.filter(user=person))
        assert {r.status for r in again} == {Status.PENDING}
        assert {r.next_attempt_at for r in again} == {start + timedelta(seconds=30)}
        assert all("connection refused" in r.last_error for r in again)
        monkeypatch.setitem(channels.SENDERS, Channel.EMAIL, send)
        clock.move_to(start + timedelta(seconds=30))
        assert services.deliver_due() == {"sent": 1}
    (message,) = mail.outbox
    assert tried == [gathered_key(rows)]
    assert _message_id(message) == message_id(tried[0], "localhost")
    assert {r.status for r in Notification.objects.all()} == {Status.SENT}


class WorkerKilled(BaseException):
    """Not an Exception: nothing in deliver() catches it, as nothing runs after a SIGKILL."""


def test_a_worker_killed_mid_send_leaves_the_rows_to_the_sweeper_and_the_repeat_is_the_same_message(
    monkeypatch, settings
):
    settings.NOTIFY_LEASE_SECONDS = 60
    person = UserFactory()
    rows = [_soon(person, n)[0] for n in (1, 2)]
    send = channels.SENDERS[Channel.EMAIL]
    sending = []

    def killed(notification):
        sending.append(notification.key)
        raise WorkerKilled

    monkeypatch.setitem(channels.SENDERS, Channel.EMAIL, killed)
    with pytest.raises(WorkerKilled):
        services.deliver(rows[0].pk)
    assert {r.status for r in Notification.objects.all()} == {Status.SENDING}
    monkeypatch.setitem(channels.SENDERS, Channel.EMAIL, send)
    assert services.deliver_due() == {}  # held under the dead worker's lease
    later = timezone.now() + timedelta(seconds=61)
    assert services.sweep(now=later) == {"reclaimed": 2, "requeued": 2}
    assert services.deliver_due(now=later) == {"sent": 1}
    (message,) = mail.outbox
    assert _message_id(message) == message_id(sending[0], "localhost")
    assert sending == [gathered_key(rows)]
    assert [r.attempts for r in Notification.objects.order_by("pk")] == [2, 2]


def test_the_hold_lets_a_burst_gather(settings):
    settings.NOTIFY_COALESCE_SECONDS = 60
    person = UserFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        (first,) = _soon(person, 1)
        assert first.next_attempt_at == start + timedelta(seconds=60)
        clock.shift(timedelta(seconds=30))
        (second,) = _soon(person, 2)
        # It joins the first's time rather than waiting a minute of its own.
        assert second.next_attempt_at == first.next_attempt_at
        (urgent,) = _escalation(person)
        assert urgent.next_attempt_at == timezone.now()
        assert services.deliver_due() == {"sent": 1}  # the urgent one, at once
        clock.move_to(start + timedelta(seconds=59))
        assert services.deliver_due() == {}
        clock.move_to(start + timedelta(seconds=60))
        assert services.deliver_due() == {"sent": 1}
    assert [m.subject for m in mail.outbox] == [
        "[Peer Support] A confidentiality escalation is waiting",
        "[Peer Support] 2 things wait for you in Peer Support",
    ]


def test_text_messages_gather_too(settings):
    settings.SMS_WEBHOOK_SECRET = "test-webhook-secret-0123456789"
    person = UserFactory()
    with WebhookServer(fail_first=0) as gateway:
        settings.SMS_WEBHOOK_URL = gateway.url
        rows = [_soon(person, n, phone="+15550100999")[1] for n in (1, 2)]
        assert {r.channel for r in rows} == {Channel.SMS}
        assert services.deliver_due() == {"sent": 2}  # one e-mail, one text
    (hit,) = gateway.requests
    assert hit["headers"]["Idempotency-Key"] == gathered_key(rows)
    assert hit["json"]["text"] == (
        "2 things wait for you in Peer Support. Sign in to see them:\n"
        "https://ps.example/training/sessions/1/\n"
        "https://ps.example/training/sessions/2/"
    )
    assert len(mail.outbox) == 1
