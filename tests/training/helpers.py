"""Helpers shared by the training tests: attendance on given days, supporters with a history."""

import datetime
from decimal import Decimal

from django.utils import timezone

from peersupport.roster.models import SupporterProfile
from peersupport.training.models import (
    Attendance,
    ComplianceRecord,
    Course,
    CourseKind,
    Enrolment,
    SessionDay,
    TrainingSession,
)

from ..factories import EmployeeFactory, UserFactory

YEAR = 2025


def _course(kind: str) -> Course:
    course, _ = Course.objects.get_or_create(
        title=f"{kind} course", defaults={"kind": kind, "hours": Decimal(8), "days": 1}
    )
    return course


def attend(user, on: datetime.date, hours: int = 8, *, kind=CourseKind.UPDATE, at=9) -> None:
    """``hours`` credited to ``user`` for a day starting at ``at`` o'clock local time on ``on``."""
    starts = timezone.make_aware(datetime.datetime.combine(on, datetime.time(at)))
    session = TrainingSession.objects.create(
        course=_course(kind),
        place="Academy",
        capacity=20,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=min(hours, 24 - at)),
    )
    day = SessionDay.objects.create(
        session=session,
        starts_at=starts,
        ends_at=session.ends_at,
        hours=Decimal(hours),
    )
    Attendance.objects.create(day=day, user=user, hours=Decimal(hours))


def trained_supporter(**quarter_hours: int):
    """An active supporter trained two years before YEAR, with update hours in YEAR's quarters
    (``q1=8``: 8 hours on the quarter's 15th of its middle month)."""
    user = UserFactory()
    EmployeeFactory(user=user, work_email=user.email)
    SupporterProfile.objects.create(user=user, status="active")
    attend(user, datetime.date(YEAR - 2, 3, 2), 40, kind=CourseKind.INITIAL)
    for name, hours in quarter_hours.items():
        if hours:
            attend(user, datetime.date(YEAR, 3 * int(name[1]) - 1, 15), hours)
    return user


def record_for(user, year=YEAR) -> ComplianceRecord | None:
    return ComplianceRecord.objects.filter(user=user, year=year).first()


def update_session(on: datetime.date, *, capacity: int = 20, enrolled=()) -> TrainingSession:
    """An update session of one 8-hour day on ``on``, with ``enrolled`` holding places."""
    starts = timezone.make_aware(datetime.datetime.combine(on, datetime.time(9)))
    session = TrainingSession.objects.create(
        course=_course(CourseKind.UPDATE),
        place="Academy",
        capacity=capacity,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=8),
    )
    SessionDay.objects.create(
        session=session, starts_at=starts, ends_at=session.ends_at, hours=Decimal(8)
    )
    for user in enrolled:
        Enrolment.objects.create(session=session, user=user, status=Enrolment.Status.ENROLLED)
    return session
