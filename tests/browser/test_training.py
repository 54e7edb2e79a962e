"""Training in a real browser: the coordinator schedules a two-day session, each day with its
own hours; one supporter takes the only place and another joins the waiting list, moving up when
the first place is given back; the days pass; the coordinator records attendance per day,
partial hours included, and corrects a day with a reason; the supporter reads their training
page and downloads the certificate and the transcript; the coordinator sorts and filters the
compliance board, exports the hours and gives the course a calendar address that works without
signing in; the BHS manager reads the board. Every page checked with axe."""

import datetime
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from peersupport.accounts.models import Role
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.roster.models import SupporterProfile
from peersupport.training.models import (
    Attendance,
    AttendanceCorrection,
    Course,
    CourseKind,
    Enrolment,
    SessionDay,
    TrainingSession,
)

from ..factories import EmployeeFactory, UserFactory, grant
from .axe import assert_accessible
from .conftest import open_page


def submit(page, button) -> None:
    with page.expect_navigation():
        button.click()


def as_persona(new_context, sign_in, name):
    context = new_context()
    sign_in(name, into=context)
    return open_page(context)


def fetch(page, link):
    """A download fetched with the page's session (a download is not a page to check)."""
    response = page.request.get(link.get_attribute("href"))
    assert response.ok, response.status
    return response


def _people(personas, dept):
    supporter = personas["supporter"]
    supporter.employee.first_name, supporter.employee.last_name = "Dana", "Reyes"
    supporter.employee.save(update_fields=["first_name", "last_name"])
    other = UserFactory(email="kim.okafor@pd.example.org", display_name="Kim Okafor")
    EmployeeFactory(user=other, unit=dept.squad, first_name="Kim", last_name="Okafor")
    grant(other, Role.PEER_SUPPORTER)
    for user in (supporter, other):
        SupporterProfile.objects.create(user=user, status=SupporterProfile.Status.ACTIVE)
    return supporter, other


def _let_the_days_pass(session, days: int) -> None:
    """Move the session ``days`` into the past, as if the calendar had turned."""
    shift = datetime.timedelta(days=days)
    TrainingSession.objects.filter(pk=session.pk).update(
        starts_at=session.starts_at - shift, ends_at=session.ends_at - shift
    )
    for day in SessionDay.objects.filter(session=session):
        SessionDay.objects.filter(pk=day.pk).update(
            starts_at=day.starts_at - shift, ends_at=day.ends_at - shift
        )


def test_schedule_enrol_attend_correct_and_read_the_records(new_context, sign_in, personas, dept):
    supporter, _kim = _people(personas, dept)
    Course.objects.create(
        kind=CourseKind.WORKSHOP,
        title="Crisis communication workshop",
        description="Listening under pressure.",
        hours=Decimal(12),
        days=2,
    )
    first = timezone.localdate() + datetime.timedelta(days=14)
    second = first + datetime.timedelta(days=1)

    # --- The coordinator schedules a two-day session, each day with its own hours.
    coord = as_persona(new_context, sign_in, "coordinator")
    coord.goto("/training/sessions/")
    expect(coord.get_by_role("heading", level=1)).to_have_text("Training sessions")
    assert_accessible(coord)
    submit(coord, coord.get_by_role("link", name="Schedule a session"))
    expect(coord.get_by_role("heading", level=1)).to_have_text("Schedule a session")
    assert_accessible(coord)
    coord.get_by_label("Course").select_option(label="Crisis communication workshop")
    coord.get_by_label("Place:", exact=True).fill("Academy room 2")
    coord.get_by_label("Places:", exact=True).fill("1")
    day1, day2 = (coord.get_by_role("group", name=f"Day {n}") for n in (1, 2))
    day1.get_by_label("Date").fill(first.isoformat())
    day2.get_by_label("Date").fill(second.isoformat())
    day2.get_by_label("Start").fill("13:00")
    day2.get_by_label("End").fill("12:00")
    day2.get_by_label("Hours credited").fill("4")
    submit(coord, coord.get_by_role("button", name="Save"))
    expect(coord.locator("[data-error-summary]")).to_contain_text("Nothing was saved.")
    expect(day2.get_by_text("The end must be after the start.")).to_be_visible()
    assert_accessible(coord)
    assert not TrainingSession.objects.exists()
    # One more row, for nothing: a spare row without a date is not a day.
    submit(coord, coord.get_by_role("button", name="Add a day"))
    expect(coord.get_by_role("group", name="Day 6")).to_be_visible()
    assert_accessible(coord)
    coord.get_by_role("group", name="Day 2").get_by_label("End").fill("17:00")
    submit(coord, coord.get_by_role("button", name="Save"))
    expect(coord.get_by_role("status")).to_contain_text("The session is scheduled.")
    expect(coord.get_by_role("heading", level=1)).to_have_text("Crisis communication workshop")
    session = TrainingSession.objects.get()
    assert [(d.date, d.hours) for d in session.days.all()] == [
        (first, Decimal(8)),
        (second, Decimal(4)),
    ]
    expect(coord.get_by_role("cell", name="13:00–17:00")).to_be_visible()
    assert_accessible(coord)
    # Kim takes the only place.
    coord.get_by_label("Supporter or candidate").select_option(label="Kim Okafor (active)")
    submit(coord, coord.get_by_role("button", name="Enrol", exact=True))
    expect(coord.get_by_role("status")).to_contain_text("Kim Okafor is enrolled.")
    assert_accessible(coord)

    # --- The supporter finds it in the calendar and joins the waiting list.
    mine = as_persona(new_context, sign_in, "supporter")
    mine.goto(f"/training/calendar/?month={first:%Y-%m}")
    expect(mine.get_by_role("heading", level=1)).to_have_text(f"Training calendar: {first:%B %Y}")
    assert_accessible(mine)
    submit(mine, mine.get_by_role("link", name="08:00 Crisis communication workshop"))
    expect(mine.get_by_text("1 of 1 taken")).to_be_visible()
    assert_accessible(mine)
    submit(mine, mine.get_by_role("button", name="Join the waiting list"))
    expect(mine.get_by_role("status")).to_contain_text("you are on its waiting list")
    expect(mine.get_by_text("You are on the waiting list.")).to_be_visible()
    assert_accessible(mine)

    # Kim gives the place back (through the coordinator): Dana moves up.
    coord.reload()
    assert_accessible(coord)
    submit(coord, coord.get_by_role("link", name="Cancel the place of Kim Okafor"))
    assert_accessible(coord)
    coord.get_by_label("Reason").fill("Kim asked to give the place back.")
    submit(coord, coord.get_by_role("button", name="Cancel the place"))
    expect(coord.get_by_role("status")).to_contain_text("The place is cancelled")
    expect(coord.get_by_role("link", name="Cancel the place of Dana Reyes")).to_be_visible()
    assert_accessible(coord)
    assert Enrolment.objects.get(user=supporter).status == Enrolment.Status.ENROLLED

    # --- The days pass; the coordinator records each day's attendance.
    _let_the_days_pass(session, 20)
    first, second = (d.date for d in session.days.all())
    coord.reload()
    assert_accessible(coord)
    submit(coord, coord.get_by_role("link", name=f"Record attendance for {first:%-d %B}"))
    expect(coord.get_by_role("heading", level=1)).to_contain_text("Attendance")
    expect(coord.get_by_label("Dana Reyes")).to_have_value("8.00")
    assert_accessible(coord)
    submit(coord, coord.get_by_role("button", name="Save the attendance"))
    expect(coord.get_by_role("status")).to_contain_text("1 recorded, 0 corrected")
    assert_accessible(coord)
    submit(coord, coord.get_by_role("link", name=f"Record attendance for {second:%-d %B}"))
    coord.get_by_label("Dana Reyes").fill("2.5")  # left at half past three
    assert_accessible(coord)
    submit(coord, coord.get_by_role("button", name="Save the attendance"))
    expect(coord.get_by_role("status")).to_contain_text("1 recorded, 0 corrected")
    assert_accessible(coord)
    # The sign-out sheet was wrong: a correction needs a reason.
    submit(coord, coord.get_by_role("link", name=f"Record attendance for {second:%-d %B}"))
    expect(coord.get_by_label("Dana Reyes")).to_have_value("2.50")
    assert_accessible(coord)
    coord.get_by_label("Dana Reyes").fill("4")
    submit(coord, coord.get_by_role("button", name="Save the attendance"))
    expect(coord.locator("[data-error-summary]")).to_contain_text(
        "Hours already recorded change: say why."
    )
    expect(coord.get_by_label("Reason for changing hours already recorded")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert_accessible(coord)
    coord.get_by_label("Dana Reyes").fill("4")
    coord.get_by_label("Reason for changing hours already recorded").fill(
        "The sign-out sheet was misread: present all afternoon"
    )
    submit(coord, coord.get_by_role("button", name="Save the attendance"))
    expect(coord.get_by_role("status")).to_contain_text("0 recorded, 1 corrected")
    assert_accessible(coord)
    correction = AttendanceCorrection.objects.get()
    assert (correction.hours_before, correction.hours_after) == (Decimal("2.5"), Decimal(4))
    assert sum(a.hours for a in Attendance.objects.filter(user=supporter)) == Decimal(12)

    # --- The supporter reads their record and downloads the certificate and transcript.
    mine.goto("/training/")
    expect(mine.get_by_role("heading", level=1)).to_have_text("My training")
    entry = mine.get_by_role("region", name="Crisis communication workshop")
    expect(entry).to_contain_text("12 of 12 hours credited · complete")
    expect(entry).to_contain_text("2.50 → 4 hours (The sign-out sheet was misread")
    expect(mine.locator(".training-status")).to_be_visible()
    assert_accessible(mine)
    certificate = fetch(mine, entry.get_by_role("link", name="Certificate of completion (PDF)"))
    assert certificate.headers["content-type"] == "application/pdf"
    assert certificate.headers["content-disposition"] == (
        f'attachment; filename="certificate-{session.pk}-{supporter.pk}.pdf"'
    )
    assert certificate.body().startswith(b"%PDF-")
    transcript = fetch(mine, mine.get_by_role("link", name="My transcript as a PDF"))
    assert transcript.headers["content-type"] == "application/pdf"
    assert transcript.body().startswith(b"%PDF-")

    # --- The coordinator's compliance board: filtered, sorted, exported.
    coord.goto("/training/compliance/")
    expect(coord.get_by_role("heading", level=1)).to_contain_text("Training compliance")
    expect(coord.get_by_text("2 supporters")).to_be_visible()
    assert_accessible(coord)
    coord.get_by_label("Sort").select_option("name")
    coord.get_by_label("Supporter status").select_option("active")
    submit(coord, coord.get_by_role("button", name="Show"))
    names = coord.get_by_role("table").locator("tbody tr td:first-child a")
    expect(names).to_have_text(["Dana Reyes", "Kim Okafor"])
    assert_accessible(coord)
    coord.get_by_label("Supporter status").select_option("inactive")
    submit(coord, coord.get_by_role("button", name="Show"))
    expect(coord.get_by_role("cell", name="Nobody matches.")).to_be_visible()
    assert_accessible(coord)
    csv = fetch(coord, coord.get_by_role("link", name="as CSV")).text()
    assert csv.splitlines()[0].startswith("employee_number,name,course")
    assert "Dana Reyes,Crisis communication workshop,Workshop" in csv
    assert csv.rstrip().endswith("yes")  # the corrected day says so
    coord.goto(f"/training/people/{supporter.pk}/")
    expect(coord.get_by_role("heading", level=1)).to_have_text("Training of Dana Reyes")
    assert_accessible(coord)
    printed = fetch(coord, coord.get_by_role("link", name="Transcript as a PDF"))
    assert printed.body().startswith(b"%PDF-")
    exports = AuditEvent.objects.filter(action=AuditAction.TRAINING_EXPORTED)
    assert exports.count() == 3  # the supporter's transcript, the CSV, the coordinator's print

    # --- A calendar address for the course, which a calendar app follows without signing in.
    coord.goto("/training/courses/")
    assert_accessible(coord)
    submit(coord, coord.get_by_role("link", name="Crisis communication workshop", exact=True))
    assert_accessible(coord)
    submit(coord, coord.get_by_role("button", name="Make a calendar address"))
    address = coord.locator("code.training-feed").inner_text()
    assert_accessible(coord)
    calendar_app = new_context()
    feed = calendar_app.request.get(address)
    assert feed.ok and feed.headers["content-type"].startswith("text/calendar")
    assert feed.text().count("BEGIN:VEVENT") == 2
    assert calendar_app.request.get(address.replace(".ics", "x.ics")).status == 404

    # --- The BHS manager reads the board too.
    bhs = as_persona(new_context, sign_in, "bhs_manager")
    bhs.goto("/training/compliance/?sort=hours")
    expect(bhs.get_by_role("link", name="Dana Reyes")).to_be_visible()
    assert_accessible(bhs)
