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
2. *The total*: under a shown parent, hidden sub-periods come all together, and so do the
   rows under a shown total: every cell of the line that is not pinned shown, zeros too, but
   for a breakdown's zeros under a period total shown 0, which anyone can tell. (Hiding only
   the smallest neighbours let someone who knows that rule tell which values the hidden ones
   must have; showing the other zeros would tell that every hidden one is at least 1.) They
   are at least two, at least one of them not zero, and together above the threshold (so
   their sum, which anyone can work out, is not itself a small count). One record moved from
   one to the other changes both and nothing shown. A period whose total is hidden hides
   every breakdown cell of it, so the record can carry all its categories along.
3. *Breakdowns*: for a hidden category cell under a shown total, two records in two sibling
   periods exchange their categories (a rectangle: both periods' totals and both categories'
   parent periods stay the same), or, for categories a record may hold several of (topics), one
   record hands the category to another. Where a period has no sibling (a year), the record
   changes category in place.

The engine finds that other set of records for every hidden cell that is not zero, and hides
whatever the change touches: records changed in months under the cell and, to keep a shown
parent the same, the opposite change in months under a sibling, every cell on the way hidden.

*Pinned cells.* A period already published (publishing.py) keeps its state: ``protect`` takes
``pinned`` cells, never hides one pinned shown, never shows one pinned hidden, and protects the
new cells around them. Because a pinned shown cell cannot join a group of hidden ones any more,
the engine goes up instead: where the hidden sub-periods under a shown parent cannot be made
safe with cells still free, the parent is hidden; where no other set of records exists through
free and hidden cells, the period's total is hidden (and its parent's if need be), so that a
record can be added, dropped or carried there. Hiding more never makes an earlier release less
safe, so the guarantee holds for the union of every release (publishing.py).

tests/reports/test_suppression.py generates data with hypothesis and attacks every table the
system produces (exact linear algebra over all shown numbers, bound propagation, and a search
for the other set of records); it must recover nothing. tests/reports/test_rule_aware.py plays
someone who also knows this rule: of every set of records that gives the shown numbers, it
keeps those the engine would have published exactly the same way, and no hidden count may take
one value in all of them. tests/reports/test_publishing.py does
the same for releases taken over time.
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
    (or, given ``closed``, the last closed month, a node not closed yet) is never shown (and is
    treated as hidden from the start)."""

    def __init__(self, first: int, last: int, *, today, closed: Period | None = None):
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
        if closed is None:
            self.over = {node for node in self.nodes if node.is_over(today)}
        else:
            self.over = {node for node in self.nodes if node.last_day <= closed.last_day}

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
    uncertified: set[Cell] = field(default_factory=set)  # empty unless pins contradict

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
    pinned: dict[Cell, bool] | None = None,
) -> Protected:
    """Suppress every table of one population (the first table is its total).

    ``pinned`` holds the cells an earlier release published: True for shown (never hidden
    now), False for hidden (never shown now). Their values must be the values the earlier
    release computed (reports.publishing freezes the records behind them)."""
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
    engine = _Engine(result, pinned or {})
    engine.protect_total(total)
    for table in breakdowns:
        engine.protect_breakdown(table)
    while engine.columns_changed:  # a whole period was hidden for one table: check them all
        engine.columns_changed = False
        for table in breakdowns:
            engine._settle(table.key, table.kind)
    engine.show_known_zeros()
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


class _Engine:
    """The three rules, applied around pinned cells. For every hidden cell that is not zero it
    searches a ``_Move`` explicitly: records changed in months under the cell, and, to keep a
    shown parent the same, the opposite change in months under a sibling, such that every cell
    the change touches (at every level, up to where the two sides meet) is hidden. A pinned
    shown cell is never hidden, so a move may not pass through one; where none exists at a
    level the move goes up a level (hiding the parent period, which is allowed)."""

    def __init__(self, result: Protected, pinned: dict[Cell, bool]):
        self.result = result
        self.timeline = result.timeline
        self.over = result.timeline.over
        self.threshold = result.threshold
        self.values = result.values
        self.hidden = result.hidden
        self.keep = {c for c, shown in pinned.items() if shown and c in result.values}
        self.pinned_hidden = {c for c, shown in pinned.items() if not shown and c in result.values}
        self.hidden |= self.pinned_hidden
        self.certified: set[Cell] = set()
        self.total_key = TOTAL
        self.columns_changed = False

    # --- helpers ---------------------------------------------------------------------------

    def hide(self, key: str, row: str, node: Period) -> list[Cell]:
        """Hide a cell and (for a period over) every sub-period not pinned shown."""
        new = []
        closure = self.timeline.descendants[node] if node in self.over else []
        for n in (node, *closure):
            cell = (key, row, n)
            if cell not in self.hidden and cell not in self.keep:
                self.hidden.add(cell)
                new.append(cell)
        if key == self.total_key:  # a hidden period hides every breakdown cell of it
            nodes = [c[2] for c in new]
            for table in self.result.tables.values():
                if table.key == key:
                    continue
                for n in nodes:
                    for r, _ in table.rows:
                        cell = (table.key, r, n)
                        if cell not in self.hidden and cell not in self.keep:
                            self.hidden.add(cell)
                            new.append(cell)
        return new

    def value(self, key, row, node) -> int:
        return self.values[(key, row, node)]

    def total(self, node) -> int:
        return self.values[(self.total_key, ALL, node)]

    def descend(self, key, rows, node, need):
        """The cheapest month under ``node`` that ``need`` accepts and whose cells, from the
        month up to ``node``, can all be hidden: (new cells to hide, all those cells)."""
        best = None
        for month in self.timeline.months[node]:
            if not need(month):
                continue
            path = self.timeline.up_to(month, node)
            cells = [(key, r, x) for r in rows for x in path]
            if any(c in self.keep for c in cells):
                continue
            new = [c for c in cells if c not in self.hidden]
            if best is None or len(new) < len(best[0]):
                best = (new, cells)
        return best

    def cost(self, cells) -> tuple[int, int]:
        new = {c for c in cells if c not in self.hidden}
        return (len(new), sum(self.values[c] for c in new))

    def search(self, cell: Cell, kind: str) -> tuple[list[Cell], str] | None:
        """Another set of records that changes ``cell`` and nothing shown (once the cells it
        lists are hidden), cheapest level first."""
        key, row, node = cell
        rows = [r for r, _ in self.result.tables[key].rows]
        v = self.value
        level = node
        while level is not None:
            parent = level.parent()
            in_place = parent is None or parent not in self.over
            siblings = [s for s in self.timeline.siblings(level) if s in self.over]
            found: list[tuple[list[Cell], str]] = []

            def pair(rs, need_here, need_there, sib, label, _level=level, _found=found):
                self.pair(_found, key, node, _level, rs, need_here, need_there, sib, label)

            if kind == TOTAL:
                if in_place:  # a record added under the cell (it may carry any categories)
                    pair([ALL], lambda m: True, None, None, "add")
                for sib in siblings:
                    pair([ALL], lambda m: self.total(m) >= 1, lambda m: True, sib, "move")
                    pair([ALL], lambda m: True, lambda m: self.total(m) >= 1, sib, "move")
            elif kind == PARTITION:
                for other in rows:
                    if other == row:
                        continue
                    rs = [row, other]

                    def either(m, o=other):
                        return v(key, row, m) >= 1 or v(key, o, m) >= 1

                    if in_place:  # the record changes category
                        pair(rs, either, None, None, "recategorise")
                    for sib in siblings:  # two records exchange their categories
                        pair(
                            rs,
                            lambda m: v(key, row, m) >= 1,
                            lambda m, o=other: v(key, o, m) >= 1,
                            sib,
                            "exchange",
                        )
                        pair(
                            rs,
                            lambda m, o=other: v(key, o, m) >= 1,
                            lambda m: v(key, row, m) >= 1,
                            sib,
                            "exchange",
                        )
            else:

                def has(m):
                    return v(key, row, m) >= 1

                def lacks(m):
                    return v(key, row, m) < self.total(m)

                if in_place:  # the record loses or gains the category
                    pair([row], lambda m: has(m) or lacks(m), None, None, "drop")
                for sib in siblings:  # one record hands the category to another
                    pair([row], has, lacks, sib, "hand over")
                    pair([row], lacks, has, sib, "hand over")
            if kind != TOTAL:
                self.carry(cell, level, in_place, siblings, found)
            if found:
                return min(found, key=lambda f: self.cost(f[0]))
            up = [(key, r, level) for r in rows]
            if parent is None or any(c in self.keep for c in up):
                return None
            level = parent
        return None

    def pair(self, found, key, node, level, rows, need_here, need_there, sib, label) -> None:
        """Records changed in a month under ``node`` (and, with ``sib``, the opposite change
        in a month under the sibling ``sib`` of ``level``): appended to ``found`` when every
        cell it touches can be hidden."""
        up = [(key, r, x) for r in rows for x in self.timeline.up_to(node, level)]
        if any(c in self.keep for c in up):
            return
        here = self.descend(key, rows, node, need_here)
        if here is None:
            return
        if sib is None:
            found.append((up + here[1], label))
            return
        there = self.descend(key, rows, sib, need_there)
        if there is not None:
            found.append((up + here[1] + there[1], label))

    def carry(self, cell, level, in_place, siblings, found) -> None:
        """A record with the category, added, dropped or moved between periods whose totals
        are hidden: every breakdown cell of such periods is hidden too, whatever else the
        record holds, so only the totals' paths matter."""
        key, row, node = cell
        t = self.total_key

        def column_path(month, top):
            path = self.timeline.up_to(month, top)
            if all((t, ALL, x) in self.hidden for x in path):
                return [(key, row, x) for x in path]
            return None

        def best(top, need):
            options = [
                p
                for m in self.timeline.months[top]
                if need(m) and (p := column_path(m, top)) is not None
            ]
            return min(options, key=len) if options else None

        up = self.timeline.up_to(node, level)
        if not all((t, ALL, x) in self.hidden for x in up):
            return
        up_cells = [(key, row, x) for x in up]
        has = lambda m: self.value(key, row, m) >= 1  # noqa: E731
        if in_place:
            here = best(node, lambda m: True)
            if here is not None:
                found.append((up_cells + here, "carried"))
        for sib in siblings:
            if (t, ALL, sib) not in self.hidden:
                continue
            for need_here, need_there in ((has, lambda m: True), (lambda m: True, has)):
                here, there = best(node, need_here), best(sib, need_there)
                if here is not None and there is not None:
                    found.append((up_cells + here + there, "carried"))

    def hide_column(self, node: Period) -> list[Cell]:
        column = (self.total_key, ALL, node)
        if column in self.hidden or column in self.keep:
            return []
        new = self.hide(*column)
        self.columns_changed = True
        self._settle(self.total_key, TOTAL)
        return [c for c in new if c[0] != self.total_key]

    def certify(self, queue: list[Cell], kind: str) -> list[Cell]:
        """Find a move for each cell; hide what the move needs. Returns cells newly hidden."""
        added: list[Cell] = []
        while queue:
            cell = queue.pop()
            if cell in self.certified or self.values[cell] == 0:
                continue
            found = self.search(cell, kind)
            column = cell[2]
            while found is None and kind != TOTAL and column is not None:
                # The records that could change the cell sit in months pinned shown. Hide the
                # period's total (and so the whole period), then its parent's if need be: a
                # record can be added, dropped or carried anywhere its totals are hidden.
                added.extend(self.hide_column(column))
                found = self.search(cell, kind)
                column = column.parent()
            if found is None:
                self.result.uncertified.add(cell)
                continue
            cells, label = found
            new: list[Cell] = []
            for c in dict.fromkeys(cells):
                if c not in self.hidden:
                    new.extend(self.hide(*c))
            move = _Move(label, tuple(dict.fromkeys(cells)))
            for c in move.cells:
                if c not in self.certified:
                    self.certified.add(c)
                    self.result.moves[c] = move
                    self.result.uncertified.discard(c)
            added.extend(new)
            queue.extend(
                c for c in new if c[0] == cell[0] and self.values[c] > 0 and c not in self.certified
            )
        return added

    def widen(self, line: list[Cell], parent: Cell | None) -> list[Cell]:
        """All or none: a line (the sub-periods under a shown period, or the rows under a shown
        total) with any hidden cell hides every cell of it that is not pinned shown, zeros too.
        Hiding only the smallest neighbours is not enough against someone who knows that
        rule: months of 6, 5 and 5 under a quarter of 16 would show the 6 and hide two cells
        adding up to 10, and any other split (4 and 6, 6 and 4) would have hidden the 6 shown
        instead, so both must be 5. If the hidden cells still add up to a small count (every
        other cell pinned shown), the line's parent is hidden."""
        new: list[Cell] = []
        hid = [c for c in line if c in self.hidden]
        if not hid or self._shown_zero(parent):
            return new  # a line under a shown 0 is all zeros, for all to see
        for c in line:
            if c not in self.hidden and c not in self.keep and not self._known_zero(c):
                new.extend(self.hide(*c))
                hid.append(c)
        total = sum(self.values[c] for c in hid)
        unsafe = any(self.values[c] for c in hid) and (total <= self.threshold or len(hid) < 2)
        if unsafe and parent is not None and parent not in self.keep and parent not in self.hidden:
            new.extend(self.hide(*parent))
        return new

    def _shown_zero(self, cell: Cell | None) -> bool:
        return cell is not None and cell not in self.hidden and self.values.get(cell, 0) == 0

    def _known_zero(self, cell: Cell) -> bool:
        """A breakdown cell that is 0 because its period's total is shown 0: anyone can tell,
        so hiding it hides nothing. Any other zero in a line with a hidden cell is hidden with
        them, or a hidden cell would be known to be at least 1."""
        total = (self.total_key, ALL, cell[2])
        return cell != total and self.values.get(cell, 0) == 0 and self._shown_zero(total)

    def lines(self, key: str, kind: str) -> list[Cell]:
        new: list[Cell] = []
        rows = [r for r, _ in self.result.tables[key].rows]
        for node in self.timeline.nodes:
            if node not in self.over or (self.total_key, ALL, node) in self.hidden:
                continue
            if kind == PARTITION:
                # The rows add up to the period's total: when every other row is pinned shown
                # (the public active supporters) and the hidden ones still add up to a small
                # count, the total is what gives them away, so it is hidden (unless pinned).
                new.extend(self.widen([(key, r, node) for r in rows], (self.total_key, ALL, node)))
            if node.kind != "month":
                for r in rows:
                    if (key, r, node) not in self.hidden:
                        line = [(key, r, c) for c in node.children()]
                        new.extend(self.widen(line, (key, r, node)))
        return new

    def closure(self, key: str) -> list[Cell]:
        new: list[Cell] = []
        for cell in sorted((c for c in self.hidden if c[0] == key), key=lambda c: (c[2].key, c[1])):
            new.extend(self.hide(*cell))
        return new

    def _shown_zero(self, cell: Cell) -> bool:
        return (
            cell[2] in self.over
            and cell not in self.hidden
            and cell in self.values
            and self.values[cell] == 0
        )

    def known_zero(self, cell: Cell) -> bool:
        """Anyone can tell this cell is 0 from cells shown as 0 (counts are never negative):
        the same row of a period around it, its period's total (or a period around that), or
        every sub-period of it."""
        key, row, node = cell
        around = node
        while around is not None:
            if around != node and self._shown_zero((key, row, around)):
                return True
            if key != self.total_key and self._shown_zero((self.total_key, ALL, around)):
                return True
            around = around.parent()
        children = node.children()
        return bool(children) and all(self._shown_zero((key, row, c)) for c in children)

    def show_known_zeros(self) -> None:
        """Structural zeros are shown: a hidden cell whose value anyone can already tell is 0
        (a row or a total of 0 around it) hides nothing, and "not shown" there only confuses.
        Showing it tells nothing new, so every guarantee above still holds. A cell pinned
        hidden stays hidden (published figures never change)."""
        changed = True
        while changed:
            changed = False
            for cell in sorted(self.hidden, key=lambda c: (c[0], c[1], c[2].key)):
                if (
                    self.values.get(cell) == 0
                    and cell[2] in self.over
                    and cell not in self.pinned_hidden
                    and self.known_zero(cell)
                ):
                    self.hidden.discard(cell)
                    changed = True

    # --- the two phases ---------------------------------------------------------------------

    def protect_total(self, table: Table) -> None:
        self.total_key = key = table.key
        for node in self.timeline.nodes:
            cell = (key, ALL, node)
            if cell in self.keep:
                continue
            if node not in self.over or 1 <= self.values[cell] <= self.threshold:
                self.hidden.add(cell)
        self._settle(key, TOTAL)

    def protect_breakdown(self, table: Table) -> None:
        key = table.key
        for node in self.timeline.nodes:
            column_hidden = (self.total_key, ALL, node) in self.hidden
            for row, _ in table.rows:
                cell = (key, row, node)
                if cell in self.keep:
                    continue
                value = self.values[cell]
                if column_hidden or node not in self.over or 1 <= value <= self.threshold:
                    self.hidden.add(cell)
        self._settle(key, table.kind)

    def _settle(self, key: str, kind: str) -> None:
        self.closure(key)
        while True:
            new = self.lines(key, kind)
            queue = sorted(
                (
                    c
                    for c in self.hidden
                    if c[0] == key
                    and c[2] in self.over
                    and self.values[c] > 0
                    and c not in self.certified
                ),
                key=lambda c: (c[2].key, c[1]),
                reverse=True,
            )
            new += self.certify(queue, kind)
            new += self.lines(key, kind)
            if not new:
                break
