"""Writes for escalations and the on-duty roster.

An escalation, its recipients, its outbox of alerts and its audit event commit in one
transaction (``escalation_raise``). The worker's ``escalations_advance`` alerts again every
ESCALATION_RENOTIFY_MINUTES until someone alerted acknowledges, moving one step up the ladder
each round for ESCALATION_ROUNDS rounds, then alerting the whole list every round after. If
nobody is on the roster at all, everyone holding the BHS manager or advocacy supervisor role is
alerted: an escalation never goes to nobody and never ends silently.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from peersupport.accounts.models import Role, RoleGrant, User
from peersupport.accounts.selectors import chain_of_command
from peersupport.audit.models import AuditAction, Outcome
from peersupport.audit.services import record
from peersupport.governance.models import ExceptionCategory
from peersupport.notifications.messages import notify_message, site_link
from peersupport.roster.rules import NOT_SERVING
from peersupport.roster.selectors import serves
from peersupport.support.models import Contact, SupportRequest
from peersupport.tenancy import current_agency_id

from .models import Duty, DutyAssignment, Escalation, EscalationRecipient

NOTE_MAX = 2000
DUTY_ROLE = {Duty.BHS_MANAGER: Role.BHS_MANAGER, Duty.ADVOCACY_SUPERVISOR: Role.ADVOCACY_SUPERVISOR}


# --- The on-duty roster --------------------------------------------------------------------


@transaction.atomic
def duty_assign(
    *,
    actor: User,
    duty: str,
    user: User,
    rank: int,
    phone: str = "",
    starts_at=None,
    ends_at=None,
) -> DutyAssignment:
    starts_at = starts_at or timezone.now()
    errors = {}
    if duty not in Duty.values:
        errors["duty"] = "Choose the BHS manager or the advocacy supervisor duty."
    elif not user.is_active or not user.has_role(DUTY_ROLE[duty]):
        errors["user"] = (
            f"{user} does not hold the {Duty(duty).label} role, so cannot be on that duty."
        )
    if ends_at is not None and ends_at <= starts_at:
        errors["ends_at"] = "The end must be after the start."
    if rank < 0:
        errors["rank"] = "Choose on duty (0) or a backup number (1 or more)."
    if errors:
        raise ValidationError(errors)
    assignment = DutyAssignment.objects.create(
        duty=duty,
        user=user,
        rank=rank,
        phone=phone.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=actor,
    )
    record(
        actor=actor,
        action=AuditAction.DUTY_ASSIGNED,
        target=assignment,
        details={"duty": duty, "rank": rank, "user_id": user.pk},
    )
    return assignment


@transaction.atomic
def duties_end_for(*, actor: User | None, user: User) -> int:
    """End every duty roster entry of ``user`` now or to come (an employee who has left the
    department, ``accounts.alerts.employee_separated``); how many ended."""
    now = timezone.now()
    ended = 0
    open_rows = DutyAssignment.objects.select_for_update().filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now), user=user
    )
    for assignment in open_rows:
        duty_end(actor=actor, assignment=assignment)
        ended += 1
    return ended


def duty_end(*, actor: User | None, assignment: DutyAssignment) -> DutyAssignment:
    now = timezone.now()
    if assignment.ends_at is not None and assignment.ends_at <= now:
        raise ValidationError("This roster entry has already ended.")
    assignment.ends_at = max(now, assignment.starts_at + timedelta(seconds=1))
    assignment.ended_by = actor
    assignment.save(update_fields=["ends_at", "ended_by"])
    record(actor=actor, action=AuditAction.DUTY_ENDED, target=assignment)
    return assignment


# --- Who is alerted ------------------------------------------------------------------------


@dataclass(frozen=True)
class Alertee:
    user: User
    reason: str
    phone: str = ""


def _on_roster(*, backups: bool, now) -> list[Alertee]:
    """Those on the duty roster now who still hold the duty's role: a roster entry outlives a
    revoked role until someone ends it, and an alert must not go to someone who can no longer
    open or acknowledge it (nor tell them an escalation happened)."""
    rows = DutyAssignment.objects.current(now).filter(user__is_active=True)
    rows = rows.filter(rank__gt=0) if backups else rows.filter(rank=0)
    rows = list(rows.select_related("user").order_by("rank", "duty", "starts_at"))
    if rows:
        # One plain query for the few people on the roster (a subquery per duty cost the
        # duty page about 3 ms to build, issue 21).
        held = set(
            RoleGrant.objects.current(now)
            .filter(user_id__in={row.user_id for row in rows}, role__in=DUTY_ROLE.values())
            .values_list("user_id", "role")
        )
        rows = [row for row in rows if (row.user_id, DUTY_ROLE[row.duty]) in held]
    return [
        Alertee(
            user=row.user,
            reason=f"{row.get_duty_display()}, {row.rank_label.lower()}",
            phone=row.phone,
        )
        for row in rows
    ]


def _bhs_managers_manager(*, now) -> list[Alertee]:

    found = []
    on_duty = (
        DutyAssignment.objects.current(now)
        .filter(duty=Duty.BHS_MANAGER, rank=0)
        .select_related("user__employee")
    )
    agency_id = current_agency_id()
    for row in on_duty:
        employee = getattr(row.user, "employee", None)
        # A BHS manager employed by another agency (contracted by this one) has no manager
        # here: theirs must not learn of this agency's escalations.
        if employee is None or employee.agency_id != agency_id:
            continue
        chain = chain_of_command(employee)
        if chain and chain[0].user is not None and chain[0].user.is_active:
            found.append(Alertee(user=chain[0].user, reason="The BHS manager's own manager"))
    return found


def _role_holders() -> list[Alertee]:
    grants = (
        RoleGrant.objects.current()
        .filter(role__in=[Role.BHS_MANAGER, Role.ADVOCACY_SUPERVISOR], user__is_active=True)
        .select_related("user")
        .order_by("role", "user_id")
    )
    return [Alertee(user=g.user, reason=f"Holds the {g.get_role_display()} role") for g in grants]


def _steps(now) -> Iterator[list[Alertee]]:
    """The steps of ESCALATION_LADDER in order, each read only when it is asked for."""
    makers = {
        "on_duty": lambda: _on_roster(backups=False, now=now),
        "backups": lambda: _on_roster(backups=True, now=now),
        "bhs_manager_manager": lambda: _bhs_managers_manager(now=now),
        "role": _role_holders,
    }
    return (makers[name]() for name in settings.ESCALATION_LADDER)


def ladder(*, now=None) -> list[list[Alertee]]:
    """The escalation list, step by step, as configured in ESCALATION_LADDER, without its empty
    steps: an escalation raised when nobody is on duty alerts the backups at once rather than
    nobody until the next round, and each round moves up to the next step with someone on it."""
    steps = [step for step in _steps(now or timezone.now()) if step]
    # Nobody on the roster: everyone who could act is alerted, never nobody.
    return steps or [_role_holders()]


def first_alerted(*, now=None) -> list[Alertee]:
    """``ladder()[0]``, who an escalation raised now alerts first, reading the later steps only
    as far as the first with someone on it (the duty page read the whole ladder, the BHS
    manager's chain of command and all, to show its first step: issue 21)."""
    for step in _steps(now or timezone.now()):
        if step:
            return step
    return _role_holders()


def _whole_list(steps: list[list[Alertee]]) -> list[Alertee]:
    return [a for step in steps for a in step] + _role_holders()


def _alert(escalation: Escalation, alertees: list[Alertee], *, now) -> int:
    """Add anyone new as a recipient, then alert every recipient on every channel."""
    known = {r.user_id: r for r in escalation.recipients.all()}
    for alertee in alertees:
        if alertee.user.pk not in known:
            known[alertee.user.pk] = EscalationRecipient.objects.create(
                escalation=escalation,
                user=alertee.user,
                reason=alertee.reason,
                phone=alertee.phone,
                added_in_round=escalation.round,
                first_alerted_at=now,
                last_alerted_at=now,
            )
    link = site_link("confidentiality:escalation", public_id=escalation.public_id)
    for recipient in known.values():
        notify_message(
            key=f"escalation:{escalation.pk}:round:{escalation.round}:user:{recipient.user_id}",
            user=recipient.user,
            message="confidentiality/escalation_waiting",
            topic=f"escalation:{escalation.pk}",
            phone=recipient.phone,
            reminder=bool(escalation.round),
            link=link,
        )
    EscalationRecipient.objects.filter(escalation=escalation).update(last_alerted_at=now)
    return len(known)


# --- Raising and answering -----------------------------------------------------------------


@transaction.atomic
def escalation_raise(
    *,
    actor: User,
    category: ExceptionCategory,
    note: str,
    request: SupportRequest | None = None,
    contact: Contact | None = None,
) -> Escalation:
    """A supporter raises a confidentiality question or exception from a request they hold or
    a contact they logged. The escalation, its alerts and the audit event commit together."""
    errors = {}
    note = (note or "").strip()
    if (request is None) == (contact is None):
        raise ValidationError("Raise it from one request you hold or one contact you logged.")
    if request is not None and (
        request.assigned_supporter_id != actor.pk or request.purged_at is not None
    ):
        raise ValidationError("You can raise this only from a request you hold.")
    if contact is not None and contact.supporter_id != actor.pk:
        raise ValidationError("You can raise this only from a contact you logged.")
    if not actor.has_role(Role.PEER_SUPPORTER):
        raise ValidationError("Only a peer supporter raises an exception from a contact.")
    if not serves(actor):
        raise ValidationError(NOT_SERVING)
    if not category.active:
        errors["category"] = "That category is retired; choose another."
    if not note:
        errors["note"] = "Write a short note for the BHS manager: what happened and what is needed."
    elif len(note) > NOTE_MAX:
        errors["note"] = f"Keep the note under {NOTE_MAX} characters."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    escalation = Escalation.objects.create(
        category=category,
        note=note,
        request=request,
        contact=contact,
        raised_by=actor,
        raised_at=now,
        next_alert_at=now + timedelta(minutes=settings.ESCALATION_RENOTIFY_MINUTES),
    )
    alerted = _alert(escalation, first_alerted(now=now), now=now)
    record(
        actor=actor,
        action=AuditAction.ESCALATION_RAISED,
        target=escalation,
        details={
            "category": category.code,
            "from": "request" if request is not None else "contact",
            "recipients": alerted,
        },
    )
    return escalation


def escalations_advance(*, now=None) -> int:
    """Alert again about every unacknowledged escalation that is due. Each one in its own
    transaction, locked, so two workers never send a round twice. Returns how many."""
    now = now or timezone.now()
    due = list(
        Escalation.objects.filter(
            status=Escalation.Status.OPEN, next_alert_at__lte=now
        ).values_list("pk", flat=True)
    )
    advanced = 0
    for pk in due:
        with transaction.atomic():
            escalation = (
                Escalation.objects.select_for_update()
                .filter(pk=pk, status=Escalation.Status.OPEN, next_alert_at__lte=now)
                .first()
            )
            if escalation is None:
                continue  # acknowledged meanwhile, or another worker took this round
            escalation.round += 1
            steps = ladder(now=now)
            if escalation.round <= settings.ESCALATION_ROUNDS:
                # Move one step up the list (if there is a step left); alert everyone so far.
                new = steps[escalation.round] if escalation.round < len(steps) else []
                scope = "next step"
            else:
                new = _whole_list(steps)
                scope = "whole list"
            alerted = _alert(escalation, new, now=now)
            escalation.next_alert_at = now + timedelta(minutes=settings.ESCALATION_RENOTIFY_MINUTES)
            escalation.save(update_fields=["round", "next_alert_at"])
            record(
                actor=None,
                action=AuditAction.ESCALATION_ALERTED,
                target=escalation,
                details={"round": escalation.round, "scope": scope, "recipients": alerted},
            )
            advanced += 1
    return advanced


def _locked(escalation: Escalation) -> Escalation:
    return Escalation.objects.select_for_update().get(pk=escalation.pk)


def is_recipient(user: User, escalation: Escalation) -> bool:
    return EscalationRecipient.objects.filter(escalation=escalation, user=user).exists()


def escalation_acknowledge(*, actor: User, escalation: Escalation) -> Escalation:
    """Someone alerted acknowledges: the alerts stop and the raiser is told. Anyone else is
    refused, and the refusal is audited (outside the transaction that rolls back)."""
    if not is_recipient(actor, escalation):
        record(
            actor=actor,
            action=AuditAction.ESCALATION_ACKNOWLEDGED,
            target=escalation,
            outcome=Outcome.DENIED,
            details={"reason": "not alerted"},
        )
        raise ValidationError(
            "Only someone alerted about this escalation can acknowledge it; it is still "
            "waiting for them."
        )
    return _acknowledge(actor=actor, escalation=escalation)


@transaction.atomic
def _acknowledge(*, actor: User, escalation: Escalation) -> Escalation:
    escalation = _locked(escalation)
    if escalation.status != Escalation.Status.OPEN:
        raise ValidationError("This escalation has already been acknowledged.")
    now = timezone.now()
    escalation.status = Escalation.Status.ACKNOWLEDGED
    escalation.acknowledged_by = actor
    escalation.acknowledged_at = now
    escalation.next_alert_at = None
    escalation.save(update_fields=["status", "acknowledged_by", "acknowledged_at", "next_alert_at"])
    link = site_link("confidentiality:escalation", public_id=escalation.public_id)
    notify_message(
        key=f"escalation:{escalation.pk}:acknowledged",
        user=escalation.raised_by,
        message="confidentiality/escalation_acknowledged",
        topic=f"escalation:{escalation.pk}",
        link=link,
    )
    record(
        actor=actor,
        action=AuditAction.ESCALATION_ACKNOWLEDGED,
        target=escalation,
        details={"minutes": int((now - escalation.raised_at).total_seconds() // 60)},
    )
    return escalation


@transaction.atomic
def escalation_resolve(*, actor: User, escalation: Escalation, resolution: str) -> Escalation:
    """Record what was done. Someone alerted, or the BHS manager, resolves; resolving an
    escalation nobody acknowledged acknowledges it too."""
    escalation = _locked(escalation)
    if not (is_recipient(actor, escalation) or actor.has_role(Role.BHS_MANAGER)):
        raise ValidationError("Only someone alerted about it, or the BHS manager, can resolve it.")
    if escalation.status == Escalation.Status.RESOLVED:
        raise ValidationError("This escalation is already resolved.")
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": "Say what was done."})
    if len(resolution) > NOTE_MAX:
        raise ValidationError({"resolution": f"Keep it under {NOTE_MAX} characters."})
    now = timezone.now()
    fields = ["status", "resolved_by", "resolved_at", "resolution", "next_alert_at"]
    if escalation.status == Escalation.Status.OPEN:
        escalation.acknowledged_by = actor
        escalation.acknowledged_at = now
        fields += ["acknowledged_by", "acknowledged_at"]
    escalation.status = Escalation.Status.RESOLVED
    escalation.resolved_by = actor
    escalation.resolved_at = now
    escalation.resolution = resolution
    escalation.next_alert_at = None
    escalation.save(update_fields=fields)
    record(actor=actor, action=AuditAction.ESCALATION_RESOLVED, target=escalation)
    return escalation
