"""Selection in a real browser, every step by the person who takes it: an employee nominates
a colleague, who accepts; the coordinator schedules the panel; the panelist scores; the
coordinator records the decision; the supervisor endorses; the BHS manager recommends; the
Chief approves; the candidate reads the timeline; the coordinator's board and roster. Every
page checked with axe."""

from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from peersupport.roster.models import SupporterProfile
from peersupport.selection.models import Candidacy

from .axe import assert_accessible
from .conftest import open_page


def submit(page, button) -> None:
    with page.expect_navigation():
        button.click()


def as_persona(new_context, sign_in, name):
    context = new_context()
    sign_in(name, into=context)
    return open_page(context)


def test_from_nomination_to_appointment(new_context, sign_in, personas, live_server):
    nominee = personas["committee_member"]
    employee = as_persona(new_context, sign_in, "employee")
    employee.goto(live_server.url + reverse("selection:nominate"))
    assert_accessible(employee)
    # A typed work e-mail is taken as is: here, the employee's own.
    employee.get_by_label("Your colleague's name").fill(personas["employee"].email)
    employee.get_by_label("Why you nominate them").fill("Me, obviously.")
    submit(employee, employee.get_by_role("button", name="Nominate"))
    expect(employee.locator("[data-error-summary]")).to_contain_text(
        "You cannot nominate yourself."
    )
    assert_accessible(employee)
    # The name typed brings the matches (htmx); the colleague is chosen among them.
    employee.get_by_label("Your colleague's name").fill(nominee.employee.last_name)
    employee.get_by_label(nominee.employee.full_name).check()
    employee.get_by_label("Why you nominate them").fill("Steady and trusted on every shift.")
    employee.get_by_label("Do not tell my colleague that I nominated them").check()
    submit(employee, employee.get_by_role("button", name="Nominate"))
    expect(employee.get_by_text("your nomination is recorded")).to_be_visible()
    assert_accessible(employee)
    candidacy = Candidacy.objects.get(nominee=nominee)

    candidate = as_persona(new_context, sign_in, "committee_member")
    candidate.goto(live_server.url + reverse("selection:tasks"))
    expect(candidate.get_by_role("heading", name="You have been nominated")).to_be_visible()
    assert_accessible(candidate)
    submit(candidate, candidate.get_by_role("link", name="Accept or decline the nomination"))
    assert_accessible(candidate)
    candidate.get_by_label("I accept the nomination").check()
    candidate.get_by_label("Why would you like to be a peer supporter?").fill("To give back.")
    submit(candidate, candidate.get_by_role("button", name="Send my answer"))
    expect(candidate.get_by_text("the coordinator will schedule your interview")).to_be_visible()
    assert_accessible(candidate)

    coordinator = as_persona(new_context, sign_in, "coordinator")
    coordinator.goto(live_server.url + reverse("selection:tasks"))
    assert_accessible(coordinator)
    submit(coordinator, coordinator.get_by_role("link", name=candidacy.name))
    assert_accessible(coordinator)
    # In two minutes: scores and the decision come once the interview has taken place.
    when = timezone.localtime() + timedelta(minutes=2)
    coordinator.get_by_label("Date and time").fill(when.strftime("%Y-%m-%dT%H:%M"))
    coordinator.get_by_label("Place").fill("HQ room 4.12")
    coordinator.locator("input[name=panelists]").first.check()
    submit(coordinator, coordinator.get_by_role("button", name="Schedule the interview"))
    expect(coordinator.get_by_text("The interview is scheduled")).to_be_visible()
    assert_accessible(coordinator)

    clock = time_machine.travel(timezone.now() + timedelta(minutes=3), tick=True)
    clock.start()
    try:
        _after_the_interview(new_context, sign_in, live_server, nominee, candidacy, coordinator)
    finally:
        clock.stop()


def _after_the_interview(new_context, sign_in, live_server, nominee, candidacy, coordinator):
    candidate = as_persona(new_context, sign_in, "committee_member")
    panelist = as_persona(new_context, sign_in, "panelist")
    panelist.goto(live_server.url + reverse("selection:tasks"))
    assert_accessible(panelist)
    submit(panelist, panelist.get_by_role("link", name=f"Score {candidacy.name}"))
    assert_accessible(panelist)
    for radio in panelist.locator("input[type=radio][value='4']").all():
        radio.check()
    panelist.get_by_label("Your notes").fill("Calm, clear about confidentiality.")
    submit(panelist, panelist.get_by_role("button", name="Record my scores"))
    expect(panelist.get_by_text("Your scores and notes are recorded.")).to_be_visible()
    assert_accessible(panelist)

    coordinator.goto(live_server.url + reverse("selection:candidacy", args=[candidacy.pk]))
    assert_accessible(coordinator)
    submit(coordinator, coordinator.get_by_role("link", name="Record the panel's decision"))
    assert_accessible(coordinator)
    coordinator.get_by_label("Selected", exact=True).check()
    coordinator.get_by_label("The panel's reasons").fill("Strong across the rubric.")
    submit(coordinator, coordinator.get_by_role("button", name="Record the decision"))
    assert_accessible(coordinator)
    submit(
        coordinator,
        coordinator.get_by_role("button", name="Confirm: record the panel's decision"),
    )
    expect(coordinator.get_by_text("The panel's decision is recorded.")).to_be_visible()
    assert_accessible(coordinator)

    supervisor = as_persona(new_context, sign_in, "supervisor")
    supervisor.goto(live_server.url + reverse("selection:tasks"))
    assert_accessible(supervisor)
    submit(supervisor, supervisor.get_by_role("link", name=candidacy.name))
    assert_accessible(supervisor)
    supervisor.get_by_label("I endorse the request").check()
    supervisor.get_by_label("Comment").fill("Reliable; I support this.")
    submit(supervisor, supervisor.get_by_role("button", name="Give my answer"))
    expect(supervisor.get_by_text("Your answer is recorded.")).to_be_visible()
    assert_accessible(supervisor)

    bhs = as_persona(new_context, sign_in, "bhs_manager")
    bhs.goto(live_server.url + reverse("selection:tasks"))
    assert_accessible(bhs)
    submit(bhs, bhs.get_by_role("link", name=candidacy.name))
    assert_accessible(bhs)
    bhs.get_by_label("Recommend to the Chief").check()
    bhs.get_by_label("Comment").fill("Strong panel, chain support.")
    submit(bhs, bhs.get_by_role("button", name="Record my recommendation"))
    expect(bhs.get_by_text("Your answer, not yet recorded")).to_be_visible()
    assert_accessible(bhs)
    submit(bhs, bhs.get_by_role("button", name="Confirm: record my recommendation"))
    expect(bhs.get_by_text("Your recommendation is recorded.")).to_be_visible()
    assert_accessible(bhs)

    chief = as_persona(new_context, sign_in, "chief")
    chief.goto(live_server.url + reverse("selection:tasks"))
    assert_accessible(chief)
    submit(chief, chief.get_by_role("link", name=candidacy.name))
    assert_accessible(chief)
    chief.get_by_label("Approve: appoint as a peer supporter").check()
    chief.get_by_label("Comment").fill("Approved.")
    expect(chief.get_by_text("Reliable; I support this.").first).to_be_visible()  # evidence
    submit(chief, chief.get_by_role("button", name="Record my decision"))
    assert_accessible(chief)
    submit(chief, chief.get_by_role("button", name="Confirm: record my decision"))
    expect(chief.get_by_text("Your decision is recorded.")).to_be_visible()
    assert_accessible(chief)
    assert SupporterProfile.objects.get(user=nominee).status == "appointed"

    candidate.goto(live_server.url + reverse("selection:mine"))
    expect(candidate.get_by_text("Approved by the Chief: appointed")).to_be_visible()
    expect(candidate.get_by_text("Calm, clear about confidentiality.")).to_have_count(0)
    expect(candidate.get_by_text("1 colleague who asked not to be named")).to_be_visible()
    assert_accessible(candidate)

    coordinator.goto(live_server.url + reverse("selection:board"))
    expect(coordinator.get_by_role("heading", level=1)).to_have_text("Selection board")
    assert_accessible(coordinator)
    coordinator.goto(live_server.url + reverse("selection:rounds"))
    assert_accessible(coordinator)
    coordinator.goto(live_server.url + reverse("roster:manage"))
    assert_accessible(coordinator)
    profile = SupporterProfile.objects.get(user=nominee)
    coordinator.goto(live_server.url + reverse("roster:set_status", args=[profile.pk]))
    expect(coordinator.get_by_text("Initial training is not recorded as complete")).to_be_visible()
    assert_accessible(coordinator)
