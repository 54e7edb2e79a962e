"""The program's activity, read as aggregates only (PROGRAM.md rule 8).

Every query here groups by month and by columns that are not protected (docs/threat-model.md):
no encrypted field is ever selected, and no row about a person leaves the database except the
supporter-to-bureau map (the directory's own data) and the waiting times behind a median. The
number of queries does not grow with the data (tests/reports/test_views.py counts them).

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
from peersupport.outreach.models import (
    AffectedPerson,
    Attempt,
    EventType,
    FollowUpTask,
    GroupSession,
    Outreach,
)
from peersupport.resources.models import Category as ResourceCategory
from peersupport.roster.models import SupporterProfile
from peersupport.selection.models import Candidacy, Nomination
from peersupport.support.models import Contact, FollowUp, RequesterKind, SupportRequest
from peersupport.training import selectors as training
from peersupport.training.compliance import Status as ComplianceStatus
from peersupport.training.models import Attendance, CourseKind

from . import periods, publishing, sealed, snapshots
from .models import PeriodClosure, Publication
from .periods import Period, is_closed, month_of, parse
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


def _contact_counts(lo: int, hi: int | None) -> dict:
    """The contacts with ``lo < id <= hi`` counted for the tables (sealed.py): by month, mode,
    who asked and follow-up planned (with their minutes); by month and supporter; by month
    and set of topics; by month and kind of resource referred to (each contact once a kind).
    Four grouped queries."""
    ids = Q(pk__gt=lo) if hi is None else Q(pk__gt=lo, pk__lte=hi)
    rows = Contact.objects.filter(ids).annotate(month=_date_month())
    main = {
        (r["month"], r["mode"], r["requester_type"], r["follow_up_planned"]): (
            r["n"],
            r["minutes"] or 0,
        )
        for r in rows.values("month", "mode", "requester_type", "follow_up_planned")
        .annotate(n=Count("id"), minutes=Sum("duration_minutes"))
        .order_by()
    }
    supporter = {
        (r["month"], r["supporter_id"]): r["n"]
        for r in rows.values("month", "supporter_id").annotate(n=Count("id")).order_by()
    }
    topics: dict[tuple, int] = {}
    for r in rows.values("month", "topics").annotate(n=Count("id")).order_by():
        key = (r["month"], tuple(sorted(set(r["topics"] or []))))
        topics[key] = topics.get(key, 0) + r["n"]
    through = Contact.referrals.through
    referred = Q(contact_id__gt=lo) if hi is None else Q(contact_id__gt=lo, contact_id__lte=hi)
    referrals = {
        (r["month"], r["resource__category"]): r["n"]
        for r in through.objects.filter(referred)
        .annotate(month=Substr(Cast("contact__date", CharField()), 1, 7))
        .values("month", "resource__category")
        .annotate(n=Count("contact_id", distinct=True))
        .order_by()
    }
    return {"main": main, "supporter": supporter, "topics": topics, "referrals": referrals}


def contacts() -> Population:
    """Contacts: total and hours, mode, requester type, bureau, topics, referral kinds and
    follow-ups planned. Counted from the counts kept up to the last sealed contact plus the
    contacts after it (sealed.py): a build reads only the newest contacts, not all of them.
    A resource's kind is the one it had when the contacts referred to it were sealed."""
    parts = sealed.counts("contacts", Contact, _contact_counts)
    total, minutes = {}, {}
    mode, kind, planned = {}, {}, {}
    for (month_key, mode_value, requester_type, follow_up), (n, spent) in parts.get(
        "main", {}
    ).items():
        month = _month(month_key)
        _add(total, month, n)
        _add(minutes, month, spent)
        _add(mode, (mode_value, month), n)
        _add(kind, (requester_type, month), n)
        if follow_up:
            _add(planned, (PLANNED, month), n)
    bureau_of, bureau_rows = supporter_bureaus()
    bureau = {}
    for (month_key, supporter_id), n in parts.get("supporter", {}).items():
        _add(bureau, (bureau_of.get(supporter_id, OTHER_BUREAU), _month(month_key)), n)
    topics = {}
    for (month_key, chosen), n in parts.get("topics", {}).items():
        for topic in chosen:
            _add(topics, (topic, _month(month_key)), n)
    referrals = {}
    for (month_key, category), n in parts.get("referrals", {}).items():
        _add(referrals, (category, _month(month_key)), n)
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


def group_sessions() -> tuple[Population, Population]:
    """Group support sessions held (their attendance recorded) and the people who came, by
    month of the session and kind of event. Attendance is a count, never names, and it is
    protected as a population of its own: a session of two is a small count. One query."""
    sessions, session_kind, people, people_kind = {}, {}, {}, {}
    for r in (
        GroupSession.objects.filter(attendance__isnull=False)
        .annotate(
            month=TruncMonth("starts_at"), event_type=Cast("outreach__event_type", CharField())
        )
        .values("month", "event_type")
        .annotate(n=Count("id"), people=Sum("attendance"))
        .order_by()
    ):
        month = _month(r["month"])
        _add(sessions, month, r["n"])
        _add(session_kind, (r["event_type"], month), r["n"])
        if r["people"]:
            _add(people, month, r["people"])
            _add(people_kind, (r["event_type"], month), r["people"])
    return (
        Population(
            key="group_sessions",
            label="Group sessions held",
            unit="sessions",
            tables=[
                _total(sessions),
                Table(
                    "event_type",
                    PARTITION,
                    "Group sessions held, by event",
                    list(EventType.choices),
                    session_kind,
                ),
            ],
        ),
        Population(
            key="group_attendance",
            label="Attendance at group sessions",
            unit="attendees",
            tables=[
                _total(people),
                Table(
                    "event_type",
                    PARTITION,
                    "Attendance at group sessions, by event",
                    list(EventType.choices),
                    people_kind,
                ),
            ],
        ),
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
    group_sessions,
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


@dataclass
class SupporterTables:
    status: Protected
    compliance: Protected
    load: Protected


def supporter_tables(
    period: Period, *, threshold: int, today: datetime.date, closed: Period | None = None
) -> SupporterTables:
    """Supporters by status today, by training compliance for ``period``'s year and (active
    today) by contacts logged in ``period``, protected as one family (snapshots.py). The load
    table of a period over and the compliance table of a year over are published the first
    time and read back afterwards. At most six queries, and a few more to publish.

    The status table's active row is always shown: the directory lists the active supporters
    to every employee anyway. ``closed`` is the last closed month: the load table of a closed
    period is published."""

    year_over = period.year < today.year
    keys = [("load", period.key)] + ([("compliance", str(period.year))] if year_over else [])
    published = {
        (p, k): cells
        for p, k, cells in Publication.objects.filter(
            population__in=[p for p, _k in keys], period__in=[k for _p, k in keys]
        ).values_list("population", "period", "cells")
        if (p, k) in keys
    }
    people = list(SupporterProfile.objects.values_list("user_id", "status"))
    status_counts: dict[str, int] = defaultdict(int)
    for _user, status in people:
        status_counts[status] += 1
    status = snapshots.status(list(SupporterProfile.Status.choices), status_counts, threshold)
    new = {}
    if ("compliance", str(period.year)) in published:
        compliance = snapshots.frozen(published[("compliance", str(period.year))], threshold)
    else:
        counts: dict[str, int] = defaultdict(int)
        for row in training.compliance_rows(year=period.year, today=today):
            counts[row.compliance.status] += 1
        rows = list(ComplianceStatus.choices)
        compliance = snapshots.compliance(rows, counts, status, threshold)
        if year_over:
            new[("compliance", str(period.year))] = ({}, snapshots.cells(compliance))
    if ("load", period.key) in published:
        load = snapshots.frozen(published[("load", period.key)], threshold)
    else:
        per = dict(
            Contact.objects.filter(date__gte=period.first_day, date__lte=period.last_day)
            .values("supporter_id")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("supporter_id", "n")
        )
        counts = defaultdict(int)
        for user_id, status_key in people:
            if status_key == SupporterProfile.Status.ACTIVE:
                counts[_bucket(per.get(user_id, 0))] += 1
        load = snapshots.load(LOAD_BUCKETS, counts, status, threshold)
        if is_closed(period, closed):
            new[("load", period.key)] = ({}, snapshots.cells(load))
    if not publishing.publish(new):  # another server published them first: theirs stand
        return supporter_tables(period, threshold=threshold, today=today, closed=closed)
    return SupporterTables(status, compliance, load)


# --- Everything, protected together --------------------------------------------------------


@dataclass
class Cube:
    """Every population, protected over one timeline, with the medians shown."""

    today: datetime.date
    threshold: int
    populations: dict[str, Population]
    protected: dict[str, Protected]
    first_year: int
    medians: dict[tuple[str, str], float | None] = field(default_factory=dict)
    closed: Period | None = None  # the last closed month: every period up to it is reported

    def is_closed(self, node: Period) -> bool:
        return is_closed(node, self.closed)

    def median(self, key: str, node: Period) -> float | None:
        """The median published for ``node`` (every period over is published)."""
        if (key, node.key) in self.medians:
            return self.medians[(key, node.key)]
        return median_wait(self.populations[key], node, self.threshold)


def cube(*, today: datetime.date | None = None, threshold: int | None = None) -> Cube:
    """Every population, protected, with every period over published (publishing.py): built
    again on the winner's numbers if another builder published the same periods first."""
    today = today or timezone.localdate()
    threshold = threshold or settings.REPORTS_SUPPRESSION_THRESHOLD
    for _attempt in range(3):
        built, new = _build(today, threshold)
        if publishing.publish(new):
            return built
    # Only another builder publishing the same periods can make one lose, and the next build
    # reads them: losing three times in a row means the database is not keeping them.
    raise RuntimeError("Program reports: published periods could not be read back.")


BEFORE_ALL = Period(1999, 4, 12)  # "closed through" when no month is closed yet


def closed_through(today: datetime.date | None = None) -> Period | None:
    """The last closed reporting month (periods.closed_through): the coordinator's last
    closure or the grace after a month's end, whichever is later. One query."""
    today = today or timezone.localdate()
    manual = [parse(k) for k in PeriodClosure.objects.values_list("through", flat=True)]
    return periods.closed_through(
        today,
        manual=max(manual, key=lambda p: p.first_day) if manual else None,
        grace_days=settings.REPORTS_PERIOD_GRACE_DAYS,
    )


def _build(today: datetime.date, threshold: int):
    populations: dict[str, Population] = {}
    for make in POPULATIONS:
        made = make()
        for population in made if isinstance(made, tuple) else (made,):
            populations[population.key] = population
    published = publishing.stored(populations)
    years = [today.year]
    for key, p in populations.items():
        p.minutes = publishing.freeze(p.tables, p.minutes, published[key])
        first = publishing.floor(published[key])
        years += [first] if first is not None else []
        years += [m.year for t in p.tables for (_row, m) in t.counts]
    through = closed_through(today) or BEFORE_ALL
    timeline = Timeline(min(years), max(years), today=today, closed=through)
    protected = {
        key: protect(
            p.tables,
            timeline,
            threshold=threshold,
            minutes=p.minutes,
            pinned=publishing.pins(published[key]),
        )
        for key, p in populations.items()
    }
    medians: dict[tuple[str, str], float | None] = {}
    new = {}
    for key, p in populations.items():
        fresh, fresh_medians = [], {}
        for node in timeline.nodes:
            if node not in timeline.over:
                continue
            if node.key in published[key]:
                medians[(key, node.key)] = published[key][node.key][1].get("median")
                continue
            median = median_wait(p, node, threshold) if p.waits else None
            medians[(key, node.key)] = fresh_medians[node.key] = median
            fresh.append(node)
        for period, published_entry in publishing.entries(
            protected[key], fresh, minutes=p.minutes, medians=fresh_medians
        ).items():
            new[(key, period)] = published_entry
    built = Cube(
        today,
        threshold,
        populations,
        protected,
        timeline.years[0].year,
        medians,
        closed=None if through == BEFORE_ALL else through,
    )
    return built, new


def median_wait(population: Population, node: Period, threshold: int) -> float | None:
    """The median of the waiting times behind ``node``, when more than ``threshold`` of them
    (a median of a handful points at the handful)."""
    values = [w for m in node.months() for w in population.waits.get(m, [])]
    if len(values) <= threshold:
        return None
    return round(statistics.median(values), 1)


# --- Reporting periods: which are open, which closed -------------------------------------


@dataclass
class MonthState:
    """One month as the coordinator's periods page shows it."""

    period: Period
    over: bool
    closed: bool
    closes_on: datetime.date  # the day it closes by itself (the grace after its end)
    closed_on: datetime.date | None = None
    by_coordinator: bool = False


def months_to_close(last: Period, closed: Period | None) -> list[Period]:
    """The months still open up to ``last``, oldest first (all of them from the first month
    with records, when none is closed yet, but the list then starts at ``last``'s year)."""
    first = closed.next() if closed is not None else Period(last.year, 1, 1)
    months = [first]
    while months[-1] != last and months[-1].first_day < last.first_day:
        months.append(months[-1].next())
    return [m for m in months if m.first_day <= last.first_day]


def reporting_months(today: datetime.date | None = None, *, count: int = 13) -> list[MonthState]:
    """The last ``count`` months up to the current one, newest first, each open or closed,
    when and how. One query."""
    today = today or timezone.localdate()
    closures = sorted(
        (parse(k), at) for k, at in PeriodClosure.objects.values_list("through", "closed_at")
    )
    through = periods.closed_through(
        today,
        manual=max((k for k, _at in closures), key=lambda p: p.first_day, default=None),
        grace_days=settings.REPORTS_PERIOD_GRACE_DAYS,
    )
    grace = datetime.timedelta(days=settings.REPORTS_PERIOD_GRACE_DAYS)
    states = []
    month = month_of(today)
    for _ in range(count):
        closes_on = month.last_day + grace + datetime.timedelta(days=1)
        state = MonthState(month, month.is_over(today), is_closed(month, through), closes_on)
        if state.closed:
            manual = [
                timezone.localdate(at) for key, at in closures if key.first_day >= month.first_day
            ]
            first_manual = min(manual) if manual else None
            if first_manual is not None and first_manual < closes_on:
                state.closed_on, state.by_coordinator = first_manual, True
            else:
                state.closed_on = closes_on
        states.append(state)
        month = month.previous()
    return states


def periods_to_close(today: datetime.date | None = None) -> list[Period]:
    """Months, quarters and years that are over and still open, newest first: what the
    coordinator may close. One query."""
    today = today or timezone.localdate()
    closed = closed_through(today)
    found = []
    month = month_of(today).previous()
    for _ in range(24):
        if is_closed(month, closed):
            break
        found.append(month)
        for node in (month.parent(), Period(month.year)):
            if node.months()[-1] == month:
                found.append(node)
        month = month.previous()
    return found


def published_through() -> datetime.date | None:
    """The last day of the last month whose contacts are published (a contact dated on or
    before it is a late entry of a later month), or None. One query."""
    months = (
        Publication.objects.filter(population="contacts", period__contains="-")
        .exclude(period__contains="Q")
        .order_by("-period")
        .values_list("period", flat=True)[:1]
    )
    return parse(months[0]).last_day if months else None
