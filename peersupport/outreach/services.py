"""Writes for outreach: opening one, adding affected people (each gets a follow-up plan),
assigning supporters, their answers and attempts, group sessions, closing.

Keyword-only, one transaction each, the audit event inside it; audit details carry ids, kinds
and counts only. Notifications go through the outbox and say only that something waits.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from peersupport.accounts.models import Employee, FamilyMember, Role, RoleGrant, User
from peersupport.accounts.selectors import role_holders
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.governance.notice import current_notice
from peersupport.notifications.messages import notify_message, site_link
from peersupport.roster.models import SupporterProfile
from peersupport.web import gatherings

from .models import (
    AffectedPerson,
    Assignment,
    Attempt,
    EventType,
    FollowUpTask,
    GroupSession,
    Outreach,
    PlanStep,
    Responder,
)
from .rules import OPENS_BEFORE_DUE, closable, closable_from, may_remind
from .selectors import RESPONDED, in_chain_of_command, involvement

DESCRIPTION_MAX = 1000
SUMMARY_MAX = 2000
FIRST_CONTACT = timedelta(hours=24)


def _text(value: str, *, field: str, limit: int, required: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: required})
    if len(value) > limit:
        raise ValidationError({field: f"Keep it under {limit} characters."})
    return value


# --- Opening and people --------------------------------------------------------------------


@transaction.atomic
def outreach_open(*, actor: User, event_type: str, event_date, description: str) -> Outreach:
    if event_type not in EventType.values:
        raise ValidationError({"event_type": "Choose what happened."})
    if event_date > timezone.localdate():
        raise ValidationError({"event_date": "The event cannot be in the future."})
    description = _text(
        description,
        field="description",
        limit=DESCRIPTION_MAX,
        required="Say briefly what happened (protected: only the coordinator, the BHS manager "
        "and the assigned supporters read it).",
    )
    outreach = Outreach.objects.create(
        event_type=event_type, event_date=event_date, description=description, opened_by=actor
    )
    record(
        actor=actor,
        action=AuditAction.OUTREACH_OPENED,
        target=outreach,
        details={"event_type": event_type},
    )
    return outreach


def plan_for(outreach: Outreach, *, added_at: datetime) -> list[tuple[str, datetime]]:
    """The follow-ups of the outreach's plan, from the event. Steps that would fall before the
    first contact (an outreach opened late) fold into one contact within 24 hours."""
    event = timezone.make_aware(datetime.combine(outreach.event_date, time(9, 0)))
    first = added_at + FIRST_CONTACT
    plan: list[tuple[str, datetime]] = []
    for step in PlanStep.objects.filter(event_type=outreach.event_type).order_by("offset_hours"):
        due = event + timedelta(hours=step.offset_hours)
        if due < first:
            if not plan:
                plan.append(("First contact (within 24 hours)", first))
            continue
        plan.append((step.label, due))
    if not plan:
        plan.append(("First contact (within 24 hours)", first))
    return plan


@transaction.atomic
def person_add(
    *,
    actor: User,
    outreach: Outreach,
    employee: Employee | None = None,
    family_member: FamilyMember | None = None,
    name: str = "",
    how_to_reach: str = "",
) -> AffectedPerson:
    """An affected person, and their follow-up plan from the event type's template."""
    if not outreach.is_open:
        raise ValidationError("This outreach is closed.")
    name, how_to_reach = (name or "").strip(), (how_to_reach or "").strip()
    given = [x for x in (employee, family_member, name or None) if x is not None]
    if len(given) != 1:
        raise ValidationError(
            "Add one person at a time: an employee, a family member on record, or someone else "
            "by name."
        )
    people = outreach.people.all()
    if employee is not None and people.filter(employee=employee).exists():
        raise ValidationError({"employee": f"{employee} is already on this outreach."})
    if family_member is not None and people.filter(family_member=family_member).exists():
        raise ValidationError("That family member is already on this outreach.")
    if name and not how_to_reach:
        raise ValidationError({"how_to_reach": "Say how the supporter can reach them."})
    anchor = employee if employee is not None else getattr(family_member, "employee", None)
    if anchor is not None and anchor.agency_id != outreach.agency_id:
        # The picker finds only this agency's people; a forged id must not file someone of
        # another agency (nor say who they are).
        raise ValidationError(
            {"employee": "Choose someone on this department's records."}
            if employee is not None
            else "Choose a family member on this department's records."
        )
    anchor = employee if employee is not None else getattr(family_member, "employee", None)
    if anchor is not None and anchor.user_id is not None:
        _lock(outreach)
        _refuse_if_holding(outreach, anchor.user, field="employee_number")
    if len(name) > 200 or len(how_to_reach) > 300:
        raise ValidationError("Keep the name under 200 and how to reach them under 300 characters.")
    now = timezone.now()
    person = AffectedPerson.objects.create(
        outreach=outreach,
        employee=employee,
        family_member=family_member,
        name=name,
        how_to_reach=how_to_reach,
        added_at=now,
    )
    FollowUpTask.objects.bulk_create(
        FollowUpTask(person=person, label=label, due_at=due)
        for label, due in plan_for(outreach, added_at=now)
    )
    record(
        actor=actor,
        action=AuditAction.OUTREACH_PERSON_ADDED,
        target=outreach,
        details={
            "person_id": person.pk,
            "kind": "employee" if employee else "family" if family_member else "other",
        },
    )
    return person


@transaction.atomic
def task_add(*, actor: User, person: AffectedPerson, label: str, due_at: datetime) -> FollowUpTask:
    if not person.outreach.is_open:
        raise ValidationError("This outreach is closed.")
    if person.declined_at is not None:
        raise ValidationError(
            "This person declined support: they are not contacted again unless they ask."
        )
    label = _text(label, field="label", limit=80, required="Say what the follow-up is.")
    if due_at < timezone.now():
        raise ValidationError({"due_at": "A follow-up cannot be planned in the past."})
    task = FollowUpTask.objects.create(person=person, label=label, due_at=due_at)
    record(
        actor=actor,
        action=AuditAction.OUTREACH_TASK_ADDED,
        target=person.outreach,
        details={"person_id": person.pk, "task_id": task.pk},
    )
    return task


@transaction.atomic
def person_resume(*, actor: User, person: AffectedPerson) -> AffectedPerson:
    """The person who declined asks for support after all: they can be planned for again."""
    if person.declined_at is None:
        raise ValidationError("This person has not declined support.")
    person.declined_at = None
    person.save(update_fields=["declined_at"])
    record(
        actor=actor,
        action=AuditAction.OUTREACH_PERSON_RESUMED,
        target=person.outreach,
        details={"person_id": person.pk},
    )
    return person


# --- Assigning supporters ------------------------------------------------------------------


def _refuse_if_holding(outreach: Outreach, supporter: User, *, field: str) -> None:
    """Someone involved in the event must not go on reaching out on it: the coordinator moves
    the people they hold to another supporter first (assigning someone else ends theirs)."""
    held = Assignment.objects.filter(
        person__outreach=outreach, supporter=supporter, status__in=Assignment.ACTIVE
    ).count()
    if held:
        people = "the person" if held == 1 else f"the {held} people"
        raise ValidationError(
            {
                field: f"{supporter} is assigned to reach out to {people} on this outreach. "
                "Assign someone else to them first, then record this."
            }
        )


def _lock(outreach: Outreach) -> None:
    """Marking a responder and assigning a supporter take the outreach's row first, so neither
    can slip past the other's check."""
    list(Outreach.objects.select_for_update().filter(pk=outreach.pk).values_list("pk"))


def _involved_refusal(supporter: User, why: str) -> str:
    message = f"{supporter} {why}, so cannot be assigned on this outreach. Choose someone else."
    privilege = current_notice().privilege
    if why == RESPONDED and privilege is not None and privilege.excludes_responders:
        message += (
            f" {privilege.state} law, as the notice in force states it, does not cover a "
            "supporter who responded to the incident."
        )
    return message


@transaction.atomic
def responder_mark(*, actor: User, outreach: Outreach, supporter: User) -> Responder:
    """Record that the peer supporter ``supporter`` responded to the outreach's incident: from
    now on they are not suggested or assigned on it, nor offered requests about this kind of
    event while it is open."""
    if not outreach.is_open:
        raise ValidationError("This outreach is closed.")
    _lock(outreach)
    # A supporter of this agency, whatever their status now (one on leave may have
    # responded): a profile, and the role held here at some time (the grants are this agency's).
    if not (
        SupporterProfile.objects.filter(user=supporter).exists()
        and RoleGrant.objects.filter(user=supporter, role=Role.PEER_SUPPORTER).exists()
    ):
        raise ValidationError({"supporter": "Only a peer supporter can be marked here."})
    if outreach.responders.filter(supporter=supporter).exists():
        raise ValidationError({"supporter": f"{supporter} is already marked as a responder."})
    _refuse_if_holding(outreach, supporter, field="supporter")
    responder = Responder.objects.create(outreach=outreach, supporter=supporter, marked_by=actor)
    record(
        actor=actor,
        action=AuditAction.OUTREACH_RESPONDER_MARKED,
        target=outreach,
        details={"supporter_id": supporter.pk},
    )
    return responder


@transaction.atomic
def responder_unmark(*, actor: User, responder: Responder) -> None:
    """Marked by mistake: the supporter may be suggested and assigned again."""
    outreach = responder.outreach
    if not outreach.is_open:
        raise ValidationError("This outreach is closed.")
    supporter_id = responder.supporter_id
    responder.delete()
    record(
        actor=actor,
        action=AuditAction.OUTREACH_RESPONDER_UNMARKED,
        target=outreach,
        details={"supporter_id": supporter_id},
    )


class ChainOfCommandWarning(ValidationError):
    """The supporter is in the person's chain of command: go ahead only with a reason."""


@transaction.atomic
def assignment_make(
    *, actor: User, person: AffectedPerson, supporter: User, chain_reason: str = ""
) -> Assignment:
    if not person.outreach.is_open:
        raise ValidationError("This outreach is closed.")
    profile = SupporterProfile.objects.filter(user=supporter).first()
    if (
        profile is None
        or profile.status != SupporterProfile.Status.ACTIVE
        # In this agency: a supporter is listed in it only while holding its role.
        or not supporter.has_role(Role.PEER_SUPPORTER)
    ):
        raise ValidationError({"supporter": "Only an active peer supporter can be assigned."})
    if person.declined_at is not None:
        raise ValidationError("This person declined support; they are not contacted again.")
    _lock(person.outreach)
    why = involvement(person.outreach).get(supporter.pk)
    if why is not None:
        raise ValidationError({"supporter": _involved_refusal(supporter, why)})
    chain_reason = (chain_reason or "").strip()
    if in_chain_of_command(supporter, person) and not chain_reason:
        raise ChainOfCommandWarning(
            {
                "chain_reason": f"{supporter} is in this person's chain of command. Choose "
                "someone else, or say why it has to be them."
            }
        )
    current = Assignment.objects.select_for_update().filter(
        person=person, status__in=Assignment.ACTIVE
    )
    if current.filter(supporter=supporter).exists():
        raise ValidationError({"supporter": f"{supporter} is already assigned to this person."})
    current.update(status=Assignment.Status.ENDED, answered_at=timezone.now())
    assignment = Assignment.objects.create(
        person=person, supporter=supporter, assigned_by=actor, chain_reason=chain_reason
    )
    notify_message(
        key=f"outreach-assignment:{assignment.pk}",
        user=supporter,
        message="outreach/assigned",
        topic=f"outreach:{person.outreach_id}",
        link=site_link("outreach:mine"),
    )
    record(
        actor=actor,
        action=AuditAction.OUTREACH_ASSIGNED,
        target=person.outreach,
        details={
            "person_id": person.pk,
            "supporter_id": supporter.pk,
            "chain_of_command": bool(chain_reason),
        },
    )
    return assignment


@transaction.atomic
def assignment_answer(*, actor: User, assignment: Assignment, accept: bool) -> Assignment:
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.supporter_id != actor.pk:
        raise ValidationError("This assignment is someone else's.")
    if assignment.status != Assignment.Status.OFFERED:
        raise ValidationError("You have already answered.")
    assignment.status = Assignment.Status.ACCEPTED if accept else Assignment.Status.DECLINED
    assignment.answered_at = timezone.now()
    assignment.save(update_fields=["status", "answered_at"])
    if not accept:
        notify_message(
            key=f"outreach-declined:{assignment.pk}",
            user=assignment.assigned_by,
            message="outreach/declined",
            topic=f"outreach:{assignment.person.outreach_id}",
            link=site_link("outreach:board"),
        )
    record(
        actor=actor,
        action=AuditAction.OUTREACH_ANSWERED,
        target=assignment.person.outreach,
        details={"assignment_id": assignment.pk, "accepted": accept},
    )
    return assignment


@transaction.atomic
def attempt_record(*, actor: User, task: FollowUpTask, outcome: str) -> Attempt:
    """The supporter holding the person records a try and how it went; never what was said.
    Reached or a message left completes the follow-up; a refusal cancels every remaining one."""
    task = (
        FollowUpTask.objects.select_for_update().select_related("person__outreach").get(pk=task.pk)
    )
    person = task.person
    holds = Assignment.objects.filter(
        person=person, supporter=actor, status=Assignment.Status.ACCEPTED
    ).exists()
    if not holds:
        raise ValidationError("Only the supporter who accepted this person records attempts.")
    if task.status != FollowUpTask.Status.OPEN:
        raise ValidationError("This follow-up is no longer open.")
    if outcome not in Attempt.Outcome.values:
        raise ValidationError({"outcome": "Choose how it went."})
    now = timezone.now()
    completes = outcome in (Attempt.Outcome.REACHED, Attempt.Outcome.LEFT_MESSAGE)
    if completes and not closable(task.due_at, now):
        due = timezone.localtime(task.due_at).strftime("%-d %B %Y")
        opens = closable_from(task.due_at).strftime("%-d %B %Y")
        raise ValidationError(
            {
                "outcome": f"The follow-up “{task.label}” is due on {due}: it can be marked "
                f"reached from {opens}. Record a contact made now on the follow-up due now."
            }
        )
    attempt = Attempt.objects.create(task=task, supporter=actor, at=now, outcome=outcome)
    if outcome in (Attempt.Outcome.REACHED, Attempt.Outcome.LEFT_MESSAGE):
        task.status = FollowUpTask.Status.DONE
        task.done_at = now
        task.save(update_fields=["status", "done_at"])
    elif outcome == Attempt.Outcome.DECLINED:
        person.declined_at = now
        person.save(update_fields=["declined_at"])
        person.tasks.filter(status=FollowUpTask.Status.OPEN).update(
            status=FollowUpTask.Status.CANCELLED
        )
    record(
        actor=actor,
        action=AuditAction.OUTREACH_ATTEMPT,
        target=person.outreach,
        details={"task_id": task.pk, "outcome": outcome},
    )
    return attempt


# --- Group sessions and closing ------------------------------------------------------------


@transaction.atomic
def group_session_schedule(
    *, actor: User, outreach: Outreach, starts_at: datetime, place: str, facilitator: str
) -> GroupSession:
    if not outreach.is_open:
        raise ValidationError("This outreach is closed.")
    if errors := gatherings.schedule_errors(
        starts_at=starts_at, place=place, leader=facilitator, leader_field="facilitator"
    ):
        raise ValidationError(errors)
    session = GroupSession.objects.create(
        outreach=outreach,
        starts_at=starts_at,
        place=gatherings.clean_text(place),
        facilitator=gatherings.clean_text(facilitator),
        created_by=actor,
    )
    record(
        actor=actor,
        action=AuditAction.OUTREACH_GROUP_SCHEDULED,
        target=outreach,
        details={"session_id": session.pk},
    )
    return session


@transaction.atomic
def group_session_attendance(
    *, actor: User, session: GroupSession, attendance: int
) -> GroupSession:
    return gatherings.attendance_record(
        actor=actor,
        session=session,
        attendance=attendance,
        action=AuditAction.OUTREACH_GROUP_ATTENDANCE,
        target=session.outreach,
    )


@transaction.atomic
def outreach_close(*, actor: User, outreach: Outreach, summary: str) -> Outreach:
    outreach = Outreach.objects.select_for_update().get(pk=outreach.pk)
    if not outreach.is_open:
        raise ValidationError("This outreach is already closed.")
    open_tasks = FollowUpTask.objects.filter(
        person__outreach=outreach, status=FollowUpTask.Status.OPEN
    ).count()
    if open_tasks:
        raise ValidationError(
            f"{open_tasks} follow-up{'s are' if open_tasks != 1 else ' is'} still open. Complete "
            "or cancel them before closing the outreach."
        )
    summary = _text(summary, field="summary", limit=SUMMARY_MAX, required="Write a summary.")
    now = timezone.now()
    outreach.status = Outreach.Status.CLOSED
    outreach.closed_by = actor
    outreach.closed_at = now
    outreach.summary = summary
    outreach.save(update_fields=["status", "closed_by", "closed_at", "summary"])
    Assignment.objects.filter(person__outreach=outreach, status__in=Assignment.ACTIVE).update(
        status=Assignment.Status.ENDED, answered_at=now
    )
    record(actor=actor, action=AuditAction.OUTREACH_CLOSED, target=outreach)
    return outreach


@transaction.atomic
def task_cancel(*, actor: User, task: FollowUpTask) -> FollowUpTask:
    if task.status != FollowUpTask.Status.OPEN:
        raise ValidationError("This follow-up is no longer open.")
    task.status = FollowUpTask.Status.CANCELLED
    task.save(update_fields=["status"])
    record(
        actor=actor,
        action=AuditAction.OUTREACH_TASK_CANCELLED,
        target=task.person.outreach,
        details={"task_id": task.pk},
    )
    return task


# --- Plans ---------------------------------------------------------------------------------


@transaction.atomic
def plan_step_add(*, actor: User, event_type: str, label: str, offset_days: int) -> PlanStep:
    label = _text(label, field="label", limit=80, required="Name the step.")
    if event_type not in EventType.values:
        raise ValidationError({"event_type": "Choose an event type."})
    if offset_days < 1 or offset_days > 3 * 366:
        raise ValidationError({"offset_days": "Between 1 day and 3 years after the event."})
    hours = offset_days * 24
    if PlanStep.objects.filter(event_type=event_type, offset_hours=hours).exists():
        raise ValidationError({"offset_days": "This plan already has a step on that day."})
    step = PlanStep.objects.create(event_type=event_type, label=label, offset_hours=hours)
    record(
        actor=actor,
        action=AuditAction.OUTREACH_PLAN_CHANGED,
        details={"event_type": event_type, "added": hours},
    )
    return step


@transaction.atomic
def plan_step_remove(*, actor: User, step: PlanStep) -> None:
    if PlanStep.objects.filter(event_type=step.event_type).count() == 1:
        raise ValidationError("A plan needs at least one step.")
    record(
        actor=actor,
        action=AuditAction.OUTREACH_PLAN_CHANGED,
        details={"event_type": step.event_type, "removed": step.offset_hours},
    )
    step.delete()


# --- Reminders (the worker) ----------------------------------------------------------------

REMIND_AHEAD = OPENS_BEFORE_DUE


@transaction.atomic
def outreach_remind(*, now=None) -> int:
    """Tell each supporter once per follow-up, through the outbox, a day before it is due (or
    at once when it is already due). The message says only that a follow-up is due."""
    now = now or timezone.now()
    due = (
        FollowUpTask.objects.select_for_update()
        .filter(
            status=FollowUpTask.Status.OPEN,
            reminded_at__isnull=True,
            due_at__lte=now + REMIND_AHEAD,
            person__outreach__status=Outreach.Status.OPEN,
        )
        .select_related("person")
    )
    told = 0
    for task in due:
        holder = (
            Assignment.objects.filter(person=task.person, status__in=Assignment.ACTIVE)
            .select_related("supporter")
            .first()
        )
        if holder is None:
            continue  # the board shows it as unassigned; reminded once someone holds it
        notify_message(
            key=f"outreach-task:{task.pk}:{holder.supporter_id}",
            user=holder.supporter,
            message="outreach/followup_due",
            topic=f"outreach:{task.person.outreach_id}",
            due_at=timezone.localtime(task.due_at),
            link=site_link("outreach:mine"),
        )
        task.reminded_at = now
        task.save(update_fields=["reminded_at"])
        told += 1
    return told


def _holder(task: FollowUpTask) -> Assignment | None:
    return (
        Assignment.objects.filter(person=task.person, status__in=Assignment.ACTIVE)
        .select_related("supporter")
        .first()
    )


def _overdue(now: datetime):
    """Open follow-ups of open outreaches overdue by OUTREACH_OVERDUE_DAYS, not yet raised."""
    return FollowUpTask.objects.filter(
        status=FollowUpTask.Status.OPEN,
        overdue_raised_at__isnull=True,
        due_at__lte=now - timedelta(days=settings.OUTREACH_OVERDUE_DAYS),
        person__outreach__status=Outreach.Status.OPEN,
        person__declined_at__isnull=True,
    )


def outreach_overdue_raise(*, now=None) -> int:
    """Raise to the coordinators, once each, every follow-up overdue by OUTREACH_OVERDUE_DAYS:
    a content-free alert pointing at the board, audited, one transaction per follow-up.
    Returns how many were raised."""
    now = now or timezone.now()
    raised = 0
    for pk in list(_overdue(now).values_list("pk", flat=True)):
        with transaction.atomic():
            task = _overdue(now).select_for_update().select_related("person").filter(pk=pk).first()
            if task is None:
                continue
            task.overdue_raised_at = now
            task.save(update_fields=["overdue_raised_at"])
            record(
                actor=None,
                action=AuditAction.OUTREACH_OVERDUE_RAISED,
                target=task.person.outreach,
                details={"task_id": task.pk, "assigned": _holder(task) is not None},
            )
            for coordinator in role_holders(Role.COORDINATOR):
                notify_message(
                    key=f"outreach-overdue:{task.pk}:{coordinator.pk}",
                    user=coordinator,
                    message="outreach/followup_overdue",
                    days=settings.OUTREACH_OVERDUE_DAYS,
                    link=site_link("outreach:board"),
                )
            raised += 1
    return raised


@transaction.atomic
def followup_remind(*, actor: User, task: FollowUpTask) -> FollowUpTask:
    """The coordinator (or BHS manager) reminds the supporter holding an overdue follow-up: a
    content-free alert, at most once a day, audited."""
    if not actor.has_role(Role.COORDINATOR, Role.BHS_MANAGER):
        raise ValidationError("Only the coordinator or the BHS manager reminds supporters.")
    task = (
        FollowUpTask.objects.select_for_update().select_related("person__outreach").get(pk=task.pk)
    )
    now = timezone.now()
    if task.status != FollowUpTask.Status.OPEN or not task.person.outreach.is_open:
        raise ValidationError("This follow-up is no longer open.")
    if task.due_at > now:
        raise ValidationError("This follow-up is not overdue yet.")
    holder = _holder(task)
    if holder is None:
        raise ValidationError("Nobody holds this person yet: assign a supporter first.")
    if not may_remind(task.staff_reminded_at, now):
        raise ValidationError("The supporter was already reminded of this follow-up today.")
    task.staff_reminded_at = now
    task.save(update_fields=["staff_reminded_at"])
    record(
        actor=actor,
        action=AuditAction.OUTREACH_REMINDED,
        target=task.person.outreach,
        details={"task_id": task.pk, "supporter": holder.supporter_id},
    )
    notify_message(
        key=f"outreach-remind:{task.pk}:{timezone.localdate(now).isoformat()}",
        user=holder.supporter,
        message="outreach/followup_reminder",
        link=site_link("outreach:assignment", assignment_id=holder.pk),
    )
    return task
