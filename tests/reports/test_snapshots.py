"""The supporters' tables attacked together (reports/snapshots.py).

hypothesis generates supporters (a status, a training compliance for each of two years, and
contacts logged in each month of half a year); the real code protects the status table, the
compliance table of each year and the load table of every period a user can pick (each month,
each quarter, the year), the way the reports do. Then, with every shown number of every table
together:

The active supporters' count is public (the directory lists them): the status table always
shows it, and every load table its total.

1. *Differencing*: exact linear algebra over every relation: each table's rows add up to its
   total, every load table's total is the status table's active row, every compliance table's
   total is the active, inactive and appointed rows together.
2. *Bounds*: the same with what anyone knows besides: counts are never negative, and a
   supporter with no contact in a period had none in each of its sub-periods, one with more
   than 5, 10 or 20 contacts in a sub-period had more than that in the period, and one with a
   contact in a period had one in some sub-period.
3. *Groups*: hidden rows of a table whose total is shown add up to a number anyone can work
   out: it must not be a small count.
4. *Another truth*: for each hidden value that is not zero, other supporters (one joins or
   leaves, changes status or compliance, logs another number of contacts in a month, logs a
   month's contacts in another month of the quarter, none at all, or another's) giving the
   same shown numbers everywhere.
"""

from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peersupport.reports import snapshots
from peersupport.reports.periods import Period
from peersupport.reports.selectors import LOAD_BUCKETS, _bucket
from peersupport.reports.suppression import ALL, TOTAL

STATUSES = ["candidate", "appointed", "active", "inactive", "retired", "removed"]
COMPLIANCE = ["initial_pending", "on_track", "quarter_missed", "out_of_compliance"]
YEARS = [2024, 2025]
MONTHS = [Period(2025, 1, m) for m in (1, 2, 3)] + [Period(2025, 2, m) for m in (4, 5, 6)]
PERIODS = [*MONTHS, Period(2025, 1), Period(2025, 2), Period(2025)]
NODE = snapshots.NODE
BUCKETS = [b for b, _ in LOAD_BUCKETS]
CONTACTS = [0, 0, 0, 1, 2, 4, 6, 9, 12, 22]
THRESHOLDS = [6, 11, 21]  # bucket floors above "1 to 5"


def supporter():
    return st.tuples(
        st.sampled_from(STATUSES),
        st.tuples(*(st.sampled_from(COMPLIANCE) for _ in YEARS)),
        st.tuples(*(st.sampled_from(CONTACTS) for _ in MONTHS)),
    )


def contacts_in(person, period):
    return sum(n for month, n in zip(MONTHS, person[2], strict=True) if month in period.months())


_MEMO: dict = {}


def _memo(function, rows, counts, *rest):
    """The attacks build thousands of releases that differ in a table or two: each table is
    protected once per distinct input (the status table's cells stand for the table)."""
    status = rest[0] if len(rest) > 1 else None
    key = (
        function.__name__,
        tuple(sorted(counts.items())),
        None if status is None else tuple(sorted(map(repr, status.hidden))),
        None if status is None else tuple(sorted((repr(c), v) for c, v in status.values.items())),
        rest[-1],
    )
    if key not in _MEMO:
        _MEMO[key] = function(rows, counts, *rest)
    return _MEMO[key]


def release(people, threshold):
    """Every supporters' table, protected by the real code: {table id: Protected}."""
    counts = {}
    for status, _c, _n in people:
        counts[status] = counts.get(status, 0) + 1
    rows = [(s, s) for s in STATUSES]
    tables = {"status": _memo(snapshots.status, rows, counts, threshold)}
    status = tables["status"]
    for i, year in enumerate(YEARS):
        counts = {}
        for person in people:
            if person[0] in snapshots.COMPLIANCE_STATUSES:
                counts[person[1][i]] = counts.get(person[1][i], 0) + 1
        rows = [(c, c) for c in COMPLIANCE]
        tables[("compliance", year)] = _memo(snapshots.compliance, rows, counts, status, threshold)
    for period in PERIODS:
        counts = {}
        for person in people:
            if person[0] == "active":
                bucket = _bucket(contacts_in(person, period))
                counts[bucket] = counts.get(bucket, 0) + 1
        tables[("load", period)] = _memo(snapshots.load, LOAD_BUCKETS, counts, status, threshold)
    return tables


def cells(tables):
    """(table id, row) -> (value, shown?) for every cell of every table."""
    out = {}
    for name, protected in tables.items():
        for key, table in protected.tables.items():
            for row, _ in table.rows:
                value = protected.values[(key, row, NODE)]
                out[(name, row)] = (value, protected.shown(key, row, NODE) is not None)
    return out


def equations(tables):
    """Linear relations, as {variable: coefficient} summing to 0."""
    eqs = []
    for name, protected in tables.items():
        table = next(t for t in protected.tables.values() if t.key != TOTAL)
        eq = {(name, ALL): Fraction(-1)}
        for row, _ in table.rows:
            eq[(name, row)] = Fraction(1)
        eqs.append(eq)
    for period in PERIODS:
        eqs.append({(("load", period), ALL): Fraction(1), ("status", "active"): Fraction(-1)})
    for year in YEARS:
        eq = {(("compliance", year), ALL): Fraction(1)}
        for s in snapshots.COMPLIANCE_STATUSES:
            eq[("status", s)] = Fraction(-1)
        eqs.append(eq)
    return eqs


def inequalities():
    """Relations between a period's load table and its sub-periods', as (lhs, rhs) lists of
    variables with sum(lhs) <= sum(rhs) (every table has the same active supporters)."""
    out = []
    for period in PERIODS:
        if period.kind == "month":
            continue
        for child in (c for c in PERIODS if c != period and c.months()[0] in period.months()):
            if not set(child.months()) <= set(period.months()):
                continue
            out.append(([(("load", period), "none")], [(("load", child), "none")]))
            for floor in range(1, 4):  # more than 5, 10, 20 in the child: also in the period
                above = BUCKETS[floor + 1 :]
                out.append(
                    (
                        [(("load", child), b) for b in above],
                        [(("load", period), b) for b in above],
                    )
                )
        # A contact in the period: a contact in one of its months.
        busy = [(("load", period), b) for b in BUCKETS[1:]]
        months = [(("load", m), b) for m in period.months() if m in MONTHS for b in BUCKETS[1:]]
        out.append((busy, months))
    return out


def linear_attack(all_cells, eqs) -> set:
    shown = {v: value for v, (value, is_shown) in all_cells.items() if is_shown}
    pivots: dict = {}
    for coeffs in eqs:
        row, const = {}, Fraction(0)
        for var, a in coeffs.items():
            if var in shown:
                const -= a * shown[var]
            else:
                row[var] = row.get(var, 0) + a
        for var in [v for v in row if v in pivots]:
            if var not in row:
                continue
            factor = row[var]
            prow, pconst = pivots[var]
            for v, a in prow.items():
                row[v] = row.get(v, 0) - factor * a
            const -= factor * pconst
        row = {v: a for v, a in row.items() if a != 0}
        if not row:
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
                new = {v: a for v, a in new.items() if a != 0}
                pivots[var] = (new, pconst - factor * const)
        pivots[pivot] = (row, const)
    return {var for var, (row, _c) in pivots.items() if len(row) == 1}


def bounds_attack(all_cells, eqs, ineqs) -> set:
    shown = {v: value for v, (value, is_shown) in all_cells.items() if is_shown}
    lo = {v: 0 for v in all_cells if v not in shown}
    hi = {v: float("inf") for v in all_cells if v not in shown}

    def bound(v):
        return (shown[v], shown[v]) if v in shown else (lo[v], hi[v])

    def tighten(var, new_lo, new_hi):
        changed = False
        if new_lo > lo[var]:
            lo[var], changed = new_lo, True
        if new_hi < hi[var]:
            hi[var], changed = new_hi, True
        return changed

    for _ in range(60):
        changed = False
        for coeffs in eqs:
            for var, a in coeffs.items():
                if var in shown:
                    continue
                low = high = 0
                for other, b in coeffs.items():
                    if other == var:
                        continue
                    ol, oh = bound(other)
                    if -b > 0:
                        low, high = low + -b * ol, high + -b * oh
                    else:
                        low, high = low + -b * oh, high + -b * ol
                new_lo, new_hi = (low / a, high / a) if a > 0 else (high / a, low / a)
                changed |= tighten(var, new_lo, new_hi)
        for lhs, rhs in ineqs:  # sum(lhs) <= sum(rhs)
            rhs_hi = sum(bound(v)[1] for v in rhs)
            lhs_lo = sum(bound(v)[0] for v in lhs)
            for var in lhs:
                if var not in shown:
                    others = lhs_lo - bound(var)[0]
                    changed |= tighten(var, lo[var], rhs_hi - others)
            for var in rhs:
                if var not in shown:
                    others = rhs_hi - bound(var)[1]
                    changed |= tighten(var, lhs_lo - others, hi[var])
        if not changed:
            break
    return {v for v in lo if lo[v] == hi[v]}


def other_truths(people, threshold, base) -> set:
    covered = set()
    shown = {v: value for v, (value, is_shown) in base.items() if is_shown}

    def consider(changed_people):
        other = cells(release(changed_people, threshold))
        # The same publication: the same numbers shown, and the same cells hidden (a world
        # that would have shown more is not one the reader can mistake for this one).
        if all(other[v][0] == value for v, value in shown.items()) and all(
            other[v][1] == base[v][1] for v in base
        ):
            covered.update(v for v in base if other[v][0] != base[v][0])

    for i, (status, comp, months) in enumerate(people):
        rest = people[:i] + people[i + 1 :]
        for s in STATUSES:
            if s != status:
                consider([*rest, (s, comp, months)])
        for y in range(len(YEARS)):
            for c in COMPLIANCE:
                if c != comp[y]:
                    consider([*rest, (status, comp[:y] + (c,) + comp[y + 1 :], months)])
        for m in range(len(MONTHS)):
            for n in {0, 1, 6, 11, 21, months[m] + 1, max(months[m] - 1, 0)}:
                if n != months[m]:
                    consider([*rest, (status, comp, months[:m] + (n,) + months[m + 1 :])])
        for m in range(len(MONTHS)):  # contacts logged in another month of the quarter
            for other in range(len(MONTHS)):
                if other != m and MONTHS[m].parent() == MONTHS[other].parent() and months[m]:
                    moved = list(months)
                    moved[other], moved[m] = moved[other] + moved[m], 0
                    consider([*rest, (status, comp, tuple(moved))])
        consider([*rest, (status, comp, (0,) * len(MONTHS))])  # no contact at all
        for _s, _c, theirs in people:  # the contacts of another supporter
            if theirs != months:
                consider([*rest, (status, comp, theirs)])
        consider(rest)
        for s in STATUSES:  # one more supporter like this one, in any status
            consider([*people, (s, comp, months)])
    return covered


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(supporter(), min_size=0, max_size=12),
    st.integers(min_value=2, max_value=5),  # settings.py refuses 1
)
def test_no_supporter_count_can_be_recovered_from_all_the_tables(people, threshold):
    tables = release(people, threshold)
    all_cells = cells(tables)
    shown = {v: value for v, (value, is_shown) in all_cells.items() if is_shown}
    # The active supporters are public (the directory lists them): their number is always
    # shown, and so is every load table's total, the same number. Nothing else is small.
    public = {("status", "active")} | {(("load", period), ALL) for period in PERIODS}
    assert all(v in shown for v in public)
    if all(("status", s) in shown for s in snapshots.COMPLIANCE_STATUSES):
        # Each compliance table's total is then the sum of three shown numbers.
        public |= {(("compliance", year), ALL) for year in YEARS}
    assert not [v for v, value in shown.items() if 1 <= value <= threshold and v not in public]
    # One decision for a shared number: shown with the same value everywhere, or nowhere.
    active = all_cells[("status", "active")]
    for period in PERIODS:
        assert all_cells[(("load", period), ALL)] == active
    targets = {v for v, (value, is_shown) in all_cells.items() if not is_shown and value > 0}
    eqs = equations(tables)
    assert not targets & linear_attack(all_cells, eqs), "differencing recovered a count"
    assert not targets & bounds_attack(all_cells, eqs, inequalities()), "bounds recovered one"
    for name, protected in tables.items():
        if protected.shown(TOTAL, ALL, NODE) is None:
            continue
        hidden = [v for v in all_cells if v[0] == name and v[1] != ALL and v not in shown]
        rows = [v for v in all_cells if v[0] == name and v[1] != ALL]
        if (name, ALL) in public and len(hidden) == len(rows):
            continue  # all the rows together are the public total: no news
        assert not 1 <= sum(all_cells[v][0] for v in hidden) <= threshold
    unprotected = targets - other_truths(people, threshold, all_cells)
    assert not unprotected, f"no other supporters explain {sorted(map(str, unprotected))[:3]}"


def test_the_active_count_and_the_load_totals_are_always_shown():
    """Four active supporters: a small count, but the directory shows them to everyone, so
    the status table shows it, and every load table its total (their buckets stay hidden)."""
    people = [("active", ("on_track",) * 2, (3,) * 6)] * 4 + [
        ("retired", ("on_track",) * 2, (0,) * 6)
    ] * 30
    tables = release(people, 5)
    assert tables["status"].shown("status", "active", NODE) == 4
    assert tables["status"].shown("status", "retired", NODE) == 30
    for period in PERIODS:
        load = tables[("load", period)]
        assert load.shown(TOTAL, ALL, NODE) == 4
        assert load.shown("load", "1-5", NODE) is None
    # The compliance table's total: active, inactive and appointed, all given by the status
    # table (0 inactive and 0 appointed are shown), so it is shown too.
    assert tables[("compliance", 2025)].shown(TOTAL, ALL, NODE) == 4


def test_a_table_with_a_hidden_row_hides_every_row_the_rule_would_give_away():
    """Sixteen active supporters: 5 log 6-10 contacts a month, 6 log 11-20 and 5 more than 20.
    Showing the 6 and hiding the two 5s would give them away to anyone who knows the rule: a
    4 and a 6, or a 6 and a 4, would have hidden the 6 shown instead, so both must be 5. So
    the month's table shows its total and no row at all."""
    people = (
        [("active", ("on_track",) * 2, (8,) * 6)] * 5
        + [("active", ("on_track",) * 2, (15,) * 6)] * 6
        + [("active", ("on_track",) * 2, (25,) * 6)] * 5
    )
    load = release(people, 5)[("load", MONTHS[0])]
    assert load.shown(TOTAL, ALL, NODE) == 16
    assert [load.shown("load", bucket, NODE) for bucket in BUCKETS] == [None] * len(BUCKETS)
    # The quarter has no small row (everyone logged more than 20): it shows every row.
    quarter = release(people, 5)[("load", MONTHS[0].parent())]
    assert [quarter.shown("load", bucket, NODE) for bucket in BUCKETS] == [0, 0, 0, 0, 16]


def test_a_published_load_table_never_changes():
    """Frozen: the table as published, whatever the supporters do later."""
    people = [("active", ("on_track",) * 2, (8,) * 6)] * 12 + [
        ("active", ("on_track",) * 2, (1,) * 6)
    ] * 2
    load = release(people, 5)[("load", MONTHS[0])]
    again = snapshots.frozen(snapshots.cells(load), 5)
    for row in [ALL, *BUCKETS]:
        key = TOTAL if row == ALL else "load"
        assert again.shown(key, row, NODE) == load.shown(key, row, NODE)
    assert again.shown("load", "1-5", NODE) is None
