"""Published numbers never change (reports/publishing.py).

The property test replays the life of the reports: records, a release (every period over is
published), late records dated in published months and new records in later months, "today"
moving on, more releases. It then checks, with the real freezing, pinning and suppression code:

* every cell a release showed is shown by every later release with the same value, and every
  cell it hid stays hidden, so the union of all releases is the latest one;
* that union survives the attacks of tests/reports/test_suppression.py (exact linear algebra,
  bounds, small groups, and the search for other records giving the same shown numbers),
  over the records the releases were computed from.

The database tests below check the same through the pages: a late contact changes no number
already reported, the page says periods are fixed without saying how many records came late,
and two builders racing to publish end with one publication that both serve.
"""

import datetime
import itertools
import re

import pytest
import time_machine
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peersupport.reports import publishing, report, selectors, snapshots
from peersupport.reports.models import Publication
from peersupport.reports.periods import Period, parse
from peersupport.reports.suppression import ALL, TOTAL, Timeline, protect
from peersupport.support.models import Contact

from .helpers import build
from .test_suppression import (
    BINARIES,
    MONTHS,
    PARTITIONS,
    YEARS,
    _changes,
    bounds_attack,
    linear_attack,
    other_truths,
    shown_numbers,
    small_groups,
    tables_of,
    targets,
    unit_strategy,
)


def release(units, today, published, threshold, closed=None):
    """One build of the reports over ``units`` on ``today`` (months closed up to ``closed``),
    the way selectors.cube() does it: frozen months, late entries carried to the first month
    not yet published, pinned cells, then every closed period published."""
    tables = tables_of(units)
    publishing.freeze(tables, None, published)
    timeline = Timeline(YEARS[0], YEARS[-1], today=today, closed=closed)
    result = protect(tables, timeline, threshold=threshold, pinned=publishing.pins(published))
    for node in timeline.nodes:
        if node in timeline.over and node.key not in published:
            published[node.key] = publishing.entry(result, node, minutes=None, median=None)
    return result


def more_truths(result, units) -> set:
    """``other_truths`` and, since pinned cells make the engine reach further, two more kinds
    of other records: a record added anywhere (with no category or one), and a record moved
    to another month with one category changed on the way."""
    covered = other_truths(result, units)
    hidden, over = result.hidden, result.timeline.over

    def consider(replacements):
        changed = _changes(result, replacements)
        if all(c in hidden or c[2] not in over for c in changed):
            covered.update(changed)

    combos = [
        dict(zip(PARTITIONS, values, strict=True))
        for values in itertools.product(*PARTITIONS.values())
    ]
    empty = {d: frozenset() for d in BINARIES}
    holdings = [empty] + [
        {**empty, dim: frozenset({c})} for dim, cats in BINARIES.items() for c in cats
    ]
    holdings.append({**empty, publishing.LATE: frozenset({publishing.LATE})})  # a late entry
    for month in MONTHS:
        for parts in combos:
            for bins in holdings:
                consider([(None, (month, parts, bins))])
    distinct = list({repr(u): u for u in units}.values())
    late = publishing.LATE
    for unit in distinct:  # a late entry that was on time, or the other way round
        month, parts, bins = unit
        if late in bins:
            consider([(unit, (month, parts, {**bins, late: bins[late] ^ {late}}))])
    for unit, other in itertools.combinations(distinct, 2):  # two records swap lateness
        (month, parts, bins), (om, oparts, obins) = unit, other
        if late in bins and late in obins and bins[late] != obins[late]:
            consider(
                [
                    (unit, (month, parts, {**bins, late: obins[late]})),
                    (other, (om, oparts, {**obins, late: bins[late]})),
                ]
            )
    for unit in distinct:
        _month, parts, bins = unit
        for month in MONTHS:
            for dim, cats in PARTITIONS.items():
                for c in cats:
                    if c != parts[dim]:
                        consider([(unit, (month, {**parts, dim: c}, bins))])
            for dim, cats in BINARIES.items():
                for c in cats:
                    consider([(unit, (month, parts, {**bins, dim: bins[dim] ^ {c}}))])
    return covered


CLOSABLE = MONTHS[:-1]  # the month after the last closed one stays in the timeline


@st.composite
def histories(draw):
    """Records entered in batches; before each build the coordinator (or the grace after a
    month's end) closes months up to one drawn at random, never going back: several at once,
    one, or none. Later batches hold records dated in closed months (late entries) and in
    months still open alike."""
    months = draw(st.lists(st.sampled_from(MONTHS), min_size=1, max_size=6, unique=True))
    builds = draw(st.integers(min_value=2, max_value=4))
    closes = sorted(draw(st.lists(st.sampled_from(CLOSABLE), min_size=builds, max_size=builds)))
    batches = [draw(st.lists(unit_strategy(months), max_size=35))]
    for _ in closes[1:]:
        batches.append(draw(st.lists(unit_strategy(months), max_size=12)))
    threshold = draw(st.integers(min_value=2, max_value=5))  # settings.py refuses 1
    return batches, closes, threshold


def effective(units, entered, closes):
    """Each record as the reports count it: in its own month if that month was not yet
    published when the record came, else as a late entry of the first month not published
    (the one after the last closed month of the build before)."""
    out = []
    for unit, number in zip(units, entered, strict=True):
        month, parts, bins = unit
        last = closes[number - 1] if number > 0 else None
        if last is not None and month.first_day <= last.first_day:
            out.append(
                (last.next(), parts, {**bins, publishing.LATE: frozenset({publishing.LATE})})
            )
        else:
            out.append((month, parts, {**bins, publishing.LATE: frozenset()}))
    return out


def effective_values(units, timeline) -> dict:
    """Every cell's value computed from the records as counted (effective())."""
    from peersupport.reports.suppression import BINARY, Table, node_values

    tables = tables_of(
        [(m, p, {k: v for k, v in b.items() if k != publishing.LATE}) for m, p, b in units]
    )
    late = {}
    for month, _p, bins in units:
        if bins[publishing.LATE]:
            late[(publishing.LATE, month)] = late.get((publishing.LATE, month), 0) + 1
    tables.append(Table(publishing.LATE, BINARY, "late", [(publishing.LATE, "late")], late))
    values = {}
    for table in tables:
        values.update(node_values(table, timeline))
    return values


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_closing_periods_with_late_entries_recovers_nothing(history):
    """Periods close on purpose, records come late, and every published table of every
    period, the late entries' lines included, is attacked together."""
    closing_recovers_nothing(history)


def closing_recovers_nothing(history):
    batches, closes, threshold = history
    published: dict = {}
    releases = []
    units: list = []
    entered: list = []
    today = datetime.date(2026, 1, 10)  # every month of the timeline is over: closing decides
    for number, (batch, closed) in enumerate(zip(batches, closes, strict=True)):
        units += batch
        entered += [number] * len(batch)
        releases.append(release(units, today, published, threshold, closed=closed))
    final = releases[-1]

    # Releases only grow: what one showed, every later one shows the same; what it hid stays
    # hidden. So the union of everything shown is the last release.
    for earlier in releases[:-1]:
        for cell, value in shown_numbers(earlier).items():
            assert final.shown(*cell) == value, f"published cell {cell} changed"
        for cell in earlier.hidden:
            if cell[2] in earlier.timeline.over:
                assert final.shown(*cell) is None, f"hidden cell {cell} shown later"

    # Nothing is lost: every record is counted once, in its own month or as a late entry of
    # the first month not yet published when it came, and the late line counts exactly those.
    counted = effective(units, entered, closes)
    assert final.values == effective_values(counted, final.timeline)
    assert sum(final.values[(TOTAL, ALL, y)] for y in final.timeline.years) == len(units)

    assert not final.uncertified
    shown = shown_numbers(final)
    assert not [c for c, v in shown.items() if 1 <= v <= threshold]
    hidden = targets(final)
    assert not hidden & linear_attack(final), "differencing across releases recovered a count"
    assert not hidden & bounds_attack(final), "bounds across releases recovered a count"
    assert not small_groups(final), "hidden cells of a line add up to a small count"
    unprotected = hidden - more_truths(final, counted)
    assert not unprotected, f"no other records explain {sorted(unprotected)[:3]}"
    # Structural zeros are shown: no cell anyone can tell is 0 says "not shown", unless an
    # earlier release published it hidden.
    for cell in final.hidden:
        if cell[2] in final.timeline.over and final.values[cell] == 0:
            assert not _known_zero(final, cell) or any(cell in r.hidden for r in releases[:-1]), (
                f"{cell} is 0 for all to see, yet not shown"
            )


def _records(month: str, mode: str, n: int) -> list:
    return [(parse(month), {"mode": mode, "bureau": "x"}, {"topic": frozenset()})] * n


def test_late_entries_after_a_pinned_month_leave_nothing_uncertified():
    """Found by the search above on 4 Dec 2026: two hidden August cells could not be certified
    once December's late entries met an August pinned by earlier releases. All-or-none lines
    (suppression.py, rule 2) leave nothing uncertified here."""
    batches = [
        _records("2024-08", "a", 10) + _records("2024-08", "b", 1),
        _records("2024-08", "a", 11) + _records("2024-08", "b", 1),
        _records("2024-08", "a", 4)
        + _records("2024-08", "b", 2)
        + _records("2024-08", "c", 4)
        + _records("2024-12", "b", 1)
        + _records("2024-12", "c", 1),
        _records("2024-08", "a", 2),
    ]
    closes = [parse("2024-01"), parse("2024-01"), parse("2024-08"), parse("2025-09")]
    closing_recovers_nothing((batches, closes, 4))


def _known_zero(result, cell) -> bool:
    key, row, node = cell

    def zero(c):
        return c[2] in result.timeline.over and result.shown(*c) == 0

    around = node
    while around is not None:
        if around != node and zero((key, row, around)):
            return True
        if key != TOTAL and zero((TOTAL, ALL, around)):
            return True
        around = around.parent()
    children = node.children()
    return bool(children) and all(zero((key, row, c)) for c in children)


def test_a_quarter_is_hidden_when_its_shown_months_would_reveal_the_new_one():
    """January and February were published shown; March is small. Showing the quarter would
    give March away, and January and February cannot be hidden any more: the quarter is."""
    jan, feb, mar = Period(2025, 1, 1), Period(2025, 1, 2), Period(2025, 1, 3)
    unit = {"mode": "a", "bureau": "x"}, {"topic": frozenset()}
    units = [(jan, *unit)] * 20 + [(feb, *unit)] * 30
    published: dict = {}
    first = release(units, datetime.date(2025, 3, 10), published, 5)
    assert first.shown(TOTAL, ALL, jan) == 20
    assert first.shown(TOTAL, ALL, feb) == 30
    later = release(units + [(mar, *unit)] * 2, datetime.date(2025, 4, 2), published, 5)
    assert later.shown(TOTAL, ALL, jan) == 20
    assert later.shown(TOTAL, ALL, feb) == 30
    assert later.shown(TOTAL, ALL, mar) is None
    assert later.shown(TOTAL, ALL, Period(2025, 1)) is None


def test_a_late_record_changes_nothing_published():
    jan = Period(2025, 1, 1)
    unit = {"mode": "a", "bureau": "x"}, {"topic": frozenset()}
    published: dict = {}
    first = release([(jan, *unit)] * 20, datetime.date(2025, 2, 3), published, 5)
    late = release([(jan, *unit)] * 23, datetime.date(2025, 2, 4), published, 5)
    assert first.shown(TOTAL, ALL, jan) == late.shown(TOTAL, ALL, jan) == 20
    assert late.shown("mode", "a", jan) == 20


# --- Through the database and the pages ------------------------------------------------------

NOW = datetime.datetime(2026, 2, 10, 12, tzinfo=datetime.UTC)


def _contacts(supporter, day, n, requester_type=Contact.RequesterType.SWORN):
    Contact.objects.bulk_create(
        Contact(
            supporter=supporter,
            date=day,
            duration_minutes=30,
            mode=Contact.Mode.PHONE,
            requester_type=requester_type,
            topics=["work_stress"],
            limits_explained=True,
            notice_version="v1",
        )
        for _ in range(n)
    )


def _note(client) -> str:
    page = client.get(reverse("reports:dashboard"), {"period": "2025-11"}).content.decode()
    return re.search(r'<p class="report-note">(.*?)</p>', page, re.S).group(1)


@pytest.mark.django_db
def test_late_contacts_change_no_published_number(personas, client_for):
    supporter = personas["supporter"]
    client = client_for("coordinator")
    with time_machine.travel(NOW, tick=False):
        _contacts(supporter, datetime.date(2025, 11, 3), 20)
        _contacts(supporter, datetime.date(2025, 12, 3), 30)
        before = report.build(selectors.cube(), Period(2025, 4), report.STAFF)
        assert before.table("contacts-requester_type").total.value == 50
        assert Publication.objects.filter(population="contacts", period="2025-11").exists()
        build()
        note = _note(client)
        assert "a closed period's numbers never change" in note
        # Logged today, dated in November: two family contacts, a small count.
        _contacts(supporter, datetime.date(2025, 11, 20), 2, Contact.RequesterType.FAMILY)
        cube = selectors.cube()
        after = report.build(cube, Period(2025, 4), report.STAFF)
        for slug in before.slugs:
            old, new = before.table(slug), after.table(slug)
            assert [(r.key, r.value) for r in old.rows] == [(r.key, r.value) for r in new.rows]
            if old.total:
                assert old.total.value == new.total.value
        # Not lost: they wait in January 2026, the first month not yet published, as late
        # entries (January is still open: nothing of it is shown yet).
        contacts = cube.protected["contacts"]
        assert contacts.values[(publishing.LATE, publishing.LATE, Period(2026, 1, 1))] == 2
        assert contacts.shown(TOTAL, ALL, Period(2026, 1, 1)) is None
        # The page's note is the same whether records came late or not.
        build()
        assert _note(client) == note


@pytest.mark.django_db
def test_january_is_reported_once_it_is_closed_and_never_changes(personas):
    supporter = personas["supporter"]
    with time_machine.travel(datetime.datetime(2026, 2, 2, 12, tzinfo=datetime.UTC), tick=False):
        _contacts(supporter, datetime.date(2026, 1, 5), 14)
        # Over, but open for ten days more (REPORTS_PERIOD_GRACE_DAYS): not shown yet.
        assert selectors.cube().protected["contacts"].shown(TOTAL, ALL, Period(2026, 1, 1)) is None
    with time_machine.travel(datetime.datetime(2026, 2, 10, 12, tzinfo=datetime.UTC), tick=False):
        _contacts(supporter, datetime.date(2026, 1, 6), 1)  # in time: January is still open
    with time_machine.travel(datetime.datetime(2026, 2, 11, 12, tzinfo=datetime.UTC), tick=False):
        january = selectors.cube().protected["contacts"].shown(TOTAL, ALL, Period(2026, 1, 1))
        assert january == 15
    with time_machine.travel(datetime.datetime(2026, 4, 12, 12, tzinfo=datetime.UTC), tick=False):
        _contacts(supporter, datetime.date(2026, 1, 6), 3)  # late: a late entry of February
        _contacts(supporter, datetime.date(2026, 2, 6), 20)
        _contacts(supporter, datetime.date(2026, 3, 6), 2)  # March: small
        cube = selectors.cube()
        contacts = cube.protected["contacts"]
        assert contacts.shown(TOTAL, ALL, Period(2026, 1, 1)) == 15
        # February counts its own 20 and January's 3 late ones (how much of it is shown is
        # suppression's choice: three late entries are a small count).
        assert contacts.values[(TOTAL, ALL, Period(2026, 1, 2))] == 23
        assert contacts.values[(publishing.LATE, publishing.LATE, Period(2026, 1, 2))] == 3
        assert contacts.shown(TOTAL, ALL, Period(2026, 1, 3)) is None
        if contacts.shown(TOTAL, ALL, Period(2026, 1)) is not None:  # the quarter: 40...
            assert contacts.shown(TOTAL, ALL, Period(2026, 1, 2)) is None  # ...February hides


@pytest.mark.django_db
def test_two_first_builds_at_once_publish_once(personas, monkeypatch):
    """The second builder computed before the first stored its numbers (here: with other
    records); its insert loses, it reads the winner's numbers and builds again on them."""
    supporter = personas["supporter"]
    with time_machine.travel(NOW, tick=False):
        _contacts(supporter, datetime.date(2025, 11, 3), 20)
        real_build = selectors._build
        raced = []

        def build_then_lose(today, threshold):
            built, new = real_build(today, threshold)
            if not raced:  # another server publishes November first, from more records
                raced.append(True)
                _contacts(supporter, datetime.date(2025, 11, 4), 9)
                other, other_new = real_build(today, threshold)
                assert publishing.publish(other_new)
            return built, new

        monkeypatch.setattr(selectors, "_build", build_then_lose)
        cube = selectors.cube()
        november = Period(2025, 4, 11)
        assert cube.protected["contacts"].shown(TOTAL, ALL, november) == 29
        stored = Publication.objects.get(population="contacts", period="2025-11")
        assert stored.cells["tables"][TOTAL][ALL] == 29
        assert Publication.objects.filter(population="contacts", period="2025-11").count() == 1


@pytest.mark.django_db
def test_a_past_periods_load_and_compliance_tables_are_published_once(personas):
    """Supporters come and go and contacts are logged late: the load table of a period over
    and the compliance table of a year over stay as first shown; the status table is today's."""
    from peersupport.roster.models import SupporterProfile

    supporter = personas["supporter"]
    quarter = Period(2025, 4)
    with time_machine.travel(NOW, tick=False):
        _contacts(supporter, datetime.date(2025, 11, 3), 3)

        def tables():
            return selectors.supporter_tables(
                quarter, threshold=5, today=NOW.date(), closed=selectors.closed_through()
            )

        def shown(protected):
            return {
                (key, row): protected.shown(key, row, snapshots.NODE)
                for key, table in protected.tables.items()
                for row, _ in table.rows
            }

        first = tables()
        assert Publication.objects.filter(population="load", period="2025-Q4").exists()
        assert Publication.objects.filter(population="compliance", period="2025").exists()
        _contacts(supporter, datetime.date(2025, 11, 4), 30)  # late
        SupporterProfile.objects.filter(user=supporter).update(status="retired")
        second = tables()
        assert shown(second.load) == shown(first.load)
        assert shown(second.compliance) == shown(first.compliance)
        assert Publication.objects.filter(population="load").count() == 1
