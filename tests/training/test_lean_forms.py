"""Staff forms that take minutes: attendance for every day of a session on one page, present by
default; an enrol list without the people already holding a place."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from peersupport.roster.models import SupporterProfile
from peersupport.training.models import Attendance, AttendanceCorrection, Enrolment

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
