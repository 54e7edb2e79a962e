"""Raising a confidentiality exception (peer supporters), the escalation page (whoever raised
it, everyone alerted, the BHS manager and the advocacy supervisor), acknowledging and resolving
it, and the on-duty roster (kept by the BHS manager)."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import roles_required, signed_in
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.roster.selectors import serves
from peersupport.roster.views import not_serving
from peersupport.support import selectors as support_selectors
from peersupport.web.forms import act, posted, render_form, submit

from . import selectors, services
from .forms import DutyForm, RaiseForm, ResolveForm

supporter_only = roles_required(Role.PEER_SUPPORTER)


def _escalation_url(escalation) -> str:
    return reverse("confidentiality:escalation", args=[escalation.public_id])


def _raise(request, *, req=None, contact=None):
    if not serves(request.user):
        return not_serving(request, "Raise a confidentiality question")
    form = RaiseForm(posted(request))
    if done := submit(
        request,
        form,
        lambda: services.escalation_raise(
            actor=request.user,
            category=form.cleaned_data["category"],
            note=form.cleaned_data["note"],
            request=req,
            contact=contact,
        ),
        success="Raised. The people on duty have been alerted and will be again until "
        "one of them acknowledges it.",
        then=_escalation_url,
    ):
        return done
    return render_form(
        request, "confidentiality/raise.html", {"form": form, "req": req, "contact": contact}
    )


@supporter_only
@require_http_methods(["GET", "POST"])
def raise_for_request(request, request_id: int):
    return _raise(request, req=support_selectors.unpurged_held_request(request.user, request_id))


@supporter_only
@require_http_methods(["GET", "POST"])
def raise_for_contact(request, contact_id: int):
    return _raise(request, contact=support_selectors.own_contact(request.user, contact_id))


@signed_in
@require_GET
def escalation_list(request):
    """Escalations the viewer raised or was alerted about; all of them for the BHS manager and
    the advocacy supervisor."""
    unresolved, resolved = selectors.escalation_lists_for(request.user)
    return render(
        request,
        "confidentiality/escalation_list.html",
        {
            "open": unresolved,
            "resolved": resolved,
            "sees_all": request.user.has_role(*selectors.OVERSEERS),
        },
    )


def _may_resolve(user, escalation, *, is_recipient: bool | None = None) -> bool:
    """Whether the page shows ``user`` the form that resolves ``escalation``."""
    if is_recipient is None:
        is_recipient = services.is_recipient(user, escalation)
    return (
        is_recipient or user.has_role(Role.BHS_MANAGER)
    ) and escalation.status != escalation.Status.RESOLVED


def _detail(request, escalation, *, resolve_form=None, errors=(), status=200):
    user = request.user
    is_recipient = services.is_recipient(user, escalation)
    context = {
        "escalation": escalation,
        "recipients": selectors.recipients(escalation),
        "deliveries": selectors.deliveries_of(escalation)[:60],
        "can_acknowledge": is_recipient and escalation.is_open,
        "can_resolve": _may_resolve(user, escalation, is_recipient=is_recipient),
        "resolve_form": resolve_form or ResolveForm(),
        "errors": errors,
        "crisis": selectors.crisis_resources()
        if escalation.category.crisis_resources and escalation.raised_by_id == user.pk
        else None,
    }
    return render(request, "confidentiality/escalation_detail.html", context, status=status)


@signed_in
@require_GET
def escalation_detail(request, public_id):
    escalation = selectors.escalation_for(request.user, public_id)
    record(actor=request.user, action=AuditAction.ESCALATION_VIEWED, target=escalation)
    return _detail(request, escalation)


@signed_in
@require_http_methods(["GET", "POST"])
def escalation_acknowledge(request, public_id):
    escalation = selectors.escalation_for(request.user, public_id)
    if request.method == "GET":
        return redirect("confidentiality:escalation", public_id=escalation.public_id)
    errors: list[str] = []
    if done := submit(
        request,
        None,
        lambda: services.escalation_acknowledge(actor=request.user, escalation=escalation),
        success="Acknowledged. The alerts have stopped.",
        then=_escalation_url(escalation),
        errors=errors,
    ):
        return done
    return _detail(request, escalation, errors=errors, status=400)


@signed_in
@require_http_methods(["GET", "POST"])
def escalation_resolve(request, public_id):
    escalation = selectors.escalation_for(request.user, public_id)
    if request.method == "GET":
        return redirect("confidentiality:escalation", public_id=escalation.public_id)
    # Someone the page shows no resolve form to gets the service's reason, not a field's error
    # about a box they cannot see.
    shown = _may_resolve(request.user, escalation)
    form = ResolveForm(request.POST) if shown else None
    errors: list[str] = []
    if done := submit(
        request,
        form,
        lambda: services.escalation_resolve(
            actor=request.user,
            escalation=escalation,
            resolution=form.cleaned_data["resolution"] if form else "",
        ),
        success="Resolved. What was done is recorded.",
        then=_escalation_url(escalation),
        errors=errors,
    ):
        return done
    return _detail(request, escalation, resolve_form=form, errors=errors, status=400)


@roles_required(Role.BHS_MANAGER, Role.ADVOCACY_SUPERVISOR, Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def duty_roster(request):
    """Who is on duty for escalations and the backups; the BHS manager changes it."""
    can_edit = request.user.has_role(Role.BHS_MANAGER)
    form = DutyForm(posted(request)) if can_edit else None
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    if done := submit(
        request,
        form,
        lambda: services.duty_assign(
            actor=request.user,
            **{k: form.cleaned_data[k] for k in ("duty", "user", "rank", "phone")},
            starts_at=form.cleaned_data["starts_at"],
            ends_at=form.cleaned_data["ends_at"],
        ),
        success="Added to the on-duty roster.",
        then="confidentiality:duty",
    ):
        return done
    context = {
        "roster": selectors.roster(),
        "form": form,
        "can_edit": can_edit,
        "first_alerted": services.first_alerted(),
    }
    return render_form(request, "confidentiality/duty.html", context)


@roles_required(Role.BHS_MANAGER)
@require_POST
def duty_end(request, assignment_id: int):
    assignment = selectors.duty_assignment(assignment_id)
    return act(
        request,
        lambda: services.duty_end(actor=request.user, assignment=assignment),
        success="Roster entry ended.",
        then="confidentiality:duty",
    )
