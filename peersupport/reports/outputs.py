"""What the reports render from one build (builds.Figures): the dashboard's report of a period
for an audience, a table as CSV, the program report as a PDF. Each is rendered once per build
and kept (builds.rendered); the worker renders the ones most asked for right after a build
(``prerender``), so that even the first reader of the default period gets them ready."""

import csv
import io
import re

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from peersupport.web.pdf import pdf_bytes

from . import builds, periods, report
from .forms import choices

DEFAULT_KIND = periods.QUARTER
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?%?$")


def default_period(cube) -> periods.Period:
    """The period shown when none is asked for: the last quarter closed (over, before any
    closes)."""
    if cube.closed is None:
        return periods.latest_over(DEFAULT_KIND, cube.today)
    return periods.latest_closed(DEFAULT_KIND, cube.closed)


def csv_cell(text: str) -> str:
    """A cell a spreadsheet will not run: one starting with = + - @ (or a tab or return) is
    a formula to it, so it gets a leading apostrophe, unless it is a plain signed number
    ("+16", "-3", "-2.5%"), which a spreadsheet reads as the number it is."""
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.match(text):
        return "'" + text
    return text


# The picker's options of a build, by build token (unique to a build of one agency) and period
# selected, in this process's memory: a few kilobytes each, and the options grow with the years
# reported.
_options: dict[tuple[str, str], SafeString] = {}


def options(figures: builds.Figures, selected: str) -> SafeString:
    """The period picker's options (every closed year, quarter and month), ``selected``
    selected."""
    key = (figures.token, selected)
    found = _options.get(key)
    if found is None:
        cube = figures.cube
        context = {"choices": choices(cube.today, cube.first_year, cube.closed)}
        context["selected"] = selected
        found = mark_safe(render_to_string("reports/_options.html", context))  # noqa: S308
        if len(_options) > 200:  # earlier builds' (of every agency): let them go
            _options.clear()
        _options[key] = found
    return found


def dashboard_body(figures: builds.Figures, period: periods.Period, audience: str) -> str:
    def render() -> bytes:
        built = report.build(figures.cube, period, audience)
        return render_to_string("reports/_report.html", {"report": built}).encode()

    return builds.rendered(figures, f"html:{audience}:{period.key}", render).decode()


def table_csv(figures: builds.Figures, period: periods.Period, audience: str, slug: str) -> bytes:
    """The table ``slug`` as CSV, or b"" when this audience has no such table."""

    def render() -> bytes:
        built = report.build(figures.cube, period, audience)
        table = built.table(slug)
        if table is None:
            return b""
        out = io.StringIO()
        writer = csv.writer(out)
        for row in report.csv_rows(built, table):
            writer.writerow([csv_cell(c) for c in row])
        return out.getvalue().encode()

    return builds.rendered(figures, f"csv:{audience}:{period.key}:{slug[:60]}", render)


def report_pdf(figures: builds.Figures, period: periods.Period, audience: str) -> bytes:
    def render() -> bytes:
        return pdf_bytes(
            "reports/report_pdf.html",
            {
                "report": report.build(figures.cube, period, audience),
                "generated": timezone.localtime(figures.built_at),
                "department_name": settings.DEPARTMENT_NAME,
            },
        )

    return builds.rendered(figures, f"pdf:{audience}:{period.key}", render)


def prerender(figures: builds.Figures | None) -> int:
    """Render the default period's dashboard for every audience and its program report for the
    Chief and the committee. Returns how many outputs."""
    if figures is None:
        return 0
    period = default_period(figures.cube)
    for audience in (report.STAFF, report.CHIEF, report.COMMITTEE):
        dashboard_body(figures, period, audience)
    for audience in (report.CHIEF, report.COMMITTEE):
        report_pdf(figures, period, audience)
    return 5
