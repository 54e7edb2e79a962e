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
what its month holds, not what the whole log does. Every entry of the month is tested for its
half, so the test is kept cheap per entry: a family is the text up to an action's first dot,
looked up in a list (a LIKE per family was half the test's time), and who held a role since the
month's last grant change is read once and written into the query as a list of ids
(``_steady_staff``), leaving the subquery per entry to the entries made before that change.

The audit kernel sits below ``accounts``, so who held a program role is passed in: ``grants`` is
a queryset of role grants with ``user_id``, ``granted_at``, ``revoked_at`` and ``expires_at``
(``accounts.selectors.role_grants(include_ended=True)``).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DateField,
    Exists,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, StrIndex, Substr
from django.db.models.lookups import In
from django.utils import timezone

from peersupport import rawsql
from peersupport.tenancy import current_agency_id_or_none

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


def _family(field: str) -> Substr:
    """The text of ``field`` up to and including its first dot ('' without one): an action's
    family, or the app of a target's type."""
    return Substr(field, 1, StrIndex(field, Value(".")))


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


def _staff_ever(grants: QuerySet) -> tuple[Exists, Exists]:
    """Whether the actor, and the account acted on, held a program role when an entry was made:
    a subquery per entry."""
    # A target's id is text; compare it with the grant's user id as text, which never fails.
    target_grants = grants.annotate(user_key=Cast("user_id", CharField()))
    staff_target = Exists(
        target_grants.order_by()
        .filter(user_key=OuterRef("target_id"), granted_at__lte=OuterRef("at"))
        .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=OuterRef("at")))
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=OuterRef("at")))
        .values("pk")
    )
    return _held_role(grants, OuterRef("actor_id")), staff_target


# Stand-ins for the month's bounds and the moment since which the staff held steady in the
# statements ``_steady_plan`` compiles once (no grant is dated in these years); each run puts
# the real moments where the stand-ins are.
_START, _END, _SINCE = (datetime(1001 + n, 1, 1, tzinfo=UTC) for n in range(3))
_STEADY: dict[tuple[str, str, str], tuple[tuple[str, tuple], tuple[str, tuple]]] = {}


def _steady_plan(grants: QuerySet) -> tuple[tuple[str, tuple], tuple[str, tuple]]:
    """``_steady_staff``'s two statements as SQL and parameters, compiled once per process,
    database and grants filter (as ``_compiled``): the last moment inside the month when a
    grant began, was revoked or expired, and the accounts holding one from ``_SINCE`` to the
    month's end."""
    # The agency too: the grants' query is scoped on it, and its id is a compiled parameter.
    key = (
        connection.alias,
        current_agency_id_or_none(),
        grants.model._meta.label,
        str(grants.query.where),
    )
    if key not in _STEADY:
        if len(_STEADY) >= 8:
            _STEADY.clear()  # as ``_COMPILED``: grants filtered on a moment
        month = (
            grants.order_by()
            .filter(granted_at__lt=_END)
            .exclude(revoked_at__lte=_START)
            .exclude(expires_at__lte=_START)
        )
        # The latest of each moment inside the month: one row (grouped by a constant, which
        # Django leaves out of the SQL, so every grant of the month is one group).
        moments = ("granted_at", "revoked_at", "expires_at")
        changed = (
            month.annotate(one=Value(1))
            .values("one")
            .annotate(
                **{
                    f"last_{name}": Max(
                        name, filter=Q(**{f"{name}__gt": _START, f"{name}__lt": _END})
                    )
                    for name in moments
                }
            )
            .values_list(*(f"last_{name}" for name in moments))
        )
        held = (
            month.filter(granted_at__lte=_SINCE)
            .exclude(revoked_at__lte=_SINCE)
            .exclude(expires_at__lte=_SINCE)
            .values_list("user_id", flat=True)
        )
        _STEADY[key] = tuple(
            qs.query.get_compiler(connection=connection).as_sql() for qs in (changed, held)
        )
    return _STEADY[key]


def _run(statement: tuple[str, tuple], moments: dict[datetime, datetime]) -> list[tuple]:
    adapt = connection.ops.adapt_datetimefield_value
    swap = {adapt(stand_in): adapt(moment) for stand_in, moment in moments.items()}
    sql, params = statement
    with connection.cursor() as cursor:
        cursor.execute(sql, [swap.get(param, param) for param in params])
        return cursor.fetchall()


def _steady_staff(grants: QuerySet, start: datetime, end: datetime) -> tuple[datetime, set[int]]:
    """The last moment from ``start`` to ``end`` when a grant began or ended (``start`` if none
    did), and the accounts that held a program role from then to ``end``. A grant is held from
    its ``granted_at`` until the first of its ``revoked_at`` and ``expires_at``.

    Two small answers from the database, the last change in the month and then the ids, by
    statements compiled once (``_steady_plan``): reading every grant with its three moments and
    comparing them here, through the ORM, cost about 2.5 ms a page at 400 grants (issue 21)."""
    changed, held = _steady_plan(grants)
    bounds = {_START: start, _END: end}
    changes = [
        moment
        for row in _run(changed, bounds)
        for moment in map(rawsql.moment, row)
        if moment is not None and start < moment < end
    ]
    since = max(changes, default=start)
    staff = {user_id for (user_id,) in _run(held, {**bounds, _SINCE: since})}
    return since, staff


def _sql(condition: Q) -> tuple[str, tuple]:
    """``condition`` on the log's entries, compiled to SQL and its parameters."""
    query = AuditEvent.objects.filter(condition).query
    sql, params = query.get_compiler(connection=connection).compile(query.where)
    return sql, tuple(params)


# The parts of ``_timed`` that never change, compiled once per process, database and grants
# filter: building and compiling them (two subqueries, two lists) cost each query as much as
# running it, and a page runs three or four. (The grants' filter, not their whole query: that
# has joins to compile, which cost as much again.)
_COMPILED: dict[tuple, dict[str, tuple[str, tuple]]] = {}


def _compiled(grants: QuerySet) -> dict[str, tuple[str, tuple]]:
    # The agency too: the grants' query is scoped on it, and its id is a compiled parameter.
    key = (
        connection.alias,
        current_agency_id_or_none(),
        grants.model._meta.label,
        str(grants.query.where),
    )
    if key not in _COMPILED:
        if len(_COMPILED) >= 8:
            # Grants filtered on a moment (``role_grants()`` rather than every grant) would
            # make a key per call: kept from growing, though it then saves nothing.
            _COMPILED.clear()
        staff_actor, staff_target = _staff_ever(grants)
        family = In(_family("action"), [f"{name}." for name in TIMED_FAMILIES])
        about_requests = In(_family("target_type"), [f"{app}." for app in UNTIMED_TARGET_APPS])
        _COMPILED[key] = {
            "kind": _sql(Q(family) & ~Q(action__in=UNTIMED_ACTIONS) & ~Q(about_requests)),
            "actor": _sql(Q(staff_actor)),
            "target": _sql(Q(staff_target)),
        }
    return _COMPILED[key]


def _column(name: str) -> str:
    quote = connection.ops.quote_name
    return f"{quote(AuditEvent._meta.db_table)}.{quote(name)}"


def _steady_or(
    since: datetime, read_at: datetime, column: str, values: list, otherwise: tuple[str, tuple]
):
    """``column`` is one of ``values`` for entries made from ``since`` until ``read_at`` (when
    the grants behind ``values`` were read: a grant changed after that, between the two
    statements, is answered by the subquery, which sees it), ``otherwise`` (a test as SQL and
    parameters) for the others. A CASE, which no index answers: as an OR of ``actor_id`` terms,
    SQLite read the month through the ``actor_id`` index, one look-up per id, instead of as a
    range of ``at``."""
    sql, params = otherwise
    if not values:  # an empty IN is not SQL; the subquery answers for every entry
        return sql, params
    adapt = connection.ops.adapt_datetimefield_value
    marks = ", ".join(["%s"] * len(values))
    at = _column("at")
    return (
        f"CASE WHEN {at} >= %s AND {at} < %s THEN {_column(column)} IN ({marks}) ELSE {sql} END",
        (adapt(since), adapt(read_at), *values, *params),
    )


def _timed(grants: QuerySet, month: date | None = None) -> RawSQL:
    """The entries listed with their time and who (see the module's docstring), of ``month``
    only when it is given (the entries must then be those of ``in_month``).

    Who held a role is a subquery per entry; in a month, entries made since its last grant
    began or ended (most of them: grants change a few times a month) are compared with a list
    of the accounts that held one then instead (``_steady_staff``)."""
    parts = _compiled(grants)
    kind, actor, target = parts["kind"], parts["actor"], parts["target"]
    if month is not None:
        read_at = timezone.now()  # before the grants are read
        since, staff = _steady_staff(grants, *_month_bounds(month))
        ids = sorted(staff)
        actor = _steady_or(since, read_at, "actor_id", ids, actor)
        target = _steady_or(since, read_at, "target_id", [str(i) for i in ids], target)
    sql = (
        f"{kind[0]} AND ({_column('actor_id')} IS NULL OR {actor[0]})"
        f" AND ({_column('target_type')} <> %s OR {target[0]})"
    )
    params = (*kind[1], *actor[1], ACCOUNT_TARGET, *target[1])
    return RawSQL(sql, params, output_field=BooleanField())  # noqa: S611 (no outside text)


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


def _month_bounds(month: date) -> tuple[datetime, datetime]:
    return _local_midnight(month), _local_midnight(_next_month(month))


def in_month(entries: QuerySet, month: date) -> QuerySet:
    """The ``entries`` of one calendar month of the department's time zone (``month`` is its
    first day): a range of the ``at`` index, whatever else the entries are filtered on."""
    start, end = _month_bounds(month)
    return entries.filter(at__gte=start, at__lt=end)


def of_agency(agency_id: int, *, unassigned: bool) -> Q:
    """The events of one agency (issue 23): its own, and with ``unassigned`` (the default
    agency's viewer) those written with no agency, before agencies existed."""
    mine = Q(agency_id=agency_id)
    return mine | Q(agency_id__isnull=True) if unassigned else mine


def timed_entries(
    *,
    grants: QuerySet,
    agency: Q,
    month: date | None = None,
    actor: str = "",
    action: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """The timed half with the viewer's filters, of one ``month`` or of every month, of the
    ``agency`` (``of_agency``)."""
    qs = _half(AuditEvent.objects.filter, grants, month).filter(agency)
    if actor:
        qs = qs.filter(actor_label__icontains=actor.strip())
    if action:
        qs = qs.filter(action=action)
    return _between(qs, since, until)


def untimed_entries(
    *,
    grants: QuerySet,
    agency: Q,
    month: date | None = None,
    action: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """The half counted by day with the viewer's filters, of one ``month`` or of every month,
    of the ``agency`` (``of_agency``)."""
    qs = _half(AuditEvent.objects.exclude, grants, month).filter(agency)
    if action:
        qs = qs.filter(action=action)
    return _between(qs, since, until)


def _half(choose, grants: QuerySet, month: date | None) -> QuerySet[AuditEvent]:
    """``choose`` (``filter`` or ``exclude`` of the log) applied to the timed entries."""
    qs = choose(_timed(grants, month))
    return qs if month is None else in_month(qs, month)


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


def audit_events(entries: QuerySet) -> QuerySet[AuditEvent]:
    """The ``timed_entries`` of one month, newest first.

    In the order of ``at``, as the month is: in the order of ``seq``, PostgreSQL walks the
    ``seq`` index back from the newest entry of the whole log to the month's. Without the
    chain's columns (``details``, the MACs), which the page never shows."""
    return entries.only(*SHOWN).order_by("-at", "-seq")


def audit_days(entries: QuerySet, month: date) -> QuerySet:
    """The ``untimed_entries`` of ``month`` as rows of ``day``, ``action``, ``outcome`` and
    ``count``: newest day first, then by action and outcome (never by time).

    An entry's day is found by comparing its ``at`` with the month's local midnights, worked
    out here (a day may last 23 or 25 hours where the clocks change): truncating ``at`` to a
    local date runs a Python function for every entry on SQLite."""
    days = [month + timedelta(days=n) for n in range((_next_month(month) - month).days)]
    ops = connection.ops
    params = []
    for day in days[:-1]:
        next_midnight = _local_midnight(day + timedelta(days=1))
        params += [ops.adapt_datetimefield_value(next_midnight), ops.adapt_datefield_value(day)]
    whens = f" WHEN {_column('at')} < %s THEN %s" * (len(days) - 1)
    day = RawSQL(  # noqa: S611 (no outside text)
        f"CASE{whens} ELSE %s END",
        (*params, ops.adapt_datefield_value(days[-1])),
        output_field=DateField(),
    )
    return (
        in_month(entries, month)  # as the callers pass it: an entry outside it has no day here
        .annotate(day=day)
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
