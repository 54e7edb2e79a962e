"""On-call coverage in the API (scope ``oncall.read``), for the department's duty desk or
dispatch: for a stretch of days, the times some listed supporter is on call and the times
nobody is, with how many are on call, and the hours of each.

Counts only, never names. In the application the on-call shifts are seen on a supporter's
directory entry, by employees, each through the directory's filters of their own chain of
command (roster/selectors.directory); another system has no chain of command to filter by, so
it gets what no one could object to: how many supporters are on call, not who.
"""

import datetime
from collections import defaultdict

from django.utils import timezone
from ninja import Field, Query, Router, Schema

from peersupport.integrations.api import Page, PageQuery, paginate, token

from . import selectors
from .models import OnCallShift

ONCALL_READ = "oncall.read"
MAX_DAYS = 31

router = Router(tags=["on-call"], auth=token(ONCALL_READ))


class CoverageQuery(PageQuery):
    start: datetime.date | None = Field(
        None,
        ge=datetime.date(2000, 1, 1),
        le=datetime.date(2999, 12, 31),
        description="The first day, in the department's time zone; today if not given.",
    )
    days: int = Field(7, ge=1, le=MAX_DAYS, description="How many days from the start.")


class SpanOut(Schema):
    start: datetime.datetime
    end: datetime.datetime
    on_call: int = Field(description="Listed supporters on call throughout; 0: uncovered.")
    covered: bool


class CoverageOut(Page):
    start: datetime.datetime
    end: datetime.datetime
    covered_hours: float
    uncovered_hours: float
    covered_spans: int
    uncovered_spans: int
    items: list[SpanOut]


def _merged(shifts) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """One supporter's shifts with overlaps joined, so that nobody counts twice."""
    merged: list[list[datetime.datetime]] = []
    for start, end in sorted(shifts):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def coverage(start: datetime.datetime, end: datetime.datetime) -> list[dict]:
    """The spans from ``start`` to ``end`` in order, each with how many listed supporters are
    on call through it (one query, however many shifts)."""
    listed = selectors.listed_profile_ids(timezone.now())
    by_profile = defaultdict(list)
    # ``everywhere``: the shifts of the listed profiles, whose home may be another agency.
    for profile_id, s, e in OnCallShift.everywhere.filter(
        profile_id__in=listed, start__lt=end, end__gt=start
    ).values_list("profile_id", "start", "end"):
        by_profile[profile_id].append((max(s, start), min(e, end)))
    changes: dict[datetime.datetime, int] = defaultdict(int)
    for shifts in by_profile.values():
        for s, e in _merged(shifts):
            changes[s] += 1
            changes[e] -= 1
    spans = []
    count, at = 0, start
    for moment in sorted(changes) + [end]:
        if moment > at:
            if spans and spans[-1]["on_call"] == count:
                spans[-1]["end"] = moment
            else:
                spans.append({"start": at, "end": moment, "on_call": count})
            at = moment
        count += changes.get(moment, 0) if moment < end else 0
    for span in spans:
        span["covered"] = span["on_call"] > 0
    return spans


def _hours(spans) -> float:
    return round(sum((s["end"] - s["start"]).total_seconds() for s in spans) / 3600, 2)


@router.get("/coverage", response=CoverageOut, url_name="oncall_coverage", summary="Coverage")
def oncall_coverage(request, query: Query[CoverageQuery]):
    first = query.start or timezone.localdate()
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time()))
    last = first + datetime.timedelta(days=query.days)
    end = timezone.make_aware(datetime.datetime.combine(last, datetime.time()))
    spans = coverage(start, end)
    covered = [s for s in spans if s["covered"]]
    uncovered = [s for s in spans if not s["covered"]]
    return paginate(spans, query) | {
        "start": start,
        "end": end,
        "covered_hours": _hours(covered),
        "uncovered_hours": _hours(uncovered),
        "covered_spans": len(covered),
        "uncovered_spans": len(uncovered),
    }


def ready() -> None:
    from peersupport.integrations.api import register_router
    from peersupport.integrations.registry import register_scope

    register_scope(
        ONCALL_READ,
        label="On-call coverage",
        description="Read when supporters are on call and when nobody is, as counts "
        "(GET /api/v1/oncall/coverage); never who.",
    )
    register_router("oncall", router)
