"""A second agency sees none of the first's releases, escalations, duty rosters and outreaches,
and the reverse (issue 23, step 3c; the crawl of every page is step 3d's test_second_agency).

Agency A (the default, the shared personas) and agency B (``agency_b``) each make, through the
services as in real use, a release with a disclosure, an escalation alerting its duty roster, and
an outreach with an affected person, an accepted assignment, follow-ups (one added by hand), an
attempt and a group session, each with its own canary strings. Every person of B who may reach a
page of these apps reads it and finds none of A's strings, and A's people none of B's; A's object
URLs opened by B's people answer not-found and change nothing; the escalation raised in A queued
no alert for anyone of B.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import Role
from peersupport.confidentiality import services as confidentiality
from peersupport.confidentiality.models import DutyAssignment, Escalation
from peersupport.governance.models import ExceptionCategory
from peersupport.notifications.models import Notification
from peersupport.outreach import services as outreach
from peersupport.outreach.models import Attempt, Outreach, PlanStep
from peersupport.releases import services as releases
from peersupport.releases.models import Release
from peersupport.tenancy import using_agency

from ..factories import EmployeeFactory, UserFactory
from ..matrix.releases import signed_release
from ..matrix.support_supporter import active_supporter, held_request

pytestmark = pytest.mark.django_db


def _canaries(tag: str) -> dict[str, str]:
    return {
        "person_name": f"{tag} Releaseperson",
        "purpose": f"{tag} purpose of the release",
        "recipient": f"Dr. {tag} Recipient",
        "note": f"{tag} escalation note",
        "phone": {"Aardvark": "555 0101 111", "Wombat": "555 0202 222"}[tag],
        "description": f"{tag} outreach description",
        "affected": f"{tag} Affectedperson",
        "reach": f"{tag} street 12",
        "label": f"{tag} follow-up label",
        "place": f"{tag} Hall",
        "facilitator": f"{tag} Clinician",
        # Everything else of the agency's: B's people are all named Wombat, A's invented names
        # never say Aardvark; each agency's people have their own mail domain.
        "tag": tag,
        "domain": {"Aardvark": "@pd.example.org", "Wombat": "@b.example.org"}[tag],
    }


A, B = _canaries("Aardvark"), _canaries("Wombat")


def _seed(people: dict, canary: dict) -> dict:
    """One agency's rows, made through the services by its own people (inside its agency)."""
    supporter, bhs, coordinator = people["supporter"], people["bhs"], people["coordinator"]
    active_supporter(supporter)
    confidentiality.duty_assign(
        actor=bhs, duty="bhs_manager", user=bhs, rank=0, phone=canary["phone"]
    )
    req = held_request(supporter, name=canary["person_name"])
    release = signed_release(
        supporter,
        req,
        person_name=canary["person_name"],
        purpose=canary["purpose"],
        recipients=[canary["recipient"]],
    )
    releases.disclosure_record(
        actor=supporter,
        release=release,
        disclosed_on=timezone.localdate(),
        recipient=canary["recipient"],
        items=release.items[:1],
        purpose=canary["purpose"],
    )
    escalation = confidentiality.escalation_raise(
        actor=supporter,
        category=ExceptionCategory.objects.get(code="danger-to-others"),
        note=canary["note"],
        request=req,
    )
    opened = outreach.outreach_open(
        actor=coordinator,
        event_type="critical_incident",
        event_date=timezone.localdate() - timedelta(days=2),
        description=canary["description"],
    )
    person = outreach.person_add(
        actor=coordinator, outreach=opened, name=canary["affected"], how_to_reach=canary["reach"]
    )
    assignment = outreach.assignment_make(actor=coordinator, person=person, supporter=supporter)
    outreach.assignment_answer(actor=supporter, assignment=assignment, accept=True)
    task = outreach.task_add(
        actor=coordinator,
        person=person,
        label=canary["label"],
        due_at=timezone.now() + timedelta(hours=2),
    )
    outreach.attempt_record(actor=supporter, task=task, outcome=Attempt.Outcome.NO_ANSWER)
    session = outreach.group_session_schedule(
        actor=coordinator,
        outreach=opened,
        starts_at=timezone.now() + timedelta(days=1),
        place=canary["place"],
        facilitator=canary["facilitator"],
    )
    duty = DutyAssignment.objects.get(user=bhs)
    return {
        "release": release,
        "escalation": escalation,
        "duty": duty,
        "outreach": opened,
        "person": person,
        "assignment": assignment,
        "task": task,
        "session": session,
        "step": PlanStep.objects.order_by("pk").first(),
    }


# Every page of these apps each kind of person reaches without an object in its URL.
LISTS = {
    "supporter": ["releases:mine", "outreach:mine", "confidentiality:escalation_list", "web:home"],
    "bhs": [
        "releases:accounting",
        "confidentiality:escalation_list",
        "confidentiality:duty",
        "outreach:board",
        "outreach:plans",
        "web:home",
    ],
    "coordinator": [
        "outreach:board",
        "outreach:plans",
        "confidentiality:duty",
        "confidentiality:escalation_list",
        "web:home",
    ],
    "advocacy": ["confidentiality:escalation_list", "confidentiality:duty", "web:home"],
    "employee": ["confidentiality:escalation_list", "web:home"],
}


def _object_pages(made: dict) -> dict[str, list[str]]:
    """The pages of one agency's own objects, by who reads them there."""
    release = {"release_id": made["release"].pk}
    escalation = {"public_id": made["escalation"].public_id}
    public_id = {"public_id": made["outreach"].public_id}
    return {
        "supporter": [
            reverse("releases:detail", kwargs=release),
            reverse("confidentiality:escalation", kwargs=escalation),
            reverse("outreach:assignment", kwargs={"assignment_id": made["assignment"].pk}),
        ],
        "bhs": [
            reverse("releases:detail", kwargs=release),
            reverse("confidentiality:escalation", kwargs=escalation),
            reverse("outreach:detail", kwargs=public_id),
        ],
        "coordinator": [
            reverse("outreach:detail", kwargs=public_id),
            reverse("outreach:assign", kwargs={"person_id": made["person"].pk}),
        ],
        "advocacy": [reverse("confidentiality:escalation", kwargs=escalation)],
    }


def _read(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _assert_none_of(text: str, canaries: dict, where: str):
    for value in canaries.values():
        assert value not in text, (where, value)


@pytest.fixture
def world(dept, personas, agency_b):
    a_people = {
        "supporter": personas["supporter"],
        "bhs": personas["bhs_manager"],
        "coordinator": personas["coordinator"],
        "advocacy": personas["advocacy_supervisor"],
        "employee": personas["employee"],
    }
    b_people = {
        "supporter": agency_b.person(Role.PEER_SUPPORTER, "b-supporter@b.example.org"),
        "bhs": agency_b["bhs"],
        "coordinator": agency_b.person(Role.COORDINATOR, "b-coordinator@b.example.org"),
        "advocacy": agency_b.person(Role.ADVOCACY_SUPERVISOR, "b-advocacy@b.example.org"),
    }
    with using_agency(agency_b["agency"]):  # an employee of B, with no program role
        employee = UserFactory(email="b-employee@b.example.org")
        EmployeeFactory(user=employee, unit=agency_b.hq, work_email=employee.email)
    b_people["employee"] = employee
    a_made = _seed(a_people, A)
    with using_agency(agency_b["agency"]):
        b_made = _seed(b_people, B)
    return {"a": (a_people, a_made), "b": (b_people, b_made)}


def test_each_agency_reads_only_its_own(world):
    from ..conftest import signed_in_client

    for mine, other_canaries, own_canaries in (("b", A, B), ("a", B, A)):
        people, made = world[mine]
        clients = {role: signed_in_client(user) for role, user in people.items()}
        seen = ""
        for role, names in LISTS.items():
            for name in names:
                page = _read(clients[role], reverse(name))
                _assert_none_of(page, other_canaries, f"{mine}'s {role} on {name}")
                seen += page
        for role, urls in _object_pages(made).items():
            for url in urls:
                page = _read(clients[role], url)
                _assert_none_of(page, other_canaries, f"{mine}'s {role} on {url}")
                seen += page
        # The control: the same pages show the agency's own strings (the search works).
        for key in ("person_name", "note", "description", "affected", "label", "place"):
            assert own_canaries[key] in seen, (mine, key)


def test_the_other_agencys_objects_are_not_found_and_unchanged(world):
    from ..conftest import signed_in_client

    _a_people, a = world["a"]
    b_people, _b = world["b"]
    b = {role: signed_in_client(user) for role, user in b_people.items()}
    release = {"release_id": a["release"].pk}
    escalation = {"public_id": a["escalation"].public_id}
    public_id = {"public_id": a["outreach"].public_id}
    person = {"person_id": a["person"].pk}
    gets = {
        "supporter": [
            ("releases:detail", release),
            ("releases:pdf", release),
            ("releases:signature", release),
            ("releases:disclose", release),
            ("releases:revoke", release),
            ("releases:end", release),
            ("confidentiality:escalation", escalation),
            ("outreach:assignment", {"assignment_id": a["assignment"].pk}),
            ("outreach:assignment_answer", {"assignment_id": a["assignment"].pk}),
            ("outreach:attempt", {"task_id": a["task"].pk}),
        ],
        "bhs": [
            ("releases:detail", release),
            ("releases:pdf", release),
            ("releases:disclose", release),
            ("confidentiality:escalation", escalation),
            ("confidentiality:acknowledge", escalation),
            ("confidentiality:resolve", escalation),
            ("outreach:detail", public_id),
        ],
        "coordinator": [
            ("outreach:detail", public_id),
            ("outreach:person_add", public_id),
            ("outreach:session_add", public_id),
            ("outreach:close", public_id),
            ("outreach:responder_add", public_id),
            ("outreach:assign", person),
            ("outreach:task_add", person),
            ("outreach:person_resume", person),
            ("outreach:attendance", {"session_id": a["session"].pk}),
        ],
        "advocacy": [("confidentiality:escalation", escalation)],
    }
    for role, urls in gets.items():
        for name, kwargs in urls:
            assert b[role].get(reverse(name, kwargs=kwargs)).status_code == 404, (role, name)
    task = {"task_id": a["task"].pk}
    assignment = {"assignment_id": a["assignment"].pk}
    posts = {
        "bhs": [
            ("confidentiality:duty_end", {"assignment_id": a["duty"].pk}),
            ("confidentiality:acknowledge", escalation),
            ("confidentiality:resolve", escalation),
            ("releases:disclose", release),
        ],
        "coordinator": [
            ("outreach:plan_step_remove", {"step_id": a["step"].pk}),
            ("outreach:person_add", public_id),
            ("outreach:session_add", public_id),
            ("outreach:close", public_id),
            ("outreach:responder_add", public_id),
            ("outreach:responder_remove", public_id),
            ("outreach:assign", person),
            ("outreach:task_add", person),
            ("outreach:person_resume", person),
            ("outreach:attendance", {"session_id": a["session"].pk}),
            ("outreach:remind", task),
        ],
        "supporter": [
            ("releases:revoke", release),
            ("releases:end", release),
            ("releases:disclose", release),
            ("outreach:assignment_answer", assignment),
            ("outreach:attempt", task),
        ],
    }
    form = {
        "resolution": "Wombat resolved",
        "summary": "Wombat closed",
        "answer": "decline",
        "outcome": "declined",
        "name": "Wombat Intruder",
        "how_to_reach": "nowhere",
        "label": "Wombat step",
        "event_type": "family",
        "offset_days": "3",
    }
    for role, urls in posts.items():
        for name, kwargs in urls:
            response = b[role].post(reverse(name, kwargs=kwargs), form)
            assert response.status_code == 404, (role, name)
    a["duty"].refresh_from_db()
    assert a["duty"].ends_at is None
    assert Escalation.objects.get(pk=a["escalation"].pk).status == Escalation.Status.OPEN
    assert Outreach.objects.get(pk=a["outreach"].pk).is_open
    assert Release.objects.get(pk=a["release"].pk).revoked_at is None
    assert a["outreach"].people.count() == 1
    assert not a["person"].assignments.filter(status="declined").exists()
    assert not a["task"].attempts.filter(outcome="declined").exists()
    assert PlanStep.objects.filter(pk=a["step"].pk).exists()


def test_an_escalation_in_a_alerts_nobody_of_b(world):
    a_people, a = world["a"]
    b_people, b = world["b"]
    b_ids = {user.pk for user in b_people.values()}
    a_ids = {user.pk for user in a_people.values()}
    for made, others in ((a, b_ids), (b, a_ids)):
        alerts = Notification.objects.filter(topic=f"escalation:{made['escalation'].pk}")
        assert alerts.exists()
        assert not set(alerts.values_list("user_id", flat=True)) & others
    a_alerts = Notification.objects.filter(topic=f"escalation:{a['escalation'].pk}")
    assert a_people["bhs"].pk in set(a_alerts.values_list("user_id", flat=True))
    # Nothing of A's escalation or outreach was queued for anyone of B at all.
    assert not Notification.objects.filter(
        user_id__in=b_ids, agency_id=a["escalation"].agency_id
    ).exists()
