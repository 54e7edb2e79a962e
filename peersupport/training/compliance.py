"""The compliance rules (PROGRAM.md, "Training"), as pure functions of a person's credited hours.

For a supporter and a year:

* **Initial training** is complete on the day the hours credited for initial-course days reach
  ``TRAINING_INITIAL_HOURS``. Before that day the year has no status but "initial training not
  complete".
* **Required quarters**: every quarter of the year after the one in which initial training was
  completed (so someone trained in May owes the Q3 and Q4 updates of that year, and all four
  after). Each required quarter asks for ``TRAINING_QUARTER_HOURS`` (8) update hours; the
  year's target is that times the required quarters (32 for a full year).
* **Behind** is what was due by the end of the last quarter that has ended, less the update
  hours credited in required quarters so far. Hours of the quarter under way count first
  towards that quarter's own requirement; only what is attended beyond it repairs a quarter
  missed. So someone who missed Q2 and attended one session in each of Q3 and Q4 is still
  "a quarter missed" in December (they will end the year 8 hours short), never "on track";
  two sessions in one quarter make the missed one up.
* **Status**: behind by nothing: *on track*; by at most one quarter's hours: *a quarter missed*
  (it can still be made up); by more, or by anything once the year is over: *out of
  compliance*.
* **Forecast**: if nothing more is attended, the first quarter whose end would put the person out
  of compliance, and how many hours they need by then to avoid it.

Only update-course hours count towards compliance; workshops and follow-up training add hours
to the transcript. Everything here is arithmetic on (date, kind, hours) tuples, so the property
tests (tests/training/test_compliance.py) can run it over any history.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import models

INITIAL = "initial"
UPDATE = "update"


class Status(models.TextChoices):
    INITIAL_PENDING = "initial_pending", "Initial training not complete"
    ON_TRACK = "on_track", "On track"
    QUARTER_MISSED = "quarter_missed", "A quarter missed"
    OUT_OF_COMPLIANCE = "out_of_compliance", "Out of compliance"


# Worst last: the board sorts by this.
SEVERITY = {
    Status.ON_TRACK: 0,
    Status.QUARTER_MISSED: 1,
    Status.OUT_OF_COMPLIANCE: 2,
    Status.INITIAL_PENDING: 3,
}


@dataclass(frozen=True)
class Credit:
    on: datetime.date
    kind: str
    hours: Decimal


@dataclass(frozen=True)
class Forecast:
    quarter: int
    by: datetime.date
    hours: Decimal

    @property
    def text(self) -> str:
        return (
            f"Needs the Q{self.quarter} update to stay compliant: "
            f"{_fmt(self.hours)} more {'hour' if self.hours == 1 else 'hours'} by "
            f"{self.by:%-d %B %Y}."
        )


@dataclass(frozen=True)
class YearCompliance:
    year: int
    today: datetime.date
    initial_completed_on: datetime.date | None
    status: str
    required: tuple[bool, bool, bool, bool]
    quarter_hours: tuple[Decimal, Decimal, Decimal, Decimal]
    update_hours: Decimal  # in required quarters
    other_hours: Decimal  # workshops and follow-up training this year
    target: Decimal
    expected: Decimal
    behind: Decimal
    closed: bool
    forecast: Forecast | None
    quarter_requirement: Decimal

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    @property
    def severity(self) -> int:
        return SEVERITY[self.status]

    @property
    def initial_complete(self) -> bool:
        return self.status != Status.INITIAL_PENDING

    @property
    def quarters(self) -> list[dict]:
        """One row per quarter for the pages: hours, whether required, met, missed, to come."""
        rows = []
        for index in range(4):
            number = index + 1
            ended = self.closed or quarter_end(self.year, number) < self.today
            hours = self.quarter_hours[index]
            required = self.required[index]
            if not required:
                state = "not required"
            elif hours >= self.quarter_requirement:
                state = "met"
            elif ended:
                state = "missed"
            elif quarter_start(self.year, number) <= self.today:
                state = "this quarter"
            else:
                state = "to come"
            rows.append({"number": number, "hours": hours, "required": required, "state": state})
        return rows

    @property
    def summary(self) -> str:
        if self.status == Status.INITIAL_PENDING:
            return "Initial training is not complete."
        if self.status == Status.OUT_OF_COMPLIANCE:
            return f"{_fmt(self.behind)} update hours short."
        if self.forecast is not None:
            return self.forecast.text
        if self.update_hours >= self.target:
            return "This year's update hours are complete."
        return ""


def _fmt(hours: Decimal) -> str:
    return f"{hours.normalize():f}"


def quarter_of(day: datetime.date) -> int:
    return (day.month - 1) // 3 + 1


def quarter_start(year: int, quarter: int) -> datetime.date:
    return datetime.date(year, 3 * quarter - 2, 1)


def quarter_end(year: int, quarter: int) -> datetime.date:
    if quarter == 4:
        return datetime.date(year, 12, 31)
    return quarter_start(year, quarter + 1) - datetime.timedelta(days=1)


def initial_completed_on(
    credits: Iterable[Credit], *, initial_hours: Decimal, today: datetime.date
) -> datetime.date | None:
    total = Decimal(0)
    for credit in sorted((c for c in credits if c.kind == INITIAL), key=lambda c: c.on):
        if credit.on > today:
            break
        total += credit.hours
        if total >= initial_hours:
            return credit.on
    return None


def year_compliance(
    credits: Iterable[Credit],
    *,
    year: int,
    today: datetime.date,
    initial_hours: Decimal | int,
    quarter_hours: Decimal | int,
) -> YearCompliance:
    """The compliance of one person for ``year`` as it stands on ``today`` (a past year is
    judged as it closed; hours dated after ``today`` are not counted)."""
    credits = list(credits)
    q = Decimal(quarter_hours)
    completed = initial_completed_on(credits, initial_hours=Decimal(initial_hours), today=today)
    closed = today.year > year
    per_quarter = [Decimal(0)] * 4
    other = Decimal(0)
    for credit in credits:
        if credit.on.year != year or credit.on > today:
            continue
        if credit.kind == UPDATE:
            per_quarter[quarter_of(credit.on) - 1] += credit.hours
        elif credit.kind != INITIAL:
            other += credit.hours
    quarter_hours_t = tuple(per_quarter)
    zero = Decimal(0)
    if completed is None or completed.year > year:
        return YearCompliance(
            year=year,
            today=today,
            initial_completed_on=completed,
            status=Status.INITIAL_PENDING,
            required=(False,) * 4,
            quarter_hours=quarter_hours_t,
            update_hours=zero,
            other_hours=other,
            target=zero,
            expected=zero,
            behind=zero,
            closed=closed,
            forecast=None,
            quarter_requirement=q,
        )
    first_required = quarter_of(completed) + 1 if completed.year == year else 1
    required = tuple(number >= first_required for number in range(1, 5))
    ended = [closed or quarter_end(year, n) < today for n in range(1, 5)]
    credited = sum((per_quarter[i] for i in range(4) if required[i]), zero)
    target = q * sum(required)
    due_by_now = q * sum(1 for i in range(4) if required[i] and ended[i])
    expected = due_by_now
    if not closed:
        under_way = quarter_of(today) - 1 if today.year == year else None
        if under_way is not None and required[under_way] and not ended[under_way]:
            # This quarter's hours meet this quarter first (see "Behind" above).
            expected += min(per_quarter[under_way], q)
    behind = max(expected - credited, zero)
    if behind == 0:
        status = Status.ON_TRACK
    elif closed or behind > q:
        status = Status.OUT_OF_COMPLIANCE
    else:
        status = Status.QUARTER_MISSED
    forecast = None
    if not closed and status != Status.OUT_OF_COMPLIANCE:
        due = due_by_now
        for index in range(4):
            if not required[index] or ended[index]:
                continue
            due += q
            # What would be missing at this quarter's end if nothing more were attended, less
            # the one quarter that may still be owed (none at the end of the year).
            allowed = zero if index == 3 else q
            short = due - credited - allowed
            if short > 0:
                forecast = Forecast(quarter=index + 1, by=quarter_end(year, index + 1), hours=short)
                break
    return YearCompliance(
        year=year,
        today=today,
        initial_completed_on=completed,
        status=status,
        required=required,
        quarter_hours=quarter_hours_t,
        update_hours=credited,
        other_hours=other,
        target=target,
        expected=expected,
        behind=behind,
        closed=closed,
        forecast=forecast,
        quarter_requirement=q,
    )
