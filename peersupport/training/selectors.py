"""Reads about training. ``initial_training_complete`` is the one function the roster's
selection pipeline calls before making a supporter active (PROGRAM.md, "Training")."""

import dataclasses
import datetime
import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Concat, NullIf
from django.http import Http404
from django.utils import timezone

from peersupport.accounts.models import Role, User, person_name
from peersupport.rawsql import compiled, run
from peersupport.roster.models import SupporterProfile
from peersupport.tenancy import current_agency_id

from . import compliance
from .compliance import Credit
from .models import (
    Attendance,
    AttendanceCorrection,
    CalendarFeed,
    ComplianceRecord,
    Course,
    CourseFeed,
    CourseKind,
    Enrolment,
    SessionDay,
    TrainingSession,
)
from .rules import (
    ELIGIBLE,
    Allocation,
    Gap,
    Offer,
    allocate,
    feed_token_hash,
    gaps,
    may_record_attendance,
    need_of,
)


def initial_hours(user) -> Decimal:
    """Hours credited to ``user`` for initial peer support training, all sessions together (a
    day missed in one session can be made up in another)."""
    if user is None or user.pk is None:
        return Decimal(0)
    total = Attendance.objects.filter(
        user=user, day__session__course__kind=CourseKind.INITIAL
    ).aggregate(total=Sum("hours"))["total"]
    return total or Decimal(0)


def initial_training_complete(user) -> bool:
    """True when ``user`` has been credited the full hours of initial peer support training
    (``TRAINING_INITIAL_HOURS``, 40 by default). One query."""
    return initial_hours(user) >= settings.TRAINING_INITIAL_HOURS


# --- Compliance -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplianceRow:
    user: User
    profile: SupporterProfile | None
    compliance: compliance.YearCompliance
    flagged_at: datetime.datetime | None
    # What the update sessions on offer allow (None when the year asks nothing more).
    outlook: Allocation | None = None

    @property
    def name(self) -> str:
        return self.profile.name if self.profile is not None else str(self.user)


def _year_start(year: int) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(datetime.date(year, 1, 1), datetime.time())
    )


def _credits(user_ids: list[int], *, year: int | None = None) -> dict[int, list[Credit]]:
    """Hours credited to these people, as compliance Credits: all initial-course hours, and the
    other hours of ``year`` (all years when None). One query."""
    rows = Attendance.objects.filter(user_id__in=user_ids, hours__gt=0)
    if year is not None:
        start = _year_start(year) - datetime.timedelta(days=1)
        end = _year_start(year + 1) + datetime.timedelta(days=1)
        rows = rows.filter(
            Q(day__session__course__kind=CourseKind.INITIAL)
            | Q(day__starts_at__gte=start, day__starts_at__lt=end)
        )
    credits: dict[int, list[Credit]] = defaultdict(list)
    for user_id, starts_at, kind, hours in rows.values_list(
        "user_id", "day__starts_at", "day__session__course__kind", "hours"
    ):
        credits[user_id].append(Credit(on=timezone.localdate(starts_at), kind=kind, hours=hours))
    return credits


def judge(credits: list[Credit], *, year: int, today: datetime.date) -> compliance.YearCompliance:
    return compliance.year_compliance(
        credits,
        year=year,
        today=today,
        initial_hours=settings.TRAINING_INITIAL_HOURS,
        quarter_hours=settings.TRAINING_QUARTER_HOURS,
    )


def person_compliance(
    user, *, year: int | None = None, today: datetime.date | None = None
) -> compliance.YearCompliance:
    today = today or timezone.localdate()
    year = year or today.year
    return judge(_credits([user.pk], year=year).get(user.pk, []), year=year, today=today)


def person_years(
    user, years: Iterable[int], *, today: datetime.date | None = None
) -> list[compliance.YearCompliance]:
    """``person_compliance`` for each of ``years``, from one query of the person's hours (the
    person's own page: one person, so worked out now, never stale)."""
    today = today or timezone.localdate()
    credits = _credits([user.pk]).get(user.pk, [])
    return [judge(credits, year=year, today=today) for year in years]


BOARD_STATUSES = (
    SupporterProfile.Status.ACTIVE,
    SupporterProfile.Status.INACTIVE,
    SupporterProfile.Status.APPOINTED,
)
BOARD_SORTS = {
    "risk": lambda r: (-r.compliance.severity, -r.compliance.behind, r.name),
    "name": lambda r: r.name,
    "hours": lambda r: (r.compliance.update_hours, r.name),
    "unit": lambda r: (_unit(r), r.name),
}


def _unit(row: ComplianceRow) -> str:
    employee = row.profile.employee if row.profile is not None else None
    return employee.unit.name if employee is not None and employee.unit_id else ""


def compliance_rows(
    *,
    year: int,
    today: datetime.date | None = None,
    statuses: Iterable[str] = BOARD_STATUSES,
    compliance_status: str = "",
    roster_status: str = "",
    sort: str = "risk",
    with_outlook: bool = False,
    user_ids: Iterable[int] | None = None,
) -> list[ComplianceRow]:
    """Every supporter in ``statuses`` (or those of them in ``user_ids``) with their compliance
    for ``year`` worked out now, filtered and sorted: what the worker judges and stores (pages
    read the stored judgments, ``board``). Three queries however many supporters there are (two more
    ``with_outlook``: what the update sessions on offer allow each person this year)."""
    today = today or timezone.localdate()
    if year < today.year:
        today = datetime.date(year, 12, 31) + datetime.timedelta(days=1)
    profiles = SupporterProfile.objects.filter(status__in=list(statuses)).select_related(
        "user", "user__employee", "user__employee__unit"
    )
    if roster_status:
        profiles = profiles.filter(status=roster_status)
    if user_ids is not None:
        profiles = profiles.filter(user_id__in=list(user_ids))
    profiles = list(profiles)
    ids = [p.user_id for p in profiles]
    credits = _credits(ids, year=year)
    flags = dict(
        ComplianceRecord.objects.filter(year=year, user_id__in=ids).values_list(
            "user_id", "flagged_at"
        )
    )
    judged = {
        p.user_id: judge(credits.get(p.user_id, []), year=year, today=today) for p in profiles
    }
    outlooks = {}
    if with_outlook and year == today.year and judged:
        offers = update_offers(year=year, now=_after(today))
        outlooks = _outlooks(judged, offers=offers, held=_held(judged, offers))
    rows = [
        ComplianceRow(
            user=p.user,
            profile=p,
            compliance=judged[p.user_id],
            flagged_at=flags.get(p.user_id),
            outlook=outlooks.get(p.user_id),
        )
        for p in profiles
    ]
    if compliance_status:
        rows = [r for r in rows if r.compliance.status == compliance_status]
    return sorted(rows, key=BOARD_SORTS.get(sort, BOARD_SORTS["risk"]))


# --- The stored compliance (what the worker last judged) -------------------------------------

BOARD_PAGE_SIZE = 50


def current_from(year: int, today: datetime.date) -> datetime.date:
    """A judgment of ``year`` made on this day or later is current on ``today``: judgments
    change with the date only when a quarter ends (compliance.py), and a closed year's not at
    all once judged as closed."""
    if year < today.year:
        return datetime.date(year + 1, 1, 1)
    return compliance.quarter_start(today.year, compliance.quarter_of(today))


# The stored fields a judgment is read back from (``stored_result``, and the board's page query).
STORED_FIELDS = (
    "year",
    "judged_on",
    "status",
    "first_required",
    "q1_hours",
    "q2_hours",
    "q3_hours",
    "q4_hours",
    "hours",
    "other_hours",
    "target",
    "expected",
    "behind",
    "closed",
    "forecast_quarter",
    "forecast_by",
    "forecast_hours",
    "quarter_requirement",
    "initial_completed_on",
)


def stored_result(record: ComplianceRecord) -> compliance.YearCompliance | None:
    """The ``compliance.year_compliance`` result ``record`` holds (as of ``judged_on``), or
    None when it was never judged. No query."""
    return _stored({name: getattr(record, name) for name in STORED_FIELDS})


def _stored(fields: dict) -> compliance.YearCompliance | None:
    """``stored_result`` from the ``STORED_FIELDS`` of a record as plain values: the board
    reads them with its page, so that no model instance is built for a row."""
    if fields["judged_on"] is None:
        return None
    first = fields["first_required"]
    forecast = None
    if fields["forecast_quarter"] is not None:
        forecast = compliance.Forecast(
            quarter=fields["forecast_quarter"],
            by=fields["forecast_by"],
            hours=fields["forecast_hours"],
        )
    return compliance.YearCompliance(
        year=fields["year"],
        today=fields["judged_on"],
        initial_completed_on=fields["initial_completed_on"],
        status=fields["status"],
        required=tuple(first is not None and n >= first for n in range(1, 5)),
        quarter_hours=(
            fields["q1_hours"],
            fields["q2_hours"],
            fields["q3_hours"],
            fields["q4_hours"],
        ),
        update_hours=fields["hours"],
        other_hours=fields["other_hours"],
        target=fields["target"],
        expected=fields["expected"],
        behind=fields["behind"],
        closed=fields["closed"],
        forecast=forecast,
        quarter_requirement=fields["quarter_requirement"],
    )


def needing_judgment(*, year: int, today: datetime.date) -> list[int]:
    """The users on the board (``BOARD_STATUSES``) whose compliance for ``year`` is not stored
    as current on ``today``: never judged, judged before this quarter, or marked stale by a
    write since. One query."""
    current = ComplianceRecord.objects.filter(
        year=year, stale=False, judged_on__gte=current_from(year, today)
    )
    return list(
        SupporterProfile.objects.filter(status__in=list(BOARD_STATUSES))
        .exclude(user_id__in=current.values("user_id"))
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def _board_base(
    *, agency_id: int, year: int, roster_status: str = ""
) -> QuerySet[SupporterProfile]:
    """Everyone on the board with their stored record for ``year`` in agency ``agency_id``
    joined (none when never judged): the filters and sorts below are SQL on it."""
    profiles = SupporterProfile.objects.filter(status__in=list(BOARD_STATUSES))
    if roster_status:
        profiles = profiles.filter(status=roster_status)
    # A join does not go through the record's scoped manager: the agency is in its condition.
    return profiles.annotate(
        record=FilteredRelation(
            "user__training_compliance",
            condition=Q(
                user__training_compliance__year=year,
                user__training_compliance__agency_id=agency_id,
            ),
        )
    )


_NAME = Concat(
    Coalesce(NullIf("user__employee__preferred_name", Value("")), "user__employee__first_name"),
    Value(" "),
    "user__employee__last_name",
)
BOARD_ORDER = {
    # Not yet judged last; then the worst status, the furthest behind.
    "risk": (
        F("record__severity").desc(nulls_last=True),
        F("record__behind").desc(nulls_last=True),
        "sort_name",
        "pk",
    ),
    "name": ("sort_name", "pk"),
    "hours": (F("record__hours").asc(nulls_last=True), "sort_name", "pk"),
    "unit": (F("user__employee__unit__name").asc(nulls_first=True), "sort_name", "pk"),
}


class _CountedPaginator(Paginator):
    """A paginator told its count (from the status counts), so it asks no COUNT query."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.count = count


@dataclass(frozen=True)
class BoardRow:
    """What the board shows of one supporter, read as plain values with the page (a page of
    model instances, four a row, cost more than the rest of the query)."""

    user_id: int
    name: str
    unit: str
    roster_status: str
    # The stored judgment (None when never judged); as of ``as_of``.
    compliance: compliance.YearCompliance | None
    flagged_at: datetime.datetime | None
    as_of: datetime.datetime | None
    current: bool
    outlook: Allocation | None = None

    @property
    def roster_status_label(self) -> str:
        return SupporterProfile.Status(self.roster_status).label


@dataclass(frozen=True)
class Board:
    page: Page
    rows: list[BoardRow]
    # (status, count) for every compliance status, over the filters but the status.
    counts: dict[str, int]
    not_judged: int
    # How many rows are not current, and the oldest judgment among them.
    behind_count: int
    oldest: datetime.datetime | None
    # What to schedule (``schedule_gaps``): asked for with the outlooks, this year only.
    gaps: list[Gap] = ()


_ROW_COLUMNS = (
    "user_id",
    "status",
    "sort_name",
    "user__employee__id",
    "user__employee__unit__name",
    "user__display_name",
    "user__email",
)
_RECORD_COLUMNS = ("user_id", "stale", "flagged_at", "judged_at", *STORED_FIELDS)


def _board_row(values: tuple, record: dict | None, *, since: datetime.date) -> BoardRow:
    """A row of the board from one row of its page query (``_ROW_COLUMNS``) and its stored
    record (``_RECORD_COLUMNS``, None when never judged). No query."""
    user_id, status, sort_name, employee_id, unit, display_name, email = values
    result = _stored(record) if record is not None else None
    return BoardRow(
        user_id=user_id,
        name=sort_name if employee_id is not None else display_name or email,
        unit=unit or "",
        roster_status=status,
        compliance=result,
        flagged_at=record["flagged_at"] if record is not None else None,
        as_of=record["judged_at"] if record is not None else None,
        current=result is not None and not record["stale"] and record["judged_on"] >= since,
    )


@functools.lru_cache(maxsize=64)
def _board_queries(
    agency_id: int,
    year: int,
    since: datetime.date,
    roster_status: str,
    compliance_status: str,
    sort: str,
) -> tuple[QuerySet, QuerySet]:
    """The board's counts query and its (unsliced) list, built once per process for each
    agency, filter, sort and quarter: what they ask depends on nothing else (the agency is a
    value of the records' join), and building them (a filtered relation, conditional counts, a
    name made of three columns) cost more than running them. Returned unevaluated; run as
    clones (``.all()``)."""
    base = _board_base(agency_id=agency_id, year=year, roster_status=roster_status)
    behind = (
        Q(record__isnull=True)
        | Q(record__stale=True)
        | Q(record__judged_on__isnull=True)
        | Q(record__judged_on__lt=since)
    )
    counts = (
        base.values_list("record__status")
        .annotate(
            n=Count("pk"),
            late=Count("pk", filter=behind),
            first=Min("record__judged_at", filter=behind),
        )
        .order_by()
    )
    listed = base.filter(record__status=compliance_status) if compliance_status else base
    listed = listed.annotate(sort_name=_NAME).order_by(*BOARD_ORDER.get(sort, BOARD_ORDER["risk"]))
    return counts, listed.values_list(*_ROW_COLUMNS)


@functools.lru_cache(maxsize=256)
def _board_page_sql(
    agency_id: int,
    year: int,
    since: datetime.date,
    roster_status: str,
    compliance_status: str,
    sort: str,
    offset: int,
) -> tuple[str, str, tuple]:
    """The SQL of one page of the board's list (``_board_queries``), compiled once per
    process and agency (a scoped manager's agency is a compiled parameter: issue 23): its
    columns are plain numbers and text, which the cursor gives as the ORM would
    (``rawsql.run``)."""
    _counts, listed = _board_queries(agency_id, year, since, roster_status, compliance_status, sort)
    return compiled(listed[offset : offset + BOARD_PAGE_SIZE])


def board(
    *,
    year: int,
    today: datetime.date | None = None,
    compliance_status: str = "",
    roster_status: str = "",
    sort: str = "risk",
    page: int | str | None = 1,
    with_outlook: bool = False,
) -> Board:
    """One page of the coordinator's board, read from the stored judgments: filtered and
    sorted in SQL, ``BOARD_PAGE_SIZE`` a page. Two queries whatever the number of supporters
    (the counts, and the page with its records); three more ``with_outlook`` for this year
    (the sessions on offer, who still needs hours, and who holds which place), which give each
    row its outlook and the board what to schedule (``schedule_gaps``). A row not current (the
    worker has yet to judge a write or a quarter's end) says so and shows the judgment it has,
    with its time: the page never passes an old judgment off as today's."""
    today = today or timezone.localdate()
    since = current_from(year, today)
    key = (current_agency_id(), year, since, roster_status, compliance_status, sort)
    counts_query, listed = _board_queries(*key)
    counts = dict.fromkeys(compliance.Status.values, 0)
    everyone = behind_count = 0
    oldest = None
    for status, n, late, first in counts_query.all():
        if status in counts:
            counts[status] = n
        everyone += n
        behind_count += late
        if first is not None and (oldest is None or first < oldest):
            oldest = first
    not_judged = everyone - sum(counts.values())
    total = counts.get(compliance_status, 0) if compliance_status else everyone
    paginator = _CountedPaginator((), BOARD_PAGE_SIZE, count=total)
    try:
        number = paginator.validate_number(page)
    except PageNotAnInteger:
        number = 1
    except EmptyPage:
        number = paginator.num_pages
    offset = (number - 1) * BOARD_PAGE_SIZE
    found = paginator._get_page(run(_board_page_sql(*key, offset)), number, paginator)
    # The records by themselves: one table, a query the ORM builds far faster than the same
    # columns through the filtered join.
    records = {
        values[0]: dict(zip(_RECORD_COLUMNS, values, strict=True))
        for values in ComplianceRecord.objects.filter(
            year=year, user_id__in=[values[0] for values in found.object_list]
        ).values_list(*_RECORD_COLUMNS)
    }
    rows = [_board_row(values, records.get(values[0]), since=since) for values in found.object_list]
    gaps = []
    if with_outlook and year == today.year:
        asking = _asking(year)
        offers = update_offers(year=year, now=_after(today))
        held = _held({*asking, *(r.user_id for r in rows)}, offers)
        gaps = _gaps(asking, offers, held)
        judged = {r.user_id: r.compliance for r in rows if r.compliance is not None}
        outlooks = _outlooks(judged, offers=offers, held=held)
        rows = [dataclasses.replace(r, outlook=outlooks.get(r.user_id)) for r in rows]
    return Board(
        page=found,
        rows=rows,
        counts=counts,
        not_judged=not_judged,
        behind_count=behind_count,
        oldest=oldest,
        gaps=gaps,
    )


# --- What the sessions on offer allow -------------------------------------------------------


def update_offers(*, year: int, now: datetime.datetime | None = None) -> list[Offer]:
    """The days of scheduled update sessions still to come in ``year``, with their session's
    free places. One query."""
    now = now or timezone.now()
    days = _update_days(year, timezone.get_current_timezone_name()).filter(starts_at__gt=now)
    return [
        Offer(
            session=session_id,
            on=timezone.localdate(starts_at),
            hours=hours,
            free=max(capacity - enrolled, 0),
        )
        for session_id, starts_at, hours, capacity, enrolled in days
    ]


@functools.lru_cache(maxsize=16)
def _update_days(year: int, time_zone: str) -> QuerySet:
    """``update_offers``'s query but its start, built once per process for each year (and time
    zone, which places the year's end): its conditional count cost more to build than to
    run. Returned unevaluated; filtered (a clone) for each use."""
    return (
        SessionDay.objects.filter(
            starts_at__lt=_year_start(year + 1),
            session__status=TrainingSession.Status.SCHEDULED,
            session__course__kind=CourseKind.UPDATE,
        )
        .annotate(
            enrolled=Count(
                "session__enrolments",
                filter=Q(session__enrolments__status=Enrolment.Status.ENROLLED),
            )
        )
        .values_list("session_id", "starts_at", "hours", "session__capacity", "enrolled")
    )


def _held(user_ids: Iterable[int], offers: list[Offer]) -> dict[int, set[int]]:
    """The sessions among ``offers`` on which each of these people holds a place. One query."""
    held: dict[int, set[int]] = defaultdict(set)
    for user_id, session_id in Enrolment.objects.filter(
        user_id__in=list(user_ids),
        session_id__in={o.session for o in offers},
        status=Enrolment.Status.ENROLLED,
    ).values_list("user_id", "session_id"):
        held[user_id].add(session_id)
    return held


def _outlooks(
    judged: dict[int, compliance.YearCompliance],
    *,
    offers: list[Offer],
    held: dict[int, set[int]],
) -> dict[int, Allocation]:
    """Each person's own outlook: what the sessions on offer could give them, were they the
    only one asking (the board shares the places, ``schedule_gaps``). No query."""
    outlooks = {}
    for user_id, result in judged.items():
        need = need_of(user_id, result, held=held.get(user_id, ()))
        if need is not None:
            outlooks[user_id] = allocate([need], offers)[0]
    return outlooks


def _after(today: datetime.date) -> datetime.datetime:
    """Now, or the start of ``today`` when the worker or a test judges another day."""
    now = timezone.now()
    if timezone.localdate(now) == today:
        return now
    return timezone.make_aware(datetime.datetime.combine(today, datetime.time()))


@dataclass(frozen=True)
class _Asking:
    """The part of a stored judgment ``rules.need_of`` reads, for a year not closed whose
    initial training is complete."""

    year: int
    target: Decimal
    update_hours: Decimal
    required: tuple[bool, ...]
    forecast: compliance.Forecast | None
    closed: bool = False
    initial_complete: bool = True


def _asking(year: int) -> dict[int, _Asking]:
    """The stored judgments of ``year`` still asking for hours, by user id: only what
    ``need_of`` reads, in one query of a few columns each (model instances of every row cost
    more than the sharing)."""
    return {
        user_id: _Asking(
            year=year,
            target=target,
            update_hours=hours,
            required=tuple(n >= first for n in range(1, 5)),
            forecast=compliance.Forecast(quarter=quarter, by=by, hours=short)
            if quarter is not None
            else None,
        )
        for user_id, target, hours, first, quarter, by, short in _asking_query(year).all()
    }


@functools.lru_cache(maxsize=16)
def _asking_query(year: int) -> QuerySet:
    """``_asking``'s query, built once per process for each year. Returned unevaluated; run
    as a clone (``.all()``)."""
    return (
        ComplianceRecord.objects.filter(
            year=year,
            user__supporter_profile__status__in=list(BOARD_STATUSES),
            judged_on__isnull=False,
            closed=False,
            first_required__isnull=False,
            target__gt=F("hours"),
        )
        .order_by("user_id")
        .values_list(
            "user_id",
            "target",
            "hours",
            "first_required",
            "forecast_quarter",
            "forecast_by",
            "forecast_hours",
        )
    )


def _gaps(asking: dict[int, _Asking], offers: list[Offer], held: dict[int, set[int]]) -> list[Gap]:
    """The places on offer shared among everyone ``asking`` (soonest deadline first), and what
    is left. No query."""
    needs = [
        need
        for user_id, result in asking.items()
        if (need := need_of(user_id, result, held=held.get(user_id, ())))
    ]
    return gaps(allocate(needs, offers))


def schedule_gaps(*, year: int, today: datetime.date | None = None) -> list[Gap]:
    """What the coordinator should schedule so that every supporter can meet ``year``: the
    places on offer shared among everyone who still needs hours (soonest deadline first), and
    what is left, by deadline, hours and number of people. Nothing for a closed year.

    Read from the stored judgments; three queries whatever the number of supporters (the
    board asks the same with its page, ``board(with_outlook=True)``)."""
    today = today or timezone.localdate()
    if year != today.year:
        return []
    asking = _asking(year)
    offers = update_offers(year=year, now=_after(today))
    return _gaps(asking, offers, _held(asking, offers))


def person_outlook(user, result: compliance.YearCompliance) -> Allocation | None:
    """``user``'s own outlook for the year of ``result`` (see ``_outlooks``). Two queries."""
    if result.closed or result.year != result.today.year:
        return None
    offers = update_offers(year=result.year, now=_after(result.today))
    held = _held([user.pk], offers)
    return _outlooks({user.pk: result}, offers=offers, held=held).get(user.pk)


# --- Sessions -------------------------------------------------------------------------------


class UpcomingSession(NamedTuple):
    """What the sessions page shows of a session coming up, read as plain values."""

    pk: int
    title: str
    status: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    place: str
    capacity: int
    enrolled: int
    waiting: int

    @property
    def is_cancelled(self) -> bool:
        return self.status == TrainingSession.Status.CANCELLED


def sessions_upcoming(*, now=None) -> list[UpcomingSession]:
    """The sessions not yet over, soonest first, with their places taken and waited for. One
    query."""
    now = now or timezone.now()
    return [
        UpcomingSession(*values)
        for values in TrainingSession.objects.filter(ends_at__gte=now)
        .annotate(
            enrolled=Count("enrolments", filter=Q(enrolments__status=Enrolment.Status.ENROLLED)),
            waiting=Count("enrolments", filter=Q(enrolments__status=Enrolment.Status.WAITLISTED)),
        )
        .order_by("starts_at", "pk")
        .values_list(
            "pk",
            "course__title",
            "status",
            "starts_at",
            "ends_at",
            "place",
            "capacity",
            "enrolled",
            "waiting",
        )
    ]


def sessions_past(*, now=None) -> QuerySet[TrainingSession]:
    """The sessions over, newest first: only what their line shows (the course's title, the
    day, whether cancelled); counting their places read every enrolment of every session for
    nothing."""
    now = now or timezone.now()
    return (
        TrainingSession.objects.filter(ends_at__lt=now)
        .select_related("course")
        .only("pk", "status", "starts_at", "course__title")
        .order_by("-starts_at", "-pk")
    )


def session(session_id: int) -> TrainingSession:
    """Sessions are the program's, not anyone's: every reader of training sees every one."""
    try:
        return TrainingSession.objects.select_related("course", "instructor").get(pk=session_id)
    except TrainingSession.DoesNotExist:
        raise Http404 from None


def day_for_attendance(user, day_id: int) -> SessionDay:
    """A day whose attendance ``user`` may record: any day for the coordinator, the days of
    their own sessions for an instructor; 404 for everyone else."""
    try:
        day = SessionDay.objects.select_related("session__course").get(pk=day_id)
    except SessionDay.DoesNotExist:
        raise Http404 from None
    if not may_record_attendance(user, day.session):
        raise Http404
    return day


def session_for_attendance(user, session_id: int) -> TrainingSession:
    """A session whose attendance ``user`` may record (``day_for_attendance``, for all its
    days at once); 404 for everyone else."""
    found = session(session_id)
    if not may_record_attendance(user, found):
        raise Http404
    return found


def session_attendance_sheet(
    found: TrainingSession,
) -> tuple[list[SessionDay], dict[tuple[int, int], Decimal], list]:
    """For a session ``session_for_attendance`` gave: its days, the hours recorded (by day id
    and user id) and the people on the sheet (those enrolled, then anyone recorded who no
    longer is). Three queries."""
    days = list(found.days.all())
    recorded = {}
    others = {}
    for a in Attendance.objects.filter(day__session=found).select_related("user__employee"):
        recorded[(a.day_id, a.user_id)] = a.hours
        others[a.user_id] = a.user
    people = [
        e.user
        for e in found.enrolments.filter(status=Enrolment.Status.ENROLLED).select_related(
            "user__employee"
        )
    ]
    people += [u for pk, u in others.items() if pk not in {p.pk for p in people}]
    return days, recorded, people


class Place(NamedTuple):
    """A place held on a session, as its page shows it: whose (their name) and which."""

    pk: int
    user_id: int
    status: str
    name: str

    def get_status_display(self) -> str:
        return Enrolment.Status(self.status).label


def session_enrolments(session: TrainingSession) -> dict[str, list[Place]]:
    """The places held on ``session``, enrolled and waiting, in the order asked for (the
    cancelled ones' list is empty: they are not read). Read as values, with each person's name
    (``Employee.full_name``, or the account's for someone with no employee record): the
    initial course holds two hundred places, and three model instances each were most of its
    page."""
    grouped = {status: [] for status in Enrolment.Status.values}
    rows = (
        session.enrolments.filter(
            status__in=[Enrolment.Status.ENROLLED, Enrolment.Status.WAITLISTED]
        )
        .order_by("requested_at", "pk")
        .values_list(
            "pk",
            "user_id",
            "status",
            "user__employee__preferred_name",
            "user__employee__first_name",
            "user__employee__last_name",
            "user__display_name",
            "user__email",
        )
    )
    for pk, user_id, status, preferred, first, last, display_name, email in rows:
        name = person_name(preferred, first, last, display_name, email)
        grouped[status].append(Place(pk, user_id, status, name))
    return grouped


def calendar_days(first: datetime.date, last: datetime.date):
    """Session days from ``first`` to ``last`` inclusive, by local date. One query."""
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(last, datetime.time.max))
    by_date: dict[datetime.date, list[SessionDay]] = defaultdict(list)
    for day in (
        SessionDay.objects.filter(starts_at__gte=start, starts_at__lte=end)
        .select_related("session__course")
        .order_by("starts_at")
    ):
        by_date[day.date].append(day)
    return by_date


def feed_user(token: str):
    feed = (
        CalendarFeed.objects.select_related("user__employee")
        .filter(token_hash=feed_token_hash(token), user__is_active=True)
        .first()
    )
    if feed is None:
        raise Http404
    return feed


def feed_agency_id(user) -> int | None:
    """The agency whose sessions a person's calendar address lists: their employee record's
    (the feed is read by a calendar app, no one signed in). None for someone with no record."""
    employee = getattr(user, "employee", None)  # a reverse one-to-one: not scoped
    return employee.agency_id if employee is not None else None


def feed_days_for_user(user):
    """The days of every session ``user`` holds a place on (or waits for), a year back and on."""
    since = timezone.now() - datetime.timedelta(days=365)
    return (
        SessionDay.objects.filter(
            starts_at__gte=since,
            session__enrolments__user=user,
            session__enrolments__status__in=[
                Enrolment.Status.ENROLLED,
                Enrolment.Status.WAITLISTED,
            ],
        )
        .select_related("session__course")
        .annotate(place_status=F("session__enrolments__status"))
        .order_by("starts_at")
    )


def feed_course(token: str) -> Course:
    """The course whose secret calendar address ``token`` is, or 404. Found in whichever agency
    it is (a calendar app is no one signed in, so the request works for the default agency): the
    token is the key, as an API token's is; the caller then works inside the course's agency."""
    feed = CourseFeed.everywhere.select_related("course").filter(token_hash=feed_token_hash(token))
    found = feed.first()
    if found is None:
        raise Http404
    return found.course


def feed_days_for_course(course: Course):
    since = timezone.now() - datetime.timedelta(days=365)
    return (
        SessionDay.objects.filter(session__course=course, starts_at__gte=since)
        .select_related("session__course")
        .order_by("starts_at")
    )


def course(course_id: int) -> Course:
    try:
        return Course.objects.get(pk=course_id)
    except Course.DoesNotExist:
        raise Http404 from None


def courses():
    return Course.objects.annotate(session_count=Count("sessions")).order_by("kind", "title")


# --- Records --------------------------------------------------------------------------------


class TranscriptDay(NamedTuple):
    """What a transcript shows of a session day (plain values: a person's days and hours are
    most of the transcript's rows, and model instances of them cost more than their query)."""

    pk: int
    starts_at: datetime.datetime
    hours: Decimal

    @property
    def date(self) -> datetime.date:
        return timezone.localdate(self.starts_at)


class TranscriptHours(NamedTuple):
    """The hours credited to the person for one day (their ``Attendance``)."""

    pk: int
    hours: Decimal


@dataclass
class TranscriptEntry:
    session: TrainingSession
    credited: Decimal
    possible: Decimal
    days: list[tuple[TranscriptDay, TranscriptHours | None]]
    corrections: list[AttendanceCorrection]

    @property
    def complete(self) -> bool:
        return self.possible > 0 and self.credited >= self.possible


def transcript(user) -> list[TranscriptEntry]:
    """Every session ``user`` was enrolled in or credited for, newest first, with the hours per
    day and the corrections. Four queries (their hours, the corrections, the sessions, their
    days), grouped here: ``prefetch_related`` asks each instance for a queryset of its own,
    which cost more than the queries."""
    attendance = {
        day_id: TranscriptHours(pk, hours)
        for pk, day_id, hours in Attendance.objects.filter(user=user).values_list(
            "pk", "day_id", "hours"
        )
    }
    corrections: dict[int, list[AttendanceCorrection]] = defaultdict(list)
    for c in AttendanceCorrection.objects.filter(attendance__user=user):
        corrections[c.attendance_id].append(c)
    credited_days = SessionDay.objects.filter(attendances__user=user).values("session_id")
    enrolled = Enrolment.objects.filter(user=user, status=Enrolment.Status.ENROLLED)
    sessions = list(
        TrainingSession.objects.filter(
            Q(pk__in=credited_days) | Q(pk__in=enrolled.values("session_id"))
        )
        .select_related("course")
        .order_by("-starts_at")
    )
    days_of: dict[int, list[TranscriptDay]] = defaultdict(list)
    for pk, session_id, starts_at, hours in (
        SessionDay.objects.filter(session_id__in=[s.pk for s in sessions])
        .order_by("starts_at")
        .values_list("pk", "session_id", "starts_at", "hours")
    ):
        days_of[session_id].append(TranscriptDay(pk, starts_at, hours))
    entries = []
    for s in sessions:
        days = [(day, attendance.get(day.pk)) for day in days_of[s.pk]]
        credited = sum((a.hours for _, a in days if a is not None), Decimal(0))
        possible = sum((day.hours for day, _ in days), Decimal(0))
        entries.append(
            TranscriptEntry(
                session=s,
                credited=credited,
                possible=possible,
                days=days,
                corrections=[c for _, a in days if a is not None for c in corrections[a.pk]],
            )
        )
    return entries


def transcript_credits(entries: list[TranscriptEntry]) -> list[Credit]:
    """The hours credited in ``entries`` (a person's whole ``transcript``: every hour credited
    to them is in it) as compliance Credits, so that the person's pages judge their years
    from the transcript they show rather than read the same hours again. No query."""
    return [
        Credit(on=day.date, kind=entry.session.course.kind, hours=a.hours)
        for entry in entries
        for day, a in entry.days
        if a is not None and a.hours > 0
    ]


def credited_initial_hours(credits: list[Credit]) -> Decimal:
    """``initial_hours`` from the person's ``transcript_credits``. No query."""
    return sum((c.hours for c in credits if c.kind == CourseKind.INITIAL), Decimal(0))


def certificate_entry(user, session_id: int) -> TranscriptEntry:
    """The completed session ``session_id`` of ``user``, or 404: a certificate is only ever
    drawn for hours actually credited in full."""
    for entry in transcript(user):
        if entry.session.pk == session_id and entry.complete and not entry.session.is_cancelled:
            return entry
    raise Http404


def person(user_id: int):
    """A person the coordinator may read the training of: anyone with a supporter profile."""
    profile = (
        SupporterProfile.objects.select_related("user", "user__employee")
        .filter(user_id=user_id)
        .first()
    )
    if profile is None:
        raise Http404
    return profile


HOURS_HEADER = [
    "employee_number",
    "name",
    "course",
    "kind",
    "date",
    "hours_credited",
    "hours_of_day",
    "place",
    "corrected",
]

_FORMULA_STARTS = frozenset("=+-@")


def csv_cell(value: str) -> str:
    """``value`` as a spreadsheet reads it as text: a cell starting with = + - @ would be run
    as a formula."""
    return "'" + value if value[:1] in _FORMULA_STARTS else value


_CSV_QUOTED = re.compile(r'[,"\r\n]')


def _csv_fields(*cells: str) -> str:
    """``cells`` as part of a CSV line, without its end: quoted as the csv module's writer
    quotes them (only a cell with a comma, a quote or a line break), at a tenth of its cost
    for a few cells."""
    return ",".join(
        '"' + cell.replace('"', '""') + '"' if _CSV_QUOTED.search(cell) else cell for cell in cells
    )


class HoursCsv(NamedTuple):
    text: str
    rows: int  # without the header


def hours_csv(*, year: int) -> HoursCsv:
    """The CSV of hours for the department's records: a header, then one row per person,
    session and day, every cell written as text (``csv_cell``)."""
    start = _year_start(year)
    end = _year_start(year + 1)
    kinds = dict(CourseKind.choices)
    # A row is the person's cells, the day's, and the hours: the person's (a few hundred) and
    # the day's (a few dozen) are read and written once each, not once per row (a thousand
    # and more); the csv module's writer cost more than the rest of the export.
    days = {
        day_id: (
            _csv_fields(
                csv_cell(title),
                kinds.get(kind, kind),
                timezone.localdate(starts_at).isoformat(),
            ),
            _csv_fields(f"{day_hours:.2f}", csv_cell(place)),
        )
        for day_id, title, kind, starts_at, day_hours, place in SessionDay.objects.filter(
            starts_at__gte=start, starts_at__lt=end
        ).values_list(
            "pk",
            "session__course__title",
            "session__course__kind",
            "starts_at",
            "hours",
            "session__place",
        )
    }
    attended = Attendance.objects.filter(day__starts_at__gte=start, day__starts_at__lt=end)
    people = {
        user_id: _csv_fields(
            csv_cell(number) if employee_id is not None else "",
            csv_cell(person_name(preferred, first, last, display_name, email)),
        )
        for (
            user_id,
            employee_id,
            number,
            preferred,
            first,
            last,
            display_name,
            email,
        ) in User.objects.filter(pk__in=attended.values("user_id")).values_list(
            "pk",
            "employee__id",
            "employee__employee_number",
            "employee__preferred_name",
            "employee__first_name",
            "employee__last_name",
            "display_name",
            "email",
        )
    }
    corrected = AttendanceCorrection.objects.filter(attendance=OuterRef("pk"))
    found = (
        attended.annotate(corrected=Exists(corrected))
        .order_by("day__starts_at", "user_id")
        .values_list("user_id", "day_id", "hours", "corrected")
    )
    # The ORM's own SQL, run on a cursor (_raw_values): a number formats, and a 0 or 1 tests,
    # as well as the Decimal and the bool its converters made of every row.
    lines = [_csv_fields(*HOURS_HEADER)]
    for user_id, day_id, hours, was_corrected in _raw_values(found):
        course, place = days[day_id]
        lines.append(
            f"{people[user_id]},{course},{hours:.2f},{place},{'yes' if was_corrected else ''}"
        )
    return HoursCsv(text="\r\n".join(lines) + "\r\n", rows=len(lines) - 1)


def _raw_values(found: QuerySet) -> list[tuple]:
    """The rows of a ``values_list`` query as the database driver gives them: for columns
    whose Python value needs no converter (text, numbers, flags), the same values, made in C."""
    return run(compiled(found))


def enrolment(enrolment_id: int) -> Enrolment:
    try:
        return Enrolment.objects.select_related("session__course", "user", "user__employee").get(
            pk=enrolment_id
        )
    except Enrolment.DoesNotExist:
        raise Http404 from None


def is_eligible(user: User) -> bool:
    """A supporter or a candidate: someone with a profile in the program, or who holds the
    peer-supporter role (appointed before the program used this system)."""
    if SupporterProfile.objects.filter(user=user, status__in=ELIGIBLE).exists():
        return True
    return Role.PEER_SUPPORTER in user.roles


def own_profile_and_upcoming(user) -> tuple[SupporterProfile | None, QuerySet[Enrolment]]:
    """``user``'s own supporter profile (None if they have none) and their places in sessions
    still to come (enrolled or waiting), soonest first."""
    profile = SupporterProfile.objects.filter(user=user).first()
    upcoming = (
        Enrolment.objects.filter(
            user=user,
            status__in=[Enrolment.Status.ENROLLED, Enrolment.Status.WAITLISTED],
            session__ends_at__gte=timezone.now(),
        )
        .select_related("session__course")
        .order_by("session__starts_at")
    )
    return profile, upcoming


def active_course(course_id: int) -> Course | None:
    return courses().filter(pk=course_id, is_active=True).first()


def own_place(user, session: TrainingSession) -> Enrolment | None:
    """``user``'s own place in ``session`` (enrolled or waiting), if they hold one."""
    return (
        Enrolment.objects.filter(session=session, user=user)
        .exclude(status=Enrolment.Status.CANCELLED)
        .first()
    )


def attendance_sheet(day: SessionDay) -> tuple[dict, list]:
    """For a day ``day_for_attendance`` gave: the attendance recorded (by user id) and the
    people on the sheet (those enrolled, then anyone recorded who no longer is)."""
    recorded = {a.user_id: a for a in Attendance.objects.filter(day=day).select_related("user")}
    people = [
        e.user
        for e in day.session.enrolments.filter(status=Enrolment.Status.ENROLLED).select_related(
            "user__employee"
        )
    ]
    people += [a.user for uid, a in recorded.items() if uid not in {p.pk for p in people}]
    return recorded, people
