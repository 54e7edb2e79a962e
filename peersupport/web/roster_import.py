"""The system administrator's HR roster import: upload, preview, confirm (docs/hr-import.md).

The preview is ``roster_sync.roster_plan`` on the uploaded file; the confirmation applies that
same file with ``roster_sync.roster_apply``. Between the two the file waits in the
administrator's own session (compressed), named by its SHA-256, which the confirmation form
carries: a file uploaded again in another tab replaces it, and the older preview's confirmation
is refused. It is dropped when applied, cancelled, replaced, or after ``KEEP_SECONDS``; nothing
else keeps it.
"""

import base64
import time
import zlib

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from peersupport.accounts.forms import RosterConfirmForm, RosterUploadForm
from peersupport.accounts.models import Role
from peersupport.accounts.permissions import roles_required
from peersupport.accounts.roster_sync import (
    file_digest,
    many_separated,
    parse_roster,
    roster_apply,
    roster_plan,
)

from .forms import page_status

SESSION_KEY = "roster_import"
KEEP_SECONDS = 30 * 60
# The preview lists this many of each kind of change, with the totals (the command lists all).
SHOWN = 50


def _keep(request, data: bytes, *, full: bool, plan) -> str:
    digest = file_digest(data)
    request.session[SESSION_KEY] = {
        "digest": digest,
        "full": full,
        # What the preview showed: applied only if the records still give exactly this plan.
        "plan": plan.fingerprint,
        "at": time.time(),
        "data": base64.b64encode(zlib.compress(data)).decode("ascii"),
    }
    return digest


def _kept(request) -> dict | None:
    kept = request.session.get(SESSION_KEY)
    if kept is None:
        return None
    if time.time() - kept.get("at", 0) > KEEP_SECONDS:
        request.session.pop(SESSION_KEY, None)
        return None
    return kept


def _errors(errors) -> list[str]:
    shown = [str(e) for e in errors[:SHOWN]]
    if len(errors) > SHOWN:
        shown.append(f"… and {len(errors) - SHOWN:,} more errors. Nothing was imported.")
    return shown


def _preview_context(plan) -> dict:
    lists = {
        name: {
            "items": getattr(plan, name)[:SHOWN],
            "total": len(getattr(plan, name)),
            "more": max(len(getattr(plan, name)) - SHOWN, 0),
        }
        for name in ("added", "changed", "moved", "separated", "units_added", "unit_supervisors")
    }
    return {"plan": plan, "counts": plan.counts, "lists": lists}


@roles_required(Role.SYSADMIN)
@require_http_methods(["GET", "POST"])
def roster_import(request):
    """Upload a roster file and see what importing it would change; nothing changes yet."""
    errors: list[str] = []
    form = RosterUploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    if request.method == "GET":
        request.session.pop(SESSION_KEY, None)  # a preview left behind is not kept
    elif form.is_valid():
        data = form.cleaned_data["file"].read()
        full = form.cleaned_data["full"]
        rows, problems = parse_roster(data)
        plan = None if problems else roster_plan(rows, full=full)
        problems = problems or plan.errors
        if not problems:
            digest = _keep(request, data, full=full, plan=plan)
            context = _preview_context(plan) | {
                "many_separated": many_separated(plan),
                "confirm": RosterConfirmForm(initial={"digest": digest}),
                "name": form.cleaned_data["file"].name,
            }
            return render(request, "accounts/roster_preview.html", context)
        request.session.pop(SESSION_KEY, None)
        errors = _errors(problems)
    return render(
        request,
        "accounts/roster_import.html",
        {"form": form, "errors": errors},
        status=page_status(request),
    )


@roles_required(Role.SYSADMIN)
@require_POST
def roster_import_confirm(request):
    """Apply the previewed file, or drop it ("cancel")."""
    kept = _kept(request)
    if "cancel" in request.POST:
        request.session.pop(SESSION_KEY, None)
        messages.info(request, "Nothing was imported.")
        return redirect("accounts:roster_import")
    form = RosterConfirmForm(request.POST)
    if kept is None or not form.is_valid() or form.cleaned_data["digest"] != kept["digest"]:
        messages.error(
            request,
            "This preview is no longer the file waiting to be imported (it was replaced, or "
            "waited too long). Nothing was imported: upload the file again.",
        )
        return redirect("accounts:roster_import")
    data = zlib.decompress(base64.b64decode(kept["data"]))
    request.session.pop(SESSION_KEY, None)
    if file_digest(data) != kept["digest"]:  # pragma: no cover (the session is the server's)
        return redirect("accounts:roster_import")
    rows, problems = parse_roster(data)
    try:
        plan = roster_apply(
            rows,
            actor=request.user,
            full=kept["full"],
            digest=kept["digest"],
            source="upload",
            previewed=kept.get("plan", ""),
        )
    except ValidationError as exc:
        problems = exc.messages
    if problems or plan.errors:
        # The records changed since the preview in a way that makes the file wrong now.
        return render(
            request,
            "accounts/roster_import.html",
            {"form": RosterUploadForm(), "errors": _errors(problems or plan.errors)},
            status=400,
        )
    counts = plan.counts
    messages.success(
        request,
        f"Roster imported: {counts['added']:,} added, {counts['changed']:,} changed, "
        f"{counts['moved']:,} moved, {counts['separated']:,} separated, "
        f"{counts['unchanged']:,} unchanged.",
    )
    return redirect("accounts:employee_list")
