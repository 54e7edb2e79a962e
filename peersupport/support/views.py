"""The requester's side: asking for support (signed in, or from the public page without an
account), the codename page, and the requester's view of a request with its messages.

The public pages store nothing about the browser: no IP address or user agent goes into the
request, the audit log or the application's logs (the access log format in scripts/run leaves
the address out, and Django logs errors only).
"""

import secrets
import time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import public, roles_required
from peersupport.crypto.fields import DecryptionError, decrypt, encrypt
from peersupport.governance.notice import current_notice
from peersupport.resources.selectors import crisis_lines
from peersupport.roster.selectors import supporter_for_viewer
from peersupport.web.forms import act, apply_service_errors, posted, submit

from . import limits, selectors, services
from .forms import CodenameForm, EmployeeAskForm, PublicAskForm, ReplyForm, WrittenDownForm
from .models import Message, RequesterKind

CODENAME_SESSION_KEY = selectors.CODENAME_SESSION_KEY

# A new codename waits in the session, encrypted with the database's encryption key (the
# session table holds only ciphertext), for CODENAME_SHOW_MINUTES or until the person ticks "I
# have written it down", whichever comes first; then it is gone for good. Nothing else about
# the request is kept with it. docs/threat-model.md, "Codenames".
NEW_CODENAME_SESSION_KEY = "support_new_codename"
# The ids of the requests this browser sent from the public form (one open at a time).
SENT_SESSION_KEY = "support_sent_requests"
CODENAME_SHOW_MINUTES = 30
_CODENAME_AAD = b"support.session.new_codename"


def _initial(request) -> dict:
    return {"notice_version": current_notice().version, "token": secrets.token_urlsafe(24)}


def _named_supporter(request, form):
    """The supporter the requester picked in the directory, if any (signed-in only)."""
    profile_id = form.cleaned_data.get("supporter")
    if not profile_id or not request.user.is_authenticated:
        return None
    try:
        return supporter_for_viewer(viewer=request.user, profile_id=profile_id).user
    except Http404:  # a stale or unlisted supporter: match on the criteria instead
        return None


def _create(request, form, *, requester, kind):
    data = form.cleaned_data
    return services.request_create(
        requester=requester,
        kind=kind,
        name=data.get("name", ""),
        contact_method=data["contact_method"],
        contact_detail=data.get("contact_detail", ""),
        best_times=data.get("best_times", ""),
        supporter=_named_supporter(request, form),
        languages=[lang.pk for lang in data.get("languages", [])],
        areas=list(data.get("areas", [])),
        employee_type=data.get("employee_type", ""),
        exclude_chain=bool(data.get("exclude_chain")),
        wait_for_supporter=data.get("if_unavailable") == "wait",
        alert_on_reply=bool(data.get("alert_on_reply")),
        notice_version=data["notice_version"],
        submission_token=request.POST.get("token", ""),
    )


# --- Signed-in employee ---------------------------------------------------------------------


@roles_required(Role.EMPLOYEE)
@never_cache
@require_http_methods(["GET", "POST"])
def ask(request):
    initial = _initial(request)
    if request.method == "GET":
        employee = getattr(request.user, "employee", None)
        initial["name"] = employee.full_name if employee else ""
        initial["supporter"] = request.GET.get("supporter") or None
    form = EmployeeAskForm(posted(request), initial=initial)
    picked = _picked(request, form)
    unavailable = picked is not None and not selectors.supporter_available_now(picked.user_id)
    if not unavailable:
        del form.fields["if_unavailable"]
    already_open = _one_open_at_a_time(request, form, selectors.open_own_request(request.user))
    try:
        done = submit(
            request,
            form,
            lambda: _create(request, form, requester=request.user, kind=RequesterKind.EMPLOYEE),
            success="Your request is sent. A peer supporter will be in touch as you asked.",
            then=lambda created: reverse("support:my_request", args=[created.request.public_id]),
        )
    except services.DuplicateSubmission:
        messages.info(request, "Your request was already sent.")
        return redirect("support:my_requests")
    if done:
        return done
    return render(
        request,
        "support/ask.html",
        {
            "form": form,
            "notice": current_notice(),
            "token": request.POST.get("token") or initial["token"],
            "picked": picked,
            "unavailable": unavailable,
            "already_open": already_open,
            "public": False,
            "crisis_lines": crisis_lines(),
        },
        status=400 if form.errors else 200,
    )


def _one_open_at_a_time(request, form, open_request):
    """One open request per person: with one open, sending another needs "this is about
    something else" ticked (the field is on the form only then). Returns the open request."""
    token = request.POST.get("token", "") if request.method == "POST" else ""
    if open_request is None:
        del form.fields["something_else"]
    elif token and open_request.submission_key == services.submission_key(token):
        pass  # the same form sent again: the duplicate answer, not this one
    elif request.method == "POST" and form.is_valid() and not form.cleaned_data["something_else"]:
        form.add_error(
            "something_else",
            "You already have a request open. Open it to write to your supporter, or tick this "
            "box if this is about something else.",
        )
    return open_request


def _picked(request, form):
    value = form["supporter"].value()
    if not value or not request.user.is_authenticated:
        return None
    try:
        return supporter_for_viewer(viewer=request.user, profile_id=int(value))
    except (Http404, ValueError):
        return None


@roles_required(Role.EMPLOYEE)
@require_GET
def my_requests(request):
    services.requester_tags_refresh(user=request.user)
    return render(
        request, "support/my_requests.html", {"requests": selectors.own_requests(request.user)}
    )


@roles_required(Role.EMPLOYEE)
@never_cache
@require_http_methods(["GET", "POST"])
def my_request(request, public_id):
    req = selectors.own_request(request.user, public_id)
    return _thread(request, req, back="support:my_requests")


def _thread(request, req, *, back: str):
    """The requester's view of one request: status, messages, reply, withdraw."""
    action = request.POST.get("action") if request.method == "POST" else None
    form = ReplyForm(request.POST if action else None)
    if action == "withdraw" and request.POST.get("confirm") != "yes":
        # Withdrawing cannot be undone: a page that asks first (its button sends confirm=yes).
        return render(request, "support/withdraw_confirm.html", {"req": req, "back": back})
    if action == "withdraw":
        return act(
            request,
            lambda: services.request_withdraw(request=req),
            success="Your request is withdrawn.",
            then=request.path,
        )
    if action == "reply":
        if done := submit(
            request,
            form,
            lambda: services.message_send(
                request=req, sender=Message.Sender.REQUESTER, body=form.cleaned_data["body"]
            ),
            success="Message sent.",
            then=request.path,
        ):
            return done
    elif action:
        form.is_valid()
        form.add_error(None, "Choose what to do.")
    return render(
        request,
        "support/thread.html",
        {
            "req": req,
            "thread": req.messages.all(),
            "form": form,
            "back": back,
            # What other apps show the person here: their own releases of information and
            # the accounting of disclosures under them (PROGRAM.md rule 6).
            "sections": selectors.requester_sections(req),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


# --- Public: family members and anyone who would rather not sign in -------------------------


@public
@never_cache
@require_http_methods(["GET", "POST"])
def public_ask(request):
    initial = _initial(request)
    form = PublicAskForm(posted(request), initial=initial)
    del form.fields["supporter"]
    # A family member cannot be recognised: this browser's session remembers the ids of the
    # requests it sent (nothing else), for as long as the session lasts.
    sent = request.session.get(SENT_SESSION_KEY, [])
    already_open = _one_open_at_a_time(request, form, selectors.open_request_among(sent))
    if request.method == "POST" and form.is_valid():
        try:
            created = _create(request, form, requester=None, kind=form.cleaned_data["kind"])
        except services.DuplicateSubmission:
            # The same form sent again (a reload, a double tap): the codename, if this browser
            # still holds it, is on its page; never a second request, never a lost codename.
            if _new_codename(request) is not None:
                return redirect("support:codename")
            return render(request, "support/public_duplicate.html", status=409)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            _keep_new_codename(request, created.codename)
            request.session[SENT_SESSION_KEY] = [*sent, created.request.pk][-10:]
            return redirect("support:codename")
    return render(
        request,
        "support/ask.html",
        {
            "form": form,
            "notice": current_notice(),
            "token": request.POST.get("token") or initial["token"],
            "already_open": already_open,
            "public": True,
            "crisis_lines": crisis_lines(),
        },
        status=400 if form.errors else 200,
    )


def _keep_new_codename(request, codename: str) -> None:
    request.session[NEW_CODENAME_SESSION_KEY] = {
        "codename": str(encrypt(codename, aad=_CODENAME_AAD)),
        "until": time.time() + CODENAME_SHOW_MINUTES * 60,
    }


def _new_codename(request) -> str | None:
    """The codename this browser was just given, while it may still be shown."""
    kept = request.session.get(NEW_CODENAME_SESSION_KEY)
    if not isinstance(kept, dict) or not isinstance(kept.get("until"), float | int):
        return None
    if kept["until"] < time.time():
        request.session.pop(NEW_CODENAME_SESSION_KEY, None)
        return None
    try:
        return decrypt(kept.get("codename", ""), aad=_CODENAME_AAD, where="the session")
    except (DecryptionError, TypeError, ValueError):
        request.session.pop(NEW_CODENAME_SESSION_KEY, None)
        return None


@public
@never_cache
@require_http_methods(["GET", "POST"])
def codename(request):
    """The codename of the request just sent, shown again on every reload in this browser
    until it is written down (a POST) or CODENAME_SHOW_MINUTES have passed."""
    words = _new_codename(request)
    # Nothing to forget (already forgotten, or another browser): the page says so, no error.
    form = WrittenDownForm(posted(request) if words is not None else None)
    if form.is_bound and form.is_valid():
        request.session.pop(NEW_CODENAME_SESSION_KEY, None)
        messages.success(
            request, "Your codename is no longer kept here. Use it to come back to your request."
        )
        return redirect("support:check")
    return render(
        request,
        "support/codename.html",
        {
            "codename": words,
            "form": form,
            "minutes": CODENAME_SHOW_MINUTES,
            "crisis_lines": crisis_lines(),
        },
        status=400 if form.errors else 200,
    )


@public
@never_cache
@require_http_methods(["GET", "POST"])
def check(request):
    """Open a request with its codename. Wrong codenames are limited per client and, far more
    generously, for everyone together (``limits``); the limits keep nothing about the client."""
    form = CodenameForm(posted(request))
    status = 200
    if request.method == "POST":
        if not limits.checks_left(request):
            form = CodenameForm()
            return render(request, "support/check.html", {"form": form, "busy": True}, status=429)
        # Only a well-formed codename that opens nothing counts: anything else is refused by
        # the form, before any lookup, and could never have matched.
        if form.is_valid():
            codename = form.cleaned_data["codename"]
            req = selectors.request_for_codename(codename)
            if req is None:
                limits.count_failure(request)
                form.add_error("codename", "Not found.")
            else:
                services.codename_refresh(request=req, codename=codename)
                request.session.cycle_key()
                request.session[CODENAME_SESSION_KEY] = req.pk
                return redirect("support:status")
        status = 400
    return render(request, "support/check.html", {"form": form}, status=status)


@public
@never_cache
@require_http_methods(["GET", "POST"])
def status(request):
    req = selectors.request_by_id_for_codename_session(request.session.get(CODENAME_SESSION_KEY))
    return _thread(request, req, back="support:check")


@public
@require_POST
def leave(request):
    """Forget the codename in this browser."""
    request.session.pop(CODENAME_SESSION_KEY, None)
    request.session.flush()
    return redirect("support:check")
