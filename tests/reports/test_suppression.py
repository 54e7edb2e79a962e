"""Small-count suppression against differencing (PROGRAM.md rule 8).

hypothesis generates populations (units in months, one category per unit in each partition,
any number of categories in each binary breakdown) and the engine protects every table of them
at once, the way the reports do. Then three attacks use every shown number of every table,
period and export together:

1. *Differencing*: exact linear algebra (fractions) over every relation between the numbers:
   a period is the sum of its sub-periods, a total is the sum of a partition's rows. A hidden
   value is recovered if some combination of shown numbers equals it.
2. *Bounds*: the same relations with what anyone knows about counts (never negative; a topic
   count never above its period's total), propagated to a fixed point. Recovered if the bounds
   meet.
3. *Groups*: the hidden cells of one line (a shown period's sub-periods, a shown total's rows)
   add up to a number anyone can work out; it must not be a small count either.
4. *Another truth*: for every hidden value that is not zero, a search over small changes of the
   records (drop, add or move a record; change, exchange or hand over a category) for records
   that give exactly the same shown numbers everywhere and a different hidden value. If one
   exists, no attack of any kind can tell the two apart.

Every hidden value that is not zero must survive all four.
"""

import datetime
import itertools
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peersupport.reports.periods import Period
from peersupport.reports.suppression import (
    ALL,
    BINARY,
    PARTITION,
    TOTAL,
    Table,
    Timeline,
    protect,
)

PARTITIONS = {"mode": ["a", "b", "c"], "bureau": ["x", "y"]}
BINARIES = {"topic": ["t1", "t2", "t3"]}
YEARS = [2024, 2025]
MONTHS = [Period(y).months() for y in YEARS]
MONTHS = [m for ms in MONTHS for m in ms]


def unit_strategy(months):
    return st.tuples(
        st.sampled_from(months),
        st.fixed_dictionaries({d: st.sampled_from(cats) for d, cats in PARTITIONS.items()}),
        st.fixed_dictionaries(
            {d: st.frozensets(st.sampled_from(cats)) for d, cats in BINARIES.items()}
        ),
    )


@st.composite
def populations(draw):
    # Concentrated in a few months so that small counts and their neighbours are common.
    months = draw(st.lists(st.sampled_from(MONTHS), min_size=1, max_size=6, unique=True))
    units = draw(st.lists(unit_strategy(months), min_size=0, max_size=45))
    threshold = draw(st.integers(min_value=1, max_value=5))
    today = draw(st.sampled_from([datetime.date(2026, 1, 10), datetime.date(2025, 8, 15)]))
    return units, threshold, today


def tables_of(units):
    total = {}
    for month, _p, _b in units:
        total[(ALL, month)] = total.get((ALL, month), 0) + 1
    tables = [Table(TOTAL, TOTAL, "Total", [(ALL, "All")], total)]
    for dim, cats in PARTITIONS.items():
        counts = {}
        for month, parts, _b in units:
            key = (parts[dim], month)
            counts[key] = counts.get(key, 0) + 1
        tables.append(Table(dim, PARTITION, dim, [(c, c) for c in cats], counts))
    for dim, cats in BINARIES.items():
        counts = {}
        for month, _p, bins in units:
            for c in bins[dim]:
                counts[(c, month)] = counts.get((c, month), 0) + 1
        tables.append(Table(dim, BINARY, dim, [(c, c) for c in cats], counts))
    return tables


def publish(units, threshold, today):
    timeline = Timeline(YEARS[0], YEARS[-1], today=today)
    return protect(tables_of(units), timeline, threshold=threshold)


def shown_numbers(result):
    return {
        cell: v
        for cell, v in result.values.items()
        if cell not in result.hidden and cell[2] in result.timeline.over
    }


def targets(result):
    return {
        cell
        for cell in result.hidden
        if result.values[cell] > 0 and cell[2] in result.timeline.over
    }


def relations(result):
    """Every exact linear relation between cells: (coefficients, constant 0)."""
    timeline = result.timeline
    equations = []
    for table in result.tables.values():
        for row, _ in table.rows:
            for node in timeline.nodes:
                if node.kind == "month":
                    continue
                coeffs = {(table.key, row, node): Fraction(1)}
                for child in node.children():
                    coeffs[(table.key, row, child)] = Fraction(-1)
                equations.append(coeffs)
        if table.kind == PARTITION:
            for node in timeline.nodes:
                coeffs = {(TOTAL, ALL, node): Fraction(-1)}
                for row, _ in table.rows:
                    coeffs[(table.key, row, node)] = Fraction(1)
                equations.append(coeffs)
    return equations


def linear_attack(result) -> set:
    """Hidden cells that a combination of shown numbers determines exactly."""
    shown = shown_numbers(result)
    pivots: dict = {}  # var -> (coeffs, const), kept in reduced row echelon form
    for coeffs in relations(result):
        row, const = {}, Fraction(0)
        for cell, a in coeffs.items():
            if cell in shown:
                const -= a * shown[cell]
            else:
                row[cell] = row.get(cell, 0) + a
        for var in [v for v in row if v in pivots]:
            if var not in row:
                continue
            factor = row[var]
            prow, pconst = pivots[var]
            for v, a in prow.items():
                row[v] = row.get(v, 0) - factor * a
                if row[v] == 0:
                    del row[v]
            const -= factor * pconst
        row = {v: a for v, a in row.items() if a != 0}
        if not row:
            assert const == 0, "the relations contradict the shown numbers"
            continue
        pivot = min(row, key=repr)
        scale = row[pivot]
        row = {v: a / scale for v, a in row.items()}
        const /= scale
        for var, (prow, pconst) in list(pivots.items()):
            if pivot in prow:
                factor = prow[pivot]
                new = dict(prow)
                for v, a in row.items():
                    new[v] = new.get(v, 0) - factor * a
                    if new[v] == 0:
                        del new[v]
                pivots[var] = (new, pconst - factor * const)
        pivots[pivot] = (row, const)
    return {var for var, (row, _c) in pivots.items() if len(row) == 1}


def bounds_attack(result) -> set:
    """Hidden cells whose bounds meet after propagating every relation and what anyone knows
    about counts."""
    shown = shown_numbers(result)
    inf = float("inf")
    lo = {cell: 0 for cell in result.values if cell not in shown}
    hi = {cell: inf for cell in result.values if cell not in shown}

    def bound(cell):
        return (shown[cell], shown[cell]) if cell in shown else (lo[cell], hi[cell])

    equations = relations(result)
    for _ in range(60):
        changed = False
        for coeffs in equations:
            for var, a in coeffs.items():
                if var in shown:
                    continue
                low, high = 0, 0
                for other, b in coeffs.items():
                    if other == var:
                        continue
                    ol, oh = bound(other)
                    # a*var = -sum(b*other)
                    if -b > 0:
                        low, high = low + -b * ol, high + -b * oh
                    else:
                        low, high = low + -b * oh, high + -b * ol
                new_lo, new_hi = (low / a, high / a) if a > 0 else (high / a, low / a)
                if new_lo > lo[var]:
                    lo[var], changed = new_lo, True
                if new_hi < hi[var]:
                    hi[var], changed = new_hi, True
        for table in result.tables.values():
            if table.kind != BINARY:
                continue
            for row, _ in table.rows:
                for node in result.timeline.nodes:
                    cell = (table.key, row, node)
                    if cell in shown:
                        continue
                    cap = bound((TOTAL, ALL, node))[1]
                    if cap < hi[cell]:
                        hi[cell], changed = cap, True
        if not changed:
            break
    return {cell for cell in lo if lo[cell] == hi[cell]}


def small_groups(result) -> list:
    """Lines (a shown parent and its sub-periods; a shown total and a partition's rows) whose
    hidden cells add up to a small count: anyone can work that sum out."""
    shown = shown_numbers(result)
    found = []
    for coeffs in relations(result):
        hidden = [c for c in coeffs if c not in shown and c[2] in result.timeline.over]
        known_parent = [c for c, a in coeffs.items() if a != coeffs[hidden[0]]] if hidden else []
        if not hidden or any(c not in shown for c in known_parent):
            continue
        total = sum(result.values[c] for c in hidden)
        if 1 <= total <= result.threshold:
            found.append(hidden)
    return found


def _fine_delta(before, after):
    delta = {}
    for sign, unit in ((-1, before), (1, after)):
        if unit is None:
            continue
        month, parts, bins = unit
        for cell in (
            [(TOTAL, ALL, month)]
            + [(d, c, month) for d, c in parts.items()]
            + [(d, c, month) for d, cs in bins.items() for c in cs]
        ):
            delta[cell] = delta.get(cell, 0) + sign
    return delta


def _changes(result, replacements):
    """Cells (at every level) whose value a set of record replacements changes."""
    fine = {}
    for before, after in replacements:
        for cell, d in _fine_delta(before, after).items():
            fine[cell] = fine.get(cell, 0) + d
    changed = {}
    for (table, row, month), d in fine.items():
        if d == 0:
            continue
        node = month
        while node is not None:
            key = (table, row, node)
            changed[key] = changed.get(key, 0) + d
            node = node.parent()
    return {cell for cell, d in changed.items() if d != 0}


def other_truths(result, units) -> set:
    """Hidden cells for which records exist that show the same everywhere but differ there."""
    hidden = result.hidden
    over = result.timeline.over
    covered = set()

    def consider(replacements):
        changed = _changes(result, replacements)
        if all(c in hidden or c[2] not in over for c in changed):
            covered.update(changed)

    for i, unit in enumerate(units):
        month, parts, bins = unit
        consider([(unit, None)])
        consider([(None, unit)])
        for m in (
            result.timeline.months[result.timeline.years[0]]
            + result.timeline.months[result.timeline.years[-1]]
        ):
            consider([(unit, (m, parts, bins))])
        for dim, cats in PARTITIONS.items():
            for c in cats:
                if c != parts[dim]:
                    consider([(unit, (month, {**parts, dim: c}, bins))])
        for dim, cats in BINARIES.items():
            for c in cats:
                consider([(unit, (month, parts, {**bins, dim: bins[dim] ^ {c}}))])
        for other in units[i + 1 :]:
            om, oparts, obins = other
            for dim in PARTITIONS:
                if parts[dim] != oparts[dim]:
                    consider(
                        [
                            (unit, (month, {**parts, dim: oparts[dim]}, bins)),
                            (other, (om, {**oparts, dim: parts[dim]}, obins)),
                        ]
                    )
            for dim in BINARIES:
                for c in bins[dim] ^ obins[dim]:
                    consider(
                        [
                            (unit, (month, parts, {**bins, dim: bins[dim] ^ {c}})),
                            (other, (om, oparts, {**obins, dim: obins[dim] ^ {c}})),
                        ]
                    )
    return covered


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(populations())
def test_no_hidden_count_can_be_recovered(population):
    units, threshold, today = population
    result = publish(units, threshold, today)
    shown = shown_numbers(result)
    # Primary suppression: no shown count is small.
    assert not [c for c, v in shown.items() if 1 <= v <= threshold]
    hidden = targets(result)
    assert not hidden & linear_attack(result), "differencing recovered a hidden count"
    assert not hidden & bounds_attack(result), "bounds recovered a hidden count"
    assert not small_groups(result), "hidden cells of a line add up to a small count"
    unprotected = hidden - other_truths(result, units)
    assert not unprotected, f"no other records explain {sorted(unprotected)[:3]}"


def test_a_single_small_month_is_not_the_difference_of_its_quarter():
    jan = Period(2025, 1, 1)
    feb, mar = Period(2025, 1, 2), Period(2025, 1, 3)
    units = [(jan, {"mode": "a", "bureau": "x"}, {"topic": frozenset()})] * 3
    units += [(feb, {"mode": "a", "bureau": "x"}, {"topic": frozenset()})] * 20
    units += [(mar, {"mode": "b", "bureau": "y"}, {"topic": frozenset()})] * 30
    result = publish(units, 5, datetime.date(2026, 2, 1))
    assert result.shown(TOTAL, ALL, jan) is None
    assert result.shown(TOTAL, ALL, Period(2025, 1)) == 53  # the quarter is still shown...
    assert result.shown(TOTAL, ALL, feb) is None  # ...so the other months hide with January
    # March too: with March shown, 20 and 3 hidden beside it could only be one split that
    # leaves February shown (test_rule_aware.py): all the months hide, or none.
    assert result.shown(TOTAL, ALL, mar) is None


def test_a_period_not_over_is_never_shown():
    month = Period(2025, 3, 8)
    units = [(month, {"mode": "a", "bureau": "x"}, {"topic": frozenset()})] * 40
    result = publish(units, 5, datetime.date(2025, 8, 15))
    assert result.shown(TOTAL, ALL, month) is None
    assert result.shown(TOTAL, ALL, Period(2025)) is None
    assert result.shown(TOTAL, ALL, Period(2025, 2, 6)) == 0


def test_every_pair_of_tables_shares_one_decision():
    """The same cell is shown or hidden the same way whichever page or export reads it: they
    all read one protected cube, and no breakdown shows a period whose total is hidden."""
    units = [(Period(2025, 1, 1), {"mode": "a", "bureau": "x"}, {"topic": frozenset({"t1"})})] * 4
    result = publish(units, 5, datetime.date(2026, 2, 1))
    for table, row, node in itertools.product(
        ["mode", "bureau", "topic"], ["a", "x", "t1"], [Period(2025, 1, 1)]
    ):
        assert result.shown(table, row, node) is None
