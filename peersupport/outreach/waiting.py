"""Outreach work waiting for a person, on the home page (web.waiting)."""

import datetime

from django.conf import settings
from django.db.models import Count, Exists, Min, OuterRef
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import Role
from peersupport.web.waiting import Waiting

from .models import Assignment, FollowUpTask, Outreach


def for_person(user) -> list[Waiting]:
    now = timezone.now()
    found = []
    if Role.PEER_SUPPORTER in user.roles:
        mine = reverse("outreach:mine")
        offered = Assignment.objects.filter(
            supporter=user, status=Assignment.Status.OFFERED
        ).aggregate(n=Count("pk"), since=Min("assigned_at"))
        if offered["n"]:
            n = offered["n"]
            found.append(
                Waiting(
                    "An outreach assignment waits for your answer"
                    if n == 1
                    else f"{n} outreach assignments wait for your answer",
                    mine,
                    offered["since"],
                    n,
                )
            )
        accepted = Assignment.objects.filter(
            supporter=user, status=Assignment.Status.ACCEPTED, person=OuterRef("person")
        )
        due = FollowUpTask.objects.filter(
            Exists(accepted), status=FollowUpTask.Status.OPEN, due_at__lte=now
        ).aggregate(n=Count("pk"), since=Min("due_at"))
        if due["n"]:
            n = due["n"]
            found.append(
                Waiting(
                    "An outreach follow-up is due"
                    if n == 1
                    else f"{n} outreach follow-ups are due",
                    mine,
                    due["since"],
                    n,
                )
            )
    if Role.COORDINATOR in user.roles or Role.BHS_MANAGER in user.roles:
        overdue = FollowUpTask.objects.filter(
            status=FollowUpTask.Status.OPEN,
            # The coordinator's concern once it is as late as the tick raises it.
            due_at__lt=now - datetime.timedelta(days=settings.OUTREACH_OVERDUE_DAYS),
            person__outreach__status=Outreach.Status.OPEN,
        ).aggregate(n=Count("pk"), since=Min("due_at"))
        if overdue["n"]:
            n = overdue["n"]
            found.append(
                Waiting(
                    "An outreach follow-up is overdue"
                    if n == 1
                    else f"{n} outreach follow-ups are overdue",
                    reverse("outreach:board"),
                    overdue["since"],
                    n,
                )
            )
    return found
