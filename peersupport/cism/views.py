"""CISM pages. The coordinator and the BHS manager keep the team, activate it after an incident,
follow the answers, schedule defusings and debriefings, open the follow-up outreach and stand
the team down; a member sees their own open call-outs and answers them.

Every action URL takes POST; a GET of one leads back to the page it lives on.
"""

import csv

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import roles_required
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.web import gatherings
from peersupport.web.forms import posted, render_form, submit

from . import selectors, services
from .forms import (
    ActivateForm,
    AnswerForm,
    MemberAddForm,
    MemberRemoveForm,
    MemberRoleForm,
    OutreachForm,
    RemindForm,
    SessionForm,
    StandDownForm,
    default_session_start,
)
from .models import TeamRole

staff_only = roles_required(Role.COORDINATOR, Role.BHS_MANAGER)
members_only = roles_required(*selectors.MEMBER_ROLES)


def _detail_url(activation) -> str:
    return reverse("cism:detail", args=[activation.public_id])


# --- The team ------------------------------------------------------------------------------


def _team_page(request, *, add_form=None, errors=(), status=200):
    return render(
        request,
        "cism/team.html",
        {
            "members": selectors.team(),
            "roles": TeamRole.choices,
            "add_form": add_form or MemberAddForm(viewer=request.user),
            "errors": errors,
        },
        status=status,
    )


@staff_only
@require_http_methods(["GET", "POST"])
def team(request):
    form = MemberAddForm(posted(request), viewer=request.user)
    if done := submit(
        request,
        form,
        lambda: services.member_add(
            actor=request.user,
            user=form.cleaned_data["member"],
            team_role=form.cleaned_data["team_role"],
        ),
        success=lambda m: f"{m.user} is on the team as {m.get_team_role_display().lower()}.",
        then="cism:team",
    ):
        return done
    return _team_page(request, add_form=form, status=400 if request.method == "POST" else 200)


def _member_action(request, form, call, *, success):
    """A button beside a member (the form names which one): the service, then back to the
    team; a refusal shows the team again with what went wrong, and nothing changed."""
    errors: list[str] = []
    if not form.is_valid():
        errors.append("Choose a member and what to change; nothing changed.")
    elif (member := selectors.member_for_staff(form.cleaned_data["member"])) is None:
        errors.append("That person is no longer on the team; nothing changed.")
    else:
        try:
            result = call(member)
        except ValidationError as exc:
            errors.extend(exc.messages)
        else:
            messages.success(request, success(result))
            return redirect("cism:team")
    return _team_page(request, errors=errors, status=400)


@staff_only
@require_http_methods(["GET", "POST"])
def member_role(request):
    if request.method == "GET":
        return redirect("cism:team")
    form = MemberRoleForm(request.POST)
    return _member_action(
        request,
        form,
        lambda member: services.member_change_role(
            actor=request.user, member=member, team_role=form.cleaned_data["team_role"]
        ),
        success=lambda m: f"{m.user} is now {m.get_team_role_display().lower()}.",
    )


@staff_only
@require_POST
def member_remove(request):
    def remove(member):
        services.member_remove(actor=request.user, member=member)
        return member

    return _member_action(
        request,
        MemberRemoveForm(request.POST),
        remove,
        success=lambda m: f"{m.user} is off the team.",
    )


# --- Activations ---------------------------------------------------------------------------


@staff_only
@require_GET
def board(request):
    return render(
        request,
        "cism/board.html",
        {
            "activations": selectors.activations(),
            "team_size": len(selectors.team()),
            "minimum": selectors.team_minimum(),
        },
    )


@staff_only
@require_http_methods(["GET", "POST"])
def activate(request):
    form = ActivateForm(posted(request))
    errors: list[str] = []
    if done := submit(
        request,
        form,
        lambda: services.activation_start(actor=request.user, **form.cleaned_data),
        success="The team is activated: every member has been alerted.",
        then=_detail_url,
        errors=errors,
    ):
        return done
    return render_form(
        request,
        "cism/activate.html",
        {"form": form, "errors": errors, "team_size": len(selectors.team())},
    )


def _detail(request, activation, *, status=200, errors=(), **forms):
    if request.method == "POST" and not activation.is_active and not errors:
        errors = ["The team has stood down; this activation can no longer be changed."]
    callouts = selectors.callouts_of(activation)
    sessions = selectors.sessions_of(activation)
    counts = selectors.answer_counts(callouts)
    context = {
        "activation": activation,
        "callouts": callouts,
        "counts": counts,
        "assembled_now": selectors.is_assembled_now(counts),
        "may_remind": selectors.may_remind(activation, counts),
        "sessions": sessions,
        "timings": selectors.timings(activation, sessions),
        "minimum": selectors.team_minimum(),
        "realert_minutes": settings.CISM_REALERT_MINUTES,
        "realert_times": settings.CISM_REALERT_TIMES,
        "now": timezone.now(),
        "session_form": forms.get("session_form")
        or SessionForm(initial={"starts_at": default_session_start()}),
        "outreach_form": forms.get("outreach_form"),
        "stand_down_form": forms.get("stand_down_form") or StandDownForm(),
        "errors": errors,
    }
    return render(request, "cism/detail.html", context, status=status)


@staff_only
@require_GET
def detail(request, public_id):
    activation = selectors.activation_for_staff(public_id)
    record(actor=request.user, action=AuditAction.CISM_VIEWED, target=activation)
    return _detail(request, activation)


@staff_only
@require_http_methods(["GET", "POST"])
def session_add(request, public_id):
    activation = selectors.activation_for_staff(public_id)
    if request.method == "GET":
        return redirect(_detail_url(activation))
    form = SessionForm(request.POST)
    errors: list[str] = []
    if done := submit(
        request,
        form,
        lambda: services.session_schedule(
            actor=request.user, activation=activation, **form.cleaned_data
        ),
        success=lambda s: f"{s.get_kind_display()} scheduled.",
        then=_detail_url(activation),
        errors=errors,
    ):
        return done
    return _detail(
        request, activation, status=400, errors=errors, session_form=None if errors else form
    )


@staff_only
@require_http_methods(["GET", "POST"])
def attendance(request, session_id: int):
    session = selectors.session_for_staff(session_id)
    activation = session.activation
    if request.method == "GET":
        return redirect(_detail_url(activation))
    return gatherings.attendance_submit(
        request,
        lambda count: services.session_attendance(
            actor=request.user, session=session, attendance=count
        ),
        then=_detail_url(activation),
        refused=lambda errors: _detail(request, activation, status=400, errors=errors),
    )


@staff_only
@require_POST
def open_outreach(request, public_id):
    activation = selectors.activation_for_staff(public_id)
    form = OutreachForm(request.POST)
    errors: list[str] = []
    if done := submit(
        request,
        form,
        lambda: services.outreach_open_for(actor=request.user, activation=activation),
        success="Outreach opened for this incident. Add the people affected there.",
        then=_detail_url(activation),
        errors=errors,
    ):
        return done
    return _detail(request, activation, status=400, errors=errors, outreach_form=form)


@staff_only
@require_POST
def remind(request, public_id):
    """Alert again, at once, those who have not answered (rate-limited by the service)."""
    activation = selectors.activation_for_staff(public_id)
    form = RemindForm(request.POST)
    errors: list[str] = []
    if done := submit(
        request,
        form,
        lambda: services.activation_remind(actor=request.user, activation=activation),
        success=lambda n: (
            "The member who has not answered has been alerted again."
            if n == 1
            else f"The {n} members who have not answered have been alerted again."
        ),
        then=_detail_url(activation),
        errors=errors,
    ):
        return done
    return _detail(request, activation, status=400, errors=errors or form.errors["confirm"])


@staff_only
@require_http_methods(["GET", "POST"])
def stand_down(request, public_id):
    activation = selectors.activation_for_staff(public_id)
    if request.method == "GET":
        return redirect(_detail_url(activation))
    form = StandDownForm(request.POST)
    errors: list[str] = []
    if done := submit(
        request,
        form,
        lambda: services.activation_stand_down(
            actor=request.user, activation=activation, summary=form.cleaned_data["summary"]
        ),
        success="The team has stood down.",
        then=_detail_url(activation),
        errors=errors,
    ):
        return done
    return _detail(request, activation, status=400, errors=errors, stand_down_form=form)


@staff_only
@require_GET
def export(request):
    """The activation log as CSV: timings and counts only."""
    rows = selectors.csv_rows()
    record(actor=request.user, action=AuditAction.CISM_EXPORTED, details={"activations": len(rows)})
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="cism-activations-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(selectors.CSV_HEADER)
    writer.writerows(rows)
    return response


# --- The member's side ---------------------------------------------------------------------


@members_only
@require_GET
def mine(request):
    return render(request, "cism/mine.html", {"callouts": selectors.callouts_for(request.user)})


def _callout_page(request, callout, *, status=200, errors=()):
    activation = callout.activation
    may_read = selectors.may_read(callout)
    return render(
        request,
        "cism/callout.html",
        {
            "callout": callout,
            "activation": activation,
            "may_read": may_read,
            "sessions": selectors.sessions_of(activation) if may_read else [],
            "errors": errors,
        },
        status=status,
    )


@members_only
@require_http_methods(["GET", "POST"])
def callout(request, callout_id: int):
    """The member's call-out: what happened, the sessions, and (POST) their answer, which they
    may change until the team stands down."""
    held = selectors.callout_for(request.user, callout_id)
    if request.method == "GET":
        record(
            actor=request.user,
            action=AuditAction.CISM_VIEWED,
            target=held.activation,
            details={"callout_id": held.pk},
        )
        return _callout_page(request, held)
    form = AnswerForm(request.POST)
    errors: list[str] = []
    if done := submit(
        request,
        form,
        lambda: services.callout_answer(actor=request.user, callout=held, accept=form.accept),
        success=lambda c: (
            "Accepted. The sessions' times and places are below."
            if c.answer == "accepted"
            else "Declined. Thank you for answering."
        ),
        then=lambda c: (
            reverse("cism:callout", args=[c.pk]) if c.answer == "accepted" else reverse("cism:mine")
        ),
        errors=errors,
    ):
        return done
    if not errors:
        errors = ["Accept or decline."]
    return _callout_page(request, held, status=400, errors=errors)
