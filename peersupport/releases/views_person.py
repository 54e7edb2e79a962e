"""The person's own releases, from their request page: their PDF with the accounting of every
disclosure made under it, and revoking it (with a confirmation). Reached with their account
(``my_request``) or with their codename (the status page); anyone else's release is 404.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import public, roles_required
from peersupport.support.selectors import request_for_codename_session
from peersupport.web.forms import posted
from peersupport.web.pdf import pdf_response

from . import selectors, services, signatures
from .forms import ConfirmForm

REVOKE_LABEL = "Yes, revoke this release: nothing more may be disclosed under it."


def _pdf(req, release_id: int):
    release = selectors.person_release(req, release_id, pdf=True)
    context = {
        "release": release,
        "today": timezone.localdate(),
        "department_name": settings.DEPARTMENT_NAME,
        "signature_src": (
            signatures.data_url(release.signature_type, release.signature)
            if release.signature_type.startswith("image/")
            else ""
        ),
        "accounting": release.disclosures.all(),
    }
    return pdf_response(
        "releases/release_pdf.html", context, filename=f"release-{release.number}.pdf"
    )


def _revoke(request, req, release_id: int, *, back: str):
    release = selectors.person_release(req, release_id)
    form = ConfirmForm(posted(request), label=REVOKE_LABEL)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            services.release_revoke_by_person(release=release)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(
                request,
                f"Release {release.number} is revoked. Nothing more may be disclosed under it.",
            )
            return redirect(back)
    return render(
        request,
        "releases/person_revoke.html",
        {"release": release, "form": form, "errors": errors, "back": back},
        status=400 if form.errors or errors else 200,
    )


@roles_required(Role.EMPLOYEE)
@require_GET
def mine_pdf(request, release_id: int):
    release = selectors.own_release(request.user, release_id)
    return _pdf(release.request, release_id)


@roles_required(Role.EMPLOYEE)
@never_cache
@require_http_methods(["GET", "POST"])
def mine_revoke(request, release_id: int):
    req = selectors.own_release(request.user, release_id).request
    back = reverse("support:my_request", args=[req.public_id])
    return _revoke(request, req, release_id, back=back)


@public
@require_GET
def codename_pdf(request, release_id: int):
    return _pdf(request_for_codename_session(request.session), release_id)


@public
@never_cache
@require_http_methods(["GET", "POST"])
def codename_revoke(request, release_id: int):
    req = request_for_codename_session(request.session)
    return _revoke(request, req, release_id, back=reverse("support:status"))
