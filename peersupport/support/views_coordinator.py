"""The coordinator's view of support: counts and waiting times, never identities.

Everything here comes from ``selectors.coordinator_overview``, which reads no identity, no
codename and no message: the page could not show who asked even by mistake.
"""

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import roles_required
from peersupport.web.forms import submit

from . import selectors, services
from .forms_supporter import DebriefHandledForm

coordinator_only = roles_required(Role.COORDINATOR)


def _waiting(minutes: int) -> str:
    """75 -> "1 h 15 min"; 1500 -> "1 d 1 h"."""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


def _overview(request, *, status: int = 200, errors: list | None = None):
    overview = selectors.coordinator_overview()
    context = {
        "overview": overview,
        "open_total": sum(n for _, n in overview.open_by_age),
        "waiting": [
            {"minutes": m, "label": _waiting(m)} for m in overview.unaccepted_waiting_minutes
        ],
        "escalate_minutes": settings.SUPPORT_ESCALATE_MINUTES,
        "errors": errors or [],
    }
    return render(request, "support/coordinator/overview.html", context, status=status)


@coordinator_only
@require_GET
def overview(request):
    return _overview(request)


OVERDUE_PAGE = 50


@coordinator_only
@require_GET
def overdue(request):
    """Every supporter with an overdue follow-up, most overdue first, fifty a page: the
    overview names only the first ten. Names and counts only, never whom a follow-up is for."""
    today = timezone.localdate()
    _rows, _total, supporters = selectors.overdue_followups(today, limit=1)
    page = Paginator(range(supporters), OVERDUE_PAGE).get_page(request.GET.get("page"))
    rows, total, supporters = selectors.overdue_followups(
        today, limit=OVERDUE_PAGE, offset=page.start_index() - 1 if supporters else 0
    )
    context = {"page": page, "rows": rows, "total": total, "supporters": supporters}
    return render(request, "support/coordinator/overdue.html", context)


@coordinator_only
@require_POST
def debrief_handled(request, debrief_id: int):
    debrief = selectors.debrief_for_coordinator(debrief_id)
    form = DebriefHandledForm(request.POST)
    if done := submit(
        request,
        form,
        lambda: services.debrief_handled(actor=request.user, debrief=debrief),
        success=f"Debrief with {debrief.supporter} marked as handled.",
        then="support:overview",
    ):
        return done
    errors = [str(e) for errs in form.errors.values() for e in errs]
    return _overview(request, status=400, errors=errors)
