"""The compliance pages written without model instances and template loops show what the
templates showed: the board's rows (escaped, with their links and hours), and the hours CSV."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.template import Context, Template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone

from peersupport.roster.models import SupporterProfile
from peersupport.training import selectors, services, views
from peersupport.training.models import (
    Attendance,
    AttendanceCorrection,
    CourseKind,
    Enrolment,
    TrainingSession,
)

from ..conftest import signed_in_client
from ..factories import CourseFactory, EmployeeFactory, TrainingSessionFactory, UserFactory
from .helpers import YEAR, attend, trained_supporter

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert('x')</script> & \"Bob\""


@pytest.mark.parametrize(
    "value", ["0", "0.00", "8", "8.00", "7.5", "7.50", "0.25", "12.34", "40.00", "1234.56"]
)
def test_hours_are_written_as_floatformat_minus_two_writes_them(value):
    assert views._hours(Decimal(value)) == floatformat(Decimal(value), "-2")


def _hostile_supporter():
    user = UserFactory()
    EmployeeFactory(user=user, work_email=user.email, first_name=HOSTILE, preferred_name="")
    SupporterProfile.objects.create(user=user, status="active")
    attend(user, datetime.date(YEAR - 2, 3, 2), 40, kind=CourseKind.INITIAL)
    return user


def test_the_boards_rows_escape_names_link_each_person_and_show_the_stored_figures(personas):
    coordinator = signed_in_client(personas["coordinator"])
    with time_machine.travel(datetime.datetime(YEAR, 8, 1, 12, tzinfo=datetime.UTC)):
        hostile = _hostile_supporter()
        on_track = trained_supporter(q1=8, q2=7)
        services.compliance_refresh()
        never_judged = UserFactory()
        EmployeeFactory(user=never_judged, work_email=never_judged.email)
        SupporterProfile.objects.create(user=never_judged, status="appointed")
        page = coordinator.get(reverse("training:board")).content.decode()
    table = page.split("<tbody>")[1].split("</tbody>")[0]
    assert HOSTILE not in table and "<script>" not in table
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;Bob&quot;" in table
    for user in (hostile, on_track, never_judged):
        assert f'<a href="{reverse("training:transcript", args=[user.pk])}">' in table
    assert "15 of 32" in table  # 8 + 7 hours of the 32 the year asks
    assert "Not worked out yet" in table and "Appointed" in table
    assert table.count("<tr>") == SupporterProfile.objects.count()


def test_a_board_with_nobody_says_so(personas):
    page = signed_in_client(personas["coordinator"]).get(reverse("training:board"))
    assert "Nobody matches." in page.content.decode()


def test_the_boards_rows_carry_what_the_stored_records_hold(personas):
    with time_machine.travel(datetime.datetime(YEAR, 8, 1, 12, tzinfo=datetime.UTC)):
        people = [trained_supporter(q1=8, q2=8), trained_supporter(q1=8), trained_supporter()]
        services.compliance_refresh()
        found = selectors.board(year=YEAR, sort="name")
        by_user = {row.user_id: row for row in found.rows}
        for person in people:
            row = by_user[person.pk]
            assert row.compliance == selectors.person_compliance(person)
            assert row.current and row.name == person.employee.full_name
            assert row.roster_status_label == "Active"


def test_the_hours_csv_has_a_row_per_person_and_day_with_corrections_and_formulas_defused(
    personas,
):
    coordinator = personas["coordinator"]
    person = trained_supporter(q1=8)
    no_employee = UserFactory(display_name="=cmd|' /C calc'!A0")
    attend(no_employee, datetime.date(YEAR, 2, 3), 4)
    attendance = Attendance.objects.get(user=no_employee)
    AttendanceCorrection.objects.create(
        attendance=attendance, hours_before=Decimal(8), hours_after=Decimal(4), reason="Left"
    )
    with time_machine.travel(datetime.datetime(YEAR, 12, 1, 12, tzinfo=datetime.UTC)):
        response = signed_in_client(coordinator).get(reverse("training:export") + f"?year={YEAR}")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "employee_number" and len(rows) == 3
    employee = person.employee
    assert rows[2] == [
        employee.employee_number,
        employee.full_name,
        "update course",
        "Quarterly update",
        f"{YEAR}-02-15",
        "8.00",
        "8.00",
        "Academy",
        "",
    ]
    assert rows[1] == [
        "",
        "'=cmd|' /C calc'!A0",
        "update course",
        "Quarterly update",
        f"{YEAR}-02-03",
        "4.00",
        "4.00",
        "Academy",
        "yes",
    ]


@pytest.mark.parametrize(
    "now",
    [
        ((YEAR, 1, 1), (0, 30)),
        ((YEAR, 3, 31), (23, 30)),
        ((YEAR, 4, 1), (0, 30)),
        ((YEAR, 12, 31), (23, 30)),
        ((YEAR + 1, 1, 1), (0, 30)),
    ],
)
def test_a_persons_pages_judge_their_years_from_the_transcript_as_from_their_hours(now):
    """The transcript holds every hour credited: judged from it, each year is what
    ``person_compliance`` (which reads the hours again) says, across quarter and year ends;
    days at either end of a year count in their own year."""
    person = trained_supporter(q1=8, q2=4)
    for on, hours in [
        (datetime.date(YEAR - 1, 12, 31), 8),
        (datetime.date(YEAR, 1, 1), 4),
        (datetime.date(YEAR, 3, 31), 8),
        (datetime.date(YEAR, 4, 1), 3),
        (datetime.date(YEAR, 12, 31), 8),
        (datetime.date(YEAR + 1, 1, 1), 8),
    ]:
        attend(person, on, hours, at=22 if on.month == 12 else 1)
    attend(person, datetime.date(YEAR, 6, 2), 6, kind=CourseKind.WORKSHOP)
    attend(person, datetime.date(YEAR - 1, 6, 2), 8, kind=CourseKind.INITIAL)
    (day, at) = now
    local = datetime.datetime.combine(
        datetime.date(*day), datetime.time(*at), tzinfo=timezone.get_current_timezone()
    )
    with time_machine.travel(local):
        today = timezone.localdate()
        credits = selectors.transcript_credits(selectors.transcript(person))
        for year in (YEAR - 1, YEAR, YEAR + 1):
            if year <= today.year:
                expected = selectors.person_compliance(person, year=year, today=today)
                assert selectors.judge(credits, year=year, today=today) == expected
        assert selectors.credited_initial_hours(credits) == selectors.initial_hours(person)


def test_the_transcript_cards_escape_what_they_show_and_link_the_certificates(personas):
    coordinator = personas["coordinator"]
    person = trained_supporter(q1=8)
    attend(person, datetime.date(YEAR, 5, 2), 8)
    attendance = Attendance.objects.filter(user=person).order_by("day__starts_at").last()
    TrainingSession.objects.filter(pk=attendance.day.session_id).update(place=HOSTILE)
    AttendanceCorrection.objects.create(
        attendance=attendance, hours_before=Decimal(0), hours_after=Decimal(8), reason=HOSTILE
    )
    session_id = attendance.day.session_id
    escaped = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;Bob&quot;"
    pages = {
        reverse("training:certificate", args=[session_id]): signed_in_client(person).get(
            reverse("training:mine")
        ),
        reverse("training:certificate_for", args=[person.pk, session_id]): signed_in_client(
            coordinator
        ).get(reverse("training:transcript", args=[person.pk])),
    }
    for certificate, response in pages.items():
        page = response.content.decode()
        assert "<script>alert" not in page
        assert f"· {escaped} · 8 of 8 hours credited · complete</p>" in page
        assert f'<a href="{certificate}">Certificate of completion (PDF)</a>' in page
        assert f": 0 → 8 hours ({escaped})</li>" in page
        assert page.count('class="card training-entry"') == 3


def test_a_transcript_with_nothing_in_it_says_so(personas):
    person = UserFactory()
    EmployeeFactory(user=person, work_email=person.email)
    SupporterProfile.objects.create(user=person, status="appointed")
    page = signed_in_client(personas["coordinator"]).get(
        reverse("training:transcript", args=[person.pk])
    )
    assert "No training recorded yet." in page.content.decode()


def test_the_transcript_pdf_lists_each_day_escaped(personas, monkeypatch):
    """The PDF's HTML (what WeasyPrint lays out): each session with its days, escaped."""
    import peersupport.web.pdf as pdf

    made = []
    real = pdf.render_to_string
    monkeypatch.setattr(
        pdf, "render_to_string", lambda *a, **k: made.append(real(*a, **k)) or made[-1]
    )
    person = trained_supporter(q1=8)
    attend(person, datetime.date(YEAR, 5, 2), 8)
    attendance = Attendance.objects.filter(user=person).order_by("day__starts_at").last()
    TrainingSession.objects.filter(pk=attendance.day.session_id).update(place=HOSTILE)
    AttendanceCorrection.objects.create(
        attendance=attendance, hours_before=Decimal(0), hours_after=Decimal(8), reason=HOSTILE
    )
    escaped = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;Bob&quot;"
    assert signed_in_client(person).get(reverse("training:transcript_pdf")).status_code == 200
    (html,) = made
    assert "<script>alert" not in html
    assert (
        f"Quarterly update, 2 May {YEAR}, at {escaped}. Hours credited: 8 of 8 (complete)." in html
    )
    assert f"<tr><td>Friday 2 May {YEAR}</td><td>8</td><td>8</td></tr>" in html
    assert f": 0 → 8 hours ({escaped})</li>" in html
    assert html.count("<h3>") == 3


@pytest.mark.parametrize(
    "cells",
    [
        ("a", "b"),
        ("", ""),
        ('say "hi"', "a,b"),
        ("line\nbreak", "cr\rreturn"),
        (" spaced ", "tab\there"),
        ("'=1+2", "é ü"),
    ],
)
def test_the_hours_csv_quotes_its_cells_as_the_csv_module_does(cells):
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    assert selectors._csv_fields(*cells) == out.getvalue()


def test_the_hours_csv_reads_back_names_and_places_with_commas_quotes_and_line_breaks(personas):
    awkward = 'O"Brien, Pat\nthe second'
    user = UserFactory(display_name=awkward)
    day = datetime.date(YEAR, 5, 6)
    attend(user, day, 6)
    TrainingSession.objects.update(place='Hall "B", floor 2')
    with time_machine.travel(datetime.datetime(YEAR, 12, 1, 12, tzinfo=datetime.UTC)):
        response = signed_in_client(personas["bhs_manager"]).get(
            reverse("training:export") + f"?year={YEAR}"
        )
    rows = list(csv.reader(io.StringIO(response.content.decode(), newline="")))
    assert rows[1] == [
        "",
        awkward,
        "update course",
        "Quarterly update",
        day.isoformat(),
        "6.00",
        "6.00",
        'Hall "B", floor 2',
        "",
    ]
    assert len(rows) == 2


LATE = datetime.time(23, 30)
_SESSION_ROWS = Template(
    """{% for s in upcoming %}<tr><td><a href="{% url 'training:session' s.pk %}">"""
    """{{ s.title }}</a>{% if s.is_cancelled %} (cancelled){% endif %}</td>"""
    """<td>{{ s.starts_at|date:"j M Y" }}"""
    """{% if s.last_date != s.first_date %} – {{ s.ends_at|date:"j M Y" }}{% endif %}</td>"""
    """<td>{{ s.place }}</td><td>{{ s.enrolled }} of {{ s.capacity }}{% if s.waiting %}, """
    """{{ s.waiting }} waiting{% endif %}</td></tr>{% endfor %}"""
    """{% for s in past %}<li><a href="{% url 'training:session' s.pk %}">{{ s.course }}</a>, """
    """{{ s.starts_at|date:"j M Y" }}{% if s.is_cancelled %} (cancelled){% endif %}</li>"""
    """{% endfor %}"""
)


def test_the_sessions_page_writes_its_rows_as_the_template_loops_did(personas):
    """The sessions written in Python (views._upcoming_row, _past_item) are what the template
    loops wrote: hostile titles and places escaped, cancelled ones marked, a session over
    several days with its last day, late evening sessions on their local day."""
    hostile = CourseFactory(title=HOSTILE)
    now = timezone.now()
    late = timezone.make_aware(datetime.datetime.combine(datetime.date(YEAR + 5, 3, 9), LATE))
    coming = [
        TrainingSessionFactory(course=hostile, place=HOSTILE, capacity=3),
        TrainingSessionFactory(
            starts_at=now + datetime.timedelta(days=3),
            ends_at=now + datetime.timedelta(days=5),
            status=TrainingSession.Status.CANCELLED,
            cancelled_at=now,
            cancel_reason="Snow",
        ),
        TrainingSessionFactory(
            starts_at=late,
            ends_at=late + datetime.timedelta(hours=1),
        ),
    ]
    Enrolment.objects.create(session=coming[0], user=UserFactory())
    Enrolment.objects.create(
        session=coming[0], user=UserFactory(), status=Enrolment.Status.WAITLISTED
    )
    TrainingSessionFactory(course=hostile, starts_at=now - datetime.timedelta(days=3))
    TrainingSessionFactory(
        starts_at=now - datetime.timedelta(days=40),
        status=TrainingSession.Status.CANCELLED,
        cancelled_at=now,
        cancel_reason="Flu",
    )
    upcoming = selectors.sessions_upcoming()
    expected_upcoming = [
        {
            "pk": s.pk,
            "title": s.title,
            "is_cancelled": s.is_cancelled,
            "starts_at": s.starts_at,
            "ends_at": s.ends_at,
            "first_date": timezone.localdate(s.starts_at),
            "last_date": timezone.localdate(s.ends_at),
            "place": s.place,
            "enrolled": s.enrolled,
            "capacity": s.capacity,
            "waiting": s.waiting,
        }
        for s in upcoming
    ]
    past = list(selectors.sessions_past())
    expected = _SESSION_ROWS.render(Context({"upcoming": expected_upcoming, "past": past}))
    written = "".join(map(views._upcoming_row, upcoming)) + "".join(map(views._past_item, past))
    assert written == expected
    assert len(upcoming) == 3 and len(past) == 2
    assert "(cancelled)" in written and " – " in written and "<script>" not in written
    page = signed_in_client(personas["supporter"]).get(reverse("training:sessions"))
    assert views._upcoming_row(upcoming[0]) in page.content.decode()


def test_the_boards_queries_kept_per_process_are_run_afresh_each_time(personas):
    """The board's queries are built once per filter and quarter (selectors._board_queries),
    never their results: a supporter judged since shows on the next reading, on every page."""
    with time_machine.travel(datetime.datetime(YEAR, 8, 1, 12, tzinfo=datetime.UTC)):
        trained_supporter(q1=8)
        services.compliance_refresh()
        before = selectors.board(year=YEAR, sort="name")
        added = trained_supporter(q1=8, q2=8)
        services.compliance_refresh()
        after = selectors.board(year=YEAR, sort="name")
        assert after.page.paginator.count == before.page.paginator.count + 1
        assert added.pk in {row.user_id for row in after.rows}
        assert sum(after.counts.values()) == sum(before.counts.values()) + 1
        past_the_end = selectors.board(year=YEAR, sort="name", page="99")
        assert past_the_end.page.number == 1 and past_the_end.rows == after.rows
        assert selectors.board(year=YEAR, sort="name", page="x").page.number == 1
