"""Reads about training. ``initial_training_complete`` is the one function the roster's
selection pipeline calls before making a supporter active (PROGRAM.md, "Training")."""

from decimal import Decimal

from django.conf import settings
from django.db.models import Sum

from .models import Attendance, CourseKind


def initial_hours(user) -> Decimal:
    """Hours credited to ``user`` for initial peer support training, all sessions together (a
    day missed in one session can be made up in another)."""
    if user is None or user.pk is None:
        return Decimal(0)
    total = Attendance.objects.filter(
        user=user, day__session__course__kind=CourseKind.INITIAL
    ).aggregate(total=Sum("hours"))["total"]
    return total or Decimal(0)


def initial_training_complete(user) -> bool:
    """True when ``user`` has been credited the full hours of initial peer support training
    (``TRAINING_INITIAL_HOURS``, 40 by default). One query."""
    return initial_hours(user) >= settings.TRAINING_INITIAL_HOURS
