"""Training work waiting for a person, on the home page (web.waiting)."""

import datetime

from django.db.models import Count, Exists, Min, OuterRef
from django.urls import reverse
from django.utils import timezone

from peersupport.web.waiting import Waiting

from .models import Attendance, Enrolment, SessionDay, TrainingSession
from .rules import is_manager

# Days whose attendance is still unrecorded are listed for this long after they end; older
# ones are on the sessions page, not on anyone's home page.
RECENT = datetime.timedelta(days=60)


def for_person(user) -> list[Waiting]:
    now = timezone.now()
    days = SessionDay.objects.filter(
        ends_at__lt=now,
        ends_at__gte=now - RECENT,
        session__status=TrainingSession.Status.SCHEDULED,
    ).filter(
        Exists(
            Enrolment.objects.filter(session=OuterRef("session"), status=Enrolment.Status.ENROLLED)
        ),
        ~Exists(Attendance.objects.filter(day=OuterRef("pk"))),
    )
    if not is_manager(user):
        days = days.filter(session__instructor=user)
    unrecorded = days.aggregate(n=Count("pk"), since=Min("ends_at"), one=Min("pk"))
    if not unrecorded["n"]:
        return []
    n = unrecorded["n"]
    url = (
        reverse("training:attendance", args=[unrecorded["one"]])
        if n == 1
        else reverse("training:sessions")
    )
    return [
        Waiting(
            "Attendance to record for a training day"
            if n == 1
            else f"Attendance to record for {n} training days",
            url,
            unrecorded["since"],
            n,
        )
    ]
