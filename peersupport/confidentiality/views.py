"""Raising a confidentiality exception (peer supporters), the escalation page (whoever raised
it, everyone alerted, the BHS manager and the advocacy supervisor), acknowledging and resolving
it, and the on-duty roster (kept by the BHS manager)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import roles_required, signed_in
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.support import selectors as support_selectors
from peersupport.support.models import Contact
from peersupport.web.forms import apply_service_errors

from . import selectors, services
from .forms import DutyForm, RaiseForm, ResolveForm
from .models import DutyAssignment

supporter_only = roles_required(Role.PEER_SUPPORTER)


def _raise(request, *, req=None, contact=None):
    form = RaiseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            escalation = services.escalation_raise(
                actor=request.user,
                category=form.cleaned_data["category"],
                note=form.cleaned_data["note"],
                request=req,
                contact=contact,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                "Raised. The people on duty have been alerted and will be again until "
                "one of them acknowledges it.",
            )
            return redirect("confidentiality:escalation", public_id=escalation.public_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "confidentiality/raise.html",
        {"form": form, "req": req, "contact": contact},
        status=status,
    )


@supporter_only
@require_http_methods(["GET", "POST"])
def raise_for_request(request, request_id: int):
    req = support_selectors.held_requests(request.user).filter(pk=request_id).first()
    if req is None or req.purged_at is not None:
        raise Http404
    return _raise(request, req=req)


@supporter_only
@require_http_methods(["GET", "POST"])
def raise_for_contact(request, contact_id: int):
    contact = Contact.objects.filter(pk=contact_id, supporter=request.user).first()
    if contact is None:
        raise Http404
    return _raise(request, contact=contact)


@signed_in
@require_GET
def escalation_list(request):
    """Escalations the viewer raised or was alerted about; all of them for the BHS manager and
    the advocacy supervisor."""
    escalations = selectors.escalations_for(request.user)
    return render(
        request,
        "confidentiality/escalation_list.html",
        {
            "open": escalations.exclude(status="resolved")[:200],
            "resolved": escalations.filter(status="resolved")[:50],
            "sees_all": request.user.has_role(*selectors.OVERSEERS),
        },
    )


def _detail(request, escalation, *, resolve_form=None, errors=(), status=200):
    from peersupport.notifications.models import Notification

    user = request.user
    is_recipient = services.is_recipient(user, escalation)
    context = {
        "escalation": escalation,
        "recipients": selectors.recipients(escalation),
        "deliveries": Notification.objects.filter(topic=f"escalation:{escalation.pk}")
        .select_related("user")
        .order_by("-created_at")[:60],
        "can_acknowledge": is_recipient and escalation.is_open,
        "can_resolve": (is_recipient or user.has_role(Role.BHS_MANAGER))
        and escalation.status != escalation.Status.RESOLVED,
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
    try:
        services.escalation_acknowledge(actor=request.user, escalation=escalation)
    except ValidationError as exc:
        return _detail(request, escalation, errors=exc.messages, status=400)
    messages.success(request, "Acknowledged. The alerts have stopped.")
    return redirect("confidentiality:escalation", public_id=escalation.public_id)


@signed_in
@require_http_methods(["GET", "POST"])
def escalation_resolve(request, public_id):
    escalation = selectors.escalation_for(request.user, public_id)
    if request.method == "GET":
        return redirect("confidentiality:escalation", public_id=escalation.public_id)
    form = ResolveForm(request.POST)
    if form.is_valid():
        try:
            services.escalation_resolve(
                actor=request.user,
                escalation=escalation,
                resolution=form.cleaned_data["resolution"],
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                return _detail(
                    request, escalation, resolve_form=form, errors=exc.messages, status=400
                )
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Resolved. What was done is recorded.")
            return redirect("confidentiality:escalation", public_id=escalation.public_id)
    return _detail(request, escalation, resolve_form=form, status=400)


@roles_required(Role.BHS_MANAGER, Role.ADVOCACY_SUPERVISOR, Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def duty_roster(request):
    """Who is on duty for escalations and the backups; the BHS manager changes it."""
    can_edit = request.user.has_role(Role.BHS_MANAGER)
    form = DutyForm(request.POST if request.method == "POST" else None) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.duty_assign(
                    actor=request.user,
                    duty=data["duty"],
                    user=data["user"],
                    rank=data["rank"],
                    phone=data["phone"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "Added to the on-duty roster.")
                return redirect("confidentiality:duty")
    ladder = services.ladder()
    context = {
        "roster": selectors.roster(),
        "form": form,
        "can_edit": can_edit,
        "first_alerted": ladder[0] if ladder else [],
    }
    return render(
        request,
        "confidentiality/duty.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


@roles_required(Role.BHS_MANAGER)
@require_POST
def duty_end(request, assignment_id: int):
    assignment = DutyAssignment.objects.filter(pk=assignment_id).first()
    if assignment is None:
        raise Http404
    try:
        services.duty_end(actor=request.user, assignment=assignment)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Roster entry ended.")
    return redirect("confidentiality:duty")
