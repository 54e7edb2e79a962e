"""Program reports: one dashboard for the coordinator, the BHS manager, the Chief and the
advisory committee (each sees the sections of their audience), a CSV of every table and the
monthly or quarterly program report as a PDF. Everything is read from one protected cube
(suppression.py), so pages and exports hide the same cells."""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import roles_required
from peersupport.audit.models import AuditAction
from peersupport.web.forms import submit
from peersupport.web.pdf import pdf_file_response

from . import builds, outputs, periods, report, selectors, services
from .forms import ClosePeriodForm, PeriodForm

readers = roles_required(Role.COORDINATOR, Role.BHS_MANAGER, Role.CHIEF, Role.COMMITTEE_MEMBER)
closers = roles_required(Role.COORDINATOR)
FILTERS = {"period"}
ALL_KINDS = (periods.YEAR, periods.QUARTER, periods.MONTH)
# The program report as a PDF: a month, a quarter or the annual report of a year.
REPORT_KINDS = ALL_KINDS


def _audience(user) -> str:
    if user.has_role(Role.COORDINATOR, Role.BHS_MANAGER):
        return report.STAFF
    if user.has_role(Role.CHIEF):
        return report.CHIEF
    return report.COMMITTEE


def _period(request, cube, *, kinds) -> tuple[periods.Period | None, str]:
    """The period asked for, or a message saying why it cannot be reported: periods are open or
    closed as the figures shown saw them (the build's day and closures)."""
    unknown = sorted(set(request.GET) - FILTERS)
    if unknown:
        return None, f"“{unknown[0][:40]}” is not a filter of the reports: choose a period."
    if "period" not in request.GET:
        return outputs.default_period(cube), ""
    form = PeriodForm(request.GET, allowed_kinds=kinds, closed=cube.closed, today=cube.today)
    if not form.is_valid():
        return None, form.errors["period"][0]
    return form.cleaned_data["period"], ""


def _preparing(request, file: str = ""):
    """Nothing was ever built (a new installation): say so, and have the worker build now."""
    builds.request(delay=0)
    return render(request, "reports/preparing.html", {"file": file})


def _refused(request, error: str, figures):
    """The dashboard with the period picker and what was wrong (400): the same page for a bad
    period on the dashboard, its CSV tables and the PDF, never a bare text answer."""
    context = {
        "options": outputs.options(figures, request.GET.get("period", "")[:20]),
        "error": error,
        "errors": [error],  # the page's error summary (peersupport/web/templatetags)
    }
    return render(request, "reports/dashboard.html", context, status=400)


@readers
@require_GET
def dashboard(request):
    """The last figures built (builds.py), never built here; the report of a period for an
    audience is rendered once per build."""
    figures = builds.current()
    if figures is None:
        return _preparing(request)
    cube = figures.cube
    period, error = _period(request, cube, kinds=ALL_KINDS)
    if error:
        return _refused(request, error, figures)
    audience = _audience(request.user)
    body = outputs.dashboard_body(figures, period, audience)
    context = {
        "options": outputs.options(figures, period.key),
        "error": error,
        "period": period,
        "previous": period.previous(),
        "built_at": figures.built_at,
        "body": mark_safe(body),  # noqa: S308 - rendered from our own template (outputs.py)
        "can_close": request.user.has_role(Role.COORDINATOR),
        "newer": period.next() if cube.is_closed(period.next()) else None,
    }
    return render(request, "reports/dashboard.html", context)


@readers
@require_GET
def table_csv(request, slug: str):
    figures = builds.current()
    if figures is None:
        return _preparing(request, "table")
    period, error = _period(request, figures.cube, kinds=ALL_KINDS)
    if error:
        return _refused(request, error, figures)
    audience = _audience(request.user)

    content = outputs.table_csv(figures, period, audience, slug)
    if not content:  # a table this audience does not see, or none of that name
        raise Http404
    services.export_record(
        actor=request.user,
        action=AuditAction.REPORTS_CSV_EXPORTED,
        period=period.key,
        table=slug,
    )
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}-{period.key}.csv"'
    return response


@readers
@require_GET
def report_pdf(request):
    figures = builds.current()
    if figures is None:
        return _preparing(request, "report")
    period, error = _period(request, figures.cube, kinds=REPORT_KINDS)
    if error:
        return _refused(request, error, figures)
    # The program report is for the Chief and the committee: the program-level sections.
    audience = report.COMMITTEE if _audience(request.user) == report.COMMITTEE else report.CHIEF
    content = outputs.report_pdf(figures, period, audience)
    services.export_record(
        actor=request.user, action=AuditAction.REPORTS_PDF_EXPORTED, period=period.key
    )
    return pdf_file_response(content, filename=f"program-report-{period.key}.pdf")


# --- Reporting periods: the coordinator closes them ------------------------------------------


def _periods_page(request, form=None, *, status=200):
    context = {
        "months": selectors.reporting_months(),
        "open": selectors.periods_to_close(),
        "form": form,
        "grace_days": settings.REPORTS_PERIOD_GRACE_DAYS,
    }
    return render(request, "reports/periods.html", context, status=status)


@closers
@require_GET
def periods_page(request):
    """Which months are open and which closed, and the periods the coordinator may close."""
    return _periods_page(request)


@closers
@require_http_methods(["GET", "POST"])
def period_close(request):
    """GET ``?period=`` asks for confirmation; the confirmation's button posts here."""
    data = request.POST if request.method == "POST" else request.GET
    closed = selectors.closed_through()
    form = ClosePeriodForm(data, closed=closed)
    if not form.is_valid():
        return _periods_page(request, form, status=400)
    period = form.cleaned_data["period"]

    def closed_message(months) -> str:
        names = ", ".join(str(m) for m in months)
        return (
            f"Closed: {names}. Their figures are published and will not change; records dated "
            "in them from now on count as late entries of the next open month."
        )

    if done := submit(
        request,
        form,
        lambda: services.period_close(actor=request.user, period=period),
        success=closed_message,
        then="reports:periods",
    ):
        return done
    if form.errors:
        return _periods_page(request, form, status=400)
    last = period.months()[-1]
    context = {
        "period": period,
        "months": selectors.months_to_close(last, closed),
        "next_open": last.next(),
    }
    return render(request, "reports/period_close.html", context)
