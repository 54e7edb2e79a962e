"""Published numbers never change (PROGRAM.md rule 8).

Suppression (suppression.py) makes one release safe: nothing hidden can be worked out from
everything it shows. But reports are read again and again, and the data under a period that
is over still moves: a contact is logged today with a date last month, attendance is corrected,
a request made in March is accepted in April. Two exports of March taken a week apart would
differ by those few records, and the pattern of hidden cells could differ too, so that a cell
hidden in one and shown in the other, or shown with two values, gives a small count away. When
a new period ends, the engine could also choose other complements for the periods before it.

The rule: **the first time a period that is closed (periods.closed_through: by the
coordinator, or some days after it ends) is computed, it is published, and a published period
never changes.**

1. When the cube is built, every closed period not yet published is published, for each
   population on its own: one ``Publication`` row holding the state of each of its cells
   (shown with its value, or hidden), the median shown, and, for a month, the counts the
   cube was computed from (counts per category, never a record). A period is always computed
   before anyone can see it, so nothing is ever shown that was not published.
2. Later builds read a published month's counts from its ``Publication``, not from the
   records. A record entered later with a date in a published month is a *late entry*: it is
   counted in the first month not yet published, in every table, and on that month's line of
   late entries (``freeze``); so it is counted exactly once, never lost, and what was
   published stays as it was. Records dated before the first published year are late entries
   too.
3. Every published cell is *pinned*: a shown cell stays shown with the same value (its value
   is computed from the frozen counts, so it is the same), a hidden cell stays hidden. The
   engine protects the new cells around the pinned ones, and may hide more than it would
   have (a quarter whose earlier months were shown is hidden when showing it would reveal
   the new month).

Why the union of all releases is safe. Releases only grow: each one shows every cell an
earlier one showed, with the same value, and hides every cell an earlier one hid; anything
not over is hidden; so the union of everything ever shown is exactly what the latest release
shows. The latest release is the engine's output over one set of records (the frozen counts
for published months, the records for the others) and the engine's guarantee holds for it: for
every hidden cell that is not zero there is another set of records giving the same shown
numbers everywhere and a different value there (it searches and keeps such a move for every
hidden cell, through hidden and unpinned cells only, and never hides a pinned shown cell). So
combining any exports from any days recovers nothing that the latest release alone does not,
and that is nothing. tests/reports/test_publishing.py attacks the union of releases taken
over time, with late records and new periods in between, with the differencing, bounds and
other-records attacks of tests/reports/test_suppression.py.

Two first views at once: both compute; ``publish`` inserts with the unique constraint on
(population, period) and ignore-conflicts, then reads back what is stored. One insert wins;
a builder whose numbers are not the stored ones builds again on the winner's (now pinned)
cells, so every page ever served shows what is stored.
"""

from django.db import transaction
from django.urls import reverse

from peersupport.notifications import webhooks
from peersupport.tenancy import current_agency_id

from .models import Publication
from .periods import Period, parse
from .suppression import ALL, BINARY, PARTITION, Cell, Protected, Table

# The webhook event of newly published figures (apps.py registers it).
PUBLISHED = "report.published"


def stored(populations) -> dict[str, dict[str, tuple[dict, dict]]]:
    """population -> period key -> (inputs, cells). One query."""
    found: dict[str, dict[str, tuple[dict, dict]]] = {p: {} for p in populations}
    for population, period, inputs, cells in Publication.objects.filter(
        population__in=list(populations)
    ).values_list("population", "period", "inputs", "cells"):
        found[population][period] = (inputs, cells)
    return found


def floor(published: dict[str, tuple[dict, dict]]) -> int | None:
    """The first year a population was ever reported for, if it was."""
    years = [parse(key).year for key in published]
    return min(years) if years else None


LATE = "late"
LATE_LABEL = "Late entries: dated in an earlier period already closed"


def freeze(tables: list[Table], minutes, published: dict[str, tuple[dict, dict]]) -> dict | None:
    """Replace, in place, the counts of published months by the frozen ones, and carry the
    records that came after their month was published into the first month not published
    yet, as its late entries; append the table of late entries (one row) to ``tables``.
    Returns the minutes, frozen and carried the same way.

    Late entries are worked out from counts alone, never from a record: for each row, what the
    records dated up to the last published month count today, less what the publications
    counted for those months (their own records and the late entries they took in). Records
    added to a closed month raise that difference; a record that changed category after its
    month was published (a supporter who moved bureau, a follow-up since done) moves one unit
    from one row to another and adds nothing. The total's difference is the number of late
    entries; each breakdown takes the rows that grew, as many as that (a partition's rows add
    up to it, a topic is never counted more often than it), and a row's remainder waits for
    the next late entries. So nothing is counted twice and nothing is lost."""
    months = {parse(key): inputs for key, (inputs, _c) in published.items() if inputs}
    last = max(months, key=lambda m: m.first_day) if months else None
    target = last.next() if last is not None else None

    def closed(month: Period) -> bool:
        return last is not None and month.first_day <= last.first_day

    late = Table(LATE, BINARY, LATE_LABEL, [(LATE, LATE_LABEL)], {})
    pending: dict[str, dict[str, int]] = {}
    for table in [*tables, late]:
        counts: dict[tuple[str, Period], int] = {}
        waiting: dict[str, int] = {}
        for (row, month), n in table.counts.items():
            if closed(month):
                waiting[row] = waiting.get(row, 0) + n
            else:
                counts[(row, month)] = n
        known = {r for r, _ in table.rows}
        for month, inputs in months.items():
            for row, n in inputs.get("counts", {}).get(table.key, {}).items():
                counts[(row, month)] = counts.get((row, month), 0) + n
                waiting[row] = waiting.get(row, 0) - n
                if row not in known:  # a category that has since gone (a bureau pooled...)
                    label = inputs.get("labels", {}).get(table.key, {}).get(row, row)
                    table.rows.append((row, label))
                    known.add(row)
        table.counts = counts
        pending[table.key] = waiting
    tables.append(late)
    entered = max(0, pending[tables[0].key].get(ALL, 0)) if target is not None else 0
    if entered:
        for table in tables[1:-1]:
            for row, n in _allocate(table.kind, pending[table.key], entered).items():
                table.counts[(row, target)] = table.counts.get((row, target), 0) + n
        tables[0].counts[(ALL, target)] = tables[0].counts.get((ALL, target), 0) + entered
        late.counts[(LATE, target)] = entered
    if minutes is None:
        return None
    frozen = {m: n for m, n in minutes.items() if not closed(m)}
    extra = sum(n for m, n in minutes.items() if closed(m))
    for month, inputs in months.items():
        if inputs.get("minutes"):
            frozen[month] = inputs["minutes"]
            extra -= inputs["minutes"]
    if entered and extra > 0:
        frozen[target] = frozen.get(target, 0) + extra
    return frozen


def _allocate(kind: str, waiting: dict[str, int], entered: int) -> dict[str, int]:
    """The late entries' rows of one breakdown: rows that grew, at most ``entered`` in each
    and, for a partition, exactly ``entered`` in all (the rows that grew most give up the
    difference a category change made)."""
    grown = {row: n for row, n in sorted(waiting.items()) if n > 0}
    if kind != PARTITION:
        return {row: min(n, entered) for row, n in grown.items()}
    excess = sum(grown.values()) - entered
    for row in sorted(grown, key=lambda r: (-grown[r], r)):
        if excess <= 0:
            break
        cut = min(excess, grown[row])
        grown[row] -= cut
        excess -= cut
    if excess < 0 and grown:  # rows that do not add up (cannot happen with whole records)
        top = max(grown, key=lambda r: (grown[r], r))
        grown[top] -= excess
    return {row: n for row, n in grown.items() if n > 0}


def pins(published: dict[str, tuple[dict, dict]]) -> dict[Cell, bool]:
    """Every published cell: True if it was shown, False if hidden."""
    pinned: dict[Cell, bool] = {}
    for key, (_inputs, cells) in published.items():
        node = parse(key)
        for table, rows in cells.get("tables", {}).items():
            for row, value in rows.items():
                pinned[(table, row, node)] = value is not None
    return pinned


def entries(protected: Protected, nodes, *, minutes, medians) -> dict[str, tuple[dict, dict]]:
    """period key -> (inputs, cells) to publish for each of ``nodes``."""
    by_month: dict[tuple[str, Period], dict[str, int]] = {}
    for key, table in protected.tables.items():
        for (row, month), n in table.counts.items():
            if n:
                by_month.setdefault((key, month), {})[row] = n
    return {
        node.key: entry(
            protected, node, minutes=minutes, median=medians.get(node.key), by_month=by_month
        )
        for node in nodes
    }


def entry(protected: Protected, node: Period, *, minutes, median, by_month=None):
    """(inputs, cells) to publish for ``node``."""
    cells = {
        "tables": {
            key: {row: protected.shown(key, row, node) for row, _ in table.rows}
            for key, table in protected.tables.items()
        },
        "median": median,
    }
    inputs: dict = {}
    if node.kind == "month":
        counts, labels = {}, {}
        for key, table in protected.tables.items():
            rows = dict(table.rows)
            if by_month is None:
                here = {r: n for (r, m), n in table.counts.items() if m == node and n}
            else:
                here = by_month.get((key, node), {})
            if here:
                counts[key] = here
                labels[key] = {r: str(rows.get(r, r)) for r in here}
        inputs = {"counts": counts, "labels": labels, "minutes": (minutes or {}).get(node, 0)}
    return inputs, cells


def publish(new: dict[tuple[str, str], tuple[dict, dict]]) -> bool:
    """Store ``new`` ((population, period) -> (inputs, cells)) unless already published.
    True if what is stored now is exactly ``new`` (this builder won every race)."""
    if not new:
        return True
    agency = current_agency_id()  # bulk_create does not save(): the agency is named
    with transaction.atomic():
        Publication.objects.bulk_create(
            [
                Publication(agency_id=agency, population=p, period=k, inputs=inputs, cells=cells)
                for (p, k), (inputs, cells) in new.items()
            ],
            ignore_conflicts=True,
            batch_size=500,
        )
        # Other systems may be told that figures were published: the event names no period and
        # no count, only the reports page (whose access rules apply). Its id comes from what
        # was published, so two builders racing to publish the same send one event.
        webhooks.emit(
            PUBLISHED,
            link=reverse("reports:dashboard"),
            source="report.published:" + ",".join(sorted(f"{p}/{k}" for p, k in new)),
        )
    populations = {p for p, _k in new}
    periods = {k for _p, k in new}
    now = {
        (p, k): (inputs, cells)
        for p, k, inputs, cells in Publication.objects.filter(
            population__in=populations, period__in=periods
        ).values_list("population", "period", "inputs", "cells")
    }
    return all(now.get(key) == value for key, value in new.items())
