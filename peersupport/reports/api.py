"""Published program-report figures in the API (scope ``reports.read``), for the department's
dashboards and its annual report: the advisory committee's report of a closed period, the
least that any report reader sees, with every small number suppressed exactly as on the
reports pages (one protected cube, report.build). A period not yet closed is refused: only
what a published report already shows leaves through here."""

import datetime
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from peersupport.integrations.api import Text, token

from . import builds, report
from .forms import PeriodForm
from .outputs import default_period

REPORTS_READ = "reports.read"
AUDIENCE = report.COMMITTEE

router = Router(tags=["reports"], auth=token(REPORTS_READ))


class PeriodQuery(Schema):
    period: Text | None = Field(
        None,
        max_length=10,
        description="A closed year (2026), quarter (2026-Q1) or month (2026-03); the last "
        "closed quarter if not given.",
    )


class RowOut(Schema):
    key: str
    label: str
    value: float | None = Field(
        description="null: suppressed (a small number, or one that would give a small number away)."
    )
    previous: float | None
    share: str | None
    suppressed: bool


class TableOut(Schema):
    slug: str
    title: str
    unit: str
    note: str
    rows: list[RowOut]
    total: RowOut | None


class SectionOut(Schema):
    key: str
    title: str
    figures: list[RowOut]
    tables: list[TableOut]


class ReportOut(Schema):
    period: str
    period_label: str
    previous: str
    threshold: int = Field(description="Counts below this are never shown.")
    built_at: datetime.datetime
    trend: TableOut
    sections: list[SectionOut]


def _row(row: report.Row) -> dict:
    return {
        "key": row.key,
        "label": row.label,
        "value": row.value,
        "previous": row.previous,
        "share": row.share,
        "suppressed": row.value is None,
    }


def _table(table: report.TableView) -> dict:
    return {
        "slug": table.slug,
        "title": table.title,
        "unit": table.unit,
        "note": table.note,
        "rows": [_row(r) for r in table.rows],
        "total": _row(table.total) if table.total else None,
    }


def _report(built: report.Report, built_at) -> dict:
    return {
        "period": built.period.key,
        "period_label": str(built.period),
        "previous": built.previous.key,
        "threshold": built.threshold,
        "built_at": built_at,
        "trend": _table(built.trend),
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "figures": [_row(r) for r in s.figures],
                "tables": [_table(t) for t in s.tables],
            }
            for s in built.sections
        ],
    }


@router.get("", response=ReportOut, url_name="report", summary="Published report figures")
def published_report(request, query: Query[PeriodQuery]):
    """The committee's program report of a closed period as figures: suppressed cells are
    null. Rendered once per build, like the dashboard."""
    figures = builds.current()
    if figures is None:
        builds.request(delay=0)
        raise HttpError(404, "No figures are published yet: they are being prepared.")
    cube = figures.cube
    if query.period is None:
        period = default_period(cube)
    else:
        form = PeriodForm({"period": query.period}, closed=cube.closed, today=cube.today)
        if not form.is_valid():
            raise HttpError(400, form.errors["period"][0])
        period = form.cleaned_data["period"]
    if not cube.is_closed(period):
        raise HttpError(404, f"{period} is not closed, so nothing of it is published yet.")

    def render() -> bytes:
        built = report.build(cube, period, AUDIENCE)
        return json.dumps(_report(built, figures.built_at), cls=DjangoJSONEncoder).encode()

    content = builds.rendered(figures, f"json:{AUDIENCE}:{period.key}", render)
    return HttpResponse(content, content_type="application/json; charset=utf-8")


def ready() -> None:
    from peersupport.integrations.api import register_router
    from peersupport.integrations.registry import register_scope

    register_scope(
        REPORTS_READ,
        label="Published report figures",
        description="Read the program report's figures of a closed period, small numbers "
        "suppressed (GET /api/v1/reports): what the advisory committee sees.",
    )
    register_router("reports", router)
