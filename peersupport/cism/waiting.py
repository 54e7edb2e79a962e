"""CISM call-outs waiting for a member's answer, on their home page (web.waiting). Urgent: a
call-out is answered within the hour."""

from django.urls import reverse

from peersupport.web.waiting import Waiting

from .selectors import waiting_count


def for_person(user) -> list[Waiting]:
    n, since = waiting_count(user)
    if not n:
        return []
    label = (
        "A CISM call-out needs your answer" if n == 1 else f"{n} CISM call-outs need your answer"
    )
    return [Waiting(label, reverse("cism:mine"), since, n, urgent=True)]
