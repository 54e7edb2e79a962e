"""Selection pages: nominating, the nominee's answer and timeline, the coordinator's board and
the pages where each person in the pipeline acts (coordinator, panelist, supervisor, BHS
manager, Chief). Every action page is a GET showing the form and a POST calling one service.

Ids in URLs are looked up through selectors_selection, which answer 404 to anyone outside the
rule (a panelist not on the panel, a supervisor not in the chain).
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import roles_required
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.web.forms import apply_service_errors

from . import selectors_selection as selectors
from . import services_selection as services
from .forms_selection import (
    AnswerForm,
    DecisionForm,
    NominationForm,
    ReasonForm,
    RoundForm,
    ScheduleForm,
    ScoreForm,
    YesNoForm,
)
from .models import Candidacy

Stage = Candidacy.Stage
STAFF = (Role.COORDINATOR, Role.BHS_MANAGER, Role.CHIEF)
IN_PIPELINE = (
    Role.EMPLOYEE,
    Role.PANELIST,
    Role.SUPERVISOR,
    Role.COORDINATOR,
    Role.BHS_MANAGER,
    Role.CHIEF,
)


# --- What waits for me ------------------------------------------------------------------------


@roles_required(*IN_PIPELINE)
@require_GET
def tasks(request):
    return render(
        request,
        "roster/selection/tasks.html",
        {
            "tasks": selectors.tasks_for(request.user),
            "nominations": selectors.nominations_made(request.user),
        },
    )


# --- Nominating -------------------------------------------------------------------------------


@roles_required(Role.EMPLOYEE)
@require_http_methods(["GET", "POST"])
def nominate(request):
    is_open, current_round = services.nominations_open_on(timezone.localdate())
    form = NominationForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.nomination_create(
                    actor=request.user,
                    nominee=form.cleaned_data["colleague"],
                    reason=form.cleaned_data["reason"],
                    hide_from_nominee=form.cleaned_data["hide_from_nominee"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request, "Thank you: your nomination is recorded and the coordinator sees it."
                )
                return redirect("selection:tasks")
        status = 400
    return render(
        request,
        "roster/selection/nominate.html",
        {"form": form, "is_open": is_open, "round": current_round},
        status=status,
    )


# --- The candidate ----------------------------------------------------------------------------


def _mine(request, *, answer_form=None, withdraw_form=None, status=200):
    candidacy = selectors.own_candidacy(request.user)
    context = {"candidacy": candidacy}
    if candidacy is not None:
        context["timeline"] = selectors.timeline_for_candidate(candidacy)
        context["answer_form"] = answer_form or AnswerForm()
        context["withdraw_form"] = withdraw_form or ReasonForm()
    return render(request, "roster/selection/mine.html", context, status=status)


@roles_required(Role.EMPLOYEE)
@require_GET
def mine(request):
    return _mine(request)


@roles_required(Role.EMPLOYEE)
@require_POST
def answer(request):
    candidacy = selectors.own_candidacy(request.user)
    if candidacy is None:
        return redirect("selection:mine")
    form = AnswerForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.candidacy_answer(
                actor=request.user,
                candidacy=candidacy,
                accept=data["answer"] == "accept",
                motivation=data["motivation"],
                experience=data["experience"],
                availability_note=data["availability_note"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            accepted = data["answer"] == "accept"
            messages.success(
                request,
                "Thank you: the coordinator will schedule your interview."
                if accepted
                else "Your answer is recorded. Thank you for considering it.",
            )
            return redirect("selection:mine")
    return _mine(request, answer_form=form, status=400)


@roles_required(Role.EMPLOYEE)
@require_POST
def withdraw_own(request):
    candidacy = selectors.own_candidacy(request.user)
    if candidacy is None:
        return redirect("selection:mine")
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.candidacy_withdraw(
                actor=request.user, candidacy=candidacy, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "You have withdrawn from selection.")
            return redirect("selection:mine")
    return _mine(request, withdraw_form=form, status=400)


# --- The coordinator, BHS manager and Chief ---------------------------------------------------


@roles_required(*STAFF)
@require_GET
def board(request):
    columns, outcomes = selectors.board()
    return render(
        request,
        "roster/selection/board.html",
        {"columns": columns, "outcomes": outcomes, "total": sum(c.count for c in columns)},
    )


@roles_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def rounds(request):
    form = RoundForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.nomination_round_open(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "The nomination round is set.")
                return redirect("selection:rounds")
        status = 400
    return render(
        request,
        "roster/selection/rounds.html",
        {
            "form": form,
            "rounds": selectors.nomination_rounds(),
            "mode": settings.SELECTION_NOMINATIONS,
            "today": timezone.localdate(),
        },
        status=status,
    )


@roles_required(*STAFF)
@require_GET
def candidacy(request, candidacy_id: int):
    item = selectors.candidacy_for_staff(request.user, candidacy_id)
    notes = selectors.may_read_notes(request.user)
    interviews = list(item.interviews.all())
    if notes and any(i.scores.all() for i in interviews):
        record(
            actor=request.user,
            action=AuditAction.SELECTION_NOTES_VIEWED,
            target=item,
            details={"interviews": [i.pk for i in interviews]},
        )
    return render(
        request,
        "roster/selection/candidacy.html",
        {
            "candidacy": item,
            "interviews": interviews,
            "show_notes": notes,
            "is_coordinator": request.user.has_role(Role.COORDINATOR),
            "is_bhs": request.user.has_role(Role.BHS_MANAGER),
            "is_chief": request.user.has_role(Role.CHIEF),
            "waited": timezone.now() - item.stage_changed_at,
        },
    )


# --- Action pages -----------------------------------------------------------------------------


@dataclass
class Action:
    title: str
    submit: str
    intro: str = ""


def _action_page(request, *, candidacy, form, action: Action, back: str, extra=None, status=200):
    context = {"candidacy": candidacy, "form": form, "action": action, "back": back}
    context.update(extra or {})
    return render(request, "roster/selection/action.html", context, status=status)


def _run(request, form, call, *, success: str, to: str):
    """Validate, call the service, and say what happened; None when the page must be shown
    again with the errors."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        call()
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return None
    messages.success(request, success)
    return redirect(to)


def _staff_back(candidacy) -> str:
    return reverse("selection:candidacy", args=[candidacy.pk])


@roles_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def schedule(request, candidacy_id: int):
    item = selectors.candidacy_for_staff(request.user, candidacy_id)
    form = ScheduleForm(
        request.POST if request.method == "POST" else None, panelists=selectors.panelist_choices()
    )
    done = _run(
        request,
        form,
        lambda: services.interview_schedule(
            actor=request.user,
            candidacy=item,
            at=form.cleaned_data["at"],
            place=form.cleaned_data["place"],
            panelists=list(form.cleaned_data["panelists"]),
        ),
        success="The interview is scheduled; the panelists and the candidate are told.",
        to=_staff_back(item),
    )
    return done or _action_page(
        request,
        candidacy=item,
        form=form,
        action=Action(f"Schedule {item.name}'s interview", "Schedule the interview"),
        back=_staff_back(item),
        status=400 if request.method == "POST" else 200,
    )


@roles_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def decide(request, candidacy_id: int):
    item = selectors.candidacy_for_staff(request.user, candidacy_id)
    form = DecisionForm(request.POST if request.method == "POST" else None)
    done = _run(
        request,
        form,
        lambda: services.interview_decide(
            actor=request.user,
            candidacy=item,
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
        ),
        success="The panel's decision is recorded.",
        to=_staff_back(item),
    )
    return done or _action_page(
        request,
        candidacy=item,
        form=form,
        action=Action(
            f"Record the panel's decision on {item.name}",
            "Record the decision",
            "Selected sends the request to serve up the candidate's chain of command.",
        ),
        back=_staff_back(item),
        status=400 if request.method == "POST" else 200,
    )


@roles_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def skip(request, candidacy_id: int):
    item = selectors.candidacy_for_staff(request.user, candidacy_id)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    done = _run(
        request,
        form,
        lambda: services.chain_skip(
            actor=request.user, candidacy=item, reason=form.cleaned_data["reason"]
        ),
        success="The level is skipped; the request goes on.",
        to=_staff_back(item),
    )
    return done or _action_page(
        request,
        candidacy=item,
        form=form,
        action=Action(
            f"Skip level {item.chain_position + 1} of {item.name}'s chain of command",
            "Skip this level",
            "For a vacant post or a supervisor who is absent. The reason is recorded.",
        ),
        back=_staff_back(item),
        status=400 if request.method == "POST" else 200,
    )


@roles_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def withdraw(request, candidacy_id: int):
    item = selectors.candidacy_for_staff(request.user, candidacy_id)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    done = _run(
        request,
        form,
        lambda: services.candidacy_withdraw(
            actor=request.user, candidacy=item, reason=form.cleaned_data["reason"]
        ),
        success="The candidacy is withdrawn.",
        to=_staff_back(item),
    )
    return done or _action_page(
        request,
        candidacy=item,
        form=form,
        action=Action(f"Withdraw {item.name}'s candidacy", "Withdraw the candidacy"),
        back=_staff_back(item),
        status=400 if request.method == "POST" else 200,
    )


@roles_required(Role.PANELIST)
@require_http_methods(["GET", "POST"])
def score(request, candidacy_id: int):
    item, interview = selectors.candidacy_for_panelist(request.user, candidacy_id)
    form = ScoreForm(request.POST if request.method == "POST" else None, interview=interview)
    done = _run(
        request,
        form,
        lambda: services.interview_score(
            actor=request.user,
            interview=interview,
            scores=form.scores(),
            notes=form.cleaned_data["notes"],
        ),
        success="Your scores and notes are recorded.",
        to=reverse("selection:tasks"),
    )
    return done or _action_page(
        request,
        candidacy=item,
        form=form,
        action=Action(
            f"Score {item.name}'s interview",
            "Record my scores",
            f"Score each criterion from 1 (weak) to {interview.score_max} (strong). You score "
            "once; your scores and notes are never shown to the candidate.",
        ),
        back=reverse("selection:tasks"),
        extra={"interview": interview},
        status=400 if request.method == "POST" else 200,
    )


@roles_required(Role.SUPERVISOR)
@require_http_methods(["GET", "POST"])
def endorse(request, candidacy_id: int):
    item, steps = selectors.candidacy_for_supervisor(request.user, candidacy_id)
    form = YesNoForm(
        request.POST if request.method == "POST" else None,
        yes="I endorse the request",
        no="I decline the request",
        label="Your answer",
    )
    done = _run(
        request,
        form,
        lambda: services.chain_answer(
            actor=request.user,
            candidacy=item,
            endorse=form.yes,
            comment=form.cleaned_data["comment"],
        ),
        success="Your answer is recorded.",
        to=reverse("selection:tasks"),
    )
    return done or _action_page(
        request,
        candidacy=item,
        form=form,
        action=Action(
            f"{item.name}'s request to serve as a peer supporter",
            "Give my answer",
            "An interview panel selected this colleague. The request goes up their chain of "
            "command one level at a time; a decline stops it unless the BHS manager overrides.",
        ),
        back=reverse("selection:tasks"),
        extra={"steps": steps},
        status=400 if request.method == "POST" else 200,
    )


@roles_required(Role.BHS_MANAGER)
@require_http_methods(["GET", "POST"])
def override(request, candidacy_id: int):
    item = selectors.candidacy_for_staff(request.user, candidacy_id)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    done = _run(
        request,
        form,
        lambda: services.chain_override(
            actor=request.user, candidacy=item, reason=form.cleaned_data["reason"]
        ),
        success="The decline is overridden; the request goes on.",
        to=_staff_back(item),
    )
    return done or _action_page(
        request,
        candidacy=item,
        form=form,
        action=Action(
            f"Override the decline in {item.name}'s chain of command",
            "Override the decline",
            "The request goes on to the next level. Your reason is recorded.",
        ),
        back=_staff_back(item),
        status=400 if request.method == "POST" else 200,
    )


@roles_required(Role.BHS_MANAGER)
@require_http_methods(["GET", "POST"])
def recommend(request, candidacy_id: int):
    item = selectors.candidacy_for_staff(request.user, candidacy_id)
    form = YesNoForm(
        request.POST if request.method == "POST" else None,
        yes="Recommend to the Chief",
        no="Do not recommend",
        label="Your recommendation",
    )
    done = _run(
        request,
        form,
        lambda: services.candidacy_recommend(
            actor=request.user,
            candidacy=item,
            recommend=form.yes,
            comment=form.cleaned_data["comment"],
        ),
        success="Your recommendation is recorded.",
        to=_staff_back(item),
    )
    return done or _action_page(
        request,
        candidacy=item,
        form=form,
        action=Action(f"Recommend {item.name} to the Chief", "Record my recommendation"),
        back=_staff_back(item),
        status=400 if request.method == "POST" else 200,
    )


@roles_required(Role.CHIEF)
@require_http_methods(["GET", "POST"])
def approve(request, candidacy_id: int):
    item = selectors.candidacy_for_staff(request.user, candidacy_id)
    form = YesNoForm(
        request.POST if request.method == "POST" else None,
        yes="Approve: appoint as a peer supporter",
        no="Refuse",
        label="Your decision",
    )
    done = _run(
        request,
        form,
        lambda: services.candidacy_decide(
            actor=request.user,
            candidacy=item,
            approve=form.yes,
            comment=form.cleaned_data["comment"],
        ),
        success="Your decision is recorded.",
        to=_staff_back(item),
    )
    return done or _action_page(
        request,
        candidacy=item,
        form=form,
        action=Action(
            f"Appoint {item.name} as a peer supporter?",
            "Record my decision",
            "Approval appoints the candidate; they become active once initial training is "
            "complete.",
        ),
        back=_staff_back(item),
        status=400 if request.method == "POST" else 200,
    )
