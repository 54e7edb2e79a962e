""" "Waiting for you" at the top of each role's home page: what waits, how old, a link; nothing
about who asked; the same number of queries however much waits."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import Role, RoleGrantRequest
from peersupport.confidentiality.models import Escalation, EscalationRecipient
from peersupport.governance import selectors as governance_selectors
from peersupport.governance import services as governance_services
from peersupport.governance.models import PolicyDocument
from peersupport.selection.models import Candidacy
from peersupport.support.models import Message, SupportRequest
from peersupport.web.waiting import waiting_for

from ..factories import (
    CandidacyFactory,
    DebriefRequestFactory,
    ExceptionCategoryFactory,
    FollowUpFactory,
    MessageFactory,
    OfferFactory,
    SupportRequestFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Stage = Candidacy.Stage


def _waiting_section(html: str) -> str:
    match = re.search(r'<section class="card card--waiting".*?</section>', html, re.S)
    return match.group(0) if match else ""


def _held_request(supporter, *, last_from: str) -> SupportRequest:
    req = SupportRequestFactory(
        status=SupportRequest.Status.ACCEPTED,
        assigned_supporter=supporter,
        accepted_at=timezone.now(),
        identity={"name": "Canary Quillfeather", "contact_method": "phone"},
    )
    MessageFactory(request=req, sender=Message.Sender.SUPPORTER, body="Hi")
    MessageFactory(request=req, sender=last_from, body="Canary secret words")
    return req


def _escalation(recipient, *, raised_by) -> Escalation:
    escalation = Escalation.objects.create(
        category=ExceptionCategoryFactory(), note="Canary note", raised_by=raised_by
    )
    EscalationRecipient.objects.create(escalation=escalation, user=recipient, reason="on duty")
    return escalation


def _acknowledge_policy(user) -> None:
    version = governance_selectors.current_version(PolicyDocument.Kind.PROGRAM_POLICY)
    governance_services.policy_acknowledge(actor=user, version=version)


def test_a_supporter_is_asked_to_acknowledge_the_policy_until_they_do(personas):
    supporter = personas["supporter"]
    assert [i.label for i in waiting_for(supporter)] == [
        "The program policy waits for your acknowledgement"
    ]
    _acknowledge_policy(supporter)
    assert waiting_for(supporter) == []


def test_a_supporter_sees_offers_first_then_messages_and_follow_ups(personas, client_for):
    supporter = personas["supporter"]
    _acknowledge_policy(supporter)
    OfferFactory(supporter=supporter)
    OfferFactory(supporter=supporter)
    req = _held_request(supporter, last_from=Message.Sender.REQUESTER)
    _held_request(supporter, last_from=Message.Sender.SUPPORTER)  # answered: nothing waits
    FollowUpFactory(supporter=supporter, due=timezone.localdate() - datetime.timedelta(days=2))
    FollowUpFactory(supporter=supporter)  # due next week: not yet

    items = waiting_for(supporter)
    assert [(i.label, i.count, i.urgent) for i in items] == [
        ("2 requests offered to you", 2, True),
        ("A follow-up is due", 1, False),
        ("A request you hold has a new message", 1, False),
    ]
    assert items[2].url == reverse("support:held", args=[req.pk])

    html = client_for("supporter").get(reverse("web:home")).content.decode()
    section = _waiting_section(html)
    assert "2 requests offered to you" in section
    assert html.index("Waiting for you") < html.index("Peer supporter")
    assert "Canary" not in html


def test_nothing_waits_is_said_to_staff_and_nothing_shown_to_a_plain_employee(client_for):
    staff = client_for("coordinator").get(reverse("web:home")).content.decode()
    assert "Nothing waits for you right now." in _waiting_section(staff)
    employee = client_for("employee").get(reverse("web:home")).content.decode()
    assert "Waiting for you" not in employee


def test_the_bhs_manager_starts_with_their_work_and_the_employee_card_last(personas, client_for):
    bhs = personas["bhs_manager"]
    _escalation(bhs, raised_by=personas["supporter"])
    CandidacyFactory(stage=Stage.BHS_REVIEW)
    CandidacyFactory(stage=Stage.CHAIN_DECLINED)
    requester = UserFactory()
    RoleGrantRequest.objects.create(
        user=UserFactory(),
        role=Role.COORDINATOR,
        requested_by=requester,
        reason="cover",
        lapses_at=timezone.now() + datetime.timedelta(days=3),
    )

    labels = [(i.label, i.urgent) for i in waiting_for(bhs)]
    assert labels[0] == ("An escalation waits for your acknowledgement", True)
    assert set(labels[1:]) == {
        ("A candidate waits for your recommendation", False),
        ("A chain-of-command decline to review", False),
        ("A role grant waits for your approval", False),
    }
    html = client_for("bhs_manager").get(reverse("web:home")).content.decode()
    assert html.index("Waiting for you") < html.index("BHS manager") < html.index("Employee")
    assert "Canary" not in html


def test_the_chief_sees_how_long_a_candidate_has_waited(personas, client_for):
    CandidacyFactory(
        stage=Stage.CHIEF_REVIEW,
        stage_changed_at=timezone.now() - datetime.timedelta(days=47),
    )
    (item,) = waiting_for(personas["chief"])
    assert item.label == "A candidate waits for your approval"
    section = _waiting_section(client_for("chief").get(reverse("web:home")).content.decode())
    assert "1\xa0month, 2\xa0weeks" in section


def test_the_coordinator_sees_debriefs_and_unaccepted_requests(personas):
    DebriefRequestFactory(supporter=personas["supporter"])
    SupportRequestFactory(
        status=SupportRequest.Status.WAITING,
        escalated_at=timezone.now(),
        created_at=timezone.now() - datetime.timedelta(hours=2),
    )
    items = waiting_for(personas["coordinator"])
    assert [(i.label, i.urgent) for i in items] == [
        ("A request no supporter has accepted", True),
        ("A debrief request", False),
    ]


def test_nobody_else_sees_another_persons_work(personas):
    OfferFactory(supporter=personas["supporter"])
    _escalation(personas["bhs_manager"], raised_by=personas["supporter"])
    CandidacyFactory(stage=Stage.CHIEF_REVIEW)
    for name in ("employee", "supervisor", "panelist", "advocacy_supervisor", "sysadmin"):
        assert waiting_for(personas[name]) == [], name


HOMES = ["supporter", "coordinator", "bhs_manager", "chief", "employee", "supervisor"]


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("web:home")).status_code == 200
    return len(ctx.captured_queries)


def _add_work(personas, n: int) -> None:
    if n == 1:
        _acknowledge_policy(personas["supporter"])
    for _ in range(n):
        OfferFactory(supporter=personas["supporter"])
        _held_request(personas["supporter"], last_from=Message.Sender.REQUESTER)
        FollowUpFactory(supporter=personas["supporter"], due=timezone.localdate())
        DebriefRequestFactory(supporter=personas["supporter"])
        _escalation(personas["bhs_manager"], raised_by=personas["supporter"])
        CandidacyFactory(stage=Stage.CHIEF_REVIEW)


def test_home_pages_cost_the_same_however_much_waits(personas, client_for):
    _add_work(personas, 1)
    few = {name: _queries(client_for(name)) for name in HOMES}
    _add_work(personas, 15)
    many = {name: _queries(client_for(name)) for name in HOMES}
    assert few == many
