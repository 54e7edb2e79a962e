"""An outreach in a real browser, from opening to closing: the coordinator opens it after a
line-of-duty injury, adds the officer and a relative with no record, assigns a supporter (a
warning for the officer's own supervisor; a suggested one with one click), the supporter
accepts and records attempts, the person declines, the coordinator schedules a group session,
counts attendance and closes it. And the board's Remind button for an overdue follow-up.
Every page checked with axe."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from peersupport.outreach.defaults import install_defaults
from peersupport.outreach.models import Assignment, FollowUpTask, Outreach, PlanStep

from ..factories import grant
from ..matrix.support_supporter import active_supporter
from .axe import assert_accessible
from .conftest import open_page


@pytest.fixture(autouse=True)
def plans(personas):
    install_defaults(PlanStep=PlanStep)  # the live server's flush emptied the migration's rows


def submit(page, button) -> None:
    with page.expect_navigation():
        button.click()


def as_persona(new_context, sign_in, name):
    context = new_context()
    sign_in(name, into=context)
    return open_page(context)


def test_outreach_from_opening_to_closing(new_context, sign_in, personas):
    supporter = personas["supporter"]
    active_supporter(supporter)
    boss = personas["supervisor"]
    grant(boss, "peer_supporter")
    active_supporter(boss)
    officer = personas["employee"].employee

    coord = as_persona(new_context, sign_in, "coordinator")
    coord.goto(reverse("outreach:board"))
    expect(coord.get_by_role("heading", level=1)).to_have_text("Outreach")
    assert_accessible(coord)
    submit(coord, coord.get_by_role("link", name="Open an outreach"))
    assert_accessible(coord)
    submit(coord, coord.get_by_role("button", name="Open the outreach"))
    expect(coord.locator("[data-error-summary]")).to_contain_text("Nothing was saved.")
    assert_accessible(coord)
    coord.get_by_label("Line-of-duty injury").check()
    coord.get_by_label("When").fill((timezone.localdate() - timedelta(days=1)).isoformat())
    coord.get_by_label("A short description (protected)").fill("Hurt in a crash during a pursuit.")
    submit(coord, coord.get_by_role("button", name="Open the outreach"))
    expect(coord.get_by_text("Outreach opened. Add the people affected.")).to_be_visible()
    assert_accessible(coord)

    coord.get_by_label("The employee's name").fill(officer.employee_number)
    submit(coord, coord.get_by_role("button", name="Add the employee"))
    expect(coord.get_by_role("heading", name=str(officer), level=3)).to_be_visible()
    assert_accessible(coord)
    coord.locator("#id_name").fill("Robin Canary")
    coord.get_by_label("How to reach them").fill("555-0177 after 6 pm")
    submit(coord, coord.get_by_role("button", name="Add this person"))
    expect(coord.get_by_role("heading", name="Robin Canary", level=3)).to_be_visible()
    assert_accessible(coord)
    outreach = Outreach.objects.get()
    officer_person = outreach.people.get(employee=officer)
    robin = outreach.people.get(employee__isnull=True)

    # The officer's own supervisor: warned, a reason asked for; then a supporter outside it.
    coord.goto(reverse("outreach:assign", kwargs={"person_id": officer_person.pk}))
    assert_accessible(coord)
    # Found by name as it is typed (htmx), chosen from the matches.
    coord.locator("#id_supporter").fill(boss.employee.last_name)
    coord.get_by_role("radio", name=re.compile(re.escape(boss.employee.full_name))).check()
    submit(coord, coord.get_by_role("button", name="Assign", exact=True))
    expect(coord.locator("[data-error-summary]")).to_contain_text(
        "is in this person's chain of command"
    )
    assert_accessible(coord)
    coord.locator("#id_supporter").fill(supporter.employee.last_name)
    coord.get_by_role("radio", name=re.compile(re.escape(supporter.employee.full_name))).check()
    submit(coord, coord.get_by_role("button", name="Assign", exact=True))
    expect(coord.get_by_text("Assigned. The supporter has been told.")).to_be_visible()
    assert_accessible(coord)
    # Robin: a suggested supporter, picked with one click.
    coord.goto(reverse("outreach:assign", kwargs={"person_id": robin.pk}))
    assert_accessible(coord)
    submit(coord, coord.get_by_role("button", name=f"Assign {supporter}", exact=True))
    expect(coord.get_by_text("Assigned. The supporter has been told.")).to_be_visible()
    assert_accessible(coord)

    sup = as_persona(new_context, sign_in, "supporter")
    sup.goto(reverse("outreach:mine"))
    assert_accessible(sup)
    robin_assignment = Assignment.objects.get(person=robin, status="offered")
    sup.goto(reverse("outreach:assignment", kwargs={"assignment_id": robin_assignment.pk}))
    expect(sup.get_by_text("555-0177 after 6 pm")).to_be_visible()
    assert_accessible(sup)
    submit(sup, sup.get_by_role("button", name="Accept"))
    expect(sup.get_by_text("Accepted.")).to_be_visible()
    assert_accessible(sup)
    first = robin.tasks.order_by("due_at").first()
    form = sup.locator(f"form[action$='/follow-ups/{first.pk}/attempt/']")
    form.get_by_label("No answer").check()
    submit(sup, form.get_by_role("button", name="Record"))
    expect(sup.get_by_text("Recorded.")).to_be_visible()
    assert_accessible(sup)
    form = sup.locator(f"form[action$='/follow-ups/{first.pk}/attempt/']")
    form.get_by_label("They declined support").check()
    submit(sup, form.get_by_role("button", name="Record"))
    expect(sup.get_by_text("do not contact them again unless they ask")).to_be_visible()
    assert_accessible(sup)
    assert not robin.tasks.filter(status=FollowUpTask.Status.OPEN).exists()

    # Group session, attendance counted; closing refused while follow-ups are open.
    coord.goto(reverse("outreach:detail", kwargs={"public_id": outreach.public_id}))
    assert_accessible(coord)
    coord.get_by_label("Place").fill("Training room B")
    coord.get_by_label("Led by").fill("BHS clinician")
    submit(coord, coord.get_by_role("button", name="Schedule"))
    expect(coord.get_by_text("Group session scheduled.")).to_be_visible()
    assert_accessible(coord)
    coord.get_by_label("How many came").fill("9")
    submit(coord, coord.get_by_role("button", name="Record"))
    expect(coord.get_by_text("9 came")).to_be_visible()
    assert_accessible(coord)
    coord.get_by_label("Summary (protected)").fill("Both reached or declined.")
    submit(coord, coord.get_by_role("button", name="Close"))
    expect(coord.locator("[data-error-summary]")).to_contain_text("still open")
    assert_accessible(coord)
    FollowUpTask.objects.filter(status=FollowUpTask.Status.OPEN).update(status="cancelled")
    coord.goto(reverse("outreach:detail", kwargs={"public_id": outreach.public_id}))
    assert_accessible(coord)
    coord.get_by_label("Summary (protected)").fill("Both reached or declined.")
    submit(coord, coord.get_by_role("button", name="Close"))
    expect(coord.get_by_text("Outreach closed.")).to_be_visible()
    assert_accessible(coord)
    outreach.refresh_from_db()
    assert outreach.status == Outreach.Status.CLOSED

    coord.goto(reverse("outreach:plans"))
    assert_accessible(coord)


def test_coordinator_reminds_the_supporter_of_an_overdue_follow_up(new_context, sign_in, personas):
    from ..matrix.outreach import assigned

    supporter = personas["supporter"]
    assignment = assigned(supporter, personas["coordinator"])
    task = assignment.person.tasks.order_by("due_at").first()
    FollowUpTask.objects.filter(pk=task.pk).update(due_at=timezone.now() - timedelta(days=3))

    coord = as_persona(new_context, sign_in, "coordinator")
    coord.goto(reverse("outreach:board"))
    expect(coord.get_by_role("heading", name="Overdue follow-ups")).to_be_visible()
    assert_accessible(coord)
    submit(coord, coord.get_by_role("button", name=f"Remind the supporter of {task.label}"))
    expect(coord.get_by_text("The supporter has been reminded.")).to_be_visible()
    expect(coord.get_by_text("reminded today")).to_be_visible()
    assert_accessible(coord)

    # The supporter's page: later follow-ups cannot be marked reached yet, and say from when.
    sup = as_persona(new_context, sign_in, "supporter")
    sup.goto(reverse("outreach:assignment", kwargs={"assignment_id": assignment.pk}))
    expect(sup.get_by_text("can be marked reached from").first).to_be_visible()
    assert_accessible(sup)
