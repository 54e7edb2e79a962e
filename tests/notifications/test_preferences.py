"""Each person chooses, per kind of alert, the channels it reaches them on; notify() sends on
those only (a channel switched off is recorded as skipped), and an urgent kind always goes on
one channel at least."""

import pytest
from django.core import mail

from peersupport.notifications import selectors, services
from peersupport.notifications.messages import notify_message
from peersupport.notifications.models import Channel, Notification

from ..factories import AlertPreferenceFactory, UserFactory
from ..servers import WebhookServer

pytestmark = pytest.mark.django_db
Status = Notification.Status
PHONE = "+15550100999"


@pytest.fixture
def gateway(settings):
    with WebhookServer(fail_first=0) as server:
        settings.SMS_WEBHOOK_URL = server.url
        settings.SMS_WEBHOOK_SECRET = "test-webhook-secret-0123456789"
        yield server


def _escalation(user, *, key="e1", phone=PHONE):
    return notify_message(
        key=key,
        user=user,
        message="confidentiality/escalation_waiting",
        phone=phone,
        reminder=False,
        link="https://ps.example/c/1/",
    )


def _acknowledged(user, *, key="a1"):
    return notify_message(
        key=key,
        user=user,
        message="confidentiality/escalation_acknowledged",
        link="https://ps.example/c/1/",
    )


def _by_channel(rows):
    return {r.channel: r.status for r in rows}


def test_with_no_choice_every_channel_that_reaches_the_person(gateway):
    person = UserFactory()
    assert selectors.channels_for(person, "confidentiality/escalation_waiting") == {
        "email",
        "sms",
        "push",
    }
    assert _by_channel(_escalation(person)) == {"email": Status.PENDING, "sms": Status.PENDING}
    # No phone number with the alert: no text message row at all, as before.
    assert _by_channel(_acknowledged(person)) == {"email": Status.PENDING}


def test_a_channel_switched_off_is_skipped_and_never_sent(gateway):
    person, other = UserFactory(), UserFactory()
    AlertPreferenceFactory(
        user=person, kind="confidentiality/escalation_waiting", email=False, sms=True
    )
    mine = _escalation(person)
    theirs = _escalation(other, key="e2")
    assert _by_channel(mine) == {"email": Status.SKIPPED, "sms": Status.PENDING}
    assert _by_channel(theirs) == {"email": Status.PENDING, "sms": Status.PENDING}
    assert services.deliver_due() == {"sent": 3}
    assert [m.to for m in mail.outbox] == [[other.email]]
    assert sorted(hit["json"]["id"] for hit in gateway.requests) == ["e1:sms", "e2:sms"]


def test_a_kind_switched_off_entirely_sends_nothing():
    person = UserFactory()
    AlertPreferenceFactory(
        user=person, kind="confidentiality/escalation_acknowledged", email=False, sms=False
    )
    (row,) = _acknowledged(person)
    assert row.status == Status.SKIPPED
    assert services.deliver_due() == {}
    assert mail.outbox == []
    # Another kind still reaches them.
    notify_message(
        key="x", user=person, message="roster/inactive_ended", link="https://ps.example/"
    )
    assert services.deliver_due() == {"sent": 1}


def test_an_urgent_kind_goes_by_e_mail_when_every_chosen_channel_is_out_of_reach(settings):
    """Text messages only, but no gateway (or no number with this alert): e-mail after all."""
    settings.SMS_WEBHOOK_URL = ""
    person = UserFactory()
    AlertPreferenceFactory(
        user=person, kind="confidentiality/escalation_waiting", email=False, sms=True
    )
    assert _by_channel(_escalation(person)) == {"email": Status.PENDING}
    assert services.deliver_due() == {"sent": 1}
    assert [m.to for m in mail.outbox] == [[person.email]]


def test_the_choice_is_per_kind(gateway):
    person = UserFactory()
    AlertPreferenceFactory(user=person, kind="training/session_soon", email=False, sms=True)
    assert _by_channel(_escalation(person)) == {"email": Status.PENDING, "sms": Status.PENDING}


def test_a_message_outside_the_kinds_goes_as_before(gateway):
    person = UserFactory()
    AlertPreferenceFactory(user=person, kind="", email=False, sms=False)
    rows = services.notify(key="n", user=person, subject="S", body="B", phone=PHONE)
    assert _by_channel(rows) == {"email": Status.PENDING, "sms": Status.PENDING}


def test_the_sms_fan_out_keeps_its_words_and_the_email_its_own():
    person = UserFactory()
    rows = services.notify(key="n", user=person, subject="S", body="B", kind="")
    assert [(r.channel, r.subject, r.body) for r in rows] == [(Channel.EMAIL, "S", "B")]
