"""Who hears of each support event, on which channel, and that nobody else does: an offer (made,
passed on, lapsed, re-offered when a supporter leaves), a message each way, a withdrawal, a
debrief request. Every alert goes through the outbox and is delivered by the code the worker
runs; none carries what the requester typed, who they are or whom they named."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from peersupport.accounts.models import Role
from peersupport.governance.notice import current_notice
from peersupport.notifications.models import Channel, Notification
from peersupport.notifications.services import deliver_due
from peersupport.roster import services as roster
from peersupport.roster.models import SupporterProfile
from peersupport.support import services
from peersupport.support.models import ContactMethod, Message, Offer, RequesterKind

from ..factories import EmployeeFactory, UserFactory, grant
from ..matrix.support_supporter import active_supporter, held_request

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
# Everything a requester may type; none of it may reach an alert.
TYPED = {
    "name": "Quentin Canaryperson",
    "contact_detail": "555 0142 7788",
    "best_times": "after the canary shift",
}


def _second_supporter(dept, name="second"):
    user = UserFactory(email=f"{name}@pd.example.org", display_name=name.title())
    EmployeeFactory(user=user, unit=dept.squad, work_email=user.email, last_name="Zed" + name)
    grant(user, Role.PEER_SUPPORTER)
    active_supporter(user)
    return user


def _public_request(*, supporter=None, kind=RequesterKind.FAMILY):
    return services.request_create(
        requester=None,
        kind=kind,
        contact_method=ContactMethod.PHONE,
        supporter=supporter,
        notice_version=current_notice().version,
        **TYPED,
    ).request


def _employee_request(employee, *, supporter=None):
    return services.request_create(
        requester=employee,
        kind=RequesterKind.EMPLOYEE,
        contact_method=ContactMethod.MESSAGES,
        name=TYPED["name"],
        supporter=supporter,
        notice_version=current_notice().version,
    ).request


def _told(message: str) -> dict[str, list[str]]:
    """Who has an outbox row of the template ``message`` (by its key), by e-mail, on which
    channels."""
    told: dict[str, list[str]] = {}
    for n in Notification.objects.filter(key__startswith=f"support:{message}:"):
        told.setdefault(n.user.email, []).append(n.channel)
    return told


def _assert_content_free(text: str) -> None:
    for typed in TYPED.values():
        assert typed not in text
    for part in ("Canary", "0142", "canary"):
        assert part not in text


# --- Offers ---------------------------------------------------------------------------------


def test_a_public_request_reaches_the_offered_supporter_by_email_and_nobody_else(dept, settings):
    """The issue's acceptance test: a family member's request, through the outbox and the
    delivery the worker runs, is one e-mail to the supporter it was offered to, holding
    nothing the requester typed (nor that they named this supporter)."""
    supporter = dept.users["supporter"]
    active_supporter(supporter)
    other = _second_supporter(dept)
    at = datetime.datetime(2026, 3, 8, 1, 50, tzinfo=CHICAGO)  # the night clocks go forward
    with time_machine.travel(at, tick=False):
        req = _public_request(supporter=supporter)
        offer = req.offers.get()
        assert offer.supporter == supporter
        assert _told("offered") == {supporter.email: [Channel.EMAIL]}
        assert deliver_due() == {"sent": 1}
    [email] = mail.outbox
    assert email.to == [supporter.email]
    assert email.subject.endswith("A request for support is offered to you")
    # 15 minutes after 01:50 CST is 03:05 CDT: the lapse time is local, across the change.
    assert "It lapses at 03:05" in email.body
    assert f"{settings.SITE_URL}{reverse('support:inbox')}" in email.body
    _assert_content_free(email.subject + email.body)
    assert "named" not in email.body and "you were chosen" not in email.body
    assert other.email not in _told("offered")


def test_a_pass_alerts_the_next_supporter_only(dept):
    first = dept.users["supporter"]
    active_supporter(first)
    second = _second_supporter(dept)
    req = _public_request(supporter=first)
    services.offer_answer(actor=first, offer=req.offers.get(), accept=False)
    assert req.offers.get(answer=Offer.Answer.PENDING).supporter == second
    assert _told("offered") == {first.email: [Channel.EMAIL], second.email: [Channel.EMAIL]}
    assert Notification.objects.filter(user=first).count() == 1


def test_a_lapsed_offer_is_reoffered_with_an_alert(dept, settings):
    first = dept.users["supporter"]
    active_supporter(first)
    second = _second_supporter(dept)
    start = datetime.datetime(2026, 5, 4, 9, 0, tzinfo=CHICAGO)
    with time_machine.travel(start, tick=False):
        _public_request(supporter=first)
    later = start + datetime.timedelta(minutes=settings.SUPPORT_OFFER_MINUTES)
    with time_machine.travel(later, tick=False):
        assert services.offers_lapse()["reoffered"] == 1
        with time_machine.travel(later + datetime.timedelta(seconds=1), tick=False):
            deliver_due()
    assert _told("offered") == {first.email: [Channel.EMAIL], second.email: [Channel.EMAIL]}
    to_second = [m for m in mail.outbox if m.to == [second.email]]
    assert len(to_second) == 1 and "It lapses at 09:30" in to_second[0].body
    # The next tick offers nothing new, so nobody is told twice.
    with time_machine.travel(later + datetime.timedelta(minutes=1), tick=False):
        services.offers_lapse()
    assert Notification.objects.filter(key__startswith="support:offered:").count() == 2


def test_a_waiting_request_alerts_the_supporter_who_becomes_free(dept):
    supporter = dept.users["supporter"]
    profile = active_supporter(supporter)
    roster.supporter_set_availability(
        actor=supporter, profile=profile, availability=SupporterProfile.Availability.OFF
    )
    req = _public_request()
    assert not req.offers.exists() and not Notification.objects.exists()
    active_supporter(supporter)
    services.offers_lapse()
    assert _told("offered") == {supporter.email: [Channel.EMAIL]}


def test_a_supporter_leaving_active_status_reoffers_with_alerts(dept):
    leaving = dept.users["supporter"]
    active_supporter(leaving)
    held = held_request(leaving)
    offered = _public_request(supporter=leaving)
    Notification.objects.all().delete()
    other = _second_supporter(dept)
    services.requests_reoffer_from(supporter=leaving)
    assert held.offers.get(answer=Offer.Answer.PENDING).supporter == other
    assert offered.offers.get(answer=Offer.Answer.PENDING).supporter == other
    told = Notification.objects.filter(key__startswith="support:offered:")
    assert sorted(told.values_list("user__email", "channel")) == [
        (other.email, Channel.EMAIL),
        (other.email, Channel.EMAIL),
    ]
    assert not Notification.objects.filter(user=leaving).exists()


# --- Messages -------------------------------------------------------------------------------


def test_a_requesters_message_alerts_the_supporter_who_holds_it(dept, settings):
    supporter = dept.users["supporter"]
    req = held_request(supporter, **TYPED)
    Notification.objects.all().delete()
    msg = services.message_send(request=req, sender=Message.Sender.REQUESTER, body="Canary text")
    assert _told("message") == {supporter.email: [Channel.EMAIL]}
    assert Notification.objects.count() == 1
    note = Notification.objects.get()
    assert note.key == f"support:message:{msg.pk}:{supporter.pk}:email"
    assert f"{settings.SITE_URL}{reverse('support:held', args=[req.pk])}" in note.body
    _assert_content_free(note.subject + note.body)
    assert "Canary text" not in note.body


def test_a_message_on_an_offered_request_alerts_nobody_more(dept):
    supporter = dept.users["supporter"]
    active_supporter(supporter)
    req = _public_request(supporter=supporter)
    before = Notification.objects.count()
    services.message_send(request=req, sender=Message.Sender.REQUESTER, body="Still there?")
    assert Notification.objects.count() == before


def test_a_reply_alerts_a_requester_with_an_account_and_nobody_else(dept, settings):
    supporter, employee = dept.users["supporter"], dept.users["employee"]
    active_supporter(supporter)
    req = _employee_request(employee, supporter=supporter)
    services.offer_answer(actor=supporter, offer=req.offers.get(), accept=True)
    Notification.objects.all().delete()
    msg = services.message_send(
        request=req, sender=Message.Sender.SUPPORTER, body="Canary reply", actor=supporter
    )
    assert _told("reply") == {employee.email: [Channel.EMAIL]}
    assert Notification.objects.count() == 1
    assert deliver_due() == {"sent": 1}
    [email] = mail.outbox
    assert email.to == [employee.email] and email.subject.endswith("A supporter replied")
    link = f"{settings.SITE_URL}{reverse('support:my_request', args=[req.public_id])}"
    assert link in email.body
    assert "Canary" not in email.body and supporter.display_name not in email.body
    assert Notification.objects.get().key == f"support:reply:{msg.pk}:{employee.pk}:email"


@pytest.mark.parametrize("kind", [RequesterKind.FAMILY, RequesterKind.ANONYMOUS])
def test_a_reply_to_a_requester_without_an_account_alerts_nobody(dept, kind):
    supporter = dept.users["supporter"]
    active_supporter(supporter)
    req = _public_request(supporter=supporter, kind=kind)
    services.offer_answer(actor=supporter, offer=req.offers.get(), accept=True)
    Notification.objects.all().delete()
    services.message_send(
        request=req, sender=Message.Sender.SUPPORTER, body="Hello", actor=supporter
    )
    assert not Notification.objects.exists()


# --- Withdrawals and debriefs ---------------------------------------------------------------


def test_withdrawing_a_held_request_alerts_its_supporter_only(dept):
    supporter = dept.users["supporter"]
    other = _second_supporter(dept)
    req = held_request(supporter, **TYPED)
    Notification.objects.all().delete()
    services.request_withdraw(request=req)
    assert _told("withdrawn") == {supporter.email: [Channel.EMAIL]}
    assert Notification.objects.count() == 1
    assert deliver_due() == {"sent": 1}
    _assert_content_free(mail.outbox[0].subject + mail.outbox[0].body)
    assert other.email not in mail.outbox[0].to


def test_withdrawing_an_offered_request_alerts_the_supporter_it_was_offered_to(dept):
    supporter = dept.users["supporter"]
    active_supporter(supporter)
    first_passed = _second_supporter(dept)
    req = _public_request(supporter=first_passed)
    services.offer_answer(actor=first_passed, offer=req.offers.get(), accept=False)
    assert req.offers.get(answer=Offer.Answer.PENDING).supporter == supporter
    Notification.objects.all().delete()
    services.request_withdraw(request=req)
    # Not the one who passed: it is no longer theirs.
    assert _told("withdrawn") == {supporter.email: [Channel.EMAIL]}
    assert Notification.objects.count() == 1


def test_a_debrief_request_alerts_every_coordinator_without_the_supporters_name(dept):
    supporter = dept.users["supporter"]
    active_supporter(supporter)
    second = UserFactory(email="coord2@pd.example.org", display_name="Second Coordinator")
    grant(second, Role.COORDINATOR)
    debrief = services.debrief_request(actor=supporter)
    told = _told("debrief")
    assert told == {
        dept.users["coordinator"].email: [Channel.EMAIL],
        second.email: [Channel.EMAIL],
    }
    assert Notification.objects.count() == 2
    for note in Notification.objects.all():
        assert note.key.startswith(f"support:debrief:{debrief.pk}:")
        assert supporter.display_name not in note.subject + note.body
        assert supporter.email not in note.body
