"""Reads of the audit log for the BHS manager's viewer.

The log is read in two halves that never overlap, so that nothing in it can be lined up against
a support request (docs/operations.md, "Reading the audit log"):

- ``audit_events``: the program's own administration, each entry with its time, who and what,
  filterable by person. Only entries of TIMED_FAMILIES, not about an object of
  UNTIMED_TARGET_APPS, whose actor (and account acted on) held a program role at the time.
- ``audit_days``: everything else, as counts per day, action and outcome: requests and what hangs
  off them (messages, contacts, follow-ups, debriefs, releases, disclosures, escalations,
  outreach, codenames, and any family of actions added later), and whatever a plain employee
  did or had done to their account. No time of day, no order within a day, no person, no id.

The audit kernel sits below ``accounts``, so who held a program role is passed in: ``grants`` is
a queryset of role grants with ``user_id``, ``granted_at``, ``revoked_at`` and ``expires_at``
(``accounts.selectors.role_grants(include_ended=True)``).
"""

from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_

from django.db import connection
from django.db.models import CharField, Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from .models import AuditAction, AuditChainHead, AuditEvent

# Families of actions (the part before the dot) listed with their time and who. Requests and
# everything about them are not among them; a family not named here is counted by day only.
TIMED_FAMILIES = (
    "auth",
    "account",
    "role",
    "unit",
    "employee",
    "profile",
    "demo",
    "resource",
    "audit",
    "crypto",
    "roster",
    "selection",
    "policy",
    "training",
    "committee",
    "reports",
)
# In a timed family, but about requests (re-offered when their supporter leaves).
UNTIMED_ACTIONS = frozenset({AuditAction.ROSTER_REQUESTS_REOFFERED})
# An entry about an object of these apps is never timed, whatever its action.
UNTIMED_TARGET_APPS = ("support", "releases", "confidentiality", "outreach")
ACCOUNT_TARGET = "accounts.user"


def _held_role(grants: QuerySet, user_id) -> Exists:
    """The account ``user_id`` (an expression) held a program role when the entry was made."""
    at = OuterRef("at")
    return Exists(
        grants.order_by()
        .filter(user_id=user_id, granted_at__lte=at)
        .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=at))
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at))
        .values("pk")
    )


def _timed(grants: QuerySet) -> Q:
    """The entries listed with their time and who (see the module's docstring)."""
    family = reduce(or_, (Q(action__startswith=f"{name}.") for name in TIMED_FAMILIES))
    about_requests = reduce(
        or_, (Q(target_type__startswith=f"{app}.") for app in UNTIMED_TARGET_APPS)
    )
    staff_actor = Q(actor_id__isnull=True) | Q(_held_role(grants, OuterRef("actor_id")))
    # A target's id is text; compare it with the grant's user id as text, which never fails.
    target_grants = grants.annotate(user_key=Cast("user_id", CharField()))
    staff_target = ~Q(target_type=ACCOUNT_TARGET) | Q(
        Exists(
            target_grants.order_by()
            .filter(user_key=OuterRef("target_id"), granted_at__lte=OuterRef("at"))
            .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=OuterRef("at")))
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=OuterRef("at")))
            .values("pk")
        )
    )
    return family & ~Q(action__in=UNTIMED_ACTIONS) & ~about_requests & staff_actor & staff_target


def _between(qs: QuerySet, since: date | None, until: date | None) -> QuerySet:
    """Entries from the start of ``since`` to the end of ``until``, local days."""
    if since:
        qs = qs.filter(at__gte=timezone.make_aware(datetime.combine(since, time.min)))
    if until:
        end = timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))
        qs = qs.filter(at__lt=end)
    return qs


def audit_events(
    *,
    grants: QuerySet,
    actor: str = "",
    action: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """The timed half, newest first."""
    qs = AuditEvent.objects.filter(_timed(grants)).order_by("-seq")
    if actor:
        qs = qs.filter(actor_label__icontains=actor.strip())
    if action:
        qs = qs.filter(action=action)
    return _between(qs, since, until)


def audit_days(
    *,
    grants: QuerySet,
    action: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet:
    """The other half as rows of ``day``, ``action``, ``outcome`` and ``count``: newest day
    first, then by action and outcome (never by time)."""
    qs = AuditEvent.objects.exclude(_timed(grants))
    if action:
        qs = qs.filter(action=action)
    qs = _between(qs, since, until)
    return (
        qs.annotate(day=TruncDate("at", tzinfo=timezone.get_current_timezone()))
        .values("day", "action", "outcome")
        .annotate(count=Count("pk"))
        .order_by("-day", "action", "outcome")
    )


def action_label(action: str) -> str:
    try:
        return AuditAction(action).label
    except ValueError:  # an action a later version removed
        return action


def data_version() -> int:
    """How many audited writes changed the data so far (the chain head's ``data_version``):
    what is kept in memory (home page lists, report builds) is kept only while this is the
    same. Read with one hand-written query: pages ask it on every view, and building the ORM
    query cost more than running it (issue 21)."""
    table = connection.ops.quote_name(AuditChainHead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT data_version FROM {table} WHERE id = 1")  # noqa: S608 (the model's table)
        row = cursor.fetchone()
    return row[0] if row else 0
