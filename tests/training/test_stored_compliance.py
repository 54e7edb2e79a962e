"""The compliance the worker stores (services.compliance_store / compliance_refresh) and the
pages that read it: stored equals computed, writes mark and enqueue one debounced run, a run
overtaken by a write judges again, the board filters, sorts and pages in SQL, and the pages
ask the same number of queries however many supporters and records there are."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from peersupport.roster.models import SupporterProfile
from peersupport.training import selectors, services
from peersupport.training.compliance import Status, year_compliance
from peersupport.training.models import (
    Attendance,
    AttendanceCorrection,
    ComplianceRecord,
    CourseKind,
    Enrolment,
    SessionDay,
    TrainingSession,
)

from ..conftest import signed_in_client
from ..factories import EmployeeFactory, UserFactory
from .helpers import YEAR, _course, attend, record_for, trained_supporter, update_session
from .test_compliance import histories
from .test_outlook import todays

pytestmark = pytest.mark.django_db

REFRESH = "compliance_refresh_task"


def _person(status="active"):
    user = UserFactory()
    EmployeeFactory(user=user, work_email=user.email)
    SupporterProfile.objects.create(user=user, status=status)
    return user


def _credit(user, credits) -> None:
    """Each credit as its own session and day (so any two may share a date), in bulk."""
    given = [c for c in credits if c.hours > 0]
    starts = [
        timezone.make_aware(datetime.datetime.combine(c.on, datetime.time(9, i % 60)))
        for i, c in enumerate(given)
    ]
    sessions = TrainingSession.objects.bulk_create(
        TrainingSession(
            course=_course(c.kind),
            place="Academy",
            capacity=20,
            starts_at=at,
            ends_at=at + datetime.timedelta(hours=1),
        )
        for c, at in zip(given, starts, strict=True)
    )
    days = SessionDay.objects.bulk_create(
        SessionDay(session=s, starts_at=s.starts_at, ends_at=s.ends_at, hours=Decimal(24))
        for s in sessions
    )
    Attendance.objects.bulk_create(
        Attendance(day=d, user=user, hours=c.hours) for d, c in zip(days, given, strict=True)
    )


@pytest.fixture
def person(db):
    return _person()


def _waiting():
    return DBTaskResult.objects.filter(task_path__endswith=REFRESH, status="READY").count()


@hypothesis_settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=histories, today=todays(), back=st.integers(min_value=0, max_value=1))
def test_what_is_stored_is_what_compliance_computes(person, history, today, back):
    """Any history, judged on any day around a quarter's or a year's end, for that year or
    the one before: the stored judgment reads back as exactly ``year_compliance``'s."""
    user = person
    Attendance.objects.filter(user=user).delete()
    _credit(user, history)
    year = today.year - back
    services.compliance_store(year=year, user_ids=[user.pk], today=today)
    stored = ComplianceRecord.objects.get(user=user, year=year)
    # A past year is judged as it closed (selectors.compliance_rows).
    on = today if year == today.year else datetime.date(year + 1, 1, 1)
    expected = year_compliance(
        history,
        year=year,
        today=on,
        initial_hours=settings.TRAINING_INITIAL_HOURS,
        quarter_hours=settings.TRAINING_QUARTER_HOURS,
    )
    assert selectors.stored_result(stored) == expected
    assert (stored.status, stored.severity, stored.stale) == (
        expected.status,
        expected.severity,
        False,
    )


def test_a_write_marks_its_people_and_enqueues_one_debounced_run(personas):
    coordinator = personas["coordinator"]
    first, second = _person(), _person()
    attend(first, datetime.date(2020, 3, 2), 40, kind=CourseKind.INITIAL)
    services.compliance_refresh()
    assert not ComplianceRecord.objects.filter(stale=True).exists()
    assert _waiting() == 0
    judged = record_for(first, timezone.localdate().year).judged_at

    session = TrainingSession.objects.create(
        course=_course(CourseKind.UPDATE),
        place="Academy",
        capacity=20,
        starts_at=timezone.now() - datetime.timedelta(days=2),
        ends_at=timezone.now() - datetime.timedelta(days=2) + datetime.timedelta(hours=8),
    )
    day = SessionDay.objects.create(
        session=session, starts_at=session.starts_at, ends_at=session.ends_at, hours=8
    )
    for person in (first, second):
        Enrolment.objects.create(session=session, user=person, status=Enrolment.Status.ENROLLED)
    before = timezone.now()
    services.attendance_record(actor=coordinator, day=day, hours_by_user={first.pk: Decimal(4)})
    # Marked in the write's transaction, with one run queued, after the debounce.
    this_year = timezone.localdate().year
    assert record_for(first, this_year).stale
    assert not record_for(second, this_year).stale
    assert _waiting() == 1
    run = DBTaskResult.objects.get(task_path__endswith=REFRESH)
    assert run.run_after >= before + services.COMPLIANCE_DEBOUNCE
    # A second write before the run: marked again, no second run.
    services.attendance_record(
        actor=coordinator,
        day=day,
        hours_by_user={first.pk: Decimal(8)},
        reason="Stayed the whole day",
    )
    assert _waiting() == 1
    assert record_for(first, this_year).marks == 2
    # Someone not marked yet: a run of their own (each runs everything marked by then).
    services.attendance_record(actor=coordinator, day=day, hours_by_user={second.pk: Decimal(8)})
    assert _waiting() == 2

    # The board tells the truth meanwhile: the old figures, with their time.
    page = signed_in_board(coordinator)
    assert "being worked out again" in page
    assert "2 rows show the last figures" in page

    done = services.compliance_refresh()
    assert done["overtaken"] == 0
    stored = record_for(first, this_year)
    assert not stored.stale and stored.judged_at > judged
    assert selectors.stored_result(stored) == selectors.person_compliance(first)
    assert "being worked out again" not in signed_in_board(coordinator)


def signed_in_board(user, query=""):
    return signed_in_client(user).get(reverse("training:board") + query).content.decode()


def test_a_run_overtaken_by_a_write_leaves_the_row_marked_and_runs_again(monkeypatch):
    person = trained_supporter(q1=8)
    real = selectors.compliance_rows

    def with_a_write_meanwhile(**kwargs):
        rows = real(**kwargs)
        # Hours change after the run read its marks: what it judged is already old.
        attend(person, datetime.date(YEAR, 5, 15), 8)
        services.compliance_mark(user_ids=[person.pk], from_year=YEAR)
        return rows

    monkeypatch.setattr(selectors, "compliance_rows", with_a_write_meanwhile)
    with time_machine.travel(datetime.datetime(YEAR, 6, 1, 12, tzinfo=datetime.UTC)):
        stored, overtaken = services.compliance_store(
            year=YEAR, user_ids=[person.pk], today=datetime.date(YEAR, 6, 1)
        )
        assert (stored, overtaken) == (0, 1)
        assert record_for(person).stale
        monkeypatch.setattr(selectors, "compliance_rows", real)
        services.compliance_refresh(today=datetime.date(YEAR, 6, 1))
    record = record_for(person)
    assert not record.stale and record.q2_hours == 8


def test_a_quarter_ended_shows_the_last_figures_with_their_time_until_the_worker_runs(
    personas,
):
    coordinator = personas["coordinator"]
    person = trained_supporter(q1=8)
    with time_machine.travel(datetime.datetime(YEAR, 6, 30, 12, tzinfo=datetime.UTC)):
        services.compliance_refresh()
        page = signed_in_board(coordinator)
        assert "being worked out again" not in page and "On track" in page
    with time_machine.travel(datetime.datetime(YEAR, 7, 1, 12, tzinfo=datetime.UTC)):
        # Q2 has ended short; the worker has not run: the page says what it shows and when.
        page = signed_in_board(coordinator)
        assert "as of 30 June 2025" in page and "being worked out again" in page
        services.compliance_review()
        page = signed_in_board(coordinator)
        assert "being worked out again" not in page and "A quarter missed" in page
    assert record_for(person).status == Status.QUARTER_MISSED


def test_the_board_filters_sorts_and_pages_in_sql_with_the_same_queries(personas):
    coordinator = personas["coordinator"]
    url = reverse("training:board")
    client = signed_in_client(coordinator)

    def queries(query=""):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url + query)
        assert response.status_code == 200
        return len(ctx), response.content.decode()

    with time_machine.travel(datetime.datetime(YEAR, 8, 1, 12, tzinfo=datetime.UTC)):
        out = [trained_supporter() for _ in range(2)]  # Q1 and Q2 missed
        on_track = [trained_supporter(q1=8, q2=8)]
        services.compliance_refresh()
        small, _ = queries()
        small_filtered, _ = queries(f"?status={Status.ON_TRACK}&sort=name")
        on_track += [trained_supporter(q1=8, q2=8) for _ in range(54)]
        initial_pending = _person()
        services.compliance_refresh()
        never_judged = _person("appointed")
        large, page = queries()
        assert large == small
        # Most at risk first, 50 a page; the one not judged yet comes last.
        table = page.split("<tbody>")[1]
        assert table.index(out[0].employee.full_name) < table.index("On track")
        assert table.index(out[1].employee.full_name) < table.index("On track")
        everyone = SupporterProfile.objects.count()
        assert f"{everyone} supporters, 1 to 50 shown" in page
        assert never_judged.employee.full_name not in page
        assert queries("?page=2")[0] == small
        last = queries("?page=2")[1]
        assert never_judged.employee.full_name in last and "Not worked out yet" in last
        assert initial_pending.employee.full_name in page + last
        count, filtered = queries(f"?status={Status.ON_TRACK}&sort=name")
        assert count == small_filtered
        assert "55 supporters" in filtered and out[0].employee.full_name not in filtered
        names = sorted(p.employee.full_name for p in on_track)
        assert filtered.index(names[0]) < filtered.index(names[1]) < filtered.index(names[2])
        # Bad input changes nothing and answers 200.
        assert queries("?page=zz&sort=nope&status=bad")[0] >= 1


def test_the_persons_pages_ask_the_same_queries_however_many_records(personas):
    coordinator = signed_in_client(personas["coordinator"])
    person = trained_supporter(q1=8)
    mine = signed_in_client(person)
    urls = [
        (coordinator, reverse("training:transcript", args=[person.pk])),
        (mine, reverse("training:mine")),
        (coordinator, reverse("training:transcript_pdf_for", args=[person.pk])),
        (mine, reverse("training:transcript_pdf")),
    ]

    def counts():
        found = []
        for client, url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            found.append(len(ctx))
        return found

    with time_machine.travel(datetime.datetime(YEAR, 12, 1, 12, tzinfo=datetime.UTC)):
        # A session on offer from the start (with none, the outlook asks nobody's places).
        update_session(datetime.date(YEAR, 12, 10), enrolled=[person])
        small = counts()
        for month in (4, 5, 7, 8, 10, 11):
            attend(person, datetime.date(YEAR, month, 3), 8)
        attend(person, datetime.date(YEAR - 1, 5, 3), 8)
        for attendance in Attendance.objects.filter(user=person)[:3]:
            AttendanceCorrection.objects.create(
                attendance=attendance,
                hours_before=Decimal(0),
                hours_after=attendance.hours,
                reason="Recorded late",
            )
        later = update_session(datetime.date(YEAR, 12, 17), enrolled=[person])
        Enrolment.objects.filter(session=later).update(status=Enrolment.Status.WAITLISTED)
        update_session(datetime.date(YEAR, 12, 18), enrolled=[person])
        assert counts() == small
