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
from peersupport.reports.suppression import ALL, TOTAL, Table, Timeline, protect

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
