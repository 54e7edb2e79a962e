"""Initial training completed: the coordinator and the supporter are told once, the coordinator
activates with one click; a place cancelled by the coordinator needs a reason and tells the
person, content-free; the coordinators' out-of-compliance alert names nobody."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.notifications.models import Notification
from peersupport.roster.models import SupporterProfile
from peersupport.training import services
from peersupport.training.models import (
    Attendance,
    Course,
    CourseKind,
    Enrolment,
    SessionDay,
    TrainingSession,
)

from ..factories import EmployeeFactory, UserFactory, enable_totp, grant
from ..matrix.training import make_session

pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")


def _appointed():
    from peersupport.accounts.models import Role

    user = UserFactory()
    EmployeeFactory(user=user, work_email=user.email)
    grant(user, Role.PEER_SUPPORTER)
    SupporterProfile.objects.create(user=user, status=SupporterProfile.Status.APPOINTED)
    return user


def _initial_across_the_year_end():
    """Monday 28 December 2026 to Friday 1 January 2027, 8 hours a day."""
    course, _ = Course.objects.get_or_create(
        title="Initial peer support training",
        defaults={"kind": CourseKind.INITIAL, "hours": Decimal(40), "days": 5},
    )
    start = datetime.datetime(2026, 12, 28, 8, tzinfo=CHICAGO)
    session = TrainingSession.objects.create(
        course=course,
        place="Academy",
        capacity=20,
        starts_at=start,
        ends_at=start + datetime.timedelta(days=4, hours=8),
    )
    days = [
        SessionDay.objects.create(
            session=session,
            starts_at=start + datetime.timedelta(days=i),
            ends_at=start + datetime.timedelta(days=i, hours=8),
            hours=Decimal(8),
        )
        for i in range(5)
    ]
    return session, days


def _alerts(key_prefix):
    return Notification.objects.filter(key__startswith=key_prefix)


def test_the_last_initial_day_recorded_in_the_new_year_makes_the_supporter_ready(personas):
    coordinator = personas["coordinator"]
    trainee, other = _appointed(), _appointed()
    session, days = _initial_across_the_year_end()
    for person in (trainee, other):
        Enrolment.objects.create(session=session, user=person, status=Enrolment.Status.ENROLLED)
    with time_machine.travel(datetime.datetime(2026, 12, 31, 18, tzinfo=CHICAGO)):
        for day in days[:4]:
            services.attendance_record(
                actor=coordinator, day=day, hours_by_user={trainee.pk: Decimal(8), other.pk: 0}
            )
    assert not _alerts("training:ready").exists()
    with time_machine.travel(datetime.datetime(2027, 1, 1, 17, tzinfo=CHICAGO)):
        services.attendance_record(
            actor=coordinator, day=days[4], hours_by_user={trainee.pk: Decimal(8), other.pk: 0}
        )
    profile = trainee.supporter_profile
    alerts = _alerts("training:ready")
    assert {n.user_id for n in alerts} == {coordinator.pk, trainee.pk}
    to_coordinator = alerts.get(user=coordinator)
    assert to_coordinator.subject == "A supporter is ready to activate"
    assert reverse("roster:activate", args=[profile.pk]) in to_coordinator.body
    assert profile.name not in to_coordinator.subject + to_coordinator.body
    assert alerts.get(user=trainee).subject == "Your initial training is complete"
    assert AuditEvent.objects.filter(action=AuditAction.TRAINING_INITIAL_COMPLETED).count() == 1
    # A correction that keeps it complete tells nobody again.
    with time_machine.travel(datetime.datetime(2027, 1, 4, 9, tzinfo=CHICAGO)):
        services.attendance_record(
            actor=coordinator,
            day=days[4],
            hours_by_user={trainee.pk: Decimal("7.5"), other.pk: Decimal(1)},
            reason="Left early",
        )
        services.attendance_record(
            actor=coordinator, day=days[4], hours_by_user={trainee.pk: Decimal(8)}, reason="Fix"
        )
    assert _alerts("training:ready").count() == 2
    profile.refresh_from_db()
    assert profile.status == SupporterProfile.Status.APPOINTED  # activation stays a person's act


def test_an_active_supporter_taking_initial_hours_again_alerts_nobody(personas):
    coordinator = personas["coordinator"]
    person = _appointed()
    SupporterProfile.objects.filter(user=person).update(status=SupporterProfile.Status.ACTIVE)
    session, days = _initial_across_the_year_end()
    Enrolment.objects.create(session=session, user=person, status=Enrolment.Status.ENROLLED)
    with time_machine.travel(datetime.datetime(2027, 1, 2, 9, tzinfo=CHICAGO)):
        for day in days:
            services.attendance_record(
                actor=coordinator, day=day, hours_by_user={person.pk: Decimal(8)}
            )
    assert not _alerts("training:ready").exists()


def _ready(person):
    session = make_session(days_from_now=-20, days=5, kind=CourseKind.INITIAL)
    for day in session.days.all():
        Attendance.objects.create(day=day, user=person, hours=Decimal(8))


def test_activate_is_one_confirmed_click_for_the_coordinator(client_for, personas):
    person = _appointed()
    profile = person.supporter_profile
    url = reverse("roster:activate", args=[profile.pk])
    coordinator = client_for("coordinator")
    # Not ready yet: the page says so and a POST changes nothing.
    page = coordinator.get(url)
    assert page.status_code == 200 and b"not recorded as complete" in page.content
    refused = coordinator.post(url)
    assert refused.status_code == 400 and b"initial training" in refused.content
    profile.refresh_from_db()
    assert profile.status == SupporterProfile.Status.APPOINTED
    _ready(person)
    roster = coordinator.get(reverse("roster:manage"))
    assert url.encode() in roster.content and b"ready to activate" in roster.content
    page = coordinator.get(url)
    assert b"Yes, activate" in page.content
    assert client_for("supporter").post(url).status_code == 403
    response = coordinator.post(url)
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.status == SupporterProfile.Status.ACTIVE
    assert AuditEvent.objects.filter(
        action=AuditAction.ROSTER_STATUS_CHANGED, details__to="active"
    ).exists()
    told = Notification.objects.filter(key__startswith="roster-status:")
    assert {n.user_id for n in told} == {person.pk}
    # Twice: a clear refusal, nothing changes.
    again = coordinator.post(url)
    assert again.status_code == 400 and b"this one is active" in again.content


def test_the_transcript_offers_activation_once_training_is_complete(client_for):
    person = _appointed()
    url = reverse("training:transcript", args=[person.pk])
    activate = reverse("roster:activate", args=[person.supporter_profile.pk]).encode()
    assert activate not in client_for("coordinator").get(url).content
    _ready(person)
    assert activate in client_for("coordinator").get(url).content


def _two_on_a_full_session():
    session = make_session(days_from_now=10)
    session.capacity = 1
    session.save(update_fields=["capacity"])
    placed, waiting = _appointed(), _appointed()
    a = Enrolment.objects.create(session=session, user=placed, status=Enrolment.Status.ENROLLED)
    Enrolment.objects.create(session=session, user=waiting, status=Enrolment.Status.WAITLISTED)
    return session, a, placed, waiting


def test_a_place_cancelled_by_the_coordinator_needs_a_reason_and_tells_the_person(client_for):
    session, enrolment, placed, waiting = _two_on_a_full_session()
    url = reverse("training:enrolment_cancel", args=[enrolment.pk])
    coordinator = client_for("coordinator")
    page = coordinator.get(url)
    assert page.status_code == 200 and b"Cancel the place" in page.content
    refused = coordinator.post(url, {"reason": "  "})
    assert refused.status_code == 400 and b"Nothing was saved." in refused.content
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.ENROLLED
    assert not Notification.objects.exists()
    assert coordinator.post(url, {"reason": "Moved to nights in January"}).status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.CANCELLED
    assert enrolment.cancel_reason == "Moved to nights in January"
    told = Notification.objects.get(key__startswith="training:place-cancelled:")
    assert told.user_id == placed.pk
    assert "nights" not in told.subject + told.body and session.course.title not in told.body
    # The only other alert: the person waiting got the place.
    others = Notification.objects.exclude(pk=told.pk)
    assert {(n.user_id, n.key.split(":")[1]) for n in others} == {(waiting.pk, "promoted")}
    assert "nights" not in str(
        AuditEvent.objects.filter(action=AuditAction.TRAINING_ENROLMENT_CANCELLED).get().details
    )


def test_giving_up_your_own_place_needs_no_reason_and_sends_no_cancellation(personas):
    session, enrolment, placed, _waiting = _two_on_a_full_session()
    services.enrolment_cancel(actor=placed, enrolment=enrolment)
    assert not Notification.objects.filter(key__startswith="training:place-cancelled").exists()


def test_out_of_compliance_tells_the_coordinators_a_count_not_a_name(personas):
    from .test_training import _lapsed_supporter

    first, second = _lapsed_supporter(), _lapsed_supporter()
    today = datetime.date(2026, 11, 20)
    with time_machine.travel(datetime.datetime(2026, 11, 20, 12, tzinfo=CHICAGO)):
        services.compliance_review(today=today)
    coordinator = personas["coordinator"]
    alerts = Notification.objects.filter(
        user=coordinator, key__startswith="training:out:"
    ).order_by("pk")
    assert len(alerts) == 2
    assert "out_of_compliance" in alerts[0].body
    assert "2 supporters are now out" in alerts[1].body
    for alert in alerts:
        for person in (first, second):
            assert person.supporter_profile.name not in alert.subject + alert.body
    # Nobody else but the two supporters themselves.
    users = set(Notification.objects.values_list("user_id", flat=True))
    assert users == {coordinator.pk, first.pk, second.pk}


def test_a_candidate_trained_before_the_approval_is_ready_when_appointed(personas):
    from peersupport.roster.services import supporter_set_status

    user = UserFactory()
    EmployeeFactory(user=user, work_email=user.email)
    profile = SupporterProfile.objects.create(user=user, status=SupporterProfile.Status.CANDIDATE)
    _ready(user)
    assert not _alerts("training:ready").exists()
    supporter_set_status(
        actor=personas["chief"],
        profile=profile,
        status=SupporterProfile.Status.APPOINTED,
        reason="Approved",
        pipeline=True,
    )
    assert {n.user_id for n in _alerts("training:ready")} == {personas["coordinator"].pk, user.pk}


def test_appointed_without_training_alerts_nobody_of_readiness(personas):
    from peersupport.roster.services import supporter_set_status

    user = UserFactory()
    EmployeeFactory(user=user, work_email=user.email)
    profile = SupporterProfile.objects.create(user=user, status=SupporterProfile.Status.CANDIDATE)
    supporter_set_status(
        actor=personas["chief"],
        profile=profile,
        status=SupporterProfile.Status.APPOINTED,
        reason="Approved",
        pipeline=True,
    )
    assert not _alerts("training:ready").exists()


def test_my_training_tells_a_trained_appointee_activation_is_next(personas):
    from ..conftest import signed_in_client

    person = _appointed()
    enable_totp(person)
    url = reverse("training:mine")
    words = b"will make you active"
    page = signed_in_client(person).get(url)
    assert page.status_code == 200 and words not in page.content
    _ready(person)
    assert words in signed_in_client(person).get(url).content
