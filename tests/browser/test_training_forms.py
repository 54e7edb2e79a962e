"""Training's staff forms in a real browser, every page checked with axe: a five-day course is
one date to type; a quarterly update is previewed and scheduled as four sessions in one step;
the attendance of every day of a session is one page, everyone present unless changed."""

import datetime
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from peersupport.training.models import Attendance, Course, CourseKind, Enrolment, TrainingSession

from .axe import assert_accessible
from .test_training import _let_the_days_pass, _people, as_persona, submit


def test_schedule_five_days_and_a_quarterly_update_then_take_attendance_on_one_page(
    new_context, sign_in, personas, dept
):
    dana, kim = _people(personas, dept)
    initial = Course.objects.create(
        kind=CourseKind.INITIAL, title="Initial peer support training", hours=40, days=5
    )
    Course.objects.create(kind=CourseKind.UPDATE, title="Quarterly update", hours=8, days=1)
    coord = as_persona(new_context, sign_in, "coordinator")

    # --- A five-day course: the first date, then the following working days are filled.
    coord.goto(f"/training/sessions/new/?course={initial.pk}")
    expect(coord.get_by_role("heading", level=1)).to_have_text("Schedule a session")
    assert_accessible(coord)
    monday = timezone.localdate() + datetime.timedelta(days=30)
    monday -= datetime.timedelta(days=monday.weekday())
    coord.get_by_label("Place:", exact=True).fill("Academy room 2")
    coord.get_by_role("group", name="Day 1").get_by_label("Date").fill(monday.isoformat())
    submit(coord, coord.get_by_role("button", name="Fill the following working days"))
    friday = monday + datetime.timedelta(days=4)
    expect(coord.get_by_role("group", name="Day 5").get_by_label("Date")).to_have_value(
        friday.isoformat()
    )
    assert_accessible(coord)
    submit(coord, coord.get_by_role("button", name="Save", exact=True))
    expect(coord.get_by_role("status")).to_contain_text("The session is scheduled.")
    assert_accessible(coord)
    session = TrainingSession.objects.get(course=initial)
    assert [d.date for d in session.days.all()][-1] == friday
    for person in (dana, kim):
        Enrolment.objects.create(session=session, user=person, status=Enrolment.Status.ENROLLED)

    # --- A quarterly update: previewed, then four sessions at once.
    coord.goto("/training/sessions/new/")
    assert_accessible(coord)
    coord.get_by_label("Course").select_option(label="Quarterly update")
    coord.get_by_label("Place:", exact=True).fill("Academy room 1")
    first = datetime.date(timezone.localdate().year + 1, 1, 14)
    coord.get_by_role("group", name="Day 1").get_by_label("Date").fill(first.isoformat())
    coord.get_by_label("Repeats").select_option(label="Every quarter (every 3 months)")
    coord.get_by_label("How many sessions in all").fill("4")
    submit(coord, coord.get_by_role("button", name="Preview the dates"))
    preview = coord.get_by_role("region", name="The 4 sessions")
    expect(preview).to_contain_text(f"14 October {first.year}")
    assert_accessible(coord)
    assert not TrainingSession.objects.filter(course__kind=CourseKind.UPDATE).exists()
    submit(coord, coord.get_by_role("button", name="Save", exact=True))
    expect(coord.get_by_role("status")).to_contain_text("4 sessions are scheduled.")
    assert_accessible(coord)
    assert TrainingSession.objects.filter(course__kind=CourseKind.UPDATE).count() == 4

    # --- The week passes: the attendance of all five days on one page.
    _let_the_days_pass(session, 40)
    coord.goto(f"/training/sessions/{session.pk}/")
    assert_accessible(coord)
    submit(coord, coord.get_by_role("link", name="Record attendance for all days"))
    expect(coord.get_by_role("heading", level=1)).to_contain_text("Attendance")
    day3 = list(session.days.all())[2]
    kim_day3 = coord.get_by_label(f"Hours for Kim Okafor on {day3.date:%-d %B}")
    expect(kim_day3).to_have_value("8.00")
    assert_accessible(coord)
    kim_day3.fill("0")
    submit(coord, coord.get_by_role("button", name="Save the attendance"))
    expect(coord.get_by_role("status")).to_contain_text("10 recorded, 0 corrected")
    assert_accessible(coord)
    assert sum(a.hours for a in Attendance.objects.filter(user=kim)) == Decimal(32)
    assert sum(a.hours for a in Attendance.objects.filter(user=dana)) == Decimal(40)
