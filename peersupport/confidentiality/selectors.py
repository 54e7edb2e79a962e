"""Reads of escalations, applying who may see them.

An escalation (with its protected note) is seen by the supporter who raised it, by everyone
alerted about it, and by whoever holds the BHS manager or advocacy supervisor role (the people
the roster is drawn from). Anyone else gets 404, whatever id they try.
"""

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from peersupport.accounts.models import Role, User
from peersupport.notifications.models import Notification
from peersupport.resources.models import Category, Resource
from peersupport.tenancy import current_agency_id

from .models import DutyAssignment, Escalation, EscalationRecipient

OVERSEERS = (Role.BHS_MANAGER, Role.ADVOCACY_SUPERVISOR)


def escalations_for(user: User) -> QuerySet[Escalation]:
    qs = Escalation.objects.select_related("category", "raised_by", "acknowledged_by")
    if user.has_role(*OVERSEERS):
        return qs
    return qs.filter(Q(raised_by=user) | Q(recipients__user=user)).distinct()


def escalation_lists_for(
    user: User, *, open_limit: int = 200, resolved_limit: int = 50
) -> tuple[QuerySet[Escalation], QuerySet[Escalation]]:
    """The escalations ``user`` may see (``escalations_for``): the unresolved ones and the
    latest resolved ones."""
    escalations = escalations_for(user)
    resolved = Escalation.Status.RESOLVED
    return (
        escalations.exclude(status=resolved)[:open_limit],
        escalations.filter(status=resolved)[:resolved_limit],
    )


def escalation_for(user: User, public_id) -> Escalation:
    escalation = escalations_for(user).filter(public_id=public_id).first()
    if escalation is None:
        raise Http404
    return escalation


def waiting_for(user: User) -> QuerySet[Escalation]:
    """Open escalations this person was alerted about: the in-app banner, until acknowledged."""
    return Escalation.objects.filter(status=Escalation.Status.OPEN, recipients__user=user).order_by(
        "raised_at"
    )


def banner_for(user: User, limit: int = 5) -> list[Escalation]:
    """``waiting_for`` as the banner on every page shows it. Almost nobody has an escalation
    waiting, so a hand-written ``EXISTS`` answers first: building the ORM query cost more than
    a tenth of a page with little else on it (bench/README.md)."""
    with connection.cursor() as cursor:
        cursor.execute(_WAITING_SQL, [user.pk, Escalation.Status.OPEN, current_agency_id()])
        if cursor.fetchone() is None:
            return []
    return list(waiting_for(user).only("public_id", "raised_at")[:limit])


# Table names come from the models; every value is a parameter. Bypasses the scoped manager,
# so it names the current agency itself: someone alerted in another agency has nothing here.
_WAITING_SQL = f"""
    SELECT 1 FROM {EscalationRecipient._meta.db_table} r
      JOIN {Escalation._meta.db_table} e ON e.id = r.escalation_id
     WHERE r.user_id = %s AND e.status = %s AND e.agency_id = %s
     LIMIT 1
"""  # noqa: S608


def recipients(escalation: Escalation) -> QuerySet[EscalationRecipient]:
    return escalation.recipients.select_related("user__employee")


def deliveries_of(escalation: Escalation) -> QuerySet[Notification]:
    """The alerts sent about an escalation, newest first (its page is already behind
    ``escalation_for``)."""
    return (
        Notification.objects.filter(topic=f"escalation:{escalation.pk}")
        .select_related("user")
        .order_by("-created_at")
    )


def duty_assignment(assignment_id: int) -> DutyAssignment:
    """One roster entry (the roster is read by its keepers; the view checks the role)."""
    assignment = DutyAssignment.objects.filter(pk=assignment_id).first()
    if assignment is None:
        raise Http404
    return assignment


def roster(*, now=None) -> QuerySet[DutyAssignment]:
    """The roster now and ahead (ended entries drop off)."""
    now = now or timezone.now()
    return (
        DutyAssignment.objects.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .select_related("user__employee")
        .order_by("duty", "rank", "starts_at")
    )


def crisis_resources() -> QuerySet[Resource]:
    return Resource.objects.active().filter(category=Category.CRISIS_LINE).order_by("name")


def escalation_gauges(now):
    """For the metrics endpoint (notifications/monitoring.py): how many escalations wait for
    an acknowledgement and how long the oldest has waited, in one query. Counts and an age
    only: no escalation, category or person is named."""
    from django.db.models import Count, Min

    from peersupport.notifications.monitoring import Gauge, age_seconds

    row = Escalation.objects.filter(status=Escalation.Status.OPEN).aggregate(
        waiting=Count("pk"), oldest=Min("raised_at")
    )
    return [
        Gauge(
            "escalations_unacknowledged",
            "Escalations waiting for an acknowledgement.",
            row["waiting"],
        ),
        Gauge(
            "escalations_unacknowledged_oldest_age_seconds",
            "How long the oldest escalation has waited for an acknowledgement.",
            age_seconds(row["oldest"], now),
        ),
    ]
