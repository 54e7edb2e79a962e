"""The program's activity, read as aggregates only (PROGRAM.md rule 8).

Every query here groups by month and by columns that are not protected (docs/threat-model.md):
no encrypted field is ever selected, and no row about a person leaves the database except the
supporter-to-bureau map (the directory's own data) and the waiting times behind a median. The
number of queries does not grow with the data (tests/test_reports.py counts them).

Bureau is the *supporter's* bureau (their unit's ancestor of kind bureau, today). Contacts hold
nothing about the requester's unit on purpose, and a requester's bureau joined with a month is
exactly the "timing joined with unit" the threat model protects. Bureaus with fewer than
``REPORTS_BUREAU_MIN_SUPPORTERS`` supporters are pooled, so that no row is one supporter's work.
"""

import datetime
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import CharField, Count, Q, Sum
from django.db.models.functions import Cast, Substr, TruncMonth
from django.utils import timezone

from peersupport.accounts.models import Employee, Unit
from peersupport.confidentiality.models import Escalation
from peersupport.governance.models import ExceptionCategory
from peersupport.outreach.models import AffectedPerson, Attempt, EventType, FollowUpTask, Outreach
from peersupport.resources.models import Category as ResourceCategory
from peersupport.roster.models import Candidacy, Nomination, SupporterProfile
from peersupport.support.models import Contact, FollowUp, SupportRequest
from peersupport.training import selectors as training
from peersupport.training.compliance import Status as ComplianceStatus
from peersupport.training.models import Attendance, CourseKind

from .periods import Period, month_of
from .suppression import ALL, BINARY, PARTITION, TOTAL, Protected, Table, Timeline, protect

OTHER_BUREAU = "other"
PLANNED = "planned"


@dataclass
class Population:
    """One kind of thing counted (contacts, requests...): its total and its breakdowns."""

    key: str
    label: str
    unit: str  # what one counts: "contacts", "requests"...
    tables: list[Table]
    minutes: dict[Period, int] | None = None
    waits: dict[Period, list[float]] = field(default_factory=dict)  # for medians


def _month(value) -> Period:
    if isinstance(value, str):  # "YYYY-MM" from Substr on a date column
        return Period(int(value[:4]), (int(value[5:7]) - 1) // 3 + 1, int(value[5:7]))
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return month_of(value)


def _date_month():
    """ "YYYY-MM" of a date column, computed by the database itself (no per-row Python
    function on SQLite, unlike TruncMonth)."""
    return Substr(Cast("date", output_field=CharField()), 1, 7)


def _add(counts, key, n):
    counts[key] = counts.get(key, 0) + n


def _total(counts_by_month) -> Table:
    return Table(
        TOTAL, TOTAL, "Total", [(ALL, "All")], {(ALL, m): n for m, n in counts_by_month.items()}
    )


# --- Bureau of the supporter ---------------------------------------------------------------


def supporter_bureaus() -> tuple[dict[int, str], list[tuple[str, str]]]:
    """user id -> bureau row key, and the rows (bureaus with enough supporters, then the pool).
    Two queries."""
    units = {u.pk: u for u in Unit.objects.only("pk", "name", "kind", "parent_id")}

    def bureau_of(unit_id):
        seen = set()
        while unit_id is not None and unit_id not in seen:
            seen.add(unit_id)
            unit = units.get(unit_id)
            if unit is None:
                return None
            if unit.kind == Unit.Kind.BUREAU:
                return unit
            unit_id = unit.parent_id
        return None

    people = Employee.objects.filter(user__supporter_profile__isnull=False).values_list(
        "user_id", "unit_id"
    )
    of_user = {}
    for user_id, unit_id in people:
        bureau = bureau_of(unit_id)
        of_user[user_id] = bureau
    sizes: dict[int, int] = defaultdict(int)
    for bureau in of_user.values():
        if bureau is not None:
            sizes[bureau.pk] += 1
    keep = {pk for pk, n in sizes.items() if n >= settings.REPORTS_BUREAU_MIN_SUPPORTERS}
    mapping = {
        user_id: (f"b{b.pk}" if b is not None and b.pk in keep else OTHER_BUREAU)
        for user_id, b in of_user.items()
    }
    rows = sorted((f"b{pk}", units[pk].name) for pk in keep)
    rows = sorted(rows, key=lambda r: r[1])
    rows.append((OTHER_BUREAU, "Other bureaus, or none"))
    return mapping, rows


# --- Populations ---------------------------------------------------------------------------


def contacts() -> Population:
    """Contacts: total and hours, mode, requester type, bureau, topics, referral kinds and
    follow-ups planned. Five queries (and two for the bureaus)."""
    total, minutes = {}, {}
    mode, kind, planned = {}, {}, {}
    rows = (
        Contact.objects.annotate(month=_date_month())
        .values("month", "mode", "requester_type", "follow_up_planned")
        .annotate(n=Count("id"), minutes=Sum("duration_minutes"))
        .order_by()
    )
    for r in rows:
        month = _month(r["month"])
        _add(total, month, r["n"])
        _add(minutes, month, r["minutes"] or 0)
        _add(mode, (r["mode"], month), r["n"])
        _add(kind, (r["requester_type"], month), r["n"])
        if r["follow_up_planned"]:
            _add(planned, (PLANNED, month), r["n"])
    bureau_of, bureau_rows = supporter_bureaus()
    bureau = {}
    for r in (
        Contact.objects.annotate(month=_date_month())
        .values("month", "supporter_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        row = bureau_of.get(r["supporter_id"], OTHER_BUREAU)
        _add(bureau, (row, _month(r["month"])), r["n"])
    topics = {}
    for r in (
        Contact.objects.annotate(month=_date_month())
        .values("month", "topics")
        .annotate(n=Count("id"))
        .order_by()
    ):
        for topic in set(r["topics"] or []):
            _add(topics, (topic, _month(r["month"])), r["n"])
    referrals = {}
    through = Contact.referrals.through
    for r in (
        through.objects.annotate(month=Substr(Cast("contact__date", CharField()), 1, 7))
        .values("month", "resource__category")
        .annotate(n=Count("contact_id", distinct=True))
        .order_by()
    ):
        _add(referrals, (r["resource__category"], _month(r["month"])), r["n"])
    return Population(
        key="contacts",
        label="Contacts",
        unit="contacts",
        tables=[
            _total(total),
            Table("mode", PARTITION, "Contacts by mode", list(Contact.Mode.choices), mode),
            Table(
                "requester_type",
                PARTITION,
                "Contacts by who asked",
                list(Contact.RequesterType.choices),
                kind,
            ),
            Table("topic", BINARY, "Topics", list(Contact.Topic.choices), topics),
            Table(
                "referral",
                BINARY,
                "Contacts with a referral, by kind of resource",
                list(ResourceCategory.choices),
                referrals,
            ),
            Table(
                "follow_up_planned",
                BINARY,
                "Contacts with a follow-up planned",
                [(PLANNED, "Follow-up planned")],
                planned,
            ),
            Table("bureau", PARTITION, "Contacts by the supporter's bureau", bureau_rows, bureau),
        ],
        minutes=minutes,
    )


def requests() -> Population:
    """Requests for support by who asked, and the time from request to acceptance."""
    total, kind = {}, {}
    for r in (
        SupportRequest.objects.annotate(month=TruncMonth("created_at"))
        .values("month", "kind")
        .annotate(n=Count("id"))
        .order_by()
    ):
        month = _month(r["month"])
        _add(total, month, r["n"])
        _add(kind, (r["kind"], month), r["n"])
    waits: dict[Period, list[float]] = defaultdict(list)
    for created, accepted in SupportRequest.objects.filter(accepted_at__isnull=False).values_list(
        "created_at", "accepted_at"
    ):
        waits[_month(created)].append((accepted - created).total_seconds() / 3600)
    from peersupport.support.models import RequesterKind

    return Population(
        key="requests",
        label="Requests for support",
        unit="requests",
        tables=[
            _total(total),
            Table("kind", PARTITION, "Requests by who asked", list(RequesterKind.choices), kind),
        ],
        waits=dict(waits),
    )


def escalations() -> Population:
    total, category = {}, {}
    for r in (
        Escalation.objects.annotate(month=TruncMonth("raised_at"))
        .values("month", "category_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        month = _month(r["month"])
        _add(total, month, r["n"])
        _add(category, (str(r["category_id"]), month), r["n"])
    waits: dict[Period, list[float]] = defaultdict(list)
    for raised, acknowledged in Escalation.objects.filter(
        acknowledged_at__isnull=False
    ).values_list("raised_at", "acknowledged_at"):
        waits[_month(raised)].append((acknowledged - raised).total_seconds() / 60)
    rows = [(str(pk), name) for pk, name in ExceptionCategory.objects.values_list("pk", "name")]
    return Population(
        key="escalations",
        label="Confidentiality escalations",
        unit="escalations",
        tables=[
            _total(total),
            Table("category", PARTITION, "Escalations by category", rows, category),
        ],
        waits=dict(waits),
    )


def _simple(
    key, label, unit, queryset, date_field, split_field, choices, split_label, *, trunc=True
):
    total, split = {}, {}
    month_expr = (
        TruncMonth(date_field)
        if trunc
        else Substr(Cast(date_field, output_field=CharField()), 1, 7)
    )
    for r in (
        queryset.annotate(month=month_expr)
        .values("month", split_field)
        .annotate(n=Count("id"))
        .order_by()
    ):
        month = _month(r["month"])
        _add(total, month, r["n"])
        _add(split, (str(r[split_field]), month), r["n"])
    return Population(
        key=key,
        label=label,
        unit=unit,
        tables=[_total(total), Table(split_field, PARTITION, split_label, choices, split)],
    )


DONE_CHOICES = [("True", "Done"), ("False", "Not done")]


def follow_ups() -> Population:
    return _simple(
        "follow_ups",
        "Follow-ups after contacts",
        "follow-ups",
        FollowUp.objects.annotate(done=Q(done_at__isnull=False)),
        "due",
        "done",
        DONE_CHOICES,
        "Follow-ups due, done or not",
        trunc=False,
    )


def outreach_people() -> Population:
    return _simple(
        "outreach_people",
        "People reached out to",
        "people",
        AffectedPerson.objects.annotate(event_type=Cast("outreach__event_type", CharField())),
        "outreach__event_date",
        "event_type",
        list(EventType.choices),
        "People reached out to, by event",
        trunc=False,
    )


def outreaches() -> Population:
    return _simple(
        "outreaches",
        "Outreaches opened",
        "outreaches",
        Outreach.objects.all(),
        "event_date",
        "event_type",
        list(EventType.choices),
        "Outreaches by event",
        trunc=False,
    )


def outreach_attempts() -> Population:
    return _simple(
        "outreach_attempts",
        "Outreach attempts",
        "attempts",
        Attempt.objects.all(),
        "at",
        "outcome",
        list(Attempt.Outcome.choices),
        "Outreach attempts by outcome",
    )


def outreach_tasks() -> Population:
    return _simple(
        "outreach_tasks",
        "Outreach follow-ups due",
        "follow-ups",
        FollowUpTask.objects.all(),
        "due_at",
        "status",
        list(FollowUpTask.Status.choices),
        "Outreach follow-ups by status",
    )


def training_days() -> Population:
    """Attendance at training, in person-days, by kind of course, with the hours credited."""
    total, kind, minutes = {}, {}, {}
    for r in (
        Attendance.objects.filter(hours__gt=0)
        .annotate(month=TruncMonth("day__starts_at"))
        .values("month", "day__session__course__kind")
        .annotate(n=Count("id"), hours=Sum("hours"))
        .order_by()
    ):
        month = _month(r["month"])
        _add(total, month, r["n"])
        _add(minutes, month, int(round((r["hours"] or 0) * 60)))
        _add(kind, (r["day__session__course__kind"], month), r["n"])
    return Population(
        key="training",
        label="Training attended",
        unit="person-days",
        tables=[
            _total(total),
            Table(
                "course_kind", PARTITION, "Training days by kind", list(CourseKind.choices), kind
            ),
        ],
        minutes=minutes,
    )


STAGE_GROUPS = [
    ("in_progress", "Still in selection"),
    ("appointed", "Appointed"),
    ("ended", "Did not go on"),
]
_ENDED = {"declined", "not_selected", "not_recommended", "refused", "withdrawn", "chain_declined"}


def candidacies() -> Population:
    total, group = {}, {}
    for r in (
        Candidacy.objects.annotate(month=TruncMonth("created_at"))
        .values("month", "stage")
        .annotate(n=Count("id"))
        .order_by()
    ):
        month = _month(r["month"])
        stage = r["stage"]
        key = "appointed" if stage == "appointed" else "ended" if stage in _ENDED else "in_progress"
        _add(total, month, r["n"])
        _add(group, (key, month), r["n"])
    return Population(
        key="candidacies",
        label="Candidates for selection",
        unit="candidates",
        tables=[
            _total(total),
            Table("stage", PARTITION, "Candidates by where they are now", STAGE_GROUPS, group),
        ],
    )


def nominations() -> Population:
    total = {}
    for r in (
        Nomination.objects.annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by()
    ):
        _add(total, _month(r["month"]), r["n"])
    return Population("nominations", "Nominations", "nominations", [_total(total)])


POPULATIONS = (
    contacts,
    requests,
    follow_ups,
    escalations,
    outreaches,
    outreach_people,
    outreach_tasks,
    outreach_attempts,
    training_days,
    candidacies,
    nominations,
)


# --- Snapshots: counts that are not sums over months ---------------------------------------


LOAD_BUCKETS = [
    ("none", "No contacts"),
    ("1-5", "1 to 5"),
    ("6-10", "6 to 10"),
    ("11-20", "11 to 20"),
    ("21+", "More than 20"),
]


def _bucket(n: int) -> str:
    if n == 0:
        return "none"
    if n <= 5:
        return "1-5"
    if n <= 10:
        return "6-10"
    return "11-20" if n <= 20 else "21+"


def _snapshot(key, label, rows, counts: dict[str, int], *, today, threshold) -> Protected:
    """A one-off count (supporters by status, by load) protected as a cube of one period with
    every unit in one month: only the year's cells are ever read."""
    year = Period(today.year - 1)
    month = year.months()[-1]
    tables = [
        _total({month: sum(counts.values())}),
        Table(key, PARTITION, label, rows, {(r, month): n for r, n in counts.items()}),
    ]
    return protect(tables, Timeline(year.year, year.year, today=today), threshold=threshold)


def supporter_load(period: Period, *, threshold: int) -> tuple[Protected, Period]:
    """Supporters active today by how many contacts they logged in ``period``. Two queries."""
    per = dict(
        Contact.objects.filter(date__gte=period.first_day, date__lte=period.last_day)
        .values("supporter_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("supporter_id", "n")
    )
    counts: dict[str, int] = defaultdict(int)
    for user_id in SupporterProfile.objects.filter(
        status=SupporterProfile.Status.ACTIVE
    ).values_list("user_id", flat=True):
        counts[_bucket(per.get(user_id, 0))] += 1
    today = datetime.date(2001, 1, 2)
    result = _snapshot(
        "load",
        "Supporters by contacts logged",
        LOAD_BUCKETS,
        counts,
        today=today,
        threshold=threshold,
    )
    return result, Period(2000)


def compliance(year: int, *, threshold: int) -> tuple[Protected, Period]:
    """Supporters (active, inactive, appointed) by training compliance for ``year``."""
    counts: dict[str, int] = defaultdict(int)
    for row in training.compliance_rows(year=year):
        counts[row.compliance.status] += 1
    today = datetime.date(2001, 1, 2)
    result = _snapshot(
        "compliance",
        "Supporters by training compliance",
        list(ComplianceStatus.choices),
        counts,
        today=today,
        threshold=threshold,
    )
    return result, Period(2000)


def roster(*, threshold: int) -> tuple[Protected, Period]:
    counts = dict(
        SupporterProfile.objects.values("status")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("status", "n")
    )
    today = datetime.date(2001, 1, 2)
    result = _snapshot(
        "status",
        "Supporters by status today",
        list(SupporterProfile.Status.choices),
        counts,
        today=today,
        threshold=threshold,
    )
    return result, Period(2000)


# --- Everything, protected together --------------------------------------------------------


@dataclass
class Cube:
    """Every population, protected over one timeline."""

    today: datetime.date
    threshold: int
    populations: dict[str, Population]
    protected: dict[str, Protected]
    first_year: int


def cube(*, today: datetime.date | None = None, threshold: int | None = None) -> Cube:
    today = today or timezone.localdate()
    threshold = threshold or settings.REPORTS_SUPPRESSION_THRESHOLD
    populations = {p.key: p for p in (make() for make in POPULATIONS)}
    months = [m for p in populations.values() for t in p.tables for (_row, m) in t.counts] or [
        month_of(today)
    ]
    first = min(min(m.year for m in months), today.year)
    timeline = Timeline(first, max(today.year, max(m.year for m in months)), today=today)
    protected = {
        key: protect(p.tables, timeline, threshold=threshold, minutes=p.minutes)
        for key, p in populations.items()
    }
    return Cube(today, threshold, populations, protected, first)


def cached_cube() -> Cube:
    """``cube()`` for today, kept in the shared cache until the next audited write.

    Every write the reports read (a contact, an escalation acknowledged, attendance, a move in
    selection...) goes through a service that appends to the audit chain, so the chain head's
    sequence number is a version of the data: while it is unchanged the protected counts are
    too. A day change or a new threshold is a new key as well."""
    from django.core.cache import cache

    from peersupport.audit.models import AuditChainHead

    today = timezone.localdate()
    seq = AuditChainHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    key = f"reports-cube:{today.isoformat()}:{settings.REPORTS_SUPPRESSION_THRESHOLD}:{seq}"
    built = cache.get(key)
    if built is None:
        built = cube(today=today)
        cache.set(key, built, timeout=24 * 3600)
    return built


def median_wait(population: Population, node: Period, threshold: int) -> float | None:
    """The median of the waiting times behind ``node``, when more than ``threshold`` of them
    (a median of a handful points at the handful)."""
    values = [w for m in node.months() for w in population.waits.get(m, [])]
    if len(values) <= threshold:
        return None
    return round(statistics.median(values), 1)
