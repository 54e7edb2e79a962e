"""Pure rules of the training app: who may do what, and derived values. No reads, no writes."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from peersupport.accounts.models import Role, User
from peersupport.roster.models import SupporterProfile

from .models import TrainingSession

MANAGERS = frozenset({Role.COORDINATOR})


def is_manager(actor: User | None) -> bool:
    return actor is not None and actor.has_role(*MANAGERS)


def may_record_attendance(actor: User, session: TrainingSession) -> bool:
    return is_manager(actor) or (
        session.instructor_id is not None and session.instructor_id == actor.pk
    )


def feed_token_hash(token: str) -> str:
    """Calendar feed tokens are stored as this hash only, never as themselves."""
    return hashlib.sha256(token.encode()).hexdigest()


# Who may be enrolled: anyone in the program short of retired or removed.
ELIGIBLE = frozenset(
    {
        SupporterProfile.Status.CANDIDATE,
        SupporterProfile.Status.APPOINTED,
        SupporterProfile.Status.ACTIVE,
        SupporterProfile.Status.INACTIVE,
    }
)


def session_when(session: TrainingSession) -> str:
    first, last = session.first_date, session.last_date
    if first == last:
        return f"{first:%A %-d %B %Y}"
    return f"{first:%-d %B} to {last:%-d %B %Y}"


@dataclass(frozen=True)
class DayPlan:
    starts_at: datetime
    ends_at: datetime
    hours: Decimal


def check_days(days: list[DayPlan]) -> list[DayPlan]:
    if not days:
        raise ValidationError({"days": "A session has at least one day."})
    days = sorted(days, key=lambda d: d.starts_at)
    for day in days:
        if day.ends_at <= day.starts_at:
            raise ValidationError(
                {"days": f"On {timezone.localdate(day.starts_at)} the end is before the start."}
            )
        length = Decimal((day.ends_at - day.starts_at).total_seconds()) / 3600
        if day.hours <= 0 or day.hours > length:
            raise ValidationError(
                {
                    "days": f"On {timezone.localdate(day.starts_at)} the hours credited must be "
                    f"more than 0 and at most the day's length ({length.normalize():f} h)."
                }
            )
    for before, after in zip(days, days[1:], strict=False):
        if after.starts_at < before.ends_at:
            raise ValidationError({"days": "Two days of the session overlap."})
    return days


# --- What the sessions on offer allow -------------------------------------------------------
#
# A forecast that counts only hours says "8 more hours by 31 December" even when no session
# with a free place is left before then. These rules weigh what a person still needs against
# the update sessions actually on offer: the days of scheduled update sessions still to come,
# each usable by someone who holds a place on its session or, while it has free places, by
# anyone. A person attends at most one training day per date (update days are full days).
# Pure: the selectors gather the offers and the needs.


@dataclass(frozen=True)
class Offer:
    """One day of a scheduled update session still to come."""

    session: int
    on: date
    hours: Decimal
    free: int  # places free on its session


@dataclass(frozen=True)
class Need:
    """Update hours one person still needs this year: ``hours`` by ``by`` (the year's end)
    and, when a quarter's end would otherwise put them out of compliance first, ``soon_hours``
    by ``soon_by``."""

    person: int
    by: date
    hours: Decimal
    held: frozenset[int] = frozenset()  # sessions on which this person holds a place
    soon_by: date | None = None
    soon_hours: Decimal = Decimal(0)
    # Hours count from here (the quarter after the one initial training was completed in).
    counts_from: date = date.min


def need_of(person: int, result, *, held: Iterable[int] = ()) -> Need | None:
    """What ``result`` (a compliance.YearCompliance of a year not yet closed) still asks of
    the person, or None when it asks nothing (or the year is closed)."""
    if result.closed or not result.initial_complete:
        return None
    hours = max(result.target - result.update_hours, Decimal(0))
    if hours <= 0:
        return None
    year_end = date(result.year, 12, 31)
    first_required = result.required.index(True) + 1
    forecast = result.forecast
    soon = forecast is not None and forecast.by < year_end
    return Need(
        person=person,
        by=year_end,
        hours=hours,
        held=frozenset(held),
        soon_by=forecast.by if soon else None,
        soon_hours=forecast.hours if soon else Decimal(0),
        counts_from=date(result.year, 3 * first_required - 2, 1),
    )


@dataclass(frozen=True)
class Allocation:
    """The days one person can take (``days``) and what is still missing after them."""

    need: Need
    days: tuple[Offer, ...]
    soon_short: Decimal
    year_short: Decimal

    @property
    def hours(self) -> Decimal:
        return sum((d.hours for d in self.days), Decimal(0))

    @property
    def cannot_meet_year(self) -> bool:
        return self.year_short > 0

    @property
    def text(self) -> str:
        """What the person is told: empty when the sessions on offer are enough."""
        if self.soon_short > 0:
            return (
                f"Cannot stay in compliance with the sessions scheduled: "
                f"{_hours(self.soon_short)} more update hours are needed by "
                f"{self.need.soon_by:%-d %B %Y} than the sessions with free places before then "
                "give."
            )
        if self.year_short > 0:
            return (
                f"Cannot meet the year with the sessions scheduled: "
                f"{_hours(self.year_short)} update hours short by {self.need.by:%-d %B %Y}."
            )
        return ""


@dataclass(frozen=True)
class Gap:
    """Hours the coordinator should schedule: ``hours`` of update sessions on or before
    ``by``, with places for ``people``."""

    by: date
    hours: Decimal
    people: int

    @property
    def text(self) -> str:
        who = "1 person" if self.people == 1 else f"{self.people} people"
        return (
            f"Schedule update sessions giving {_hours(self.hours)} hours on or before "
            f"{self.by:%-d %B %Y}, with places for {who}."
        )


def _hours(hours: Decimal) -> str:
    return f"{hours.normalize():f}"


def allocate(needs: Iterable[Need], offers: Iterable[Offer]) -> list[Allocation]:
    """Share the places on offer among ``needs``, soonest deadline and largest need first:
    each person takes the days of sessions they hold a place on, then free places, earliest
    first, before their quarter's deadline and then their year's, until their need is met.
    A place taken on a session is taken for all its days and leaves one place fewer for the
    others; a day of a session a person already holds costs no place. Greedy, so it may leave
    someone short that a cleverer sharing would not; but every day it gives is really there."""
    offers = sorted(offers, key=lambda o: (o.on, -o.hours, o.session))
    free = {}
    for offer in offers:
        free[offer.session] = min(free.get(offer.session, offer.free), offer.free)
    order = sorted(needs, key=lambda n: (n.soon_by or n.by, -n.soon_hours, -n.hours, n.person))
    return [_allocate_one(need, offers, free) for need in order]


class _Taking:
    """One person's days as ``allocate`` hands them out (``free`` is shared by everyone)."""

    def __init__(self, need: Need, offers: list[Offer], free: dict[int, int]):
        self.usable = [o for o in offers if need.counts_from <= o.on <= need.by]
        self.free = free
        self.taken: list[Offer] = []
        self.sessions: set[int] = set(need.held)
        self.dates: set[date] = set()

    def got(self, by: date) -> Decimal:
        return sum((o.hours for o in self.taken if o.on <= by), Decimal(0))

    def open_to_them(self, offer: Offer) -> bool:
        return offer.session in self.sessions or self.free[offer.session] > 0

    def can_take(self, offer: Offer) -> bool:
        # One day per date, and the longest of that date's days open to them.
        return (
            offer.on not in self.dates
            and self.open_to_them(offer)
            and all(
                o.hours <= offer.hours
                for o in self.usable
                if o.on == offer.on and self.open_to_them(o)
            )
        )

    def take(self, offer: Offer) -> None:
        if offer.session not in self.sessions:
            self.free[offer.session] -= 1
            self.sessions.add(offer.session)
        self.taken.append(offer)
        self.dates.add(offer.on)

    def fill(self, *, hours: Decimal, by: date, held: frozenset[int] | None = None) -> None:
        for offer in self.usable:
            if offer.on > by or (held is None and self.got(by) >= hours):
                break
            if (held is None or offer.session in held) and self.can_take(offer):
                self.take(offer)


def _allocate_one(need: Need, offers: list[Offer], free: dict[int, int]) -> Allocation:
    taking = _Taking(need, offers, free)
    # Their own bookings first: they will attend those anyway.
    taking.fill(hours=need.hours, by=need.by, held=need.held)
    if need.soon_by is not None:
        taking.fill(hours=need.soon_hours, by=need.soon_by)
    taking.fill(hours=need.hours, by=need.by)
    soon_short = (
        max(need.soon_hours - taking.got(need.soon_by), Decimal(0))
        if need.soon_by is not None
        else Decimal(0)
    )
    return Allocation(
        need=need,
        days=tuple(sorted(taking.taken, key=lambda o: o.on)),
        soon_short=soon_short,
        year_short=max(need.hours - taking.got(need.by), Decimal(0)),
    )


def gaps(allocations: Iterable[Allocation]) -> list[Gap]:
    """What to schedule so that everyone can meet what they need: per deadline and number of
    hours, how many people. Hours scheduled before a quarter's deadline count towards the
    year too, so the year's gap is what remains beyond the quarter's."""
    grouped: dict[tuple[date, Decimal], int] = {}
    for allocation in allocations:
        need = allocation.need
        if allocation.soon_short > 0:
            key = (need.soon_by, allocation.soon_short)
            grouped[key] = grouped.get(key, 0) + 1
        rest = allocation.year_short - allocation.soon_short
        if rest > 0:
            grouped[(need.by, rest)] = grouped.get((need.by, rest), 0) + 1
    return [
        Gap(by=by, hours=hours, people=people)
        for (by, hours), people in sorted(grouped.items(), key=lambda kv: (kv[0][0], -kv[0][1]))
    ]


def weekdays_from(first: date, count: int) -> list[date]:
    """``first`` and the working days after it, ``count`` dates in all (Saturdays and Sundays
    are skipped; a first date on a weekend stays as given)."""
    dates = [first]
    day = first
    while len(dates) < count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            dates.append(day)
    return dates


# --- Sessions that repeat -------------------------------------------------------------------

REPEAT_WEEKS, REPEAT_MONTHS = "weeks", "months"
MAX_REPEATS = 12
# However it repeats, the last occurrence starts within this many days of the first.
MAX_REPEAT_SPAN_DAYS = 3 * 366


def _shift_months(day: date, months: int) -> date:
    """``day`` ``months`` months on; the 31st of a shorter month becomes its last day."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    following = date(year + month // 12, month % 12 + 1, 1)
    return date(year, month, min(day.day, (following - timedelta(days=1)).day))


def shifted(day: date, *, unit: str, every: int, n: int) -> date:
    """The date of occurrence ``n`` (0 is the first) of something on ``day`` repeating every
    ``every`` weeks or months."""
    if unit == REPEAT_WEEKS:
        return day + timedelta(weeks=every * n)
    if unit == REPEAT_MONTHS:
        return _shift_months(day, every * n)
    raise ValueError(unit)


def repeat_days(days: list[DayPlan], *, unit: str, every: int, times: int) -> list[list[DayPlan]]:
    """The days of each of ``times`` sessions, the first being ``days`` and each next one
    ``every`` weeks or months later, day by day at the same local times (so a session moved
    across a change to or from daylight saving time still starts at 09:00). Quarterly is every
    3 months."""
    if unit not in (REPEAT_WEEKS, REPEAT_MONTHS):
        raise ValidationError({"repeat": "Choose how the session repeats."})
    if not 1 <= every <= 52:
        raise ValidationError({"every": "Repeat every 1 to 52 weeks or months."})
    if not 2 <= times <= MAX_REPEATS:
        raise ValidationError({"times": f"A session repeats 2 to {MAX_REPEATS} times."})
    days = check_days(days)
    first = timezone.localdate(days[0].starts_at)
    occurrences = []
    for n in range(times):
        moved = []
        for day in days:
            local_start = timezone.localtime(day.starts_at)
            local_end = timezone.localtime(day.ends_at)
            on = shifted(local_start.date(), unit=unit, every=every, n=n)
            end_on = on + (local_end.date() - local_start.date())
            moved.append(
                DayPlan(
                    starts_at=timezone.make_aware(datetime.combine(on, local_start.time())),
                    ends_at=timezone.make_aware(datetime.combine(end_on, local_end.time())),
                    hours=day.hours,
                )
            )
        occurrences.append(moved)
    last = timezone.localdate(occurrences[-1][0].starts_at)
    if (last - first).days > MAX_REPEAT_SPAN_DAYS:
        raise ValidationError({"times": "Repeat over three years at most."})
    for before, after in zip(occurrences, occurrences[1:], strict=False):
        if after[0].starts_at < before[-1].ends_at:
            raise ValidationError(
                {"every": "The sessions would overlap: repeat less often than the session lasts."}
            )
    return occurrences
