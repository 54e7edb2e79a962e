"""Staff forms that take minutes: sessions that repeat, scheduled in one step; attendance for
every day of a session on one page, present by default; an enrol list without the people already
holding a place."""

import calendar
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from peersupport.roster.models import SupporterProfile
from peersupport.training.models import Attendance, AttendanceCorrection, Enrolment
from peersupport.training.rules import REPEAT_MONTHS, REPEAT_WEEKS, shifted, weekdays_from

from ..factories import EmployeeFactory, UserFactory
from ..matrix.training import make_session

pytestmark = pytest.mark.django_db


def _supporter(status="active"):
    user = UserFactory()
    EmployeeFactory(user=user, work_email=user.email)
    SupporterProfile.objects.create(user=user, status=status)
    return user


def _three_days_two_begun(*people):
    """A three-day session whose first two days have begun."""
    session = make_session(days_from_now=-1.5, days=3)
    for person in people:
        Enrolment.objects.create(session=session, user=person, status=Enrolment.Status.ENROLLED)
    return session, list(session.days.all())


def _post(session, people, days, *, change=None, reason=""):
    data = {f"hours_{d.pk}_{p.pk}": "8" for d in days for p in people}
    data |= change or {}
    data["reason"] = reason
    return data


def test_every_day_of_a_session_on_one_page_present_by_default(client_for):
    a, b = _supporter(), _supporter()
    session, days = _three_days_two_begun(a, b)
    url = reverse("training:session_attendance", args=[session.pk])
    coordinator = client_for("coordinator")
    page = coordinator.get(url).content.decode()
    begun, to_come = days[:2], days[2]
    for day in begun:
        for person in (a, b):
            assert f'name="hours_{day.pk}_{person.pk}"' in page
    assert f"hours_{to_come.pk}_" not in page
    assert page.count('value="8.00"') == 4  # everyone present, the day's hours
    assert "1 day still to come" in page
    # The session page leads to it.
    assert url in coordinator.get(reverse("training:session", args=[session.pk])).content.decode()

    # Saved as offered, but for b absent on the second day.
    response = coordinator.post(
        url, _post(session, (a, b), begun, change={f"hours_{begun[1].pk}_{b.pk}": "0"})
    )
    assert response.status_code == 302
    got = {(x.day_id, x.user_id): x.hours for x in Attendance.objects.all()}
    assert got == {
        (begun[0].pk, a.pk): 8,
        (begun[1].pk, a.pk): 8,
        (begun[0].pk, b.pk): 8,
        (begun[1].pk, b.pk): 0,
    }
    # Shown again, it holds what was recorded; a change needs a reason.
    page = coordinator.get(url).content.decode()
    assert f'id="id_hours_{begun[1].pk}_{b.pk}" value="0.00"' in page
    change = {f"hours_{begun[1].pk}_{b.pk}": "4"}
    refused = coordinator.post(url, _post(session, (a, b), begun, change=change))
    assert refused.status_code == 400
    assert "say why" in refused.content.decode()
    assert Attendance.objects.get(day=begun[1], user=b).hours == 0
    coordinator.post(url, _post(session, (a, b), begun, change=change, reason="Came at noon"))
    assert Attendance.objects.get(day=begun[1], user=b).hours == 4
    assert AttendanceCorrection.objects.get().reason == "Came at noon"


def test_a_mistake_on_one_day_saves_nothing_and_names_the_day_and_person(client_for):
    a = _supporter()
    session, days = _three_days_two_begun(a)
    url = reverse("training:session_attendance", args=[session.pk])
    data = _post(session, (a,), days[:2], change={f"hours_{days[1].pk}_{a.pk}": "9"})
    response = client_for("coordinator").post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "At most 8 hours" in page
    assert f'id="id_hours_{days[1].pk}_{a.pk}_error"' in page or "aria-invalid" in page
    assert not Attendance.objects.exists()
    # Garbage is a clear 400 too, never a 500.
    data[f"hours_{days[0].pk}_{a.pk}"] = "lots"
    assert client_for("coordinator").post(url, data).status_code == 400
    assert not Attendance.objects.exists()


def test_only_the_coordinator_and_the_sessions_instructor_take_it(client_for, personas):
    a = _supporter()
    session, days = _three_days_two_begun(a)
    url = reverse("training:session_attendance", args=[session.pk])
    SupporterProfile.objects.get_or_create(
        user=personas["supporter"], defaults={"status": "active"}
    )
    assert client_for("supporter").get(url).status_code == 404
    session.instructor = personas["supporter"]
    session.save(update_fields=["instructor"])
    assert client_for("supporter").get(url).status_code == 200
    assert client_for("employee").get(url).status_code == 403


def test_the_enrol_list_leaves_out_who_already_holds_a_place(client_for):
    enrolled, waiting, gave_up, free = (_supporter() for _ in range(4))
    session = make_session(days_from_now=10)
    for person, status in (
        (enrolled, Enrolment.Status.ENROLLED),
        (waiting, Enrolment.Status.WAITLISTED),
        (gave_up, Enrolment.Status.CANCELLED),
    ):
        Enrolment.objects.create(session=session, user=person, status=status)
    page = client_for("coordinator").get(reverse("training:session", args=[session.pk]))
    options = page.content.decode().split('name="person"', 1)[1].split("</select>", 1)[0]
    ids = {p: SupporterProfile.objects.get(user=p).pk for p in (enrolled, waiting, gave_up, free)}
    assert f'value="{ids[gave_up]}"' in options and f'value="{ids[free]}"' in options
    assert f'value="{ids[enrolled]}"' not in options
    assert f'value="{ids[waiting]}"' not in options
    # Posting someone already there anyway is refused on the field, nothing changes.
    response = client_for("coordinator").post(
        reverse("training:enrol_person", args=[session.pk]), {"person": ids[waiting]}
    )
    assert response.status_code == 400
    assert Enrolment.objects.get(session=session, user=waiting).status == "waitlisted"
    assert timezone.now() < session.starts_at + datetime.timedelta(days=1)
    assert Decimal(8) == session.days.get().hours


HOSTILE = '<b>Bo & "Jo"</b>'


def test_the_places_and_the_enrol_options_show_names_escaped_in_order(client_for):
    """The lists of places and the enrol select are written from values (training.views
    ``_place_items``, training.forms ``_person_options``): the names as the model gives them,
    escaped, each place with the link that cancels it, the candidates' status in the option."""
    first = _supporter()
    hostile = UserFactory(display_name="Account only")
    EmployeeFactory(user=hostile, work_email=hostile.email, first_name=HOSTILE, preferred_name="")
    SupporterProfile.objects.create(user=hostile, status="active")
    no_employee = UserFactory(display_name="")
    SupporterProfile.objects.create(user=no_employee, status="candidate")
    session = make_session(days_from_now=10)
    places = [
        Enrolment.objects.create(session=session, user=first, status="enrolled"),
        Enrolment.objects.create(session=session, user=hostile, status="enrolled"),
        Enrolment.objects.create(session=session, user=no_employee, status="waitlisted"),
    ]
    page = client_for("coordinator").get(reverse("training:session", args=[session.pk]))
    html = page.content.decode()
    escaped = f"&lt;b&gt;Bo &amp; &quot;Jo&quot;&lt;/b&gt; {escape(hostile.employee.last_name)}"
    assert HOSTILE not in html and "<b>Bo" not in html
    enrolled = html.split("<h3>Waiting list</h3>")[0].split('id="people-heading"')[1]
    cancel = reverse("training:enrolment_cancel", args=[places[1].pk])
    assert (
        f'<li>{escaped} <a class="button button--small button--quiet" href="{cancel}">'
        f'Cancel<span class="visually-hidden"> the place of {escaped}</span></a></li>'
    ) in enrolled
    assert enrolled.index(escape(first.employee.full_name)) < enrolled.index(escaped)
    waiting = html.split("<h3>Waiting list</h3>")[1].split("</ol>")[0]
    assert f"<li>{no_employee.email} <a " in waiting
    assert f"> {no_employee.email} from the waiting list</span>" in waiting
    assert "Nobody else can be enrolled" in html  # all three hold a place
    Enrolment.objects.filter(pk=places[2].pk).update(status="cancelled")
    html = client_for("coordinator").get(reverse("training:session", args=[session.pk]))
    html = html.content.decode()
    assert "<li>Nobody waiting.</li>" in html
    options = html.split('name="person"', 1)[1].split("</select>", 1)[0]
    profile = SupporterProfile.objects.get(user=no_employee)
    assert f'<option value="{profile.pk}">{no_employee.email} (candidate)</option>' in options


# --- Sessions that repeat ------------------------------------------------------------------


def _new_session_post(course, rows, **extra):
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
        "repeat": "",
        "every": "",
        "times": "",
    }
    for i, (on, start, end, hours) in enumerate(rows):
        data |= {
            f"days-{i}-date": on,
            f"days-{i}-start_time": start,
            f"days-{i}-end_time": end,
            f"days-{i}-hours": hours,
        }
    return data | extra


def _update_course():
    from peersupport.training.models import Course

    return Course.objects.create(title="Quarterly update", kind="update", hours=8)


def test_a_quarterly_session_is_previewed_then_scheduled_as_four_sessions(client_for):
    from peersupport.audit.models import AuditAction, AuditEvent
    from peersupport.training.models import TrainingSession

    course = _update_course()
    coordinator = client_for("coordinator")
    url = reverse("training:session_new")
    assert 'name="repeat"' in coordinator.get(url).content.decode()
    data = _new_session_post(
        course, [("2031-01-31", "09:00", "17:00", "8")], repeat="quarter", times="4"
    )
    preview = coordinator.post(url, data | {"preview": "1"})
    assert preview.status_code == 200
    page = preview.content.decode()
    # The 31st of a shorter month is its last day; the local time holds across daylight saving.
    for shown in (
        "Fri 31 January 2031, 09:00",
        "Wed 30 April 2031, 09:00",
        "Thu 31 July 2031",
        "Fri 31 October 2031, 09:00",
    ):
        assert shown in page
    assert not TrainingSession.objects.exists()

    response = coordinator.post(url, data)
    assert response.status_code == 302
    sessions = list(TrainingSession.objects.order_by("starts_at"))
    assert [s.first_date for s in sessions] == [
        datetime.date(2031, 1, 31),
        datetime.date(2031, 4, 30),
        datetime.date(2031, 7, 31),
        datetime.date(2031, 10, 31),
    ]
    assert {timezone.localtime(s.starts_at).time() for s in sessions} == {datetime.time(9)}
    assert {s.capacity for s in sessions} == {12}
    saved = AuditEvent.objects.filter(action=AuditAction.TRAINING_SESSION_SAVED).count()
    assert saved == 4


def test_a_two_day_session_every_two_weeks(client_for):
    from peersupport.training.models import TrainingSession

    course = _update_course()
    rows = [("2031-03-03", "08:00", "17:00", "8"), ("2031-03-04", "08:00", "12:00", "4")]
    data = _new_session_post(course, rows, repeat="weeks", every="2", times="3")
    assert client_for("coordinator").post(reverse("training:session_new"), data).status_code == 302
    sessions = TrainingSession.objects.order_by("starts_at")
    assert [[d.date for d in s.days.all()] for s in sessions] == [
        [datetime.date(2031, 3, 3), datetime.date(2031, 3, 4)],
        [datetime.date(2031, 3, 17), datetime.date(2031, 3, 18)],
        [datetime.date(2031, 3, 31), datetime.date(2031, 4, 1)],
    ]
    assert [d.hours for d in sessions.last().days.all()] == [8, 4]


@pytest.mark.parametrize(
    ("repeat", "message"),
    [
        ({"repeat": "weeks", "times": "3"}, "Say every how many weeks or months."),
        ({"repeat": "quarter"}, "Say how many sessions in all."),
        ({"repeat": "quarter", "times": "1"}, "greater than or equal to 2"),
        ({"repeat": "quarter", "times": "99"}, "less than or equal to 12"),
        ({"repeat": "weeks", "every": "1", "times": "3", "long": True}, "would overlap"),
        ({"repeat": "months", "every": "52", "times": "12"}, "three years at most"),
        ({"repeat": "daily", "times": "3"}, "Select a valid choice"),
    ],
)
def test_a_bad_repeat_is_refused_with_a_clear_message_and_nothing_saved(
    client_for, repeat, message
):
    from peersupport.training.models import TrainingSession

    course = _update_course()
    rows = [("2031-03-03", "08:00", "17:00", "8")]
    if repeat.pop("long", False):
        rows.append(("2031-03-12", "08:00", "17:00", "8"))
    for button in ({}, {"preview": "1"}):
        response = client_for("coordinator").post(
            reverse("training:session_new"), _new_session_post(course, rows, **repeat) | button
        )
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not TrainingSession.objects.exists()


@given(
    st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2090, 12, 31)),
    st.integers(min_value=1, max_value=52),
    st.integers(min_value=0, max_value=11),
)
def test_a_month_shift_lands_in_the_right_month_on_the_same_day_or_its_last(day, every, n):
    moved = shifted(day, unit=REPEAT_MONTHS, every=every, n=n)
    months = (moved.year - day.year) * 12 + moved.month - day.month
    assert months == every * n
    last = calendar.monthrange(moved.year, moved.month)[1]
    assert moved.day == min(day.day, last)
    assert shifted(day, unit=REPEAT_WEEKS, every=every, n=n) == day + datetime.timedelta(
        weeks=every * n
    )


def test_a_five_day_course_is_one_date_to_type(client_for):
    from peersupport.training.models import Course, TrainingSession

    course = Course.objects.create(
        title="Initial peer support training", kind="initial", hours=40, days=5
    )
    coordinator = client_for("coordinator")
    url = reverse("training:session_new")
    blank = ("", "08:00", "17:00", "8")
    # A Thursday: the days run over the weekend to Wednesday.
    rows = [("2031-03-06", "08:00", "17:00", "8"), blank, blank, blank, blank]
    filled = coordinator.post(url, _new_session_post(course, rows, fill_days="1"))
    assert filled.status_code == 200
    page = filled.content.decode()
    for on in ("2031-03-06", "2031-03-07", "2031-03-10", "2031-03-11", "2031-03-12"):
        assert f'value="{on}"' in page
    assert not TrainingSession.objects.exists()
    # Saving what was filled schedules the five days.
    rows = [
        (on, "08:00", "17:00", "8")
        for on in ("2031-03-06", "2031-03-07", "2031-03-10", "2031-03-11", "2031-03-12")
    ]
    assert coordinator.post(url, _new_session_post(course, rows)).status_code == 302
    assert TrainingSession.objects.get().days.count() == 5
    # Without a first date: told what to do, nothing saved.
    again = coordinator.post(url, _new_session_post(course, [blank, blank], fill_days="1"))
    assert again.status_code == 200
    assert "Give the first day" in again.content.decode()


@given(
    st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2090, 12, 31)),
    st.integers(min_value=1, max_value=30),
)
def test_working_days_follow_the_first(first, count):
    dates = weekdays_from(first, count)
    assert len(dates) == count and dates[0] == first
    assert all(d.weekday() < 5 for d in dates[1:])
    assert all(b > a for a, b in zip(dates, dates[1:], strict=False))
    for a, b in zip(dates, dates[1:], strict=False):
        between = [a + datetime.timedelta(days=i) for i in range(1, (b - a).days)]
        assert all(d.weekday() >= 5 for d in between)
