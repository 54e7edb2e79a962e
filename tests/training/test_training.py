"""Training: the interface the selection pipeline reads, services, compliance and pages."""

import contextvars
import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from peersupport.training.models import (
    Attendance,
    Course,
    CourseKind,
    SessionDay,
    TrainingSession,
)
from peersupport.training.selectors import initial_training_complete

from ..factories import UserFactory
from ..queries import page_queries

pytestmark = pytest.mark.django_db


def _initial_session(days=5, *, start=None):
    course, _ = Course.objects.get_or_create(
        title="Initial peer support training",
        defaults={"kind": CourseKind.INITIAL, "hours": Decimal(40), "days": 5},
    )
    start = start or timezone.now() - datetime.timedelta(days=30)
    session = TrainingSession.objects.create(
        course=course,
        place="Academy",
        capacity=20,
        starts_at=start,
        ends_at=start + datetime.timedelta(days=days - 1, hours=8),
    )
    return [
        SessionDay.objects.create(
            session=session,
            starts_at=start + datetime.timedelta(days=i),
            ends_at=start + datetime.timedelta(days=i, hours=8),
            hours=Decimal(8),
        )
        for i in range(days)
    ]


def test_initial_training_complete_needs_the_full_hours():
    user = UserFactory()
    assert initial_training_complete(user) is False
    days = _initial_session()
    for day in days[:4]:
        Attendance.objects.create(day=day, user=user, hours=Decimal(8))
    Attendance.objects.create(day=days[4], user=user, hours=Decimal("7.5"))
    assert initial_training_complete(user) is False
    # Half an hour made up in another initial session.
    later = _initial_session(days=1, start=timezone.now() - datetime.timedelta(days=3))
    Attendance.objects.create(day=later[0], user=user, hours=Decimal("0.5"))
    assert initial_training_complete(user) is True
    assert initial_training_complete(UserFactory()) is False


# --- Services, bad input, the worker, pages -------------------------------------------------

from django.core.exceptions import ValidationError  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from peersupport.accounts.models import Role  # noqa: E402
from peersupport.audit.models import AuditAction, AuditEvent  # noqa: E402
from peersupport.notifications.models import Notification  # noqa: E402
from peersupport.roster.models import SupporterProfile  # noqa: E402
from peersupport.training import services  # noqa: E402
from peersupport.training.compliance import Status  # noqa: E402
from peersupport.training.models import AttendanceCorrection, Enrolment  # noqa: E402
from peersupport.web.pagination import PER_PAGE  # noqa: E402

from ..factories import (  # noqa: E402
    CourseFactory,
    EmployeeFactory,
    TrainingSessionFactory,
    grant,
)
from ..matrix.training import make_session  # noqa: E402


def _supporter(status="active"):
    user = UserFactory()
    EmployeeFactory(user=user, work_email=user.email)
    SupporterProfile.objects.create(user=user, status=status)
    return user


def test_full_session_goes_to_the_waiting_list_and_a_cancellation_moves_it_up(personas):
    coordinator = personas["coordinator"]
    session = make_session(days_from_now=5)
    session.capacity = 1
    session.save(update_fields=["capacity"])
    first, second = _supporter(), _supporter("candidate")
    a = services.enrolment_add(actor=first, session=session, user=first)
    b = services.enrolment_add(actor=coordinator, session=session, user=second)
    assert (a.status, b.status) == (Enrolment.Status.ENROLLED, Enrolment.Status.WAITLISTED)
    services.enrolment_cancel(actor=first, enrolment=a)
    b.refresh_from_db()
    assert b.status == Enrolment.Status.ENROLLED
    assert Notification.objects.filter(user=second, key__startswith="training:promoted").exists()


def test_bad_enrolments_are_refused(personas):
    coordinator = personas["coordinator"]
    session = make_session(days_from_now=5)
    with pytest.raises(ValidationError, match="peer supporters and candidates"):
        services.enrolment_add(actor=coordinator, session=session, user=personas["employee"])
    person = _supporter()
    services.enrolment_add(actor=person, session=session, user=person)
    overlapping = make_session(days_from_now=5)
    with pytest.raises(ValidationError, match="overlaps"):
        services.enrolment_add(actor=person, session=overlapping, user=person)
    with pytest.raises(ValidationError, match="Only the program coordinator"):
        services.enrolment_add(actor=person, session=overlapping, user=_supporter())
    over = make_session(days_from_now=-3)
    with pytest.raises(ValidationError, match="over"):
        services.enrolment_add(actor=coordinator, session=over, user=_supporter())


def test_attendance_refuses_the_future_and_hours_beyond_the_day(personas):
    coordinator = personas["coordinator"]
    person = _supporter()
    future = make_session(days_from_now=3)
    services.enrolment_add(actor=coordinator, session=future, user=person)
    with pytest.raises(ValidationError, match="not happened yet"):
        services.attendance_record(
            actor=coordinator, day=future.days.get(), hours_by_user={person.pk: Decimal(8)}
        )
    past = make_session(days_from_now=-1)
    Enrolment.objects.create(session=past, user=person, status=Enrolment.Status.ENROLLED)
    day = past.days.get()
    with pytest.raises(ValidationError) as refused:
        services.attendance_record(
            actor=coordinator, day=day, hours_by_user={person.pk: Decimal(9)}
        )
    assert "length of this day" in str(refused.value)
    stranger = _supporter()
    with pytest.raises(ValidationError, match="Not enrolled"):
        services.attendance_record(
            actor=coordinator, day=day, hours_by_user={stranger.pk: Decimal(8)}
        )
    with pytest.raises(ValidationError, match="instructor"):
        services.attendance_record(actor=person, day=day, hours_by_user={person.pk: Decimal(8)})


def test_partial_hours_and_audited_corrections(personas):
    coordinator = personas["coordinator"]
    person = _supporter()
    past = make_session(days_from_now=-1)
    Enrolment.objects.create(session=past, user=person, status=Enrolment.Status.ENROLLED)
    day = past.days.get()
    assert services.attendance_record(
        actor=coordinator, day=day, hours_by_user={person.pk: Decimal("5.5")}
    ) == (1, 0)
    with pytest.raises(ValidationError, match="say why"):
        services.attendance_record(
            actor=coordinator, day=day, hours_by_user={person.pk: Decimal(8)}
        )
    services.attendance_record(
        actor=coordinator,
        day=day,
        hours_by_user={person.pk: Decimal(8)},
        reason="Stayed for the afternoon after all",
    )
    correction = AttendanceCorrection.objects.get()
    assert (correction.hours_before, correction.hours_after) == (Decimal("5.5"), Decimal(8))
    assert AuditEvent.objects.filter(action=AuditAction.TRAINING_ATTENDANCE_CORRECTED).exists()


@pytest.mark.django_db(transaction=True)
def test_two_first_saves_of_a_day_at_once_give_one_record_and_a_clear_refusal(personas):
    """Two people record the same day at the same moment on two connections: the day is
    locked, so the second waits, finds the first's hours and is asked for a reason, instead of
    failing on the unique constraint (a 500)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database for parallel connections")
    import threading

    from django.db import connections

    coordinator = personas["coordinator"]
    person = _supporter()
    past = make_session(days_from_now=-1)
    Enrolment.objects.create(session=past, user=person, status=Enrolment.Status.ENROLLED)
    day = past.days.get()
    start = threading.Barrier(2)
    outcomes = []

    def save(hours):
        try:
            start.wait()
            services.attendance_record(
                actor=coordinator, day=day, hours_by_user={person.pk: Decimal(hours)}
            )
            outcomes.append("recorded")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connections.close_all()

    # Each thread in a copy of this context: the test's agency (tests/conftest.py).
    threads = [
        threading.Thread(target=contextvars.copy_context().run, args=(save, h)) for h in ("4", "6")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["Hours already recorded change: say why.", "recorded"]
    assert Attendance.objects.filter(day=day).count() == 1


def _lapsed_supporter():
    """Trained two years ago and no update since: out of compliance from July on."""
    person = _supporter()
    for day in _initial_session(start=timezone.now() - datetime.timedelta(days=800)):
        Attendance.objects.create(day=day, user=person, hours=Decimal(8))
    return person


def test_the_tick_flags_tells_the_coordinator_once(personas, settings):
    person = _lapsed_supporter()
    today = datetime.date(timezone.localdate().year, 11, 20)
    first = services.compliance_review(today=today)
    assert first["flagged"] == 1
    assert services.compliance_review(today=today)["flagged"] == 0
    coordinator = personas["coordinator"]
    assert (
        Notification.objects.filter(user=coordinator, key__startswith="training:out:").count() == 1
    )
    assert Notification.objects.filter(user=person, subject__contains="out of").exists()
    person.supporter_profile.refresh_from_db()
    assert person.supporter_profile.status == "active"


def test_the_tick_can_set_inactive_with_a_reason(personas, settings):
    settings.TRAINING_NONCOMPLIANCE_ACTION = "inactive"
    person = _lapsed_supporter()
    services.compliance_review(today=datetime.date(timezone.localdate().year, 11, 20))
    profile = SupporterProfile.objects.get(user=person)
    assert profile.status == "inactive"
    assert "training compliance" in profile.status_reason


def test_reminders_before_a_session_are_sent_once(personas):
    person = _supporter()
    session = make_session(days_from_now=2)
    services.enrolment_add(actor=person, session=session, user=person)
    assert services.sessions_remind() == 1
    assert services.sessions_remind() == 0


def test_the_feed_address_works_until_reset(client, personas):
    person = _supporter()
    session = make_session(days_from_now=4)
    services.enrolment_add(actor=person, session=session, user=person)
    token = services.feed_reset(actor=person)
    url = reverse("training:feed", kwargs={"token": token})
    body = client.get(url).content.decode()
    assert "BEGIN:VEVENT" in body and "Matrix update course" in body
    # The kernel's writer: the UIDs the feed always had, local times in the department's zone.
    day = session.days.get()
    assert f"UID:training-day-{day.pk}@" in body
    assert f"DTSTART;TZID={settings.TIME_ZONE}:" in body and "BEGIN:VTIMEZONE" in body
    services.feed_reset(actor=person)
    assert client.get(url).status_code == 404


def test_my_page_shows_status_and_forecast(client_for, personas):
    supporter = personas["supporter"]
    SupporterProfile.objects.create(user=supporter, status="active")
    for day in _initial_session(start=timezone.now() - datetime.timedelta(days=800)):
        Attendance.objects.create(day=day, user=supporter, hours=Decimal(8))
    page = client_for("supporter").get(reverse("training:mine")).content.decode()
    assert "This year" in page and "Initial training: complete" in page


def _board_data(n):
    for _ in range(n):
        person = _supporter()
        session = make_session(days_from_now=-400 - _ * 3)
        Enrolment.objects.create(session=session, user=person, status=Enrolment.Status.ENROLLED)
        Attendance.objects.create(day=session.days.get(), user=person, hours=Decimal(8))


def test_training_pages_query_counts_do_not_grow(client_for, personas):
    coordinator = client_for("coordinator")
    urls = [
        reverse("training:board"),
        reverse("training:sessions"),
        reverse("training:calendar"),
        reverse("training:export"),
    ]

    def counts():
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert coordinator.get(url).status_code == 200
            result.append(len(ctx))
        return result

    _board_data(3)
    small = counts()
    _board_data(12)
    assert counts() == small


def test_demo_has_a_mix_of_compliant_and_lapsing_supporters(db):
    from django.core.management import call_command

    call_command("demo_department", employees=300, verbosity=0)
    from peersupport.training.selectors import compliance_rows

    rows = compliance_rows(year=timezone.localdate().year - 1)
    statuses = {r.compliance.status for r in rows}
    assert Status.ON_TRACK in statuses and Status.OUT_OF_COMPLIANCE in statuses
    on_track = sum(r.compliance.status == Status.ON_TRACK for r in rows)
    assert on_track > len(rows) / 2
    assert grant  # the factories module is shared
    assert Role.COORDINATOR


# --- The session form: each day its own date and hours ----------------------------------------


def _session_post(course, rows, **extra):
    data = {
        "course": course.pk,
        "place": "Academy room 2",
        "capacity": 12,
        "instructor": "",
        "instructor_name": "",
        "notes": "",
        "days-TOTAL_FORMS": len(rows),
        "days-INITIAL_FORMS": 0,
        "days-MIN_NUM_FORMS": 0,
        "days-MAX_NUM_FORMS": 30,
    }
    for i, (date, start, end, hours) in enumerate(rows):
        data |= {
            f"days-{i}-date": date,
            f"days-{i}-start_time": start,
            f"days-{i}-end_time": end,
            f"days-{i}-hours": hours,
        }
    return data | extra


def test_the_session_form_takes_each_days_date_times_and_hours(client_for):
    course = Course.objects.create(
        title="Initial peer support training", kind=CourseKind.INITIAL, hours=40, days=5
    )
    coordinator = client_for("coordinator")
    page = coordinator.get(reverse("training:session_new") + f"?course={course.pk}")
    assert page.content.decode().count("<legend>Day ") == 5
    monday = timezone.localdate() + datetime.timedelta(days=30)
    rows = [
        (monday.isoformat(), "08:00", "17:00", "8"),
        ((monday + datetime.timedelta(days=2)).isoformat(), "13:00", "17:30", "4.5"),
        ("", "08:00", "17:00", "8"),  # a spare row: no date, no day
    ]
    response = coordinator.post(reverse("training:session_new"), _session_post(course, rows))
    assert response.status_code == 302
    session = TrainingSession.objects.get()
    days = list(session.days.all())
    assert [d.date for d in days] == [monday, monday + datetime.timedelta(days=2)]
    assert [d.hours for d in days] == [Decimal(8), Decimal("4.5")]
    assert timezone.localtime(days[1].starts_at).time() == datetime.time(13)

    # The edit page shows the days as they are, with one spare row; "Add a day" adds another.
    edit = reverse("training:session_edit", args=[session.pk])
    assert coordinator.get(edit).content.decode().count("<legend>Day ") == 3
    more = coordinator.post(edit, _session_post(course, rows, add_day="1"))
    assert more.status_code == 200 and more.content.decode().count("<legend>Day ") == 4
    assert session.days.count() == 2


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "Give the date of at least one day."),
        ([("2031-03-03", "17:00", "09:00", "8")], "The end must be after the start."),
        ([("2031-03-03", "09:00", "", "8")], "Give the end."),
        ([("2031-03-03", "09:00", "12:00", "8")], "at most the day&#x27;s length (3 h)"),
        ([("2031-02-30", "09:00", "17:00", "8")], "Enter a valid date."),
        ([("2031-03-03", "09:00", "17:00", "lots")], "Enter a number."),
        ([("2031-03-03", "09:00", "17:00", "999")], "less than or equal to 24"),
        (
            [("2031-03-03", "09:00", "17:00", "8"), ("2031-03-03", "10:00", "12:00", "2")],
            "is given twice",
        ),
    ],
)
def test_bad_days_are_refused_with_a_clear_message(client_for, rows, message):
    course = Course.objects.create(title="Update", kind=CourseKind.UPDATE, hours=8)
    response = client_for("coordinator").post(
        reverse("training:session_new"), _session_post(course, rows)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not TrainingSession.objects.exists()


def test_a_tampered_day_formset_is_a_400_not_a_500(client_for):
    course = Course.objects.create(title="Update", kind=CourseKind.UPDATE, hours=8)
    coordinator = client_for("coordinator")
    for total in ("", "lots", "9999"):
        data = _session_post(course, [("2031-03-03", "09:00", "17:00", "8")])
        data["days-TOTAL_FORMS"] = total
        assert coordinator.post(reverse("training:session_new"), data).status_code == 400
        assert coordinator.post(
            reverse("training:session_new"), data | {"add_day": "1"}
        ).status_code in (200, 400)
    assert not TrainingSession.objects.exists()


# --- The course's secret calendar address, the transcript PDF ---------------------------------


def test_a_course_feed_is_public_by_its_token_until_reset(client, client_for, personas):
    session = make_session(days_from_now=5)
    course = session.course
    coordinator = client_for("coordinator")
    page = coordinator.post(reverse("training:course_feed_reset", args=[course.pk]))
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    token = page.context["feed_url"].rsplit("/", 1)[1].removesuffix(".ics")
    stored = course.feed.token_hash
    assert token not in stored and stored == services.feed_token_hash(token)
    url = reverse("training:course_feed_public", args=[token])
    feed = client.get(url)
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    assert feed.content.decode().count("BEGIN:VEVENT") == 1
    assert AuditEvent.objects.filter(
        action=AuditAction.TRAINING_FEED_RESET, target_id=str(course.pk)
    ).exists()
    # Reset: the old address stops working; nobody else may reset it.
    coordinator.post(reverse("training:course_feed_reset", args=[course.pk]))
    assert client.get(url).status_code == 404
    assert client.get(reverse("training:course_feed_public", args=["nope"])).status_code == 404
    with pytest.raises(ValidationError):
        services.course_feed_reset(actor=personas["supporter"], course=course)


def test_the_transcript_pdf_is_audited_like_the_export(client_for, personas):
    from ..matrix.training import completed_session

    supporter = personas["supporter"]
    SupporterProfile.objects.create(user=supporter, status=SupporterProfile.Status.ACTIVE)
    completed_session(supporter)
    own = client_for("supporter").get(reverse("training:transcript_pdf"))
    assert own.status_code == 200 and own.content.startswith(b"%PDF-")
    assert own["Content-Type"] == "application/pdf" and "no-store" in own["Cache-Control"]
    theirs = client_for("bhs_manager").get(
        reverse("training:transcript_pdf_for", args=[supporter.pk])
    )
    assert theirs.status_code == 200 and theirs.content.startswith(b"%PDF-")
    events = AuditEvent.objects.filter(action=AuditAction.TRAINING_EXPORTED).order_by("pk")
    assert [(e.actor_id, e.details["transcript_of"]) for e in events] == [
        (supporter.pk, supporter.pk),
        (personas["bhs_manager"].pk, supporter.pk),
    ]
    outsider = client_for("supporter").get(
        reverse("training:transcript_pdf_for", args=[supporter.pk])
    )
    assert outsider.status_code == 403
    with pytest.raises(ValidationError):
        services.transcript_export(
            actor=personas["supporter"], user=personas["coordinator"], sessions=0
        )


# --- The sessions page: past sessions a page at a time --------------------------------------

SESSIONS = reverse("training:sessions")


def _past_sessions(n: int, *, after: int = 0) -> list:
    """``n`` sessions already held, newest first, each a day before the one listed above it."""
    course = CourseFactory(title="Held course")
    by = UserFactory()
    return [
        TrainingSessionFactory(
            course=course, created_by=by, starts_at=timezone.now() - datetime.timedelta(days=2 + i)
        )
        for i in range(after, after + n)
    ]


def test_past_sessions_come_fifty_a_page(client_for):
    coming = TrainingSessionFactory()
    held = _past_sessions(PER_PAGE + 3)
    client = client_for("coordinator")

    first = client.get(SESSIONS)
    assert [s.pk for s in first.context["past"]] == [s.pk for s in held[:PER_PAGE]]
    assert "Page 1 of 2" in first.content.decode()
    assert 'aria-label="Pages of past sessions"' in first.content.decode()
    # What is coming up is not paged: it is on the first screen, as before.
    assert [s.pk for s in first.context["upcoming"]] == [coming.pk]

    second = client.get(SESSIONS, {"page": 2})
    assert [s.pk for s in second.context["past"]] == [s.pk for s in held[PER_PAGE:]]
    assert "Page 2 of 2" in second.content.decode()


@pytest.mark.parametrize("page", ["x", "0", "-3", ""])
def test_a_bad_page_of_past_sessions_shows_the_first(client_for, page):
    held = _past_sessions(PER_PAGE + 1)
    resp = client_for("coordinator").get(SESSIONS, {"page": page})
    assert resp.status_code == 200
    assert resp.context["past"].number == 1
    assert resp.context["past"][0].pk == held[0].pk


def test_the_sessions_page_queries_do_not_grow_with_the_past(client_for):
    client = client_for("coordinator")

    _past_sessions(PER_PAGE + 1)
    small = page_queries(client, SESSIONS, warm=True)
    _past_sessions(120 - PER_PAGE - 1, after=PER_PAGE + 1)
    assert page_queries(client, SESSIONS, warm=True) <= small
