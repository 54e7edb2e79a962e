"""Reads of the audit log for the BHS manager's viewer.

The log is read in two halves that never overlap, so that nothing in it can be lined up against
a support request (docs/operations.md, "Reading the audit log"):

- ``timed_entries``, listed by ``audit_events``: the program's own administration, each entry
  with its time, who and what, filterable by person. Only entries of TIMED_FAMILIES, not about an
  object of UNTIMED_TARGET_APPS, whose actor (and account acted on) held a program role at the
  time.
- ``untimed_entries``, counted by ``audit_days``: everything else, as counts per day, action and
  outcome: requests and what hangs off them (messages, contacts, follow-ups, debriefs, releases,
  disclosures, escalations, outreach, codenames, and any family of actions added later), and
  whatever a plain employee did or had done to their account. No time of day, no order within a
  day, no person, no id.

Both are read one calendar month of the department's time zone at a time (``log_months``,
``in_month``): the log only grows, and a month is a range of the ``at`` index, so a page costs
what its month holds, not what the whole log does.

The audit kernel sits below ``accounts``, so who held a program role is passed in: ``grants`` is
a queryset of role grants with ``user_id``, ``granted_at``, ``revoked_at`` and ``expires_at``
(``accounts.selectors.role_grants(include_ended=True)``).
"""

from dataclasses import dataclass
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
# What the timed page shows of an entry, and what tells entries apart.
SHOWN = ("seq", "at", "actor_id", "actor_label", "action", "outcome", "target_type", "target_id")


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
        qs = qs.filter(at__gte=_local_midnight(since))
    if until:
        qs = qs.filter(at__lt=_local_midnight(until + timedelta(days=1)))
    return qs


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _month_of(at: datetime | None) -> date | None:
    return timezone.localtime(at).date().replace(day=1) if at else None


def in_month(entries: QuerySet, month: date) -> QuerySet:
    """The ``entries`` of one calendar month of the department's time zone (``month`` is its
    first day): a range of the ``at`` index, whatever else the entries are filtered on."""
    return entries.filter(
        at__gte=_local_midnight(month), at__lt=_local_midnight(_next_month(month))
    )


def timed_entries(
    *,
    grants: QuerySet,
    actor: str = "",
    action: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """The timed half with the viewer's filters, every month of it (see ``in_month``)."""
    qs = AuditEvent.objects.filter(_timed(grants))
    if actor:
        qs = qs.filter(actor_label__icontains=actor.strip())
    if action:
        qs = qs.filter(action=action)
    return _between(qs, since, until)


def untimed_entries(
    *,
    grants: QuerySet,
    action: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """The half counted by day with the viewer's filters, every month of it."""
    qs = AuditEvent.objects.exclude(_timed(grants))
    if action:
        qs = qs.filter(action=action)
    return _between(qs, since, until)


@dataclass(frozen=True)
class Months:
    """The month shown (its first day) and the nearest months before and after it that hold one
    of the entries (None when none does)."""

    shown: date
    previous: date | None
    next: date | None


def log_months(entries: QuerySet, month: date | None = None) -> Months:
    """``month``, or else the newest month holding one of ``entries`` (the current month when
    none does), and its nearest neighbours holding one. Each is one read along the ``at`` index
    from the month's edge: the newest entry before it, the oldest after it."""
    if month is None:
        newest = _month_of(_first(entries, "-at"))
        if newest is None:
            return Months(shown=timezone.localdate().replace(day=1), previous=None, next=None)
        month, after = newest, None  # nothing comes after the newest
    else:
        later = entries.filter(at__gte=_local_midnight(_next_month(month)))
        after = _month_of(_first(later, "at"))
    before = _month_of(_first(entries.filter(at__lt=_local_midnight(month)), "-at"))
    return Months(shown=month, previous=before, next=after)


def _first(entries: QuerySet, order: str) -> datetime | None:
    return entries.order_by(order).values_list("at", flat=True).first()


def audit_events(entries: QuerySet, month: date) -> QuerySet[AuditEvent]:
    """The ``timed_entries`` of one month, newest first.

    In the order of ``at``, as the month is: in the order of ``seq``, PostgreSQL walks the
    ``seq`` index back from the newest entry of the whole log to the month's. Without the
    chain's columns (``details``, the MACs), which the page never shows: the count reads every
    row of the month, and narrower rows cost it less."""
    return in_month(entries, month).only(*SHOWN).order_by("-at", "-seq")


def audit_days(entries: QuerySet, month: date) -> QuerySet:
    """The ``untimed_entries`` of one month as rows of ``day``, ``action``, ``outcome`` and
    ``count``: newest day first, then by action and outcome (never by time)."""
    return (
        in_month(entries, month)
        .annotate(day=TruncDate("at", tzinfo=timezone.get_current_timezone()))
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
