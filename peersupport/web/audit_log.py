"""The BHS manager's audit log viewer (the URL namespace ``audit``).

Two pages over the two halves of the log (``peersupport.audit.selectors``): the program's
administration with times and who, and everything about requests or plain employees' accounts
as counts per day. Neither shows an entry's sequence number: a gap in the numbers of the timed
page would show when an untimed entry was made.
"""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import roles_required
from peersupport.accounts.selectors import role_grants
from peersupport.audit.forms import AuditDaysForm, AuditFilterForm
from peersupport.audit.models import AuditAction, Outcome
from peersupport.audit.selectors import action_label, audit_days, audit_events
from peersupport.audit.services import record


def _page(request, form, rows, *, what: str):
    filters = form.cleaned_data if form.is_valid() else {}
    filters = {k: v for k, v in filters.items() if v}
    page = Paginator(rows(**filters), 50).get_page(request.GET.get("page"))
    # Read now, with the count: the entry recorded below must not push one off this page.
    page.object_list = list(page.object_list)
    # Looking at the audit log is itself audited, with what was looked for.
    record(
        actor=request.user,
        action=AuditAction.AUDIT_VIEWED,
        details={
            "filters": {k: str(v) for k, v in filters.items()},
            "page": page.number,
            "view": what,
        },
    )
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


@roles_required(Role.BHS_MANAGER)
@require_GET
def event_list(request):
    form = AuditFilterForm(request.GET or None)
    grants = role_grants(include_ended=True)
    page, query = _page(request, form, lambda **f: audit_events(grants=grants, **f), what="events")
    return render(
        request,
        "audit/event_list.html",
        {"form": form, "page": page, "query": query},
        status=400 if form.errors else 200,
    )


@roles_required(Role.BHS_MANAGER)
@require_GET
def by_day(request):
    form = AuditDaysForm(request.GET or None)
    grants = role_grants(include_ended=True)
    page, query = _page(request, form, lambda **f: audit_days(grants=grants, **f), what="days")
    rows = [
        {**row, "label": action_label(row["action"]), "outcome": Outcome(row["outcome"]).label}
        for row in page
    ]
    return render(
        request,
        "audit/by_day.html",
        {"form": form, "page": page, "rows": rows, "query": query},
        status=400 if form.errors else 200,
    )
