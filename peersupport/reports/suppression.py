"""Small-count suppression that survives differencing (PROGRAM.md rule 8).

Every number a report shows is a cell of a *cube*: a table (the total, or one breakdown such as
mode or topic), a row (a category) and a node of the calendar (a year, a quarter or a month).
All pages, charts and exports read cells of one cube computed over every period at once, so two
exports can never disagree about whether a cell is shown: combining them tells nothing that the
cube does not.

A cell counting 1 to ``threshold`` units (contacts, requests, people...) is hidden (primary
suppression). Complementary suppression then hides more cells, so that for every hidden cell
that is not zero there is *another possible set of records* that gives exactly the same shown
numbers everywhere (totals, other rows, shares, other periods, other tables) and a different
value for that cell. Nobody who sees only the reports can therefore tell which of the two is
true: the value cannot be recovered, whatever arithmetic is tried. The engine keeps three rules
and, for each breakdown cell, builds that other set of records explicitly (``_Move``):

1. *Down closure*: a hidden cell hides its sub-periods (a hidden quarter whose three months were
   shown would be their sum).
2. *The total*: under a shown parent, hidden sub-periods come at least two at a time, at least
   one of them not zero, and together above the threshold (so their sum, which anyone can work
   out, is not itself a small count). One record moved from one to the other changes both and
   nothing shown. A period whose total is hidden hides every breakdown cell of it, so the
   record can carry all its categories along.
3. *Breakdowns*: for a hidden category cell under a shown total, two records in two sibling
   periods exchange their categories (a rectangle: both periods' totals and both categories'
   parent periods stay the same), or, for categories a record may hold several of (topics), one
   record hands the category to another. Where a period has no sibling (a year), the record
   changes category in place.

tests/test_reports_suppression.py generates data with hypothesis and attacks every table the
system produces (exact linear algebra over all shown numbers, bound propagation, and a search
for the other set of records); it must recover nothing.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from .periods import Period

TOTAL = "total"
ALL = "all"
PARTITION = "partition"  # every unit is in exactly one row (mode, requester type, bureau)
BINARY = "binary"  # a unit may be in several rows or none (topics, referral kinds)

Cell = tuple[str, str, Period]


class Timeline:
    """Every year from ``first`` to ``last`` with its quarters and months. A node not over yet
    is never shown (and is treated as hidden from the start)."""

    def __init__(self, first: int, last: int, *, today):
        self.years = [Period(y) for y in range(first, last + 1)]
        self.nodes: list[Period] = []
        for year in self.years:
            self.nodes.append(year)
            for quarter in year.children():
                self.nodes.append(quarter)
                self.nodes.extend(quarter.children())
        self.months = {node: node.months() for node in self.nodes}
        self.descendants = {
            node: [d for d in self.nodes if d != node and _under(d, node)] for node in self.nodes
        }
        self.over = {node for node in self.nodes if node.is_over(today)}

    def siblings(self, node: Period) -> list[Period]:
        parent = node.parent()
        if parent is None:
            return []
        return [c for c in parent.children() if c != node]

    def up_to(self, node: Period, top: Period) -> list[Period]:
        """``node`` and its ancestors up to ``top`` (both included)."""
        path = [node]
        while path[-1] != top:
            path.append(path[-1].parent())
        return path


def _under(node: Period, ancestor: Period) -> bool:
    while node is not None:
        if node == ancestor:
            return True
        node = node.parent()
    return False


@dataclass
class Table:
    key: str
    kind: str  # TOTAL, PARTITION or BINARY
    label: str
    rows: list[tuple[str, str]]  # (row key, label)
    counts: dict[tuple[str, Period], int]  # (row, month) -> units


@dataclass
class Protected:
    """A cube after suppression: ``shown(table, row, node)`` is the number or None."""

    timeline: Timeline
    threshold: int
    tables: dict[str, Table]
    values: dict[Cell, int]
    hidden: set[Cell]
    minutes: dict[Period, int] = field(default_factory=dict)
    moves: dict[Cell, "_Move"] = field(default_factory=dict)

    def shown(self, table: str, row: str, node: Period) -> int | None:
        cell = (table, row, node)
        if cell in self.hidden or cell not in self.values:
            return None
        return self.values[cell]

    def hours(self, node: Period) -> float | None:
        """Hours of contact in ``node``: shown exactly when the count of contacts is."""
        if self.shown(TOTAL, ALL, node) is None:
            return None
        return round(self.minutes.get(node, 0) / 60, 1)


@dataclass(frozen=True)
class _Move:
    """How another set of records gives the same shown numbers (documentation for tests and
    for people reading the code; the tests search for such sets themselves)."""

    kind: str
    cells: tuple[Cell, ...]


def node_values(table: Table, timeline: Timeline) -> dict[Cell, int]:
    values: dict[Cell, int] = {}
    for row, _label in table.rows:
        monthly = {m: table.counts.get((row, m), 0) for y in timeline.years for m in y.months()}
        for node in timeline.nodes:
            values[(table.key, row, node)] = sum(monthly[m] for m in timeline.months[node])
    return values


def protect(
    tables: Iterable[Table],
    timeline: Timeline,
    *,
    threshold: int,
    minutes: dict[Period, int] | None = None,
) -> Protected:
    """Suppress every table of one population (the first table is its total)."""
    tables = list(tables)
    total, breakdowns = tables[0], tables[1:]
    assert total.kind == TOTAL
    values: dict[Cell, int] = {}
    for table in tables:
        values.update(node_values(table, timeline))
    result = Protected(
        timeline=timeline,
        threshold=threshold,
        tables={t.key: t for t in tables},
        values=values,
        hidden=set(),
    )
    totals = {node: values[(total.key, ALL, node)] for node in timeline.nodes}
    hidden_columns = _protect_total(totals, timeline, threshold)
    result.hidden |= {(total.key, ALL, node) for node in hidden_columns}
    for table in breakdowns:
        _protect_breakdown(result, table, totals, hidden_columns)
    if minutes is not None:
        result.minutes = {
            node: sum(minutes.get(m, 0) for m in timeline.months[node]) for node in timeline.nodes
        }
    return result


def _line_safe(cells: list, value, threshold: int) -> bool:
    return (
        len(cells) >= 2
        and any(value(c) > 0 for c in cells)
        and sum(value(c) for c in cells) > threshold
    )


def _protect_total(totals: dict[Period, int], timeline: Timeline, threshold: int) -> set[Period]:
    hidden = {n for n in timeline.nodes if n not in timeline.over or 1 <= totals[n] <= threshold}
    changed = True
    while changed:
        changed = False
        for node in list(hidden):
            if node not in timeline.over:  # never shown, but not a secret either
                continue
            for d in timeline.descendants[node]:
                if d not in hidden:
                    hidden.add(d)
                    changed = True
        for parent in timeline.nodes:
            if parent in hidden or parent.kind == "month":
                continue
            kids = parent.children()
            line = [k for k in kids if k in hidden]
            if not line:
                continue
            while not _line_safe(line, totals.__getitem__, threshold):
                rest = [k for k in kids if k not in hidden]
                if not rest:  # cannot happen for a shown parent above the threshold
                    hidden.add(parent)
                    break
                pick = min(rest, key=lambda k: (totals[k] == 0, totals[k], k))
                hidden.add(pick)
                line.append(pick)
                changed = True
    return hidden


def _protect_breakdown(
    result: Protected, table: Table, totals: dict[Period, int], hidden_columns: set[Period]
) -> None:
    timeline, threshold, values = result.timeline, result.threshold, result.values
    key = table.key
    rows = [r for r, _ in table.rows]
    hidden = result.hidden

    def value(row, node):
        return values[(key, row, node)]

    def hide(row, node) -> list[Cell]:
        new = []
        closure = timeline.descendants[node] if node in timeline.over else []
        for n in (node, *closure):
            cell = (key, row, n)
            if cell not in hidden:
                hidden.add(cell)
                new.append(cell)
        return new

    certified: set[Cell] = set()
    for node in hidden_columns:
        for row in rows:
            hide(row, node)
            certified.add((key, row, node))  # moved along with a record of the total
    for row in rows:
        for node in timeline.nodes:
            if 1 <= value(row, node) <= threshold:
                hide(row, node)

    def cost(cells: Iterable[tuple[str, Period]]) -> tuple[int, int]:
        new = set()
        for row, node in cells:
            closure = timeline.descendants[node] if node in timeline.over else []
            for n in (node, *closure):
                if (key, row, n) not in hidden:
                    new.add((row, n))
        return (len(new), sum(value(r, n) for r, n in new))

    def candidates(row: str, node: Period):
        """Moves that change (row, node), cheapest level first: the first level with any."""
        level, path = node, [node]
        while True:
            found = []
            parent = level.parent()
            # Above a period not over nothing is shown: the record may change in place.
            in_place = parent is None or parent not in timeline.over
            siblings = [s for s in timeline.siblings(level) if s in timeline.over]
            if table.kind == PARTITION:
                for other in rows:
                    if other == row:
                        continue
                    both = [(row, n) for n in path] + [(other, n) for n in path]
                    if in_place:  # the record changes category
                        found.append((both, "recategorise"))
                        continue
                    for sib in siblings:
                        one = value(other, sib) >= 1
                        two = level == node and value(other, node) >= 1 and value(row, sib) >= 1
                        if one or two:  # two records exchange their categories
                            found.append((both + [(row, sib), (other, sib)], "exchange"))
            elif in_place:  # the record loses the category
                found.append(([(row, n) for n in path], "drop"))
            else:
                for sib in siblings:
                    gives = value(row, sib) < totals[sib]  # someone there lacks it
                    takes = (
                        level == node and value(row, sib) >= 1 and value(row, node) < totals[node]
                    )
                    if gives or takes:  # one record hands the category to another
                        found.append(([(row, n) for n in path] + [(row, sib)], "hand over"))
            if found:
                return found
            level = parent
            path.append(level)

    def certify(queue: list[Cell]) -> None:
        """Find, for each cell, other records that change it and nothing shown."""
        while queue:
            cell = queue.pop()
            if cell in certified or values[cell] == 0:
                continue
            _, row, node = cell
            cells, kind = min(candidates(row, node), key=lambda c: cost(c[0]))
            new: list[Cell] = []
            for r, n in cells:
                new.extend(hide(r, n))
            move = _Move(kind, tuple((key, r, n) for r, n in cells))
            for c in move.cells:
                if c not in certified:
                    certified.add(c)
                    result.moves[c] = move
            queue.extend(c for c in new if values[c] > 0 and c not in certified)

    def widen(line: list[Cell]) -> list[Cell]:
        """Hidden cells of a line whose sum anyone can work out must not add up to a small
        count either: hide more (smallest first) until they are above the threshold."""
        new: list[Cell] = []
        hid = [c for c in line if c in hidden]
        while any(values[c] for c in hid) and sum(values[c] for c in hid) <= threshold:
            rest = [c for c in line if c not in hidden]
            if not rest:
                break
            pick = min(rest, key=lambda c: (values[c] == 0, values[c], c[1]))
            new.extend(hide(pick[1], pick[2]))
            hid.append(pick)
        return new

    def lines() -> list[Cell]:
        new: list[Cell] = []
        for node in timeline.nodes:
            if node not in timeline.over or node in hidden_columns:
                continue
            if table.kind == PARTITION:
                new.extend(widen([(key, r, node) for r in rows]))
            if node.kind != "month":
                for r in rows:
                    if (key, r, node) not in hidden:
                        new.extend(widen([(key, r, c) for c in node.children()]))
        return new

    queue = sorted(
        (c for c in hidden if c[0] == key and values[c] > 0 and c not in certified),
        key=lambda c: (c[2].key, c[1]),
    )
    while True:
        certify(queue)
        new = lines()
        if not new:
            break
        queue = [c for c in new if values[c] > 0 and c not in certified]
