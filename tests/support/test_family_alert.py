"""A family member's opt-in "a supporter replied" alert (issue 17 item 2): content-free, to the
address they left (kept only in the request's encrypted identity; the outbox row holds a
reference), by e-mail, or by text when they gave a phone and a gateway is configured;
anonymous requesters and those who did not tick get nothing, and nobody else is told."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from peersupport.governance.notice import current_notice
from peersupport.notifications.models import Channel, Notification
from peersupport.notifications.services import deliver, deliver_due
from peersupport.support import services
from peersupport.support.models import ContactMethod, Message, RequesterKind, SupportRequest

from ..matrix.support_supporter import active_supporter
from ..servers import WebhookServer
from .test_requests import ask_data

pytestmark = pytest.mark.django_db
ADDRESS = "canary.spouse@example.net"
PHONE = "555 0142 7788"


@pytest.fixture
def supporter(dept):
    user = dept.users["supporter"]
    active_supporter(user)
    return user


def _held(supporter, *, method=ContactMethod.EMAIL, detail=ADDRESS, alert=True):
    created = services.request_create(
        requester=None,
        kind=RequesterKind.FAMILY,
        name="Quentin Canaryperson",
        contact_method=method,
        contact_detail=detail,
        supporter=supporter,
        alert_on_reply=alert,
        notice_version=current_notice().version,
    )
    offer = created.request.offers.get(answer="pending")
    req = services.offer_answer(actor=supporter, offer=offer, accept=True)
    return req, created.codename


def _reply(req, supporter):
    return services.message_send(
        request=req, sender=Message.Sender.SUPPORTER, body="Canary reply text", actor=supporter
    )


def test_the_family_member_is_told_by_email_and_nobody_else(supporter, settings):
    req, codename = _held(supporter)
    Notification.objects.all().delete()  # the offer's alert to the supporter
    msg = _reply(req, supporter)
    row = Notification.objects.get()
    # The row holds a reference, never the address.
    assert row.user_id is None and row.address == f"support-request:{req.pk}"
    assert ADDRESS not in repr(list(Notification.objects.values()))
    assert deliver(row.pk) == "sent"
    [email] = mail.outbox
    assert email.to == [ADDRESS]
    assert email.subject == "You have a new message"
    text = f"{email.subject}\n{email.body}".lower()
    assert "open the page with your words" in text
    for secret in (
        *codename.split(),
        "canary",
        "quentin",
        "peer support",
        "support",
        settings.DEPARTMENT_NAME.lower(),
        "http",
    ):
        assert secret not in text, secret
    # The same event never goes twice.
    services._tell_family_of_reply(req, msg)
    assert Notification.objects.count() == 1
    deliver_due()
    assert len(mail.outbox) == 1


def test_nothing_without_the_tick(supporter):
    req, _ = _held(supporter, alert=False)
    Notification.objects.all().delete()
    _reply(req, supporter)
    assert not Notification.objects.exists()


def test_a_phone_gets_a_text_only_where_a_gateway_is_configured(supporter, settings):
    req, _ = _held(supporter, method=ContactMethod.TEXT, detail=PHONE)
    Notification.objects.all().delete()
    settings.SMS_WEBHOOK_URL = ""
    _reply(req, supporter)
    assert not Notification.objects.exists()
    with WebhookServer() as gateway:
        settings.SMS_WEBHOOK_URL = gateway.url
        settings.SMS_WEBHOOK_SECRET = "test-webhook-secret-0123456789"
        _reply(req, supporter)
        row = Notification.objects.get()
        assert row.channel == Channel.SMS and row.user_id is None
        assert deliver(row.pk) == "sent"
        [sent] = gateway.requests
    assert sent["json"]["to"] == PHONE
    assert sent["json"]["text"] == (
        "You have a new message. Open the page with your words to read it."
    )


def test_once_the_request_is_purged_the_alert_is_skipped(supporter):
    req, _ = _held(supporter)
    Notification.objects.all().delete()
    _reply(req, supporter)
    row = Notification.objects.get()
    req.purged_at = req.created_at
    req.save(update_fields=["purged_at"])
    assert deliver(row.pk) == "skipped"
    assert not mail.outbox
    assert Notification.objects.get().status == Notification.Status.SKIPPED


def test_the_form_offers_it_with_a_warning_and_refuses_it_to_anonymous_requesters(supporter):
    page = Client().get(reverse("support:public_ask")).content.decode()
    assert "Tell me when a supporter replies" in page
    assert "anyone who reads your phone or e-mail will see" in page
    anonymous = Client().post(
        reverse("support:public_ask"),
        ask_data(kind=RequesterKind.ANONYMOUS, alert_on_reply="on"),
    )
    assert anonymous.status_code == 400 and not SupportRequest.objects.exists()
    no_contact = Client().post(
        reverse("support:public_ask"),
        ask_data(
            kind=RequesterKind.FAMILY,
            contact_method=ContactMethod.MESSAGES,
            contact_detail="",
            alert_on_reply="on",
        ),
    )
    assert no_contact.status_code == 400 and not SupportRequest.objects.exists()
    family = Client().post(
        reverse("support:public_ask"),
        ask_data(
            kind=RequesterKind.FAMILY,
            contact_method=ContactMethod.EMAIL,
            contact_detail=ADDRESS,
            alert_on_reply="on",
        ),
    )
    assert family.status_code == 302
    assert SupportRequest.objects.get().identity["alert_on_reply"] is True


def test_an_anonymous_request_is_never_told(supporter):
    created = services.request_create(
        requester=None,
        kind=RequesterKind.ANONYMOUS,
        contact_method=ContactMethod.EMAIL,
        contact_detail=ADDRESS,
        supporter=supporter,
        notice_version=current_notice().version,
    )
    req = services.offer_answer(
        actor=supporter, offer=created.request.offers.get(answer="pending"), accept=True
    )
    Notification.objects.all().delete()
    _reply(req, supporter)
    assert not Notification.objects.exists()
    with pytest.raises(services.ValidationError):
        services.request_create(
            requester=None,
            kind=RequesterKind.ANONYMOUS,
            contact_method=ContactMethod.EMAIL,
            contact_detail=ADDRESS,
            alert_on_reply=True,
            notice_version=current_notice().version,
        )


def test_two_replies_due_together_go_as_two_plain_alerts_never_a_gathered_one(supporter):
    """A gathered message names the program ("N things wait for you in Peer Support"): an
    alert to someone without an account is never gathered, whatever else is due with it."""
    req, _ = _held(supporter)
    Notification.objects.all().delete()
    _reply(req, supporter)
    _reply(req, supporter)
    rows = list(Notification.objects.filter(user=None))
    assert len(rows) == 2
    deliver_due()
    assert len(mail.outbox) == 2
    for email in mail.outbox:
        assert email.subject == "You have a new message"
        assert "peer support" not in f"{email.subject}\n{email.body}".lower()
