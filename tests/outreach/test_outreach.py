"""Outreach after tragedy, injury and critical incidents: opening, people and their plans,
assigning supporters (never blindly inside the person's chain of command), attempts that record
only an outcome, declining that stops all contact, group sessions counted not named, reminders
through the worker, and closing only when nothing is left open."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import FamilyMember
from peersupport.audit.models import AuditEvent
from peersupport.notifications.models import Notification
from peersupport.notifications.services import deliver_due
from peersupport.outreach import selectors, services
from peersupport.outreach.defaults import DEFAULT_PLAN, install_defaults
from peersupport.outreach.models import (
    AffectedPerson,
    Assignment,
    Attempt,
    FollowUpTask,
    Outreach,
    PlanStep,
)
from peersupport.roster.models import SupporterProfile
from peersupport.web.pagination import PER_PAGE

from ..factories import EmployeeFactory, OutreachFactory
from ..matrix.support_supporter import active_supporter
from ..queries import page_queries

pytestmark = pytest.mark.django_db
Outcome = Attempt.Outcome


@pytest.fixture(autouse=True)
def plans(db):
    install_defaults(PlanStep=PlanStep)


@pytest.fixture
def coordinator(personas):
    return personas["coordinator"]


@pytest.fixture
def supporter(personas):
    active_supporter(personas["supporter"])
    return personas["supporter"]


def _open(coordinator, *, days_ago=1, event_type="ld_injury"):
    return services.outreach_open(
        actor=coordinator,
        event_type=event_type,
        event_date=timezone.localdate() - timedelta(days=days_ago),
        description="Canary-outreach: officer hurt in a crash",
    )


def test_opening_refuses_a_future_event_or_no_description(coordinator):
    with pytest.raises(ValidationError) as future:
        services.outreach_open(
            actor=coordinator,
            event_type="ld_injury",
            event_date=timezone.localdate() + timedelta(days=1),
            description="x",
        )
    assert "event_date" in future.value.error_dict
    with pytest.raises(ValidationError) as empty:
        services.outreach_open(
            actor=coordinator,
            event_type="ld_injury",
            event_date=timezone.localdate(),
            description="  ",
        )
    assert "description" in empty.value.error_dict
    assert not Outreach.objects.exists()


def test_open_page_rerenders_with_errors(client_for):
    resp = client_for("coordinator").post(reverse("outreach:open"), {"event_type": "nope"})
    assert resp.status_code == 400
    assert "Nothing was saved." in resp.content.decode()
    assert not Outreach.objects.exists()


def test_each_person_gets_the_plan_of_the_event_type(coordinator, personas):
    # Added at 07:00 on the day of the event: the first step (24 hours after the event's 09:00)
    # is still after the first contact's deadline, so nothing folds. (Later in the day it
    # would: that is the next test's case.)
    seven = timezone.make_aware(datetime.combine(timezone.localdate(), time(7, 0)))
    with time_machine.travel(seven, tick=False):
        outreach = _open(coordinator, days_ago=0)
        person = services.person_add(
            actor=coordinator, outreach=outreach, employee=personas["employee"].employee
        )
    labels = list(person.tasks.values_list("label", flat=True))
    assert labels == [label for label, _ in DEFAULT_PLAN]
    anniversary = person.tasks.get(label="The anniversary")
    assert (anniversary.due_at.date() - outreach.event_date).days == 365


def test_a_late_outreach_folds_past_steps_into_one_first_contact(coordinator, personas):
    outreach = _open(coordinator, days_ago=40)
    person = services.person_add(
        actor=coordinator, outreach=outreach, employee=personas["employee"].employee
    )
    labels = list(person.tasks.values_list("label", flat=True))
    assert labels == ["First contact (within 24 hours)", "Three months", "The anniversary"]
    first = person.tasks.first()
    assert first.due_at - person.added_at == timedelta(hours=24)


def test_the_coordinators_plans_are_data(client_for, coordinator, personas):
    url = reverse("outreach:plans")
    resp = client_for("coordinator").post(
        url, {"event_type": "critical_incident", "label": "Two weeks", "offset_days": 14}
    )
    assert resp.status_code == 302
    person = services.person_add(
        actor=coordinator,
        outreach=_open(coordinator, days_ago=0, event_type="critical_incident"),
        name="Someone",
        how_to_reach="555",
    )
    assert "Two weeks" in person.tasks.values_list("label", flat=True)
    # The BHS manager reads the plans but does not change them; a duplicate day is refused.
    assert client_for("bhs_manager").get(url).status_code == 200
    assert client_for("bhs_manager").post(url, {}).status_code == 403
    dup = client_for("coordinator").post(
        url, {"event_type": "critical_incident", "label": "Again", "offset_days": 14}
    )
    assert dup.status_code == 400 and "already has a step" in dup.content.decode()


def test_people_without_a_record_need_a_way_to_reach_them(coordinator, personas):
    outreach = _open(coordinator)
    with pytest.raises(ValidationError):
        services.person_add(actor=coordinator, outreach=outreach, name="Pat")
    employee = personas["employee"].employee
    services.person_add(actor=coordinator, outreach=outreach, employee=employee)
    with pytest.raises(ValidationError, match="already on this outreach"):
        services.person_add(actor=coordinator, outreach=outreach, employee=employee)
    assert outreach.people.count() == 1


def test_family_members_on_record_are_added_from_the_page(coordinator, personas, client_for):
    employee = personas["employee"].employee
    spouse = FamilyMember.objects.create(employee=employee, relationship="spouse", name="Sam Q")
    outreach = _open(coordinator)
    services.person_add(actor=coordinator, outreach=outreach, employee=employee)
    page = client_for("coordinator").get(
        reverse("outreach:detail", kwargs={"public_id": outreach.public_id})
    )
    assert "Sam Q" in page.content.decode()
    url = reverse("outreach:person_add", kwargs={"public_id": outreach.public_id})
    ok = client_for("coordinator").post(url, {"kind": "family", "family_member": spouse.pk})
    assert ok.status_code == 302
    assert outreach.people.filter(family_member=spouse).exists()
    # Someone else's relative (not a relative of anyone on this outreach): refused.
    other = FamilyMember.objects.create(
        employee=personas["chief"].employee, relationship="child", name="Kid"
    )
    bad = client_for("coordinator").post(url, {"kind": "family", "family_member": other.pk})
    assert bad.status_code == 400
    assert not outreach.people.filter(family_member=other).exists()
    unknown = client_for("coordinator").post(url, {"kind": "employee", "employee": "X0"})
    assert unknown.status_code == 400 and "Nobody matches “X0”" in unknown.content.decode()
    # Found by name, without JavaScript: the search shows the matches and adds nobody.
    officer = personas["chief"].employee
    found = client_for("coordinator").post(
        url, {"kind": "employee", "employee": officer.last_name, "employee_search": "1"}
    )
    assert found.status_code == 400 and f'value="{officer.pk}"' in found.content.decode()
    assert not outreach.people.filter(employee=officer).exists()
    added = client_for("coordinator").post(
        url, {"kind": "employee", "employee": officer.last_name, "employee_id": officer.pk}
    )
    assert added.status_code == 302 and outreach.people.filter(employee=officer).exists()
    again = client_for("coordinator").post(url, {"kind": "employee", "employee": officer.pk})
    assert again.status_code == 400
    again = client_for("coordinator").post(
        url, {"kind": "employee", "employee": officer.employee_number}
    )
    assert again.status_code == 400 and "already on this outreach" in again.content.decode()


def test_assigning_refuses_inactive_and_warns_about_the_chain_of_command(
    coordinator, supporter, personas, client_for
):
    outreach = _open(coordinator)
    person = services.person_add(
        actor=coordinator, outreach=outreach, employee=personas["employee"].employee
    )
    # Not an active supporter.
    with pytest.raises(ValidationError, match="active peer supporter"):
        services.assignment_make(actor=coordinator, person=person, supporter=personas["chief"])
    # The employee's own supervisor, made an active supporter: a warning, a reason required.
    boss = personas["supervisor"]
    from tests.factories import grant

    grant(boss, "peer_supporter")
    boss.forget_roles()
    active_supporter(boss)
    url = reverse("outreach:assign", kwargs={"person_id": person.pk})
    warned = client_for("coordinator").post(url, {"supporter_id": boss.pk})
    assert warned.status_code == 400
    assert "is in this person&#x27;s chain of command" in warned.content.decode()
    assert not Assignment.objects.exists()
    ok = client_for("coordinator").post(
        url, {"supporter_id": boss.pk, "chain_reason": "The only Vietnamese speaker on duty"}
    )
    assert ok.status_code == 302
    assignment = Assignment.objects.get()
    assert assignment.chain_reason == "The only Vietnamese speaker on duty"
    # Reassigning ends the first assignment; the new supporter is told through the outbox.
    services.assignment_make(actor=coordinator, person=person, supporter=supporter)
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.ENDED
    told = Notification.objects.filter(user=supporter, topic=f"outreach:{outreach.pk}")
    assert told.count() == 1 and "Canary" not in told.get().body


def test_suggestions_leave_out_the_chain_of_command(coordinator, supporter, personas, client_for):
    boss = personas["supervisor"]
    from tests.factories import grant

    grant(boss, "peer_supporter")
    boss.forget_roles()
    active_supporter(boss)
    person = services.person_add(
        actor=coordinator, outreach=_open(coordinator), employee=personas["employee"].employee
    )
    page = client_for("coordinator").get(
        reverse("outreach:assign", kwargs={"person_id": person.pk})
    )
    suggested = [p.user for p in page.context["suggestions"]]
    assert supporter in suggested and boss not in suggested


def test_attempts_record_outcomes_and_a_refusal_stops_all_contact(coordinator, supporter):
    outreach = _open(coordinator)
    person = services.person_add(
        actor=coordinator, outreach=outreach, name="Pat Canary", how_to_reach="555"
    )
    assignment = services.assignment_make(actor=coordinator, person=person, supporter=supporter)
    first, second, *rest = person.tasks.all()
    # Not before accepting.
    with pytest.raises(ValidationError, match="accepted this person"):
        services.attempt_record(actor=supporter, task=first, outcome=Outcome.REACHED)
    services.assignment_answer(actor=supporter, assignment=assignment, accept=True)
    services.attempt_record(actor=supporter, task=first, outcome=Outcome.NO_ANSWER)
    first.refresh_from_db()
    assert first.status == FollowUpTask.Status.OPEN
    services.attempt_record(actor=supporter, task=first, outcome=Outcome.REACHED)
    first.refresh_from_db()
    assert first.status == FollowUpTask.Status.DONE
    services.attempt_record(actor=supporter, task=second, outcome=Outcome.DECLINED)
    person.refresh_from_db()
    assert person.declined_at is not None
    assert not person.tasks.filter(status=FollowUpTask.Status.OPEN).exists()
    with pytest.raises(ValidationError, match="not contacted again"):
        services.task_add(
            actor=coordinator,
            person=person,
            label="One more",
            due_at=timezone.now() + timedelta(days=2),
        )
    # Unless they ask.
    services.person_resume(actor=coordinator, person=person)
    services.task_add(
        actor=coordinator, person=person, label="They asked", due_at=timezone.now() + timedelta(1)
    )
    # Audit events carry outcomes, never names.
    for event in AuditEvent.objects.filter(action__startswith="outreach."):
        assert "Canary" not in str(event.details)


def test_follow_ups_cannot_be_planned_in_the_past(coordinator, client_for):
    person = services.person_add(
        actor=coordinator, outreach=_open(coordinator), name="Pat", how_to_reach="555"
    )
    url = reverse("outreach:task_add", kwargs={"person_id": person.pk})
    before = person.tasks.count()
    resp = client_for("coordinator").post(url, {"label": "Late", "due_at": "2020-01-01T10:00"})
    assert resp.status_code == 400
    assert "cannot be planned in the past" in resp.content.decode()
    assert person.tasks.count() == before


def test_closing_needs_every_follow_up_finished_and_a_summary(coordinator, client_for):
    outreach = _open(coordinator)
    person = services.person_add(
        actor=coordinator, outreach=outreach, name="Pat", how_to_reach="555"
    )
    url = reverse("outreach:close", kwargs={"public_id": outreach.public_id})
    resp = client_for("coordinator").post(url, {"summary": "Done."})
    assert resp.status_code == 400 and "still open" in resp.content.decode()
    outreach.refresh_from_db()
    assert outreach.is_open
    for task in person.tasks.all():
        services.task_cancel(actor=coordinator, task=task)
    assert client_for("coordinator").post(url, {"summary": ""}).status_code == 400
    assert client_for("coordinator").post(url, {"summary": "All reached."}).status_code == 302
    outreach.refresh_from_db()
    assert outreach.status == Outreach.Status.CLOSED and outreach.summary == "All reached."


def test_group_sessions_count_attendance_after_they_happen(coordinator):
    outreach = _open(coordinator, event_type="critical_incident")
    later = services.group_session_schedule(
        actor=coordinator,
        outreach=outreach,
        starts_at=timezone.now() + timedelta(days=2),
        place="Room B",
        facilitator="Clinician",
    )
    with pytest.raises(ValidationError, match="after the session has started"):
        services.group_session_attendance(actor=coordinator, session=later, attendance=8)
    later.starts_at = timezone.now() - timedelta(hours=1)
    later.save(update_fields=["starts_at"])
    services.group_session_attendance(actor=coordinator, session=later, attendance=8)
    later.refresh_from_db()
    assert later.attendance == 8


def test_reminders_go_through_the_worker_once(coordinator, supporter):
    outreach = _open(coordinator, days_ago=1)
    person = services.person_add(
        actor=coordinator, outreach=outreach, name="Pat Canary", how_to_reach="555 0199"
    )
    assignment = services.assignment_make(actor=coordinator, person=person, supporter=supporter)
    services.assignment_answer(actor=supporter, assignment=assignment, accept=True)
    deliver_due()
    mail.outbox.clear()
    assert services.outreach_remind() == 1  # the first follow-up falls due within a day
    assert services.outreach_remind() == 0
    assert deliver_due() == {"sent": 1}
    (message,) = mail.outbox
    assert "follow-up is due" in message.subject
    assert "Pat" not in message.body and "0199" not in message.body and "Canary" not in message.body
    from peersupport.outreach.tasks import outreach_tick

    assert outreach_tick.call() == {"reminded": 0, "overdue_raised": 0}


def test_the_board_shows_what_needs_attention(coordinator, supporter, client_for):
    outreach = _open(coordinator, days_ago=3)
    services.person_add(actor=coordinator, outreach=outreach, name="A", how_to_reach="1")
    b = services.person_add(actor=coordinator, outreach=outreach, name="B", how_to_reach="2")
    assignment = services.assignment_make(actor=coordinator, person=b, supporter=supporter)
    services.assignment_answer(actor=supporter, assignment=assignment, accept=True)
    services.attempt_record(actor=supporter, task=b.tasks.first(), outcome=Outcome.REACHED)
    (row,) = selectors.board(now=timezone.now() + timedelta(days=2))
    assert row.people_count == 2
    assert row.unassigned_count == 1
    assert row.not_reached == 1
    assert row.overdue == 1  # A's first contact
    page = client_for("coordinator").get(reverse("outreach:board"))
    assert page.status_code == 200


def test_supporters_see_only_their_own_people(coordinator, supporter, client_for, personas):
    outreach = _open(coordinator)
    person = services.person_add(
        actor=coordinator, outreach=outreach, name="Pat Canary", how_to_reach="555 0199"
    )
    assignment = services.assignment_make(actor=coordinator, person=person, supporter=supporter)
    url = reverse("outreach:assignment", kwargs={"assignment_id": assignment.pk})
    page = client_for("supporter").get(url)
    assert page.status_code == 200 and "Pat Canary" in page.content.decode()
    answer = reverse("outreach:assignment_answer", kwargs={"assignment_id": assignment.pk})
    assert client_for("supporter").post(answer, {"answer": "accept"}).status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.ACCEPTED
    # The coordinator's pages are not the supporter's.
    assert client_for("supporter").get(reverse("outreach:board")).status_code == 403
    # Once the outreach is closed the assignment ends and the page is gone.
    for task in person.tasks.all():
        services.task_cancel(actor=coordinator, task=task)
    services.outreach_close(actor=coordinator, outreach=outreach, summary="Done")
    assert client_for("supporter").get(url).status_code == 404


def test_outreach_pages_query_counts_do_not_grow(coordinator, supporter, client_for):
    def grow(n):
        made = []
        for _ in range(n):
            outreach = _open(coordinator)
            for j in range(3):
                person = services.person_add(
                    actor=coordinator, outreach=outreach, name=f"P{j}", how_to_reach="1"
                )
                a = services.assignment_make(actor=coordinator, person=person, supporter=supporter)
                services.assignment_answer(actor=supporter, assignment=a, accept=True)
                services.attempt_record(
                    actor=supporter, task=person.tasks.first(), outcome=Outcome.REACHED
                )
            made.append(outreach)
        return made

    first = grow(1)[0]
    assignment = Assignment.objects.filter(supporter=supporter).first()
    pages = [
        ("coordinator", reverse("outreach:board")),
        ("coordinator", reverse("outreach:detail", kwargs={"public_id": first.public_id})),
        ("supporter", reverse("outreach:mine")),
        ("supporter", reverse("outreach:assignment", kwargs={"assignment_id": assignment.pk})),
    ]
    few = [page_queries(client_for(name), url) for name, url in pages]
    grow(8)
    for j in range(5):
        services.person_add(actor=coordinator, outreach=first, name=f"More{j}", how_to_reach="1")
    many = [page_queries(client_for(name), url) for name, url in pages]
    assert few == many, list(zip(pages, few, many, strict=True))
    assert AffectedPerson.objects.count() == 32


def test_the_assign_page_does_not_grow_with_the_program(coordinator, supporter, client_for):
    from tests.roster.helpers import make_supporter

    outreach = _open(coordinator, event_type="critical_incident")
    person = services.person_add(
        actor=coordinator, outreach=outreach, name="Somebody", how_to_reach="1"
    )
    url = reverse("outreach:assign", kwargs={"person_id": person.pk})
    few = page_queries(client_for("coordinator"), url)
    unit = supporter.employee.unit
    for i in range(15):
        make_supporter(unit, last=f"Grown{i:02d}", areas=["critical_incidents"])
    page = client_for("coordinator").get(url)
    assert page_queries(client_for("coordinator"), url) == few
    # Six suggested, those who know such events first; anyone else is found by name, not
    # listed: no select of every supporter.
    suggested = page.context["suggestions"]
    assert len(suggested) == 6
    assert all("critical_incidents" in {a.area for a in p.areas.all()} for p in suggested)
    assert "<option" not in page.content.decode()
    found = client_for("coordinator").post(url, {"supporter": "Grown07", "supporter_search": ""})
    assert found.status_code == 400
    assert "Grown07" in found.content.decode() and "Grown08" not in found.content.decode()


def test_the_supporter_pickers_find_only_supporters_and_only_for_the_staff(
    coordinator, supporter, client_for
):
    """The assign form finds active supporters; the responder form any supporter; neither
    anyone who is not one, and nobody but the coordinator and the BHS manager searches them."""
    from tests.roster.helpers import make_supporter

    unit = supporter.employee.unit
    serving = make_supporter(unit, last="Pickable").user
    resting = make_supporter(unit, last="Pickrest", status=SupporterProfile.Status.INACTIVE).user
    EmployeeFactory(last_name="Picknot", unit=unit)
    search = reverse("web:person_search")

    def names(persona, pool):
        query = {"pool": pool, "field": "supporter", "supporter": "Pick"}
        page = client_for(persona).get(search, query)
        return page.status_code, {
            w for w in ("Pickable", "Pickrest", "Picknot") if w in page.content.decode()
        }

    assert names("coordinator", "supporter") == (200, {"Pickable"})
    assert names("coordinator", "any_supporter") == (200, {"Pickable", "Pickrest"})
    assert names("bhs_manager", "supporter") == (200, {"Pickable"})
    for persona in ("employee", "supporter", "sysadmin"):
        assert names(persona, "supporter")[0] in (403, 404)
    outreach = _open(coordinator, event_type="critical_incident")
    person = services.person_add(
        actor=coordinator, outreach=outreach, name="Somebody", how_to_reach="1"
    )
    url = reverse("outreach:assign", kwargs={"person_id": person.pk})
    refused = client_for("coordinator").post(url, {"supporter_id": resting.pk})
    assert refused.status_code == 400
    assert "Choose the supporter from the people found." in refused.content.decode()
    assert not Assignment.objects.filter(person=person).exists()
    assert client_for("coordinator").post(url, {"supporter_id": serving.pk}).status_code == 302


# --- The board's closed outreach, a page at a time -----------------------------------------

BOARD = reverse("outreach:board")


def _closed(coordinator, n: int, *, after: int = 0) -> list[Outreach]:
    """``n`` closed outreaches, the last closed first, each closed a day before the one above."""
    now = timezone.now()
    return [
        OutreachFactory(
            opened_by=coordinator,
            status=Outreach.Status.CLOSED,
            closed_by=coordinator,
            closed_at=now - timedelta(days=1 + i),
            event_date=timezone.localdate() - timedelta(days=30 + i),
        )
        for i in range(after, after + n)
    ]


def _ids(resp) -> list[int]:
    return [o.pk for o in resp.context["closed"]]


def test_closed_outreach_comes_fifty_a_page(coordinator, client_for):
    still_open = _open(coordinator)
    closed = _closed(coordinator, PER_PAGE + 3)
    client = client_for("coordinator")

    first = client.get(BOARD)
    assert _ids(first) == [o.pk for o in closed[:PER_PAGE]]
    assert "Page 1 of 2" in first.content.decode()
    assert 'aria-label="Pages of closed outreach"' in first.content.decode()
    # The open ones are not paged: they stay on the board, as before.
    assert [o.pk for o in first.context["open"]] == [still_open.pk]

    second = client.get(BOARD, {"page": 2})
    assert _ids(second) == [o.pk for o in closed[PER_PAGE:]]
    assert "Page 2 of 2" in second.content.decode()
    assert [o.pk for o in second.context["open"]] == [still_open.pk]


def test_few_closed_outreach_show_no_pages(coordinator, client_for):
    closed = _closed(coordinator, 3)
    resp = client_for("coordinator").get(BOARD)
    assert _ids(resp) == [o.pk for o in closed]
    assert "Pages of closed outreach" not in resp.content.decode()


@pytest.mark.parametrize("page", ["x", "0", "-3", ""])
def test_a_bad_page_of_closed_outreach_shows_the_first(coordinator, client_for, page):
    closed = _closed(coordinator, PER_PAGE + 1)
    resp = client_for("coordinator").get(BOARD, {"page": page})
    assert resp.status_code == 200
    assert resp.context["closed"].number == 1
    assert _ids(resp)[0] == closed[0].pk


def test_the_board_queries_do_not_grow_with_closed_outreach(coordinator, client_for):
    client = client_for("coordinator")

    _open(coordinator)
    _closed(coordinator, PER_PAGE + 1)
    small = page_queries(client, BOARD, warm=True)
    _closed(coordinator, 120 - PER_PAGE - 1, after=PER_PAGE + 1)
    assert page_queries(client, BOARD, warm=True) <= small
