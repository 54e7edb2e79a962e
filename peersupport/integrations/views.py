"""The system administrator's integration tokens page: the keys other systems use for the API
(docs/api.md) and SCIM. A token is shown once, on the page that answers its making, and never
again: only its hash is kept. Laid out like the webhooks pages (web/webhooks.py)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import roles_required
from peersupport.web.forms import apply_service_errors, posted, render_form

from . import services
from .forms import TokenForm
from .registry import scopes


@roles_required(Role.SYSADMIN)
@require_GET
def token_list(request):
    labels = {s.name: s.label for s in scopes()}
    rows = [(t, [labels.get(n, n) for n in t.scopes]) for t in services.tokens()]
    return render(request, "integrations/token_list.html", {"rows": rows})


@roles_required(Role.SYSADMIN)
@require_http_methods(["GET", "POST"])
def token_add(request):
    form = TokenForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            made, raw = services.token_create(
                actor=request.user,
                label=form.cleaned_data["label"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            # Shown on this response only (and, as every signed-in page, never cached).
            return render(request, "integrations/token_made.html", {"token": made, "raw": raw})
    return render_form(request, "integrations/token_form.html", {"form": form})


@roles_required(Role.SYSADMIN)
@require_http_methods(["GET", "POST"])
def token_revoke(request, token_id: int):
    """GET asks for confirmation; POST revokes."""
    found = services.token(token_id)
    if request.method == "GET":
        return render(request, "integrations/token_revoke.html", {"token": found})
    services.token_revoke(actor=request.user, token_id=found.pk)
    messages.success(request, f"Revoked {found.label}. It is refused from now on.")
    return redirect("integrations:token_list")
