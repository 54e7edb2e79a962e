"""Calendar periods of the program's reports: years, quarters and months, keyed "2026",
"2026-Q1" and "2026-03". A report shows only periods that are closed (see docs/operations.md,
"Reports"): a month closes when the coordinator closes it or ``REPORTS_PERIOD_GRACE_DAYS``
after it ends, and a quarter or a year when its last month does. A period still open would
change from one export to the next, and the difference between two exports is a small count."""

import datetime
import re
from dataclasses import dataclass

YEAR, QUARTER, MONTH = "year", "quarter", "month"
_KEY = re.compile(r"^(\d{4})(?:-(?:Q(\d)|(\d{2})))?$")
MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


class PeriodError(ValueError):
    """A period that cannot be read or cannot be reported (with a message for the page)."""


@dataclass(frozen=True, order=True)
class Period:
    year: int
    quarter: int | None = None
    month: int | None = None

    @property
    def kind(self) -> str:
        if self.month is not None:
            return MONTH
        return QUARTER if self.quarter is not None else YEAR

    @property
    def key(self) -> str:
        if self.month is not None:
            return f"{self.year}-{self.month:02d}"
        if self.quarter is not None:
            return f"{self.year}-Q{self.quarter}"
        return str(self.year)

    def __str__(self) -> str:
        if self.month is not None:
            return f"{MONTH_NAMES[self.month - 1]} {self.year}"
        if self.quarter is not None:
            return f"Q{self.quarter} {self.year}"
        return str(self.year)

    @property
    def short(self) -> str:
        if self.month is not None:
            return MONTH_NAMES[self.month - 1][:3]
        if self.quarter is not None:
            return f"Q{self.quarter}"
        return str(self.year)

    @property
    def first_day(self) -> datetime.date:
        if self.month is not None:
            return datetime.date(self.year, self.month, 1)
        if self.quarter is not None:
            return datetime.date(self.year, 3 * self.quarter - 2, 1)
        return datetime.date(self.year, 1, 1)

    @property
    def last_day(self) -> datetime.date:
        return self.next().first_day - datetime.timedelta(days=1)

    def parent(self) -> "Period | None":
        if self.month is not None:
            return Period(self.year, (self.month - 1) // 3 + 1)
        if self.quarter is not None:
            return Period(self.year)
        return None

    def children(self) -> list["Period"]:
        if self.month is not None:
            return []
        if self.quarter is not None:
            first = 3 * self.quarter - 2
            return [Period(self.year, self.quarter, m) for m in range(first, first + 3)]
        return [Period(self.year, q) for q in range(1, 5)]

    def months(self) -> list["Period"]:
        if self.month is not None:
            return [self]
        return [m for c in self.children() for m in c.months()]

    def next(self) -> "Period":
        if self.month is not None:
            if self.month == 12:
                return Period(self.year + 1, 1, 1)
            m = self.month + 1
            return Period(self.year, (m - 1) // 3 + 1, m)
        if self.quarter is not None:
            return (
                Period(self.year + 1, 1)
                if self.quarter == 4
                else Period(self.year, self.quarter + 1)
            )
        return Period(self.year + 1)

    def previous(self) -> "Period":
        if self.month is not None:
            if self.month == 1:
                return Period(self.year - 1, 4, 12)
            m = self.month - 1
            return Period(self.year, (m - 1) // 3 + 1, m)
        if self.quarter is not None:
            return (
                Period(self.year - 1, 4)
                if self.quarter == 1
                else Period(self.year, self.quarter - 1)
            )
        return Period(self.year - 1)

    def is_over(self, today: datetime.date) -> bool:
        return self.last_day < today


def month_of(day: datetime.date) -> Period:
    return Period(day.year, (day.month - 1) // 3 + 1, day.month)


def parse(key: str) -> Period:
    """ "2026", "2026-Q1" or "2026-03" as a Period, or PeriodError saying what is wrong."""
    found = _KEY.match(key or "")
    if not found:
        raise PeriodError(
            f"“{key[:20]}” is not a period. Use a year (2026), a quarter (2026-Q1) or a month "
            "(2026-03)."
        )
    year, quarter, month = found.groups()
    year = int(year)
    if not 2000 <= year <= 2999:
        raise PeriodError(f"{year} is not a year this program has reports for.")
    if quarter is not None:
        if not 1 <= int(quarter) <= 4:
            raise PeriodError(f"There is no quarter {quarter}: quarters are Q1 to Q4.")
        return Period(year, int(quarter))
    if month is not None:
        if not 1 <= int(month) <= 12:
            raise PeriodError(f"There is no month {month}: months are 01 to 12.")
        return Period(year, (int(month) - 1) // 3 + 1, int(month))
    return Period(year)


def latest_over(kind: str, today: datetime.date) -> Period:
    """The most recent period of ``kind`` that is over on ``today``."""
    current = month_of(today)
    if kind == QUARTER:
        current = current.parent()
    elif kind == YEAR:
        current = Period(today.year)
    return current.previous()


def closed_through(
    today: datetime.date, *, manual: "Period | None", grace_days: int
) -> "Period | None":
    """The last closed month: the later of the coordinator's last closure (``manual``) and the
    last month that ended more than ``grace_days`` before ``today``. Every month before it is
    closed too; None when none is."""
    auto = month_of(today)
    while not auto.last_day + datetime.timedelta(days=grace_days) < today:
        auto = auto.previous()
        if auto.year < 2000:
            return manual
    if manual is None:
        return auto
    return max(manual, auto, key=lambda p: p.first_day)


def is_closed(node: Period, through: "Period | None") -> bool:
    """A month, quarter or year is closed when its last month is."""
    return through is not None and node.last_day <= through.last_day


def latest_closed(kind: str, through: Period) -> Period:
    """The most recent period of ``kind`` whose last month is closed by ``through``."""
    if kind == MONTH:
        node = through
    else:
        node = through.parent() if kind == QUARTER else Period(through.year)
    return node if is_closed(node, through) else node.previous()
