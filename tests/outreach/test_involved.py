"""Supporters involved in the incident (issue 19, item 7): a supporter among the people
affected, whose relative is, or whom the coordinator marks as having responded is never
suggested or assigned on that outreach (a clear error if tried); marking is audited, and when
the notice in force says the state's privilege leaves responders out, the pages say so."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.governance import defaults as governance_defaults
from peersupport.governance import services as governance
from peersupport.governance.models import ExceptionCategory, PolicyDocument, PolicyVersion
from peersupport.governance.rules import PrivilegeProfile
from peersupport.notifications.models import Notification
from peersupport.outreach import selectors, services
from peersupport.outreach.defaults import install_defaults
from peersupport.outreach.models import Assignment, PlanStep, Responder
from peersupport.roster.models import ExperienceArea

from ..factories import FamilyMemberFactory
from ..roster.helpers import make_supporter

pytestmark = pytest.mark.django_db
CRITICAL = [ExperienceArea.CRITICAL_INCIDENTS]


@pytest.fixture(autouse=True)
def plans(db):
    install_defaults(PlanStep=PlanStep)


@pytest.fixture
def coordinator(personas):
    return personas["coordinator"]


@pytest.fixture
def team(dept):
    """Four active supporters with critical-incident experience."""
    return {
        name: make_supporter(dept.squad, first=name.title(), last="Support", areas=CRITICAL).user
        for name in ("hurt", "relative", "responder", "free")
    }


@pytest.fixture
def outreach(coordinator, team):
    outreach = services.outreach_open(
        actor=coordinator,
        event_type="critical_incident",
        event_date=timezone.localdate() - timedelta(days=1),
        description="Canary-outreach: shooting on Main Street",
    )
    services.person_add(actor=coordinator, outreach=outreach, employee=team["hurt"].employee)
    spouse = FamilyMemberFactory(employee=team["relative"].employee)
    services.person_add(actor=coordinator, outreach=outreach, family_member=spouse)
    services.responder_mark(actor=coordinator, outreach=outreach, supporter=team["responder"])
    return outreach


@pytest.fixture
def other(coordinator, outreach):
    """Someone affected who has no record, to whom a supporter is to be assigned."""
    return services.person_add(
        actor=coordinator, outreach=outreach, name="Dana Bystander", how_to_reach="555 0101"
    )


def state_privilege(personas, **over):
    """An approved notice whose privilege profile leaves responders out."""
    governance_defaults.install_defaults(
        ExceptionCategory=ExceptionCategory,
        PolicyDocument=PolicyDocument,
        PolicyVersion=PolicyVersion,
        today=timezone.localdate(),
    )
    profile = PrivilegeProfile(
        state="Colorado",
        covered=("sworn",),
        designated_before_incident=True,
        responders_excluded=True,
    )
    version = governance.policy_version_draft(
        actor=personas["bhs_manager"],
        document=PolicyDocument.objects.get(kind=PolicyDocument.Kind.CONFIDENTIALITY_NOTICE),
        effective_date=timezone.localdate(),
        intro="Before.",
        closing="After.",
        privilege=profile,
    )
    governance.policy_version_submit(actor=personas["bhs_manager"], version=version)
    governance.policy_version_approve(actor=personas["chief"], version=version)


def test_who_is_involved_and_why(outreach, team):
    involved = selectors.involvement(outreach)
    assert involved == {
        team["hurt"].pk: selectors.AFFECTED,
        team["relative"].pk: selectors.RELATIVE_AFFECTED,
        team["responder"].pk: selectors.RESPONDED,
    }


def test_involved_supporters_are_never_suggested(other, team):
    suggested = {p.user_id for p in selectors.suggest_supporters(other)}
    assert suggested == {team["free"].pk}


@pytest.mark.parametrize(
    ("who", "why"),
    [
        ("hurt", "is one of the people affected"),
        ("relative", "has a relative among the people affected"),
        ("responder", "responded to the incident"),
    ],
)
def test_assigning_an_involved_supporter_is_refused_and_tells_nobody(
    coordinator, other, team, who, why
):
    notifications = Notification.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.assignment_make(actor=coordinator, person=other, supporter=team[who])
    assert why in refused.value.message_dict["supporter"][0]
    assert not Assignment.objects.exists()
    assert Notification.objects.count() == notifications


def test_the_assign_page_says_why_and_the_privilege_where_it_matters(
    personas, client_for, other, team
):
    state_privilege(personas)
    url = reverse("outreach:assign", args=[other.pk])
    page = client_for("coordinator").get(url).content.decode()
    suggestions = page.split('<ul class="suggestions">')[1].split("</ul>")[0]
    assert "Free Support" in suggestions
    assert not any(
        f"{who.title()} Support" in suggestions for who in ("hurt", "relative", "responder")
    )
    assert "covers only a supporter the department designated before the incident" in page
    resp = client_for("coordinator").post(url, {"supporter_id": team["responder"].pk})
    assert resp.status_code == 400
    text = resp.content.decode()
    assert "responded to the incident, so cannot be assigned" in text
    assert "Colorado law, as the notice in force states it, does not cover" in text
    assert not Assignment.objects.exists()
    # The one who was not involved is assigned, and only they are told.
    before = set(Notification.objects.values_list("pk", flat=True))
    resp = client_for("coordinator").post(url, {"supporter_id": team["free"].pk})
    assert resp.status_code == 302
    told = Notification.objects.exclude(pk__in=before)
    assert list(told.values_list("user_id", flat=True)) == [team["free"].pk]


def test_the_outreach_page_lists_responders_and_the_privilege_note(personas, client_for, outreach):
    url = reverse("outreach:detail", args=[outreach.public_id])
    page = client_for("coordinator").get(url).content.decode()
    assert "Responder Support, marked" in page
    assert "does not cover a supporter who responded" not in page
    state_privilege(personas)
    page = client_for("coordinator").get(url).content.decode()
    assert "Colorado law, as the notice in force states it, does not cover" in page


def test_marking_and_unmarking_a_responder_is_audited(client_for, coordinator, outreach, team):
    url = reverse("outreach:responder_add", args=[outreach.public_id])
    resp = client_for("coordinator").post(url, {"supporter_id": team["free"].pk})
    assert resp.status_code == 302
    responder = Responder.objects.get(supporter=team["free"])
    marked = AuditEvent.objects.filter(action=AuditAction.OUTREACH_RESPONDER_MARKED).latest("pk")
    assert marked.details == {"supporter_id": team["free"].pk}
    assert team["free"].pk in selectors.involvement(outreach)
    remove = reverse("outreach:responder_remove", args=[outreach.public_id])
    for nonsense in ({}, {"responder": "abc"}, {"responder": "99999999999999999999999"}):
        assert client_for("coordinator").post(remove, nonsense).status_code == 302
    assert Responder.objects.filter(pk=responder.pk).exists()
    assert client_for("coordinator").post(remove, {"responder": responder.pk}).status_code == 302
    assert not Responder.objects.filter(pk=responder.pk).exists()
    assert AuditEvent.objects.filter(action=AuditAction.OUTREACH_RESPONDER_UNMARKED).exists()
    assert team["free"].pk not in selectors.involvement(outreach)


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({}, "Type the name of the supporter who responded, then choose them."),
        ({"supporter_id": "99999999"}, "Choose the supporter from the people found."),
        ({"supporter_id": "x' OR 1=1"}, "Choose the supporter from the people found."),
    ],
)
def test_marking_bad_input_is_400_and_changes_nothing(client_for, outreach, posted, message):
    count = Responder.objects.count()
    url = reverse("outreach:responder_add", args=[outreach.public_id])
    resp = client_for("coordinator").post(url, posted)
    assert resp.status_code == 400
    assert message in resp.content.decode()
    assert Responder.objects.count() == count


def test_marking_refuses_a_non_supporter_a_repeat_and_one_holding_people_here(
    personas, coordinator, other, outreach, team
):
    with pytest.raises(ValidationError, match="Only a peer supporter"):
        services.responder_mark(actor=coordinator, outreach=outreach, supporter=personas["chief"])
    with pytest.raises(ValidationError, match="already marked"):
        services.responder_mark(actor=coordinator, outreach=outreach, supporter=team["responder"])
    services.assignment_make(actor=coordinator, person=other, supporter=team["free"])
    with pytest.raises(ValidationError, match="Assign someone else to them first"):
        services.responder_mark(actor=coordinator, outreach=outreach, supporter=team["free"])
    with pytest.raises(ValidationError, match="Assign someone else to them first"):
        services.person_add(actor=coordinator, outreach=outreach, employee=team["free"].employee)
    assert not Responder.objects.filter(supporter=team["free"]).exists()


def test_only_the_staff_mark_responders(client_for, outreach, team):
    url = reverse("outreach:responder_add", args=[outreach.public_id])
    for persona in ("supporter", "employee", "chief"):
        resp = client_for(persona).post(url, {"supporter_id": team["free"].pk})
        assert resp.status_code == 403
    assert not Responder.objects.filter(supporter=team["free"]).exists()
