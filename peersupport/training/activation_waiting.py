"""Supporters ready to activate, on the coordinator's home page (web.waiting).

An appointed supporter who has been credited the full hours of initial training
(``TRAINING_INITIAL_HOURS``) waits for the coordinator's one confirmed click
(``roster:activate``). Training owns the hours, so it answers for the roster; two queries
however many supporters are appointed.
"""

from django.conf import settings
from django.db.models import OuterRef, Subquery, Sum
from django.urls import reverse

from peersupport.accounts.models import Role
from peersupport.roster.models import SupporterProfile
from peersupport.web.waiting import Waiting

from .models import Attendance, CourseKind


def ready_to_activate(user) -> list[Waiting]:
    if Role.COORDINATOR not in user.roles:
        return []
    initial_hours = (
        Attendance.objects.filter(
            user=OuterRef("user"), day__session__course__kind=CourseKind.INITIAL
        )
        .values("user")
        .annotate(total=Sum("hours"))
        .values("total")
    )
    ready = list(
        SupporterProfile.objects.filter(status=SupporterProfile.Status.APPOINTED)
        .annotate(initial=Subquery(initial_hours))
        .filter(initial__gte=settings.TRAINING_INITIAL_HOURS)
        .order_by("status_changed_at", "pk")
        .values_list("pk", "status_changed_at")[:2]
    )
    if not ready:
        return []
    if len(ready) == 1:
        return [
            Waiting(
                "A supporter finished initial training and is ready to activate",
                reverse("roster:activate", args=[ready[0][0]]),
                ready[0][1],
            )
        ]
    count = (
        SupporterProfile.objects.filter(status=SupporterProfile.Status.APPOINTED)
        .annotate(initial=Subquery(initial_hours))
        .filter(initial__gte=settings.TRAINING_INITIAL_HOURS)
        .count()
    )
    return [
        Waiting(
            f"{count} supporters finished initial training and are ready to activate",
            reverse("roster:manage") + "?status=appointed",
            ready[0][1],
            count,
        )
    ]
