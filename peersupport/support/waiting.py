"""What waits on the home page for supporters and coordinators (web.waiting): counts and the
oldest time only, in a fixed number of queries."""

from django.db.models import Count, Min, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from peersupport.web.waiting import Waiting

from .models import DebriefRequest, FollowUp, Message, Offer, SupportRequest


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many.format(n=n)


def for_supporter(user) -> list[Waiting]:
    inbox = reverse("support:inbox")
    found = []
    offers = Offer.objects.filter(supporter=user, answer=Offer.Answer.PENDING).aggregate(
        n=Count("pk"), since=Min("offered_at")
    )
    if offers["n"]:
        found.append(
            Waiting(
                _plural(offers["n"], "A request offered to you", "{n} requests offered to you"),
                inbox,
                offers["since"],
                offers["n"],
                urgent=True,
            )
        )
    last = Message.objects.filter(request=OuterRef("pk")).order_by("-sent_at", "-pk")
    answered = (
        SupportRequest.objects.filter(
            assigned_supporter=user, status=SupportRequest.Status.ACCEPTED
        )
        .annotate(last_sender=Subquery(last.values("sender")[:1]))
        .annotate(last_at=Subquery(last.values("sent_at")[:1]))
        .filter(last_sender=Message.Sender.REQUESTER)
        .aggregate(n=Count("pk"), since=Min("last_at"), one=Min("pk"))
    )
    if answered["n"]:
        url = reverse("support:held", args=[answered["one"]]) if answered["n"] == 1 else inbox
        found.append(
            Waiting(
                _plural(
                    answered["n"],
                    "A request you hold has a new message",
                    "{n} requests you hold have a new message",
                ),
                url,
                answered["since"],
                answered["n"],
            )
        )
    due = FollowUp.objects.filter(
        supporter=user, done_at__isnull=True, due__lte=timezone.localdate()
    ).aggregate(n=Count("pk"), since=Min("due"))
    if due["n"]:
        found.append(
            Waiting(
                _plural(due["n"], "A follow-up is due", "{n} follow-ups are due"),
                inbox,
                due["since"],
                due["n"],
            )
        )
    return found


def for_coordinator(user) -> list[Waiting]:
    overview = reverse("support:overview")
    found = []
    raised = SupportRequest.objects.filter(
        ~Q(status=SupportRequest.Status.ACCEPTED),
        status__in=SupportRequest.OPEN_STATUSES,
        escalated_at__isnull=False,
    ).aggregate(n=Count("pk"), since=Min("created_at"))
    if raised["n"]:
        found.append(
            Waiting(
                _plural(
                    raised["n"],
                    "A request no supporter has accepted",
                    "{n} requests no supporter has accepted",
                ),
                overview,
                raised["since"],
                raised["n"],
                urgent=True,
            )
        )
    debriefs = DebriefRequest.objects.filter(handled_at__isnull=True).aggregate(
        n=Count("pk"), since=Min("created_at")
    )
    if debriefs["n"]:
        found.append(
            Waiting(
                _plural(debriefs["n"], "A debrief request", "{n} debrief requests"),
                overview,
                debriefs["since"],
                debriefs["n"],
            )
        )
    return found
