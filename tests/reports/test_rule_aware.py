"""A rule-aware attacker against the cube (PROGRAM.md rule 8).

tests/reports/test_suppression.py attacks what is shown with arithmetic (linear algebra,
bounds) and looks for other records that show the same numbers. It never asks whether the
engine, run on those other records, would have *hidden the same cells*. Someone who knows the
rule can ask it: an explanation that would have been published differently is no explanation.
The supporters' snapshot tables fell to this (two hidden 5s beside a shown 6 at threshold 5);
this file models the same attacker on the cube itself.

The attacker sees one publication of a total table over one year (every shown number and which
cells are hidden), enumerates every set of monthly counts consistent with the shown numbers (a
period is the sum of its sub-periods, counts are never negative), re-runs ``protect`` on each,
keeps those giving exactly the same publication, and looks for a hidden count that is not zero
and has the same value in all of them.

It won until 4 Dec 2026: complements were the smallest neighbours, and someone who knows that
can tell which values the hidden cells must have (months of 6, 5 and 5 under a quarter of 16
at threshold 5: the 6 was shown, and any other split of the hidden 10 would have hidden the 6
instead, so both were 5). Now a line with a hidden cell hides all its cells, zeros too, except
zeros anyone can tell from a total shown 0 (suppression.py, rule 2).
"""

import datetime

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from peersupport.reports.periods import Period
from peersupport.reports.suppression import ALL, PARTITION, TOTAL, Table, Timeline, protect

YEAR = 2025
TODAY = datetime.date(2026, 2, 1)  # every period of YEAR is over
MONTHS = Period(YEAR).months()


def timeline():
    return Timeline(YEAR, YEAR, today=TODAY)


def publication(monthly: dict, threshold: int):
    """(result, hidden cells, shown numbers) of a total table with these monthly counts."""
    table = Table(
        TOTAL, TOTAL, "Total", [(ALL, "All")], {(ALL, m): v for m, v in monthly.items() if v}
    )
    result = protect([table], timeline(), threshold=threshold)
    over = result.timeline.over
    hidden = frozenset(c for c in result.hidden if c[2] in over)
    shown = {c: v for c, v in result.values.items() if c not in result.hidden and c[2] in over}
    return result, hidden, shown


def explanations(shown: dict):
    """Every set of monthly counts giving these shown numbers (None if a hidden month is not
    bounded by a shown period around it)."""
    tl = timeline()
    fixed = {m: shown[(TOTAL, ALL, m)] for m in MONTHS if (TOTAL, ALL, m) in shown}
    free = [m for m in MONTHS if m not in fixed]
    sums = [(tl.months[node], v) for (_t, _r, node), v in shown.items() if node.kind != "month"]
    bound = {}
    for m in free:
        caps = [v - sum(fixed.get(x, 0) for x in ms) for ms, v in sums if m in ms]
        if not caps:
            return None
        bound[m] = min(caps)
    out, assign = [], dict(fixed)

    def fits():
        for ms, v in sums:
            s = sum(assign.get(x, 0) for x in ms)
            if s > v or (all(x in assign for x in ms) and s != v):
                return False
        return True

    def walk(i):
        if i == len(free):
            out.append(dict(assign))
            return
        for x in range(bound[free[i]] + 1):
            assign[free[i]] = x
            if fits():
                walk(i + 1)
            del assign[free[i]]

    walk(0)
    return out


def forced_cells(monthly: dict, threshold: int):
    """Hidden counts that are not zero and take one value in every explanation that the
    engine would have published exactly as it did: {cell: value}."""
    result, hidden, shown = publication(monthly, threshold)
    worlds = explanations(shown)
    if worlds is None:
        return None
    same = [w for w in worlds if publication(w, threshold)[1:] == (hidden, shown)]
    assert same, "the true records must explain their own publication"
    forced = {}
    for cell in hidden:
        if result.values[cell] == 0:
            continue
        months = result.timeline.months[cell[2]]
        values = {sum(w[m] for m in months) for w in same}
        if len(values) == 1:
            forced[cell] = result.values[cell]
    return forced


def months_of(*values, start=0):
    monthly = dict.fromkeys(MONTHS, 0)
    for i, v in enumerate(values):
        monthly[MONTHS[start + i]] = v
    return monthly


@pytest.mark.parametrize(
    "threshold, values",
    [
        (5, (6, 5, 5)),  # Feb and Mar hidden, Jan 6 shown: both are 5
        (5, (6, 6, 5)),  # Jan and Mar hidden, Feb 6 shown: Mar is 5 (and Jan 6)
        (3, (4, 3, 3)),
        (2, (1, 1, 1)),  # the quarter (3) is shown, its three months hidden: each is 1
    ],
)
def test_hidden_months_are_not_forced_by_the_rule(threshold, values):
    forced = forced_cells(months_of(*values), threshold)
    assert not forced, (
        f"a rule-aware attacker recovers {sorted((c[2].key, v) for c, v in forced.items())}"
    )


def test_hidden_quarters_are_not_forced_by_the_rule():
    # Threshold 3, one contact in each quarter: the year (4) is shown, every quarter hidden.
    monthly = months_of(1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0)
    forced = forced_cells(monthly, 3)
    assert not forced, (
        f"a rule-aware attacker recovers {sorted((c[2].key, v) for c, v in forced.items())}"
    )


@st.composite
def quarters(draw):
    """Three months of one quarter, with values around the threshold (where the rule decides)."""
    threshold = draw(st.integers(min_value=2, max_value=5))
    near = [0, 1, threshold - 1, threshold, threshold + 1, threshold + 2, 2 * threshold]
    values = draw(st.lists(st.sampled_from(near) | st.integers(0, 12), min_size=3, max_size=3))
    return threshold, values, draw(st.integers(min_value=0, max_value=1))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(quarters())
@example((5, [6, 5, 5], 0))
def test_no_hidden_count_is_forced_by_the_rule(case):
    threshold, values, quarter = case
    forced = forced_cells(months_of(*values, start=3 * quarter), threshold)
    assume(forced is not None)
    assert not forced, (
        f"a rule-aware attacker recovers {sorted((c[2].key, v) for c, v in forced.items())}"
    )


# --- Breakdowns: a partition's rows under the total ------------------------------------------
#
# The same attacker against a total table and one breakdown into rows that partition it (each
# record in exactly one row: mode, who asked, bureau), over one quarter (the other months are
# zero, which anyone can tell from the year). The unknowns are the rows' monthly counts; every
# shown cell of either table is a sum of them.

ROWS = ("a", "b", "c")
KIND = "kind"


def breakdown_publication(counts: dict, threshold: int, rows=ROWS):
    """(result, hidden cells, shown numbers) of the total and the breakdown of ``counts``
    ({(row, month): n})."""
    total: dict = {}
    for (_row, month), n in counts.items():
        total[month] = total.get(month, 0) + n
    tables = [
        Table(TOTAL, TOTAL, "Total", [(ALL, "All")], {(ALL, m): v for m, v in total.items() if v}),
        Table(
            KIND,
            PARTITION,
            "By kind",
            [(r, r.upper()) for r in rows],
            {k: v for k, v in counts.items() if v},
        ),
    ]
    result = protect(tables, timeline(), threshold=threshold)
    over = result.timeline.over
    hidden = frozenset(c for c in result.hidden if c[2] in over)
    shown = {c: v for c, v in result.values.items() if c not in result.hidden and c[2] in over}
    return result, hidden, shown


def breakdown_explanations(shown: dict, quarter_months: list, rows=ROWS, most=None):
    """Every set of (row, month) counts of the quarter giving these shown numbers (None if a
    cell is not bounded by a shown sum, or there are more than ``most``)."""
    tl = timeline()
    unknowns = [(r, m) for r in rows for m in quarter_months]
    sums = []  # (cells it adds up, value)
    for (table, row, node), value in shown.items():
        months = [m for m in tl.months[node] if m in quarter_months]
        if table == TOTAL:
            cells = [(r, m) for r in rows for m in months]
        else:
            cells = [(row, m) for m in months]
        if not cells:
            assert value == 0
            continue
        sums.append((cells, value))
    # A cell shown itself is known; the others are bounded by every shown sum over them.
    fixed = {cells[0]: v for cells, v in sums if len(cells) == 1}
    unknowns = [c for c in unknowns if c not in fixed]
    bound = {}
    for cell in unknowns:
        caps = [v - sum(fixed.get(c, 0) for c in cells) for cells, v in sums if cell in cells]
        if not caps:
            return None
        bound[cell] = min(caps)
    out, assign = [], dict(fixed)

    def fits():
        for cells, v in sums:
            s = sum(assign.get(c, 0) for c in cells)
            if s > v or (all(c in assign for c in cells) and s != v):
                return False
        return True

    def walk(i):
        if i == len(unknowns):
            out.append(dict(assign))
            if most is not None and len(out) > most:
                raise _TooMany
            return
        for x in range(bound[unknowns[i]] + 1):
            assign[unknowns[i]] = x
            if fits():
                walk(i + 1)
            del assign[unknowns[i]]

    try:
        walk(0)
    except _TooMany:
        return None
    return out


class _TooMany(Exception):
    pass


MOST_WORLDS = 200  # beyond, re-running the engine on each takes too long for a test


def breakdown_forced(counts: dict, threshold: int, quarter: int = 0, most: int | None = None):
    quarter_months = MONTHS[3 * quarter : 3 * quarter + 3]
    result, hidden, shown = breakdown_publication(counts, threshold)
    worlds = breakdown_explanations(shown, quarter_months, most=most)
    if worlds is None:
        return None
    same = [w for w in worlds if breakdown_publication(w, threshold)[1:] == (hidden, shown)]
    assert same, "the true records must explain their own publication"
    forced = {}
    for cell in hidden:
        if result.values[cell] == 0:
            continue
        table, row, node = cell
        months = [m for m in result.timeline.months[node] if m in quarter_months]
        rows = ROWS if table == TOTAL else (row,)
        values = {sum(w[(r, m)] for r in rows for m in months) for w in same}
        if len(values) == 1:
            forced[cell] = result.values[cell]
    return forced


def _named(forced: dict) -> list:
    return sorted((table, row, node.key, v) for (table, row, node), v in forced.items())


def by_row(quarter: int = 0, **rows) -> dict:
    months = MONTHS[3 * quarter : 3 * quarter + 3]
    return {(r, m): v for r, values in rows.items() for m, v in zip(months, values, strict=True)}


@pytest.mark.parametrize(
    "threshold, rows",
    [
        # One row small in one month, the others large: the small cell and its complements.
        (3, {"a": (6, 1, 4), "b": (7, 5, 4), "c": (0, 0, 0)}),
        # Two small rows beside a large one, in every month.
        (3, {"a": (2, 1, 2), "b": (1, 2, 1), "c": (9, 8, 7)}),
        # A row hidden over the whole quarter, the total shown.
        (2, {"a": (1, 0, 0), "b": (3, 2, 0), "c": (0, 2, 0)}),
        # The 6 / 5 / 5 case as rows of one month.
        (5, {"a": (6, 0, 0), "b": (5, 0, 0), "c": (5, 0, 0)}),
    ],
)
def test_hidden_breakdown_cells_are_not_forced_by_the_rule(threshold, rows):
    forced = breakdown_forced(by_row(**rows), threshold)
    assert forced is not None
    assert not forced, f"a rule-aware attacker recovers {_named(forced)}"


@st.composite
def breakdowns(draw):
    threshold = draw(st.integers(min_value=2, max_value=4))
    cell = st.sampled_from([0, 1, threshold - 1, threshold, threshold + 1, threshold + 2])
    rows = {r: tuple(draw(st.lists(cell, min_size=3, max_size=3))) for r in ROWS[:2]}
    rows["c"] = (0, 0, 0)
    return threshold, rows


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(breakdowns())
@example((3, {"a": (6, 1, 4), "b": (7, 5, 4), "c": (0, 0, 0)}))
def test_no_hidden_breakdown_cell_is_forced_by_the_rule(case):
    threshold, rows = case
    forced = breakdown_forced(by_row(**rows), threshold, most=MOST_WORLDS)
    assume(forced is not None)
    assert not forced, f"a rule-aware attacker recovers {_named(forced)}"
