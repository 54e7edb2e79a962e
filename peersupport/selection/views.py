"""Selection pages: nominating, the nominee's answer and timeline, the coordinator's board and
the pages where each person in the pipeline acts (coordinator, panelist, supervisor, BHS
manager, Chief). Every action page is a GET showing the form and a POST calling one service.

Ids in URLs are looked up through selectors, which answer 404 to anyone outside the
rule (a panelist not on the panel, a supervisor not in the chain).
"""

from dataclasses import dataclass

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import roles_required
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.web.forms import posted, render_form, submit
from peersupport.web.navigation import address_of
from peersupport.web.rows import text

from . import selectors, services
from .forms import (
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
        "selection/tasks.html",
        {
            "tasks": selectors.tasks_for(request.user),
            "nominations": selectors.nominations_made(request.user),
        },
    )


# --- Nominating -------------------------------------------------------------------------------


@roles_required(Role.EMPLOYEE)
@require_http_methods(["GET", "POST"])
def nominate(request):
    is_open, current_round = selectors.nominations_open_on(timezone.localdate())
    form = NominationForm(posted(request), viewer=request.user)
    if done := submit(
        request,
        form,
        lambda: services.nomination_create(
            actor=request.user,
            nominee=form.cleaned_data["nominee"],
            reason=form.cleaned_data["reason"],
            hide_from_nominee=form.cleaned_data["hide_from_nominee"],
        ),
        success="Thank you: your nomination is recorded and the coordinator sees it.",
        then="selection:tasks",
    ):
        return done
    return render_form(
        request,
        "selection/nominate.html",
        {"form": form, "is_open": is_open, "round": current_round},
    )


# --- The candidate ----------------------------------------------------------------------------


def _mine(request, *, answer_form=None, withdraw_form=None, status=200):
    candidacy = selectors.own_candidacy(request.user)
    context = {"candidacy": candidacy}
    if candidacy is not None:
        context["timeline"] = selectors.timeline_for_candidate(candidacy)
        context["answer_form"] = answer_form or AnswerForm()
        context["withdraw_form"] = withdraw_form or ReasonForm()
    return render(request, "selection/mine.html", context, status=status)


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
    if done := submit(
        request,
        form,
        lambda: services.candidacy_answer(
            actor=request.user,
            candidacy=candidacy,
            accept=form.cleaned_data["answer"] == "accept",
            motivation=form.cleaned_data["motivation"],
            experience=form.cleaned_data["experience"],
            availability_note=form.cleaned_data["availability_note"],
        ),
        success=lambda _: (
            "Thank you: the coordinator will schedule your interview."
            if form.cleaned_data["answer"] == "accept"
            else "Your answer is recorded. Thank you for considering it."
        ),
        then="selection:mine",
    ):
        return done
    return _mine(request, answer_form=form, status=400)


@roles_required(Role.EMPLOYEE)
@require_POST
def withdraw_own(request):
    candidacy = selectors.own_candidacy(request.user)
    if candidacy is None:
        return redirect("selection:mine")
    form = ReasonForm(request.POST)
    if done := submit(
        request,
        form,
        lambda: services.candidacy_withdraw(
            actor=request.user, candidacy=candidacy, reason=form.cleaned_data["reason"]
        ),
        success="You have withdrawn from selection.",
        then="selection:mine",
    ):
        return done
    return _mine(request, withdraw_form=form, status=400)


# --- The coordinator, BHS manager and Chief ---------------------------------------------------


@roles_required(*STAFF)
@require_GET
def board(request):
    columns, outcomes = selectors.board()
    return render(
        request,
        "selection/board.html",
        {
            "columns": [(column, board_cards(column.candidacies)) for column in columns],
            "outcomes": outcomes,
            "total": sum(c.count for c in columns),
        },
    )


def _plural(n: int) -> str:
    return "" if n == 1 else "s"


def _board_card(c: selectors.BoardCard) -> str:
    waited = c.waited.days
    card = (
        f'<li><a href="{text(address_of("selection:candidacy", c.pk))}">{text(c.name)}</a>'
        f'<br><span class="hint">{text(c.unit)} · waiting {waited} day{_plural(waited)}'
        f" · {c.nominator_count} nominator{_plural(c.nominator_count)}</span>"
    )
    if c.overdue_days is not None:
        held = date_format(timezone.localtime(c.interview_at), "j M Y")
        card += (
            '<br><strong class="tag tag--overdue">Interview overdue</strong> <span class="hint">'
            f"held {held}, {c.overdue_days} day{_plural(c.overdue_days)} ago, no decision</span>"
        )
    card += "".join(
        f'<br><span class="hint">{text(words)}: skipped</span>' for words in c.no_holder
    )
    return card + "</li>"


def board_cards(cards: list[selectors.BoardCard]) -> SafeString:
    """A column's cards, one ``li`` each, written in Python: as a template loop they cost most
    of the board. Every value from the database goes through ``text`` (web.rows)."""
    return mark_safe("".join(map(_board_card, cards)))  # noqa: S308 (escaped)


@roles_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def rounds(request):
    form = RoundForm(posted(request))
    if done := submit(
        request,
        form,
        lambda: services.nomination_round_open(actor=request.user, **form.cleaned_data),
        success="The nomination round is set.",
        then="selection:rounds",
    ):
        return done
    return render_form(
        request,
        "selection/rounds.html",
        {
            "form": form,
            "rounds": selectors.nomination_rounds(),
            "mode": settings.SELECTION_NOMINATIONS,
            "today": timezone.localdate(),
        },
    )


def _evidence(request, item: Candidacy) -> dict:
    """What a staff member may read of a candidacy fetched by ``selectors.candidacy_for_staff``
    (the partial ``selection/_evidence.html``): interviews with their scores and decisions, the
    chain of command level by level with comments and overrides, the history with reasons;
    panel notes only for the note readers, each reading audited."""
    notes = selectors.may_read_notes(request.user)
    interviews = list(item.interviews.all())
    if notes and any(i.scores.all() for i in interviews):
        record(
            actor=request.user,
            action=AuditAction.SELECTION_NOTES_VIEWED,
            target=item,
            details={"interviews": [i.pk for i in interviews]},
        )
    return {"interviews": interviews, "show_notes": notes}


@roles_required(*STAFF)
@require_GET
def candidacy(request, candidacy_id: int):
    item = selectors.candidacy_for_staff(request.user, candidacy_id)
    return render(
        request,
        "selection/candidacy.html",
        {
            "candidacy": item,
            **_evidence(request, item),
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
    # A decision: a valid answer is shown back for confirmation before it is recorded.
    confirm: str = ""


CONFIRMED = "confirmed"  # the confirmation page's button (name and value)
CHANGE = "change"  # its "change my answer" button


def _summary(form) -> list[tuple[str, str]]:
    """The answer in a valid ``form`` as (label, what was chosen or written), for confirming."""
    rows = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        choices = dict(getattr(field, "choices", ()) or ())
        rows.append((field.label or name.capitalize(), choices.get(value, value)))
    return rows


def _act(
    request,
    *,
    candidacy,
    form,
    call,
    success: str,
    action: Action,
    back: str,
    extra=None,
    evidence=False,
):
    """An action page: a valid POST calls the service (``call``) and goes ``back`` saying
    ``success``; otherwise the form is shown, again with its errors (400) after a POST.

    ``evidence``: the page shows the candidacy's evidence (``_evidence``; ``candidacy`` from
    ``selectors.candidacy_for_staff``), read only when the page is shown.

    When ``action.confirm`` is set, a valid answer is first shown back (200) with the form's
    values carried in hidden fields: *confirm* records it, *change* shows the form again
    filled in. Nothing is recorded until it is confirmed."""
    context = {"candidacy": candidacy, "form": form, "action": action, "back": back}
    context.update(extra or {})
    if action.confirm and request.method == "POST" and request.POST.get(CONFIRMED) != CONFIRMED:
        if CHANGE in request.POST:
            if evidence:
                context.update(_evidence(request, candidacy))
            return render(request, "selection/action.html", context)
        if form.is_valid():
            context.update(confirming=True, summary=_summary(form))
            return render(request, "selection/action.html", context)
    if done := submit(request, form, call, success=success, then=back):
        return done
    if evidence:  # read (and its reading of notes audited) only on the page that shows it
        context.update(_evidence(request, candidacy))
    return render_form(request, "selection/action.html", context)


def _staff_back(candidacy) -> str:
    return reverse("selection:candidacy", args=[candidacy.pk])


@roles_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def schedule(request, candidacy_id: int):
    item = selectors.candidacy_brief_for_staff(request.user, candidacy_id)
    form = ScheduleForm(posted(request), panelists=selectors.panelist_choices())
    return _act(
        request,
        candidacy=item,
        form=form,
        call=lambda: services.interview_schedule(
            actor=request.user,
            candidacy=item,
            at=form.cleaned_data["at"],
            place=form.cleaned_data["place"],
            panelists=list(form.cleaned_data["panelists"]),
        ),
        success="The interview is scheduled; the panelists and the candidate are told.",
        action=Action(f"Schedule {item.name}'s interview", "Schedule the interview"),
        back=_staff_back(item),
    )


@roles_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def decide(request, candidacy_id: int):
    item = selectors.candidacy_for_staff(request.user, candidacy_id)
    form = DecisionForm(posted(request))
    return _act(
        request,
        candidacy=item,
        form=form,
        call=lambda: services.interview_decide(
            actor=request.user,
            candidacy=item,
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
        ),
        success="The panel's decision is recorded.",
        action=Action(
            f"Record the panel's decision on {item.name}",
            "Record the decision",
            "Selected sends the request to serve up the candidate's chain of command.",
            confirm="Record the panel's decision",
        ),
        back=_staff_back(item),
        evidence=True,
        extra={
            "not_yet": _not_held(
                next(iter(item.interviews.all()), None), "record the panel's decision"
            ),
        },
    )


@roles_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def skip(request, candidacy_id: int):
    item = selectors.candidacy_for_staff(request.user, candidacy_id)
    form = ReasonForm(posted(request))
    return _act(
        request,
        candidacy=item,
        form=form,
        call=lambda: services.chain_skip(
            actor=request.user, candidacy=item, reason=form.cleaned_data["reason"]
        ),
        success="The level is skipped; the request goes on.",
        action=Action(
            f"Skip level {item.chain_position + 1} of {item.name}'s chain of command",
            "Skip this level",
            "For a vacant post or a supervisor who is absent. The reason is recorded.",
        ),
        back=_staff_back(item),
    )


@roles_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def withdraw(request, candidacy_id: int):
    item = selectors.candidacy_for_staff(request.user, candidacy_id)
    form = ReasonForm(posted(request))
    return _act(
        request,
        candidacy=item,
        form=form,
        call=lambda: services.candidacy_withdraw(
            actor=request.user, candidacy=item, reason=form.cleaned_data["reason"]
        ),
        success="The candidacy is withdrawn.",
        action=Action(f"Withdraw {item.name}'s candidacy", "Withdraw the candidacy"),
        back=_staff_back(item),
    )


@roles_required(Role.PANELIST)
@require_http_methods(["GET", "POST"])
def score(request, candidacy_id: int):
    item, interview = selectors.candidacy_for_panelist(request.user, candidacy_id)
    form = ScoreForm(posted(request), interview=interview)
    return _act(
        request,
        candidacy=item,
        form=form,
        call=lambda: services.interview_score(
            actor=request.user,
            interview=interview,
            scores=form.scores(),
            notes=form.cleaned_data["notes"],
        ),
        success="Your scores and notes are recorded.",
        action=Action(
            f"Score {item.name}'s interview",
            "Record my scores",
            f"Score each criterion from 1 (weak) to {interview.score_max} (strong). You score "
            "once; your scores and notes are never shown to the candidate.",
        ),
        back=reverse("selection:tasks"),
        extra={"interview": interview, "not_yet": _not_held(interview, "score it")},
    )


def _not_held(interview, what: str) -> str:
    """While ``interview`` is still to come: why ``what`` must wait (the form is not shown)."""
    if interview is None or interview.at <= timezone.now():
        return ""
    when = timezone.localtime(interview.at).strftime("%A %d %B %Y at %H:%M")
    return f"The interview is scheduled for {when}: you can {what} once it has taken place."


@roles_required(Role.SUPERVISOR)
@require_http_methods(["GET", "POST"])
def endorse(request, candidacy_id: int):
    item, steps = selectors.candidacy_for_supervisor(request.user, candidacy_id)
    form = YesNoForm(
        posted(request),
        yes="I endorse the request",
        no="I decline the request",
        label="Your answer",
    )
    return _act(
        request,
        candidacy=item,
        form=form,
        call=lambda: services.chain_answer(
            actor=request.user,
            candidacy=item,
            endorse=form.yes,
            comment=form.cleaned_data["comment"],
        ),
        success="Your answer is recorded.",
        action=Action(
            f"{item.name}'s request to serve as a peer supporter",
            "Give my answer",
            "An interview panel selected this colleague. The request goes up their chain of "
            "command one level at a time; a decline stops it unless the BHS manager overrides.",
        ),
        back=reverse("selection:tasks"),
        extra={"steps": steps},
    )


@roles_required(Role.BHS_MANAGER)
@require_http_methods(["GET", "POST"])
def override(request, candidacy_id: int):
    item = selectors.candidacy_for_staff(request.user, candidacy_id)
    form = ReasonForm(posted(request))
    return _act(
        request,
        candidacy=item,
        form=form,
        call=lambda: services.chain_override(
            actor=request.user, candidacy=item, reason=form.cleaned_data["reason"]
        ),
        success="The decline is overridden; the request goes on.",
        action=Action(
            f"Override the decline in {item.name}'s chain of command",
            "Override the decline",
            "The request goes on to the next level. Your reason is recorded and the candidate "
            "is told that the request goes on.",
            confirm="Override the decline",
        ),
        back=_staff_back(item),
        evidence=True,
    )


@roles_required(Role.BHS_MANAGER)
@require_http_methods(["GET", "POST"])
def recommend(request, candidacy_id: int):
    item = selectors.candidacy_for_staff(request.user, candidacy_id)
    form = YesNoForm(
        posted(request),
        yes="Recommend to the Chief",
        no="Do not recommend",
        label="Your recommendation",
    )
    return _act(
        request,
        candidacy=item,
        form=form,
        call=lambda: services.candidacy_recommend(
            actor=request.user,
            candidacy=item,
            recommend=form.yes,
            comment=form.cleaned_data["comment"],
        ),
        success="Your recommendation is recorded.",
        action=Action(
            f"Recommend {item.name} to the Chief",
            "Record my recommendation",
            "Read the evidence below: the panel's scores and decision, each level of the chain "
            "of command and any override, and the comments so far.",
            confirm="Record my recommendation",
        ),
        back=_staff_back(item),
        evidence=True,
    )


@roles_required(Role.CHIEF)
@require_http_methods(["GET", "POST"])
def approve(request, candidacy_id: int):
    item = selectors.candidacy_for_staff(request.user, candidacy_id)
    form = YesNoForm(
        posted(request),
        yes="Approve: appoint as a peer supporter",
        no="Refuse",
        label="Your decision",
    )
    return _act(
        request,
        candidacy=item,
        form=form,
        call=lambda: services.candidacy_decide(
            actor=request.user,
            candidacy=item,
            approve=form.yes,
            comment=form.cleaned_data["comment"],
        ),
        success="Your decision is recorded.",
        action=Action(
            f"Appoint {item.name} as a peer supporter?",
            "Record my decision",
            "Approval appoints the candidate; they become active once initial training is "
            "complete. Read the evidence below: the panel's scores and decision, each level of "
            "the chain of command and any override, and the BHS manager's recommendation.",
            confirm="Record my decision",
        ),
        back=_staff_back(item),
        evidence=True,
    )
