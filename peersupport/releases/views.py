"""Release pages: the supporter records a release for the person of a request they hold, opens
it, prints it, records disclosures under it and revokes or ends it; the BHS manager reads the
accounting of every release and records disclosures where the person allowed it.

Every id in a URL is looked up through selectors, which answer 404 to anyone outside the rule.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import roles_required
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.web.forms import submit
from peersupport.web.pdf import pdf_response

from . import selectors, services, signatures
from .forms import AccountingFilterForm, ConfirmForm, DisclosureForm, ReleaseForm
from .models import Release
from .rows import accounting_rows_html

SUPPORTER = Role.PEER_SUPPORTER
READERS = (Role.PEER_SUPPORTER, Role.BHS_MANAGER)
ACCOUNTING_PAGE = 25
REVOKE_LABEL = "The person asked to revoke this release"
END_LABEL = "The expiry event has happened"


def _signature_errors(form, exc: ValidationError) -> ValidationError:
    """The services call the signature "signature"; on the form it belongs to the method."""
    if hasattr(exc, "error_dict") and "signature" in exc.error_dict:
        errors = dict(exc.error_dict)
        field = (
            "signature_scan"
            if form.cleaned_data.get("signature_kind") == Release.SignatureKind.SCAN
            else "signature_kind"
        )
        errors[field] = errors.pop("signature")
        return ValidationError(errors)
    return exc


# --- The supporter: releases of a request they hold ----------------------------------------------


@roles_required(SUPPORTER)
@require_GET
def mine(request):
    return render(
        request,
        "releases/mine.html",
        {"releases": selectors.held_releases(request.user), "today": timezone.localdate()},
    )


@roles_required(SUPPORTER)
@require_GET
def for_request(request, request_id: int):
    req = selectors.held_request_for_releases(request.user, request_id)
    return render(
        request,
        "releases/for_request.html",
        {"req": req, "releases": selectors.releases_of_request(req)},
    )


def _create_page(request, req, form, *, status=200):
    return render(request, "releases/release_form.html", {"req": req, "form": form}, status=status)


@roles_required(SUPPORTER)
@csrf_exempt  # so the upload handler can be set before the body is read; CSRF is checked below
@never_cache
@require_http_methods(["GET", "POST"])
def create(request, request_id: int):
    upload = signatures.MemoryOnlyUpload(request, field_name="signature_scan")
    request.upload_handlers = [upload]
    return _create(request, request_id, upload)


@csrf_protect
def _create(request, request_id: int, upload: signatures.MemoryOnlyUpload):
    req = selectors.held_request_for_releases(request.user, request_id)
    if request.method == "GET":
        # The person's name is read from the request to fill the form: an audited reading.
        req = selectors.held_request_with_identity(request.user, req)
        form = ReleaseForm(initial={"person_name": (req.identity or {}).get("name", "")})
        return _create_page(request, req, form)
    form = ReleaseForm(request.POST, request.FILES, scan_too_large=upload.too_large)

    def create():
        try:
            return services.release_create(actor=request.user, request=req, **form.service_kwargs())
        except ValidationError as exc:
            raise _signature_errors(form, exc) from None

    if done := submit(
        request,
        form,
        create,
        success=lambda release: (
            f"Release {release.number} is recorded. Give the person a copy (the PDF)."
        ),
        then=lambda release: reverse("releases:detail", args=[release.pk]),
    ):
        return done
    return _create_page(request, req, form, status=400)


# --- One release ---------------------------------------------------------------------------------


def _detail_page(request, release, *, revoke_form=None, end_form=None, errors=(), status=200):
    user = request.user
    today = timezone.localdate()
    shows_person = selectors.may_see_person(user, release)
    holds = release.supporter_id == user.pk and user.has_role(SUPPORTER)
    valid = release.is_valid_on(today)
    context = {
        "release": release,
        "today": today,
        "disclosures": list(release.disclosures.all()),
        "shows_person": shows_person,
        "signature_src": (
            signatures.data_url(release.signature_type, release.signature)
            if shows_person and release.signature_type.startswith("image/")
            else ""
        ),
        "may_disclose": valid and services.discloser_role(user, release) is not None,
        "may_change": holds and valid,
        "revoke_form": revoke_form or ConfirmForm(prefix="revoke", label=REVOKE_LABEL),
        "end_form": end_form or ConfirmForm(prefix="end", label=END_LABEL),
        "errors": errors,
    }
    return render(request, "releases/detail.html", context, status=status)


@roles_required(*READERS)
@require_GET
def detail(request, release_id: int):
    release = selectors.release_for_viewer(request.user, release_id)
    return _detail_page(request, release)


@roles_required(*READERS)
@require_GET
def pdf(request, release_id: int):
    release = selectors.release_with_person(request.user, release_id, part="pdf")
    record(actor=request.user, action=AuditAction.RELEASE_PDF, target=release)
    context = {
        "release": release,
        "today": timezone.localdate(),
        "department_name": settings.DEPARTMENT_NAME,
        "signature_src": (
            signatures.data_url(release.signature_type, release.signature)
            if release.signature_type.startswith("image/")
            else ""
        ),
    }
    return pdf_response(
        "releases/release_pdf.html", context, filename=f"release-{release.number}.pdf"
    )


@roles_required(*READERS)
@require_GET
def signature(request, release_id: int):
    """The signature or the scan of the signed form, as kept (a download, never cached)."""
    release = selectors.release_with_person(request.user, release_id, part="signature")
    extension = {"image/png": "png", "image/jpeg": "jpg", "application/pdf": "pdf"}
    response = HttpResponse(
        signatures.from_text(release.signature), content_type=release.signature_type
    )
    name = f"release-{release.number}-signature.{extension[release.signature_type]}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _disclose_page(request, release, form, *, status=200):
    return render(
        request, "releases/disclosure_form.html", {"release": release, "form": form}, status=status
    )


@roles_required(*READERS)
@require_http_methods(["GET", "POST"])
def disclose(request, release_id: int):
    release = selectors.release_for_viewer(request.user, release_id, part="disclose")
    if request.method == "GET":
        if services.discloser_role(request.user, release) is None:
            raise Http404  # the release does not name this person among those who disclose
        if not release.is_valid_on():
            messages.error(
                request,
                f"Release {release.number} is {release.status_label.lower()}: nothing may be "
                "disclosed under it.",
            )
            return redirect("releases:detail", release_id=release.pk)
        return _disclose_page(request, release, DisclosureForm(release=release))
    form = DisclosureForm(request.POST, release=release)
    if done := submit(
        request,
        form,
        lambda: services.disclosure_record(
            actor=request.user,
            release=release,
            disclosed_on=form.cleaned_data["disclosed_on"],
            recipient=form.cleaned_data["recipient"],
            items=form.cleaned_data["items"],
            purpose=release.purpose,
        ),
        success="The disclosure is recorded in the release's accounting.",
        then=reverse("releases:detail", args=[release.pk]),
    ):
        return done
    return _disclose_page(request, release, form, status=400)


def _transition(request, release_id: int, action: str):
    release = selectors.release_for_viewer(request.user, release_id, audit=False)
    if request.method == "GET":  # after the same check, back to the page the action lives on
        return redirect("releases:detail", release_id=release.pk)
    label = REVOKE_LABEL if action == "revoke" else END_LABEL
    refusal = services.transition_refusal(actor=request.user, release=release, action=action)
    if refusal:
        # Said at the top: the form for a move that cannot happen is not on the page.
        release = selectors.release_for_viewer(request.user, release_id)
        return _detail_page(request, release, errors=[refusal], status=400)
    form = ConfirmForm(request.POST, prefix=action, label=label)
    if form.is_valid():
        try:
            services.release_transition(actor=request.user, release=release, action=action)
        except ValidationError as exc:
            release = selectors.release_for_viewer(request.user, release_id)
            return _detail_page(request, release, errors=exc.messages, status=400)
        done = {
            "revoke": f"Release {release.number} is revoked. Nothing more may be disclosed "
            "under it; tell the recipients if the person asks you to.",
            "end": f"Release {release.number} has ended: its expiry event happened.",
        }
        messages.success(request, done[action])
        return redirect("releases:detail", release_id=release.pk)
    # The page shows the release again, so this is an audited reading like any other.
    release = selectors.release_for_viewer(request.user, release_id)
    forms = {"revoke_form" if action == "revoke" else "end_form": form}
    return _detail_page(request, release, status=400, **forms)


@roles_required(SUPPORTER)
@require_http_methods(["GET", "POST"])
def revoke(request, release_id: int):
    return _transition(request, release_id, "revoke")


@roles_required(SUPPORTER)
@require_http_methods(["GET", "POST"])
def end(request, release_id: int):
    return _transition(request, release_id, "end")


# --- The BHS manager's accounting ----------------------------------------------------------------


@roles_required(Role.BHS_MANAGER)
@require_GET
def accounting(request):
    supporters = selectors.supporters_with_releases()
    form = AccountingFilterForm(request.GET or None, supporters=supporters)
    filters = selectors.AccountingFilter()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = selectors.AccountingFilter(
            status=data["status"],
            supporter_id=data["supporter"],
            signed_from=data["signed_from"],
            signed_to=data["signed_to"],
            disclosed_only=data["disclosed_only"],
        )
    page = Paginator(selectors.accounting(filters), ACCOUNTING_PAGE).get_page(
        request.GET.get("page")
    )
    releases = list(page.object_list)
    if releases:
        selectors.record_accounting_viewed(request.user, releases)
    query = request.GET.copy()
    query.pop("page", None)
    rows = [(r, selectors.may_see_person(request.user, r)) for r in releases]
    return render(
        request,
        "releases/accounting.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "release_rows": accounting_rows_html(rows),
            "query": query.urlencode(),
            "today": timezone.localdate(),
        },
        status=400 if form.is_bound and form.errors else 200,
    )
