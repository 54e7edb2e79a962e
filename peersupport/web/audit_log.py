"""The BHS manager's audit log viewer (the URL namespace ``audit``).

Two pages over the two halves of the log (``peersupport.audit.selectors``): the program's
administration with times and who, and everything about requests or plain employees' accounts
as counts per day. Neither shows an entry's sequence number: a gap in the numbers of the timed
page would show when an untimed entry was made.

Both read the log one calendar month at a time (the department's time zone), newest month with
a matching entry first, with links to the nearest months before and after that hold one: the
log only grows, and a page must cost what one month costs, not what the whole log does.
"""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import roles_required
from peersupport.accounts.selectors import role_grants
from peersupport.audit.forms import AuditDaysForm, AuditFilterForm
from peersupport.audit.models import AuditAction, Outcome
from peersupport.audit.selectors import (
    action_label,
    audit_days,
    audit_events,
    log_months,
    of_agency,
    timed_entries,
    untimed_entries,
)
from peersupport.audit.services import record

from .pagination import paginate
from .rows import audit_event_rows_html


def _filters(form) -> dict:
    """What the manager asked for; bad input asks for nothing (the page says what was wrong)."""
    filters = form.cleaned_data if form.is_valid() else {}
    return {k: v for k, v in filters.items() if v}


def _audited(request, *, asked: dict, months, page, what: str) -> None:
    # Looking at the audit log is itself audited, with what was looked for and what was shown.
    record(
        actor=request.user,
        action=AuditAction.AUDIT_VIEWED,
        details={
            "filters": {k: f"{v:%Y-%m}" if k == "month" else str(v) for k, v in asked.items()},
            "month": f"{months.shown:%Y-%m}",
            "page": page.number,
            "view": what,
        },
    )


def _agency(request):
    """The events of the request's agency; the default agency's viewer also sees those of
    before agencies (no agency)."""
    return of_agency(request.agency.pk, unassigned=request.agency.is_default)


@roles_required(Role.BHS_MANAGER)
@require_GET
def event_list(request):
    form = AuditFilterForm(request.GET or None)
    grants = role_grants(include_ended=True)
    agency = _agency(request)
    asked = _filters(form)
    filters = {k: v for k, v in asked.items() if k != "month"}
    months = log_months(timed_entries(grants=grants, agency=agency, **filters), asked.get("month"))
    # Counted by a query of its own: the page's rows then stop after the first fifty along the
    # ``at`` index, where a count on each row read and sorted the whole month (a third of the
    # page's time). Both are read here (``prepare=list``), before the entry recorded below.
    shown = timed_entries(grants=grants, agency=agency, month=months.shown, **filters)
    page = paginate(request, audit_events(shown), window=False, prepare=list)
    _audited(request, asked=asked, months=months, page=page, what="events")
    return render(
        request,
        "audit/event_list.html",
        {"form": form, "page": page, "months": months, "rows": audit_event_rows_html(page)},
        status=400 if form.errors else 200,
    )


def _labelled(rows: list[dict]) -> list[dict]:
    return [
        {
            **row,
            "label": action_label(row["action"]),
            "outcome_label": Outcome(row["outcome"]).label,
        }
        for row in rows
    ]


@roles_required(Role.BHS_MANAGER)
@require_GET
def by_day(request):
    form = AuditDaysForm(request.GET or None)
    grants = role_grants(include_ended=True)
    agency = _agency(request)
    asked = _filters(form)
    filters = {k: v for k, v in asked.items() if k != "month"}
    months = log_months(
        untimed_entries(grants=grants, agency=agency, **filters), asked.get("month")
    )
    # A month's rows (at most one per day, action and outcome) are read in one query and paged
    # here, rather than counted by a second query as costly to build as the first.
    shown = untimed_entries(grants=grants, agency=agency, month=months.shown, **filters)
    page = paginate(request, list(audit_days(shown, months.shown)), prepare=_labelled)
    _audited(request, asked=asked, months=months, page=page, what="days")
    return render(
        request,
        "audit/by_day.html",
        {"form": form, "page": page, "months": months},
        status=400 if form.errors else 200,
    )
