"""Supporters ready to activate wait on the coordinator's home page (peersupport/training/
activation_waiting.py): the one ready links straight to the confirmation, several to the
roster's appointed supporters; those still in training and other roles see nothing."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peersupport.accounts.models import Role
from peersupport.roster.models import SupporterProfile
from peersupport.training.models import Attendance, CourseKind
from peersupport.web.waiting import waiting_for

from ..factories import EmployeeFactory, UserFactory, grant
from ..matrix.training import make_session

pytestmark = pytest.mark.django_db


def _appointee(hours: int, session):
    user = UserFactory()
    EmployeeFactory(user=user, work_email=user.email)
    grant(user, Role.PEER_SUPPORTER)
    profile = SupporterProfile.objects.create(user=user, status=SupporterProfile.Status.APPOINTED)
    left = Decimal(hours)
    for day in session.days.all():
        if left <= 0:
            break
        Attendance.objects.create(day=day, user=user, hours=min(left, Decimal(8)))
        left -= Decimal(8)
    return profile


def _ready_items(user):
    return [item for item in waiting_for(user) if "ready to activate" in item.label]


def test_the_coordinator_is_shown_who_is_ready_and_nobody_else_is(personas):
    session = make_session(days_from_now=-20, days=5, kind=CourseKind.INITIAL)
    coordinator = personas["coordinator"]
    assert _ready_items(coordinator) == []

    _appointee(24, session)  # still in training: not ready
    assert _ready_items(coordinator) == []

    ready = _appointee(40, session)
    [item] = _ready_items(coordinator)
    assert item.url == reverse("roster:activate", args=[ready.pk]) and item.count == 1
    # The label names nobody: the page it links to does, for the coordinator.
    assert ready.user.employee.last_name not in item.label

    second = _appointee(40, session)
    [item] = _ready_items(coordinator)
    assert item.count == 2 and item.label.startswith("2 supporters")
    assert item.url == reverse("roster:manage") + "?status=appointed"

    # Activated, they no longer wait.
    SupporterProfile.objects.filter(pk=second.pk).update(status=SupporterProfile.Status.ACTIVE)
    assert _ready_items(coordinator)[0].count == 1

    for name in ("bhs_manager", "chief", "sysadmin", "supporter", "employee"):
        assert _ready_items(personas[name]) == [], name


def test_the_same_queries_however_many_are_ready(personas):
    from peersupport.training.activation_waiting import ready_to_activate

    session = make_session(days_from_now=-20, days=5, kind=CourseKind.INITIAL)
    coordinator = personas["coordinator"]
    coordinator.roles  # noqa: B018 (the roles are read once per request, before this)
    counts = []
    for _ in range(3):
        _appointee(40, session)
        with CaptureQueriesContext(connection) as queries:
            ready_to_activate(coordinator)
        counts.append(len(queries))
    assert counts[1] == counts[2] <= 2, counts
