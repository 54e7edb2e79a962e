"""The program report for one period and one audience, read from the protected cube: the
dashboards, their CSV tables and the PDF all come from here, so they show the same numbers and
hide the same ones."""

from dataclasses import dataclass, field

from . import charts, publishing, selectors, snapshots
from .periods import MONTH, Period
from .suppression import ALL, BINARY, PARTITION, TOTAL, Protected

STAFF, CHIEF, COMMITTEE = "staff", "chief", "committee"
HIDDEN = "suppressed"


@dataclass
class Row:
    key: str
    label: str
    value: float | None
    previous: float | None
    share: str | None = None

    @property
    def change(self) -> str | None:
        if self.value is None or self.previous is None:
            return None
        diff = self.value - self.previous
        return f"{diff:+g}" if diff else "no change"


@dataclass
class TableView:
    slug: str
    title: str
    unit: str
    rows: list[Row]
    total: Row | None = None
    chart: charts.Chart | None = None
    note: str = ""
    share_label: str = "Share"
    compare: bool = True  # has a previous period (not a snapshot or a trend)


@dataclass
class Section:
    key: str
    title: str
    tables: list[TableView] = field(default_factory=list)
    figures: list[Row] = field(default_factory=list)


@dataclass
class Report:
    period: Period
    previous: Period
    audience: str
    threshold: int
    trend: TableView
    sections: list[Section]
    empty: bool

    def table(self, slug: str) -> TableView | None:
        if slug == self.trend.slug:
            return self.trend
        for section in self.sections:
            for table in section.tables:
                if table.slug == slug:
                    return table
        return None

    @property
    def slugs(self) -> list[str]:
        return [self.trend.slug] + [t.slug for s in self.sections for t in s.tables]


def _share(value, total) -> str | None:
    if value is None or not total:
        return None
    return f"{100 * value / total:.0f}%"


def _table(cube, population_key, table_key, period, previous, *, note="") -> TableView:
    protected: Protected = cube.protected[population_key]
    population = cube.populations[population_key]
    table = protected.tables[table_key]

    def shown(row, node):
        return _shown(protected, table.key, row, node)

    total = shown(ALL, period) if table.kind == BINARY else None
    rows = []
    for key, label in table.rows:
        value = shown(key, period)
        rows.append(Row(key, str(label), value, shown(key, previous)))
    total_row = None
    if table.kind == PARTITION:
        total_row = Row(
            ALL,
            "Total",
            _shown(protected, TOTAL, ALL, period),
            _shown(protected, TOTAL, ALL, previous),
        )
        for row in rows:
            row.share = _share(row.value, total_row.value)
    else:
        contacts = _shown(protected, TOTAL, ALL, period)
        for row in rows:
            row.share = _share(row.value, contacts)
    del total
    view = TableView(
        slug=f"{population_key}-{table_key}",
        title=table.label,
        unit=population.unit,
        rows=rows,
        total=total_row,
        note=note,
        share_label="Share" if table.kind == PARTITION else f"Of all {population.unit}",
    )
    view.chart = charts.horizontal(
        f"{table.label}, {period}", [(r.label, r.value, r.previous) for r in rows]
    )
    return view


def _shown(protected: Protected, table, row, node: Period):
    if node is None:
        return None
    value = protected.shown(table, row, node)
    if value is None and (table, row, node) not in protected.values:
        # Before the first year with data: nothing happened, and nothing is hidden.
        return 0 if node.year < protected.timeline.years[0].year else None
    return value


def _figure(cube, key, label, period, previous) -> Row:
    protected = cube.protected[key]
    return Row(
        key,
        label,
        _shown(protected, TOTAL, ALL, period),
        _shown(protected, TOTAL, ALL, previous),
    )


def _late(cube, key, unit, period, previous) -> Row:
    """The late entries counted in ``period``: records dated in an earlier period that was
    already closed when they were entered (publishing.freeze), included in the period's
    figures above and protected like any other count."""
    protected = cube.protected[key]
    return Row(
        key + "-late",
        f"Of which late entries ({unit} dated in an earlier, closed period)",
        _shown(protected, publishing.LATE, publishing.LATE, period),
        _shown(protected, publishing.LATE, publishing.LATE, previous),
    )


def _hours(cube, key, label, period, previous) -> Row:
    protected = cube.protected[key]

    def hours(node):
        if node.year < protected.timeline.years[0].year:
            return 0
        return protected.hours(node)

    return Row(key + "-hours", label, hours(period), hours(previous))


def _median(cube, key, label, period, previous) -> Row:
    return Row(
        key + "-median",
        label,
        cube.median(key, period),
        cube.median(key, previous),
    )


def _trend_periods(period: Period) -> list[Period]:
    if period.kind == MONTH:
        months = [period]
        while len(months) < 12:
            months.insert(0, months[0].previous())
        return months
    return period.months() if period.kind != MONTH else [period]


def _snapshot_table(slug, title, unit, protected: Protected, *, note="") -> TableView:
    node = snapshots.NODE
    table = next(t for t in protected.tables.values() if t.kind == PARTITION)
    total = protected.shown(TOTAL, ALL, node)
    rows = []
    for key, label in table.rows:
        value = protected.shown(table.key, key, node)
        rows.append(Row(key, str(label), value, None, _share(value, total)))
    view = TableView(
        slug=slug,
        title=title,
        unit=unit,
        rows=rows,
        total=Row(ALL, "Total", total, None),
        note=note,
        compare=False,
    )
    view.chart = charts.horizontal(title, [(r.label, r.value, None) for r in rows])
    return view


def build(cube: selectors.Cube, period: Period, audience: str) -> Report:
    previous = period.previous()
    contacts = cube.protected["contacts"]
    trend_rows = [
        Row(m.key, str(m), _shown(contacts, TOTAL, ALL, m), None) for m in _trend_periods(period)
    ]
    trend = TableView(
        slug="contacts-trend",
        title="Contacts by month",
        unit="contacts",
        rows=trend_rows,
        compare=False,
    )
    trend.chart = charts.vertical(
        f"Contacts by month, {period}",
        [(m.short, r.value) for m, r in zip(_trend_periods(period), trend_rows, strict=True)],
    )

    def t(pop, key, **kw):
        return _table(cube, pop, key, period, previous, **kw)

    support = Section("support", "Support")
    support.figures = [
        _figure(cube, "contacts", "Contacts", period, previous),
        _hours(cube, "contacts", "Hours of contact", period, previous),
        _figure(cube, "requests", "Requests for support", period, previous),
        _median(cube, "requests", "Median hours from request to acceptance", period, previous),
        _figure(cube, "follow_ups", "Follow-ups due", period, previous),
        _late(cube, "contacts", "contacts", period, previous),
    ]
    support.tables = [
        t("contacts", "mode"),
        t("contacts", "requester_type"),
        t("contacts", "topic", note="A contact may touch several topics."),
        t("contacts", "referral", note="A contact may lead to referrals of several kinds."),
        t("contacts", "follow_up_planned"),
        t("requests", "kind"),
        t("follow_ups", "done"),
    ]
    if audience in (STAFF, CHIEF):
        support.tables.append(
            t(
                "contacts",
                "bureau",
                note="The bureau of the supporter who logged the contact, never of the person "
                "who asked.",
            )
        )
    sections = [support]
    if audience in (STAFF, CHIEF):
        escalations = Section("escalations", "Confidentiality escalations")
        escalations.figures = [
            _figure(cube, "escalations", "Escalations", period, previous),
            _median(cube, "escalations", "Median minutes to acknowledgement", period, previous),
        ]
        escalations.tables = [t("escalations", "category")]
        sections.append(escalations)
    outreach = Section("outreach", "Outreach")
    outreach.figures = [
        _figure(cube, "outreaches", "Outreaches opened", period, previous),
        _figure(cube, "outreach_people", "People reached out to", period, previous),
        _figure(cube, "outreach_attempts", "Attempts to reach them", period, previous),
        _figure(cube, "group_sessions", "Group sessions held", period, previous),
        _figure(cube, "group_attendance", "Attendance at group sessions", period, previous),
        _late(cube, "outreach_people", "people reached out to", period, previous),
    ]
    outreach.tables = [
        t("outreaches", "event_type"),
        t("outreach_people", "event_type"),
        t("outreach_tasks", "status"),
        t("outreach_attempts", "outcome"),
        t("group_sessions", "event_type"),
        t("group_attendance", "event_type", note="People counted at each session, never named."),
    ]
    sections.append(outreach)
    training = Section("training", "Training")
    training.figures = [
        _figure(cube, "training", "Training days attended", period, previous),
        _hours(cube, "training", "Training hours credited", period, previous),
        _late(cube, "training", "training days", period, previous),
    ]
    training.tables = [t("training", "course_kind")]
    supporters = selectors.supporter_tables(
        period, threshold=cube.threshold, today=cube.today, closed=cube.closed
    )
    training.tables.append(
        _snapshot_table(
            "supporters-compliance",
            f"Supporters by training compliance, {period.year}",
            "supporters",
            supporters.compliance,
        )
    )
    sections.append(training)
    selection = Section("selection", "Selection of supporters")
    selection.figures = [
        _figure(cube, "nominations", "Nominations", period, previous),
        _figure(cube, "candidacies", "New candidates", period, previous),
    ]
    selection.tables = [t("candidacies", "stage")]
    selection.tables.append(
        _snapshot_table(
            "supporters-status", "Supporters by status today", "supporters", supporters.status
        )
    )
    sections.append(selection)
    if audience == STAFF:
        load = Section("supporters", "Supporter load")
        load.tables = [
            _snapshot_table(
                "supporters-load",
                f"Active supporters by contacts logged, {period}",
                "supporters",
                supporters.load,
            )
        ]
        sections.append(load)
    empty = all(_shown(p, TOTAL, ALL, period) == 0 for p in cube.protected.values())
    return Report(period, previous, audience, cube.threshold, trend, sections, empty)


def csv_rows(report: Report, table: TableView) -> list[list[str]]:
    def cell(value):
        return HIDDEN if value is None else f"{value:g}"

    if table is report.trend:
        return [["month", table.unit]] + [[r.label, cell(r.value)] for r in table.rows]
    header = ["category", table.unit, table.share_label.lower()]
    if table.compare:
        header += [f"{table.unit} in {report.previous}", "change"]
    rows = [header]
    for row in [*table.rows, *([table.total] if table.total else [])]:
        line = [row.label, cell(row.value), row.share or ""]
        if table.compare:
            line += [cell(row.previous), row.change or ""]
        rows.append(line)
    return rows
