"""Training: the interface the selection pipeline reads, services, compliance and pages."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from peersupport.training.models import (
    Attendance,
    Course,
    CourseKind,
    SessionDay,
    TrainingSession,
)
from peersupport.training.selectors import initial_training_complete

from .factories import UserFactory

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
