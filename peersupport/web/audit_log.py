"""The BHS manager's audit log viewer (the URL namespace ``audit``)."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import roles_required
from peersupport.audit.forms import AuditFilterForm
from peersupport.audit.models import AuditAction
from peersupport.audit.selectors import audit_events
from peersupport.audit.services import record


@roles_required(Role.BHS_MANAGER)
@require_GET
def event_list(request):
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    filters = {k: v for k, v in filters.items() if v}
    page = Paginator(audit_events(**filters), 50).get_page(request.GET.get("page"))
    # Looking at the audit log is itself audited, with what was looked for.
    record(
        actor=request.user,
        action=AuditAction.AUDIT_VIEWED,
        details={
            "filters": {k: str(v) for k, v in filters.items()},
            "page": page.number,
        },
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/event_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
        status=400 if form.errors else 200,
    )
