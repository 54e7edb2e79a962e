"""Escalations waiting for their recipient's acknowledgement, on the home page (web.waiting)."""

from django.db.models import Count, Min
from django.urls import reverse

from peersupport.web.waiting import Waiting

from .models import Escalation


def for_recipient(user) -> list[Waiting]:
    open_ = Escalation.objects.filter(
        status=Escalation.Status.OPEN, recipients__user=user
    ).aggregate(n=Count("pk", distinct=True), since=Min("raised_at"))
    if not open_["n"]:
        return []
    label = (
        "An escalation waits for your acknowledgement"
        if open_["n"] == 1
        else f"{open_['n']} escalations wait for your acknowledgement"
    )
    return [
        Waiting(
            label,
            reverse("confidentiality:escalation_list"),
            open_["since"],
            open_["n"],
            urgent=True,
        )
    ]
