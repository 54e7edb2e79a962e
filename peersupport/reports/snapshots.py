"""The supporters' tables, protected as one family.

Three kinds of table count supporters rather than things that happen in a month: supporters
by status today, supporters by training compliance for a year, and active supporters by how
many contacts they logged in a period. They share populations: the load table of every period
has the active supporters as its total, which the status table shows as a row, and the
compliance table's total is the active, inactive and appointed supporters together. Protected
each on its own, a total shown in one and hidden in another would give a hidden row away.

The rule: the status table is protected first, its active row always shown (the directory
lists the active supporters to every employee, so the number hides nothing); the other
tables' totals are *pinned* to it. A load table's total is shown exactly when the status table
shows the active row (the same number, so always); a compliance table's total exactly when
the status table gives it (the three rows it covers shown, or the status total and every other
row shown: the sum is then the total less the other rows). Otherwise the total is hidden, and
with it
every row of the table (a hidden total hides its whole period, as everywhere in the engine).
Given its total, each table's rows are protected by the same engine as the cube, which hides
all the rows of a line or none: if any row is hidden, every row is (zeros too), except a row
that is public anyway (the active one; suppression.py, rule 2). Showing the rest is not safe
against someone who knows the rule: with total 16 and "6-10" and "21+" hidden beside a shown
"11-20" of 6, the hidden rows add up to 10, and a split of 4 and 6 or 6 and 4 would have
hidden the 6 shown instead, so both must be 5. So every
total is a number the status table already gives (or gives nothing), and each table adds only
its own rows, each safe given that total: combining every table for every period reveals no
hidden row (tests/reports/test_snapshots.py attacks them together, with the ordering that ties
load tables of a period and its sub-periods: a supporter with no contact in a quarter had none
in each of its months).

Load tables of a period that is closed, and compliance tables of a year that is over, are
published the first time they are computed (publishing.py) and never change afterwards, even
when supporters come and go or a contact is logged late. The status table and the current
year's compliance describe today and change with the roster (whose active part the directory
shows anyway).
"""

import datetime

from .periods import Period
from .suppression import ALL, PARTITION, TOTAL, Protected, Table, Timeline, protect

NODE = Period(2000)  # a snapshot is a cube of one period with every unit in one month
_MONTH = NODE.months()[-1]
_TODAY = datetime.date(2001, 1, 2)
COMPLIANCE_STATUSES = ("active", "inactive", "appointed")


def _protect(key, label, rows, counts: dict[str, int], threshold, *, total_shown=None, known=()):
    tables = [
        Table(TOTAL, TOTAL, "Total", [(ALL, "All")], {(ALL, _MONTH): sum(counts.values())}),
        Table(key, PARTITION, label, rows, {(r, _MONTH): n for r, n in counts.items()}),
    ]
    pinned = {(key, row, NODE): True for row in known}
    if total_shown is not None:
        pinned[(TOTAL, ALL, NODE)] = total_shown
    return protect(
        tables, Timeline(NODE.year, NODE.year, today=_TODAY), threshold=threshold, pinned=pinned
    )


def status(rows, counts: dict[str, int], threshold: int) -> Protected:
    """Supporters by status today. The active row is always shown, whatever its size: the
    directory shows every active supporter to every employee, so it hides nothing; the
    other rows are protected around it."""
    return _protect(
        "status", "Supporters by status today", rows, counts, threshold, known=("active",)
    )


def load(rows, counts: dict[str, int], status_table: Protected, threshold: int) -> Protected:
    """Active supporters by bucket of contacts; the total pinned to the status table's row."""
    shown = status_table.shown("status", "active", NODE) is not None
    return _protect(
        "load", "Supporters by contacts logged", rows, counts, threshold, total_shown=shown
    )


def compliance(rows, counts: dict[str, int], status_table: Protected, threshold: int):
    """Supporters by compliance; the total shown exactly when the status table gives it: when
    it shows the three rows the compliance table covers, or its total and every row outside
    them (the sum is then the total less those rows). Either way a number anyone can work out,
    and never a small count: shown rows are not small, nor is a group of hidden ones."""

    def given(row):
        return status_table.shown("status", row, NODE) is not None

    rows_given = all(given(s) for s in COMPLIANCE_STATUSES)
    rest_given = status_table.shown(TOTAL, ALL, NODE) is not None and all(
        row in COMPLIANCE_STATUSES or given(row) for row, _ in status_table.tables["status"].rows
    )
    shown = rows_given or rest_given
    return _protect(
        "compliance",
        "Supporters by training compliance",
        rows,
        counts,
        threshold,
        total_shown=shown,
    )


def cells(protected: Protected) -> dict:
    """What to publish of a snapshot table: shown values (None when hidden) and labels."""
    return {
        "tables": {
            key: {row: protected.shown(key, row, NODE) for row, _ in table.rows}
            for key, table in protected.tables.items()
        },
        # A list, not a mapping: PostgreSQL's jsonb does not keep the order of keys.
        "labels": {
            key: [[row, str(label)] for row, label in table.rows]
            for key, table in protected.tables.items()
        },
    }


def frozen(published: dict, threshold: int) -> Protected:
    """A snapshot table as it was published: the same cells shown and hidden."""
    tables, values, hidden = [], {}, set()
    for key, rows in published["tables"].items():
        labels = [(row, label) for row, label in published["labels"][key]]
        kind = TOTAL if key == TOTAL else PARTITION
        tables.append(Table(key, kind, key, labels, {}))
        for row, value in rows.items():
            values[(key, row, NODE)] = value or 0
            if value is None:
                hidden.add((key, row, NODE))
    tables.sort(key=lambda t: t.kind != TOTAL)
    return Protected(
        timeline=Timeline(NODE.year, NODE.year, today=_TODAY),
        threshold=threshold,
        tables={t.key: t for t in tables},
        values=values,
        hidden=hidden,
    )
