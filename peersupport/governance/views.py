"""Policy documents: the list with history, drafting (BHS manager), approval (Chief), reading,
supporters' acknowledgements, PDFs of versions and of the notice in force, and the exception
categories the BHS manager keeps."""

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import public, roles_required
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.governance.notice import current_notice
from peersupport.tenancy import current_agency_id
from peersupport.web.forms import apply_service_errors, posted
from peersupport.web.forms import submit as submit_form  # ``submit`` is a view here
from peersupport.web.pagination import paginate
from peersupport.web.pdf import pdf_bytes, pdf_file_response, pdf_response

from . import selectors, services
from .forms import (
    AcknowledgeForm,
    ExceptionCategoryForm,
    PolicyVersionForm,
    ReturnForm,
    privilege_initial,
)
from .models import PolicyDocument
from .rules import PrivilegeProfile

READERS = (Role.BHS_MANAGER, Role.CHIEF, Role.COORDINATOR)


def _version_url(version) -> str:
    return reverse("governance:version", args=[version.pk])


@roles_required(*READERS)
@require_GET
def policy_list(request):
    return render(
        request, "governance/policy_list.html", {"rows": selectors.documents_with_history()}
    )


def _detail(request, version, *, errors=(), return_form=None, status=200):
    user = request.user
    current = selectors.current_version(version.document.kind)
    is_current = current is not None and current.pk == version.pk
    can_acknowledge = (
        user.has_role(Role.PEER_SUPPORTER)
        and is_current
        and version.document.kind == PolicyDocument.Kind.PROGRAM_POLICY
    )
    context = {
        "version": version,
        "privilege": PrivilegeProfile.from_json(version.privilege),
        "is_current": is_current,
        "errors": errors,
        "can_edit": user.has_role(Role.BHS_MANAGER) and version.is_editable,
        "can_decide": user.has_role(Role.CHIEF) and version.status == version.Status.SUBMITTED,
        "return_form": return_form or ReturnForm(),
        "can_acknowledge": can_acknowledge,
        "acknowledged": can_acknowledge and selectors.has_acknowledged(user=user, version=version),
    }
    return render(request, "governance/version_detail.html", context, status=status)


@roles_required(*READERS, Role.PEER_SUPPORTER)
@require_GET
def version_detail(request, version_id: int):
    version = selectors.version_for_viewer(viewer=request.user, version_id=version_id)
    return _detail(request, version)


@roles_required(*READERS, Role.PEER_SUPPORTER)
@require_GET
def current_policy(request):
    version = selectors.current_version(PolicyDocument.Kind.PROGRAM_POLICY)
    if version is None:
        return render(request, "governance/no_policy.html")
    return _detail(request, version)


def _form_page(request, *, document, form, version=None, status=200):
    context = {"document": document, "form": form, "version": version}
    if document.is_notice:
        categories = (
            version.exceptions if version is not None else selectors.active_exception_snapshot()
        )
        context["categories"] = categories
    return render(request, "governance/version_form.html", context, status=status)


@roles_required(Role.BHS_MANAGER)
@require_http_methods(["GET", "POST"])
def draft(request, kind: str):
    document = selectors.document_by_kind(kind)
    if request.method == "GET":
        current = selectors.current_version(kind)
        initial = {}
        if current is not None:
            initial = {"body": current.body, "intro": current.intro, "closing": current.closing}
            initial |= privilege_initial(current.privilege)
        form = PolicyVersionForm(document=document, initial=initial)
        return _form_page(request, document=document, form=form)
    form = PolicyVersionForm(request.POST, document=document)
    if done := submit_form(
        request,
        form,
        lambda: services.policy_version_draft(
            actor=request.user, document=document, **form.cleaned_data
        ),
        success=lambda version: f"Version {version.number} is saved as a draft.",
        then=_version_url,
    ):
        return done
    return _form_page(request, document=document, form=form, status=400)


@roles_required(Role.BHS_MANAGER)
@require_http_methods(["GET", "POST"])
def edit(request, version_id: int):
    version = selectors.version_for_viewer(viewer=request.user, version_id=version_id)
    document = version.document
    if not version.is_editable:
        messages.error(request, f"Version {version.number} is not a draft and cannot be edited.")
        return redirect("governance:version", version_id=version.pk)
    if request.method == "GET":
        initial = {
            "effective_date": version.effective_date,
            "body": version.body,
            "intro": version.intro,
            "closing": version.closing,
            **privilege_initial(version.privilege),
        }
        form = PolicyVersionForm(document=document, initial=initial)
        return _form_page(request, document=document, form=form, version=version)
    form = PolicyVersionForm(request.POST, document=document)
    if done := submit_form(
        request,
        form,
        lambda: services.policy_version_edit(
            actor=request.user, version=version, **form.cleaned_data
        ),
        success=f"Version {version.number} is saved.",
        then=_version_url(version),
    ):
        return done
    return _form_page(request, document=document, form=form, version=version, status=400)


def _transition(request, version_id: int, action: str):
    version = selectors.version_for_viewer(viewer=request.user, version_id=version_id)
    return_form = None
    try:
        if action == "return":
            return_form = ReturnForm(request.POST)
            comment = return_form.data.get("comment", "")
            services.policy_version_return(actor=request.user, version=version, comment=comment)
        else:
            services.policy_version_transition(actor=request.user, version=version, action=action)
    except ValidationError as exc:
        errors = exc.messages
        if return_form is not None and "comment" in getattr(exc, "error_dict", {}):
            # Shown next to the comment box, not a second time at the top.
            return_form.is_valid()
            apply_service_errors(return_form, exc)
            errors = ()
        return _detail(request, version, errors=errors, return_form=return_form, status=400)
    done = {"submit": "submitted to the Chief", "approve": "approved", "return": "returned"}
    messages.success(request, f"Version {version.number} is {done[action]}.")
    return redirect("governance:version", version_id=version.pk)


@roles_required(Role.BHS_MANAGER)
@require_POST
def submit(request, version_id: int):
    return _transition(request, version_id, "submit")


@roles_required(Role.CHIEF)
@require_POST
def approve(request, version_id: int):
    return _transition(request, version_id, "approve")


@roles_required(Role.CHIEF)
@require_POST
def return_version(request, version_id: int):
    return _transition(request, version_id, "return")


@roles_required(Role.PEER_SUPPORTER)
@require_POST
def acknowledge(request):
    form = AcknowledgeForm(request.POST)
    version = None
    if form.is_valid():
        try:
            version = selectors.version_for_viewer(
                viewer=request.user, version_id=form.cleaned_data["version_id"]
            )
            services.policy_acknowledge(actor=request.user, version=version)
        except ValidationError as exc:
            return _detail(request, version, errors=exc.messages, status=400)
        messages.success(request, "Thank you: your acknowledgement is recorded.")
        return redirect("governance:current")
    current = selectors.current_version(PolicyDocument.Kind.PROGRAM_POLICY)
    if current is None:
        return render(request, "governance/no_policy.html", status=400)
    return _detail(
        request, current, errors=["Choose the policy version to acknowledge."], status=400
    )


def _acknowledgements_page(request, *, errors=(), status=200):
    current = selectors.current_version(PolicyDocument.Kind.PROGRAM_POLICY)
    # Those still to acknowledge, fifty a page: all of them are every supporter the day a
    # version comes into force.
    missing = paginate(request, selectors.supporters_not_acknowledged(current))
    context = {
        "current": current,
        "supporters": selectors.active_supporters().count() if current is not None else 0,
        "missing": missing,
        "reminded_today": current is not None and current.reminded_on == timezone.localdate(),
        "errors": errors,
    }
    return render(request, "governance/acknowledgements.html", context, status=status)


@roles_required(Role.COORDINATOR, Role.BHS_MANAGER)
@require_GET
def acknowledgements(request):
    return _acknowledgements_page(request)


@roles_required(Role.COORDINATOR, Role.BHS_MANAGER)
@require_POST
def acknowledgements_remind(request):
    """Remind the supporters who have not acknowledged the policy in force (once a day)."""
    current = selectors.current_version(PolicyDocument.Kind.PROGRAM_POLICY)
    if current is None:
        return _acknowledgements_page(
            request, errors=["No program policy is in force: nobody to remind."], status=400
        )
    try:
        count = services.policy_acknowledgements_remind(actor=request.user, version=current)
    except ValidationError as exc:
        return _acknowledgements_page(request, errors=exc.messages, status=400)
    messages.success(
        request, f"Reminded {count} supporter{'s' if count != 1 else ''} to acknowledge it."
    )
    return redirect("governance:acknowledgements")


# --- PDFs -----------------------------------------------------------------------------------


def _pdf_context() -> dict:
    # A PDF is rendered without a request, so the context processors do not run.
    return {"department_name": settings.DEPARTMENT_NAME, "printed_on": timezone.localdate()}


@public
@require_GET
def notice_pdf(request):
    """The confidentiality notice shown to requesters, as they see it before they ask: the
    approved version in force, or the built-in notice while none is approved. Public, like the
    page that links to it, so it is not audited (it reveals nothing about who downloads it)."""
    notice = current_notice()
    in_force = selectors.current_version(PolicyDocument.Kind.CONFIDENTIALITY_NOTICE)
    if in_force is not None and in_force.label != notice.version:
        in_force = None  # approved in between the two reads: show no date rather than a wrong one
    context = _pdf_context() | {"notice": notice, "in_force": in_force}
    filename = f"confidentiality-notice-{notice.version.removeprefix('notice-')}.pdf"
    # Public, and about 0.1 s of CPU to draw: drawn once per version and day, then served from
    # the shared cache, so that nobody can keep the servers busy by asking for it. Per agency:
    # version labels ("notice-v2") repeat across agencies, their notices do not.
    key = (
        f"notice-pdf:{current_agency_id()}:{notice.version}:"
        f"{context['printed_on'].isoformat()}:{bool(in_force)}"
    )
    data = cache.get(key)
    if data is None:
        data = pdf_bytes("governance/pdf/notice.html", context)
        cache.set(key, data, timeout=24 * 3600)
    return pdf_file_response(data, filename=filename)


@roles_required(*READERS, Role.PEER_SUPPORTER)
@require_GET
def version_pdf(request, version_id: int):
    version = selectors.version_for_viewer(viewer=request.user, version_id=version_id)
    current = selectors.current_version(version.document.kind)
    context = _pdf_context() | {
        "version": version,
        "privilege": PrivilegeProfile.from_json(version.privilege),
        "is_current": current is not None and current.pk == version.pk,
    }
    filename = f"{version.document.kind.replace('_', '-')}-v{version.number}.pdf"
    response = pdf_response("governance/pdf/version.html", context, filename=filename)
    record(
        actor=request.user,
        action=AuditAction.POLICY_PDF,
        target=version,
        details={"document": version.document.kind, "number": version.number},
    )
    return response


# --- Exception categories -------------------------------------------------------------------


def _notice_context() -> dict:
    in_force, in_progress = selectors.notice_versions_in_force_and_open()
    return {"notice_in_force": in_force, "notice_in_progress": in_progress}


@roles_required(*READERS)  # the policy readers; only the BHS manager changes them
@require_GET
def category_list(request):
    active, retired = selectors.exception_categories()
    context = {
        "active": active,
        "retired": retired,
        "can_edit": request.user.has_role(Role.BHS_MANAGER),
        **_notice_context(),
    }
    return render(request, "governance/category_list.html", context)


def _category_form_page(request, *, form, category=None):
    context = {"form": form, "category": category, **_notice_context()}
    return render(
        request,
        "governance/category_form.html",
        context,
        status=400 if form.errors else 200,
    )


@roles_required(Role.BHS_MANAGER)
@require_http_methods(["GET", "POST"])
def category_create(request):
    form = ExceptionCategoryForm(
        posted(request), adding=True, initial={"order": selectors.next_category_order()}
    )
    if done := submit_form(
        request,
        form,
        lambda: services.exception_category_create(actor=request.user, **form.cleaned_data),
        success=lambda category: (
            f"Added “{category.name}”. Supporters can raise it now; the "
            "notice lists it from its next approved version."
        ),
        then="governance:categories",
    ):
        return done
    return _category_form_page(request, form=form)


@roles_required(Role.BHS_MANAGER)
@require_http_methods(["GET", "POST"])
def category_edit(request, category_id: int):
    category = selectors.exception_category(category_id)
    initial = {name: getattr(category, name) for name in services.CATEGORY_FIELDS}
    form = ExceptionCategoryForm(posted(request), adding=False, initial=initial)
    if done := submit_form(
        request,
        form,
        lambda: services.exception_category_update(
            actor=request.user, category=category, **form.cleaned_data
        ),
        success=lambda saved: (
            f"Saved “{saved.name}”. The notice shows the change from its next approved version."
        ),
        then="governance:categories",
    ):
        return done
    return _category_form_page(request, form=form, category=category)


def _category_state(request, category_id: int, *, retire: bool):
    """The retire and restore pages: confirm, then one service call."""
    category = selectors.exception_category(category_id)
    if category.active != retire:
        messages.info(
            request,
            f"“{category.name}” is {'already retired' if retire else 'not retired'}; "
            "nothing changed.",
        )
        return redirect("governance:categories")
    errors: list[str] = []
    service = services.exception_category_retire if retire else services.exception_category_restore
    if done := submit_form(
        request,
        None,
        lambda: service(actor=request.user, category=category),
        success=f"{'Retired' if retire else 'Restored'} “{category.name}”.",
        then="governance:categories",
        errors=errors,
    ):
        return done
    context = {"category": category, "retire": retire, "errors": errors}
    return render(request, "governance/category_state.html", context, status=400 if errors else 200)


@roles_required(Role.BHS_MANAGER)
@require_http_methods(["GET", "POST"])
def category_retire(request, category_id: int):
    return _category_state(request, category_id, retire=True)


@roles_required(Role.BHS_MANAGER)
@require_http_methods(["GET", "POST"])
def category_restore(request, category_id: int):
    return _category_state(request, category_id, retire=False)
