"""The system administrator's integration tokens page: the keys other systems use for the API
(docs/api.md) and SCIM. A token is shown once and never again: only its hash is kept. Laid out
like the webhooks pages (web/webhooks.py).

Making a token answers with a redirect (post/redirect/get), so reloading the next page cannot
post again and make a second live token. The whole token waits for that page in the session
(kept in the database, never in a cookie, the address or a log), encrypted with the install's
keys, so that whoever reads the sessions table in that moment (a database administrator, a
backup) cannot use it, and is taken out of it by the first showing: a reload says it was already
shown."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import roles_required
from peersupport.crypto.fields import DecryptionError, decrypt, encrypt
from peersupport.web.forms import apply_service_errors, posted, render_form

from . import services
from .forms import TokenForm
from .registry import scopes

# The session key under which a token just made waits for its one showing, and what its
# encryption is bound to (a value copied from another place in the session does not decrypt).
MADE = "integrations:made"
_MADE_AAD = b"integrations.session.made"


@roles_required(Role.SYSADMIN)
@require_GET
def token_list(request):
    labels = {s.name: s.label for s in scopes()}
    request.session.pop(MADE, None)  # left unseen: it is never shown later
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
            sealed = str(encrypt(raw, aad=_MADE_AAD + str(made.pk).encode()))
            request.session[MADE] = {"id": made.pk, "raw": sealed}
            return redirect("integrations:token_made", token_id=made.pk)
    context = {"form": form, "people": [s for s in scopes() if s.names_people]}
    return render_form(request, "integrations/token_form.html", context)


@roles_required(Role.SYSADMIN)
@require_GET
def token_made(request, token_id: int):
    """The token just made, shown once: the first showing takes it out of the session, so a
    reload (or another tab) says it was already shown. Every signed-in page is never cached."""
    found = services.token(token_id)
    waiting = request.session.get(MADE)
    raw = ""
    if isinstance(waiting, dict) and waiting.get("id") == found.pk:
        sealed = request.session.pop(MADE).get("raw", "")
        try:
            raw = decrypt(sealed, aad=_MADE_AAD + str(found.pk).encode(), where="the session")
        except (DecryptionError, TypeError, ValueError):
            raw = ""  # shown as already shown: a new token can be made
    return render(request, "integrations/token_made.html", {"token": found, "raw": raw})


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
