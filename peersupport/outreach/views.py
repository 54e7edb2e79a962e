"""Outreach pages. The coordinator and the BHS manager open and run an outreach (the board, the
outreach page with its people, assignments, plans and group sessions, closing); supporters see
the people they are assigned to, accept, and record their attempts.

Every action URL takes POST; a GET of one leads back to the page it lives on.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import roles_required
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.governance.notice import current_notice
from peersupport.web import gatherings
from peersupport.web.forms import act, apply_service_errors, posted, render_form, submit
from peersupport.web.pagination import paginate

from . import selectors, services
from .forms import (
    AddEmployeeForm,
    AddOtherForm,
    AnswerForm,
    AssignForm,
    AttemptForm,
    CloseForm,
    GroupSessionForm,
    OpenForm,
    PlanStepForm,
    ResponderForm,
    TaskForm,
    default_session_start,
)
from .models import Attempt, EventType
from .rows import people_html

staff_only = roles_required(Role.COORDINATOR, Role.BHS_MANAGER)


def _detail_url(outreach) -> str:
    return reverse("outreach:detail", args=[outreach.public_id])


supporter_only = roles_required(Role.PEER_SUPPORTER)


def _errors(exc: ValidationError) -> list[str]:
    return exc.messages


# --- The coordinator's side ----------------------------------------------------------------


@staff_only
@require_GET
def board(request):
    return render(
        request,
        "outreach/board.html",
        {
            "open": selectors.board(),
            "overdue": selectors.overdue_followups(),
            "closed": paginate(request, selectors.closed()),
        },
    )


@staff_only
@require_http_methods(["GET", "POST"])
def open_outreach(request):
    form = OpenForm(posted(request))
    if done := submit(
        request,
        form,
        lambda: services.outreach_open(actor=request.user, **form.cleaned_data),
        success="Outreach opened. Add the people affected.",
        then=_detail_url,
    ):
        return done
    return render_form(request, "outreach/open.html", {"form": form})


def _detail(request, outreach, *, status=200, errors=(), **forms):
    if request.method == "POST" and not outreach.is_open:
        # The forms are not on the page of a closed outreach: say why nothing happened.
        errors = [*errors, "This outreach is closed; nothing on it can be changed."]
    people = selectors.people_of(outreach)
    relatives = selectors.relatives_not_on(outreach, people)
    context = {
        "outreach": outreach,
        "people": people,
        "people_cards": people_html(people, outreach, get_token(request)),
        "relatives": relatives,
        "sessions": selectors.sessions_of(outreach),
        "employee_form": forms.get("employee_form") or AddEmployeeForm(viewer=request.user),
        "other_form": forms.get("other_form") or AddOtherForm(),
        "session_form": forms.get("session_form")
        or GroupSessionForm(initial={"starts_at": default_session_start()}),
        "close_form": forms.get("close_form") or CloseForm(),
        "responders": selectors.responders_of(outreach),
        "responder_form": forms.get("responder_form") or ResponderForm(viewer=request.user),
        "privilege": current_notice().privilege,
        "errors": errors,
    }
    return render(request, "outreach/detail.html", context, status=status)


@staff_only
@require_GET
def detail(request, public_id):
    outreach = selectors.outreach_for_staff(public_id)
    record(actor=request.user, action=AuditAction.OUTREACH_VIEWED, target=outreach)
    return _detail(request, outreach)


@staff_only
@require_http_methods(["GET", "POST"])
def person_add(request, public_id):
    outreach = selectors.outreach_for_staff(public_id)
    if request.method == "GET":
        return redirect("outreach:detail", public_id=outreach.public_id)
    kind = request.POST.get("kind")
    form = None
    try:
        if kind == "employee":
            form = AddEmployeeForm(request.POST, viewer=request.user)
            if form.is_valid():
                services.person_add(actor=request.user, outreach=outreach, employee=form.employee)
        elif kind == "family":
            member = selectors.relative_for_staff(outreach, request.POST.get("family_member"))
            if member is None:
                raise ValidationError("Choose a relative of someone on this outreach.")
            services.person_add(actor=request.user, outreach=outreach, family_member=member)
        elif kind == "other":
            form = AddOtherForm(request.POST)
            if form.is_valid():
                services.person_add(actor=request.user, outreach=outreach, **form.cleaned_data)
        else:
            raise ValidationError("Choose who to add.")
    except ValidationError as exc:
        if form is not None and hasattr(exc, "error_dict"):
            apply_service_errors(form, exc)
        else:
            return _detail(request, outreach, status=400, errors=_errors(exc))
    if form is not None and form.errors:
        key = "employee_form" if kind == "employee" else "other_form"
        return _detail(request, outreach, status=400, **{key: form})
    messages.success(request, "Added, with a follow-up plan.")
    return redirect("outreach:detail", public_id=outreach.public_id)


def _assign_page(request, person, form, *, status=200, warn=False):
    outreach = person.outreach
    suggestions = selectors.suggest_supporters(person)
    return render(
        request,
        "outreach/assign.html",
        {
            "person": person,
            "outreach": outreach,
            "form": form,
            "suggestions": suggestions,
            "privilege": current_notice().privilege,
            "warn": warn,
        },
        status=status,
    )


@staff_only
@require_http_methods(["GET", "POST"])
def assign(request, person_id: int):
    person = selectors.person_for_staff(person_id)
    form = AssignForm(request.POST if request.method == "POST" else None, viewer=request.user)
    if request.method == "GET":
        return _assign_page(request, person, form)
    warn = False

    def make():
        nonlocal warn
        try:
            return services.assignment_make(
                actor=request.user,
                person=person,
                supporter=form.cleaned_data["supporter"],
                chain_reason=form.cleaned_data["chain_reason"],
            )
        except services.ChainOfCommandWarning:
            warn = True
            raise

    if done := submit(
        request,
        form,
        make,
        success="Assigned. The supporter has been told.",
        then=_detail_url(person.outreach),
    ):
        return done
    return _assign_page(request, person, form, status=400, warn=warn)


@staff_only
@require_http_methods(["GET", "POST"])
def responder_add(request, public_id):
    """Mark a peer supporter as having responded to the incident."""
    outreach = selectors.outreach_for_staff(public_id)
    if request.method == "GET":
        return redirect("outreach:detail", public_id=outreach.public_id)
    form = ResponderForm(request.POST, viewer=request.user)
    errors: list[str] = []
    if done := submit(
        request,
        form,
        lambda: services.responder_mark(
            actor=request.user, outreach=outreach, supporter=form.cleaned_data["supporter"]
        ),
        success=lambda responder: (
            f"{responder.supporter} is marked as a responder: not suggested or assigned here."
        ),
        then=_detail_url(outreach),
        errors=errors,
    ):
        return done
    return _detail(
        request, outreach, status=400, errors=errors, responder_form=None if errors else form
    )


@staff_only
@require_POST
def responder_remove(request, public_id):
    """Marked by mistake: the button beside each responder (the form names which one)."""
    outreach = selectors.outreach_for_staff(public_id)
    responder = selectors.responder_of(outreach, request.POST.get("responder"))
    if responder is None:
        messages.error(request, "That supporter is not marked as a responder; nothing changed.")
        return redirect("outreach:detail", public_id=outreach.public_id)
    return act(
        request,
        lambda: services.responder_unmark(actor=request.user, responder=responder),
        success=f"{responder.supporter} is no longer marked as a responder.",
        then=_detail_url(outreach),
    )


@staff_only
@require_http_methods(["GET", "POST"])
def task_add(request, person_id: int):
    person = selectors.person_for_staff(person_id)
    if request.method == "GET":
        return redirect("outreach:detail", public_id=person.outreach.public_id)
    form = TaskForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(
                [f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items()]
            )
        services.task_add(actor=request.user, person=person, **form.cleaned_data)
    except ValidationError as exc:
        return _detail(request, person.outreach, status=400, errors=_errors(exc))
    messages.success(request, "Follow-up planned.")
    return redirect("outreach:detail", public_id=person.outreach.public_id)


@staff_only
@require_http_methods(["GET", "POST"])
def person_resume(request, person_id: int):
    person = selectors.person_for_staff(person_id)
    if request.method == "POST":
        try:
            services.person_resume(actor=request.user, person=person)
        except ValidationError as exc:
            return _detail(request, person.outreach, status=400, errors=_errors(exc))
        messages.success(request, "Recorded that they asked for support. Plan a follow-up.")
    return redirect("outreach:detail", public_id=person.outreach.public_id)


@staff_only
@require_http_methods(["GET", "POST"])
def session_add(request, public_id):
    outreach = selectors.outreach_for_staff(public_id)
    if request.method == "GET":
        return redirect("outreach:detail", public_id=outreach.public_id)
    form = GroupSessionForm(request.POST)
    errors: list[str] = []
    if done := submit(
        request,
        form,
        lambda: services.group_session_schedule(
            actor=request.user, outreach=outreach, **form.cleaned_data
        ),
        success="Group session scheduled.",
        then=_detail_url(outreach),
        errors=errors,
    ):
        return done
    # After a refusal that is not about the form's fields, the form is offered afresh.
    return _detail(
        request, outreach, status=400, errors=errors, session_form=None if errors else form
    )


@staff_only
@require_http_methods(["GET", "POST"])
def session_attendance(request, session_id: int):
    session = selectors.session_for_staff(session_id)
    outreach = session.outreach
    if request.method != "POST":
        return redirect(_detail_url(outreach))
    return gatherings.attendance_submit(
        request,
        lambda attendance: services.group_session_attendance(
            actor=request.user, session=session, attendance=attendance
        ),
        then=_detail_url(outreach),
        refused=lambda errors: _detail(request, outreach, status=400, errors=errors),
    )


@staff_only
@require_http_methods(["GET", "POST"])
def close(request, public_id):
    outreach = selectors.outreach_for_staff(public_id)
    if request.method == "GET":
        return redirect("outreach:detail", public_id=outreach.public_id)
    form = CloseForm(request.POST)
    errors: list[str] = []
    if done := submit(
        request,
        form,
        lambda: services.outreach_close(
            actor=request.user, outreach=outreach, summary=form.cleaned_data["summary"]
        ),
        success="Outreach closed.",
        then="outreach:board",
        errors=errors,
    ):
        return done
    return _detail(request, outreach, status=400, errors=errors, close_form=form)


@roles_required(Role.COORDINATOR, Role.BHS_MANAGER)
@require_http_methods(["GET", "POST"])
def plans(request):
    """The follow-up plan of each event type. The coordinator changes them; the BHS manager
    reads them."""
    can_edit = request.user.has_role(Role.COORDINATOR)
    form = PlanStepForm(posted(request)) if can_edit else None
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    if done := submit(
        request,
        form,
        lambda: services.plan_step_add(actor=request.user, **form.cleaned_data),
        success="Step added. Plans already made are not changed.",
        then="outreach:plans",
    ):
        return done
    steps = selectors.plan_steps()
    by_type = [
        (label, [s for s in steps if s.event_type == value]) for value, label in EventType.choices
    ]
    return render_form(
        request, "outreach/plans.html", {"by_type": by_type, "form": form, "can_edit": can_edit}
    )


@roles_required(Role.COORDINATOR)
@require_POST
def plan_step_remove(request, step_id: int):
    step = selectors.plan_step(step_id)
    return act(
        request,
        lambda: services.plan_step_remove(actor=request.user, step=step),
        success="Step removed. Plans already made are not changed.",
        then="outreach:plans",
    )


# --- The supporter's side ------------------------------------------------------------------


@staff_only
@require_POST
def remind(request, task_id: int):
    """Remind the supporter holding an overdue follow-up (at most once a day)."""
    task = selectors.task_for_staff(task_id)
    return act(
        request,
        lambda: services.followup_remind(actor=request.user, task=task),
        success="The supporter has been reminded.",
        then="outreach:board",
    )


@supporter_only
@require_GET
def mine(request):
    return render(
        request, "outreach/mine.html", {"assignments": selectors.assignments_for(request.user)}
    )


def _assignment_page(request, assignment, *, status=200, errors=()):
    person = assignment.person
    tasks = selectors.tasks_with_attempts(person)
    return render(
        request,
        "outreach/assignment.html",
        {
            "assignment": assignment,
            "person": person,
            "outreach": person.outreach,
            "tasks": tasks,
            "outcomes": Attempt.Outcome.choices,
            "errors": errors,
        },
        status=status,
    )


@supporter_only
@require_GET
def assignment(request, assignment_id: int):
    held = selectors.assignment_for(request.user, assignment_id)
    record(
        actor=request.user,
        action=AuditAction.OUTREACH_VIEWED,
        target=held.person.outreach,
        details={"assignment_id": held.pk},
    )
    return _assignment_page(request, held)


@supporter_only
@require_http_methods(["GET", "POST"])
def assignment_answer(request, assignment_id: int):
    held = selectors.assignment_for(request.user, assignment_id)
    if request.method == "GET":
        return redirect("outreach:assignment", assignment_id=held.pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return _assignment_page(request, held, status=400, errors=["Accept or decline."])
    try:
        services.assignment_answer(actor=request.user, assignment=held, accept=form.accept)
    except ValidationError as exc:
        return _assignment_page(request, held, status=400, errors=_errors(exc))
    if form.accept:
        messages.success(request, "Accepted. Reach out before the first follow-up is due.")
        return redirect("outreach:assignment", assignment_id=held.pk)
    messages.success(request, "Declined. The coordinator will assign someone else.")
    return redirect("outreach:mine")


@supporter_only
@require_http_methods(["GET", "POST"])
def attempt(request, task_id: int):
    task = selectors.task_for_supporter(request.user, task_id)
    held = selectors.accepted_assignment_for(request.user, task.person)
    if request.method == "GET":
        return redirect("outreach:assignment", assignment_id=held.pk)
    form = AttemptForm(request.POST)
    if form.is_valid():
        try:
            services.attempt_record(
                actor=request.user, task=task, outcome=form.cleaned_data["outcome"]
            )
        except ValidationError as exc:
            return _assignment_page(request, held, status=400, errors=_errors(exc))
        messages.success(request, "Recorded.")
        return redirect("outreach:assignment", assignment_id=held.pk)
    return _assignment_page(request, held, status=400, errors=["Choose how it went."])
