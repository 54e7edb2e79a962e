"""Writes of the selection pipeline: nominations, the nominee's answer, the interview, the
chain of command, the BHS manager's recommendation and the Chief's decision.

Every function is keyword-only and runs in one transaction. Each change of stage goes through
``_move``, which checks the action against ``rules.TRANSITIONS`` (stage and actor), writes the
timeline event and the audit event, and is followed by the alerts to the people who act next
(``alerts``: outbox rows in the same transaction). A refusal raises ValidationError with a message
saying why, and changes nothing.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from peersupport.accounts.models import Employee, Role, RoleGrant, User
from peersupport.accounts.selectors import chain_of_command, role_holders
from peersupport.accounts.services import role_grant_by_program
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.notifications.messages import site_link
from peersupport.roster.models import SupporterProfile
from peersupport.roster.services import supporter_profile_create, supporter_set_status
from peersupport.tenancy import current_agency_id

from .alerts import event_key, tell, tell_candidate
from .models import (
    Candidacy,
    CandidacyEvent,
    ChainStep,
    Interview,
    Nomination,
    NominationRound,
    Panelist,
    PanelScore,
)
from .rules import (
    CHAIN,
    NO_ACCOUNT_HOLDER,
    NOMINEE,
    NOT_YOURS,
    REASON_MAX,
    SYSTEM,
    TRANSITIONS,
    not_now,
)
from .rules import clean_reason as _reason
from .selectors import (
    current_interview,
    current_step,
    missing_before_appointment,
    nominations_open_on,
    where_after_level,
)

Stage = Candidacy.Stage
Outcome = ChainStep.Outcome
Decision = Interview.Decision


# --- Helpers ----------------------------------------------------------------------------------


def _locked(candidacy: Candidacy) -> Candidacy:
    return Candidacy.objects.select_for_update().select_related("nominee").get(pk=candidacy.pk)


def _may_act(transition_actors, actor: User | None, candidacy: Candidacy) -> bool:
    if actor is None:
        return SYSTEM in transition_actors
    if NOMINEE in transition_actors and actor.pk == candidacy.nominee_id:
        return True
    if CHAIN in transition_actors:
        step = current_step(candidacy)
        if step is not None and step.supervisor.user_id == actor.pk:
            return True
    roles = {a for a in transition_actors if a in Role.values}
    return bool(roles) and actor.has_role(*roles)


def _check_actor(action: str, actor: User | None, candidacy: Candidacy) -> None:
    """Who may take ``action`` (TRANSITIONS); services call it first, so a stranger is told
    that before anything about their input."""
    if not _may_act(TRANSITIONS[action].actors, actor, candidacy):
        raise ValidationError(NOT_YOURS[action])


def _move(
    *,
    candidacy: Candidacy,
    action: str,
    actor: User | None,
    to: str,
    reason: str = "",
    level: int | None = None,
    chain_position: int | None = None,
) -> Candidacy:
    """The one place a candidacy changes stage. ``candidacy`` must be locked (``_locked``).
    ``chain_position``: the level of the chain of command the request goes to."""
    transition = TRANSITIONS[action]
    _check_actor(action, actor, candidacy)
    before = candidacy.stage
    if before not in transition.sources:
        raise ValidationError(not_now(action, before))
    if to not in transition.targets:  # a programming error, never the user's
        raise ValueError(f"{action} cannot lead to {to}")
    now = timezone.now()
    candidacy.stage = to
    candidacy.stage_changed_at = now
    if chain_position is not None:
        candidacy.chain_position = chain_position
    candidacy.save(update_fields=["stage", "stage_changed_at", "chain_position"])
    CandidacyEvent.objects.create(
        candidacy=candidacy,
        at=now,
        actor=actor,
        action=action,
        from_stage=before,
        to_stage=to,
        label=transition.label.format(level=level),
        reason=reason,
    )
    details = {"action": action, "from": before, "to": to}
    if level is not None:
        details["level"] = level
    record(actor=actor, action=AuditAction.SELECTION_MOVED, target=candidacy, details=details)
    return candidacy


# --- Nomination rounds ------------------------------------------------------------------------


@transaction.atomic
def nomination_round_open(
    *, actor: User, name: str, opens_on: datetime.date, closes_on: datetime.date
) -> NominationRound:
    if not actor.has_role(Role.COORDINATOR):
        raise ValidationError("Only the program coordinator sets nomination rounds.")
    name = _reason(name, "name", "Give the round a name.")[:120]
    if closes_on < opens_on:
        raise ValidationError({"closes_on": "A round closes on or after the day it opens."})
    if closes_on < timezone.localdate():
        raise ValidationError({"closes_on": "This round would already be over."})
    if NominationRound.objects.filter(opens_on__lte=closes_on, closes_on__gte=opens_on).exists():
        raise ValidationError("This round overlaps another one.")
    nomination_round = NominationRound.objects.create(
        name=name, opens_on=opens_on, closes_on=closes_on, created_by=actor
    )
    record(
        actor=actor,
        action=AuditAction.SELECTION_ROUND_OPENED,
        target=nomination_round,
        details={"opens_on": opens_on, "closes_on": closes_on},
    )
    return nomination_round


# --- 1. Nomination ----------------------------------------------------------------------------


def _check_nominee(actor: User, nominee: User) -> Employee:
    """The nominee's employee record in the current agency, the candidacy's agency; a
    ValidationError saying why the nominee cannot be nominated here."""
    if nominee.pk == actor.pk:
        raise ValidationError({"nominee": "You cannot nominate yourself."})
    # The account's employee record wherever it is (a reverse one-to-one is not scoped): a
    # colleague of another agency is refused by name of the rule, never of the agency.
    elsewhere = getattr(nominee, "employee", None)
    if elsewhere is not None and elsewhere.agency_id != current_agency_id():
        raise ValidationError(
            {
                "nominee": "Only a member of this department can be nominated here: colleagues "
                "of another agency are nominated in their own."
            }
        )
    employee = Employee.objects.filter(user=nominee, status=Employee.Status.ACTIVE).first()
    if employee is None or not nominee.is_active:
        raise ValidationError(
            {"nominee": "Only an active member of the department can be nominated."}
        )
    name = employee.full_name
    profile = SupporterProfile.objects.filter(user=nominee).first()
    if profile is not None and profile.status == SupporterProfile.Status.REMOVED:
        raise ValidationError(
            {"nominee": f"{name} was removed from the program and cannot be nominated."}
        )
    held = nominee.roles
    if Role.PEER_SUPPORTER in held or (
        profile is not None and profile.status != SupporterProfile.Status.RETIRED
    ):
        raise ValidationError({"nominee": f"{name} is already a peer supporter."})
    if Role.SYSADMIN in held:
        raise ValidationError(
            {"nominee": f"{name} is a system administrator, who may not also be a supporter."}
        )
    return employee


@transaction.atomic
def nomination_create(
    *, actor: User, nominee: User, reason: str, hide_from_nominee: bool = False
) -> Nomination:
    """Any employee nominates a colleague, saying why. When SELECTION_MIN_NOMINATORS distinct
    colleagues have nominated the same person, the nominee is invited."""
    if not actor.has_role(Role.EMPLOYEE):
        raise ValidationError("Only members of the department nominate colleagues.")
    if Employee.objects.filter(user=actor, status=Employee.Status.RETIRED).exists():
        # Retirees keep the employee role to ask for support (docs/roles.md); who should
        # serve their former colleagues is for those who still serve with them.
        raise ValidationError("Only colleagues still serving with the department nominate.")
    reason = _reason(reason, "reason", "Say why you nominate this colleague.")
    is_open, nomination_round = nominations_open_on(timezone.localdate())
    if not is_open:
        raise ValidationError("Nominations are closed until the coordinator opens a round.")
    employee = _check_nominee(actor, nominee)
    # Lock the nominee's row so two colleagues nominating at once make one candidacy.
    User.objects.select_for_update().filter(pk=nominee.pk).first()
    candidacy = (
        Candidacy.objects.select_for_update()
        .filter(nominee=nominee)
        .exclude(stage__in=Candidacy.CLOSED_STAGES)
        .first()
    )
    if candidacy is None:
        # The nominee's agency (the current one, checked above), named rather than implied.
        candidacy = Candidacy.objects.create(
            agency_id=employee.agency_id, nominee=nominee, round=nomination_round
        )
        CandidacyEvent.objects.create(
            candidacy=candidacy,
            actor=actor,
            action="nominate",
            to_stage=Stage.NOMINATED,
            label="Nominated by a colleague",
        )
    elif candidacy.stage not in (Stage.NOMINATED, Stage.INVITED):
        raise ValidationError(
            {"nominee": f"{employee.full_name} is already a candidate in selection."}
        )
    if candidacy.nominations.filter(nominator=actor).exists():
        raise ValidationError({"nominee": f"You have already nominated {employee.full_name}."})
    nomination = Nomination.objects.create(
        candidacy=candidacy,
        nominator=actor,
        reason=reason,
        hide_from_nominee=hide_from_nominee,
    )
    record(
        actor=actor,
        action=AuditAction.SELECTION_NOMINATED,
        target=candidacy,
        details={"nomination": nomination.pk, "hidden_from_nominee": hide_from_nominee},
    )
    nominators = candidacy.nominations.values("nominator").distinct().count()
    if candidacy.stage == Stage.NOMINATED and nominators >= settings.SELECTION_MIN_NOMINATORS:
        _move(candidacy=candidacy, action="invite", actor=None, to=Stage.INVITED)
        tell_candidate(
            candidacy,
            key=f"{candidacy.pk}:invited",
            message="selection/you_are_nominated",
        )
    return nomination


# --- 2. The nominee's answer ------------------------------------------------------------------


@transaction.atomic
def candidacy_answer(
    *,
    actor: User,
    candidacy: Candidacy,
    accept: bool,
    motivation: str = "",
    experience: str = "",
    availability_note: str = "",
) -> Candidacy:
    """The nominee accepts (with the interest form) or declines."""
    candidacy = _locked(candidacy)
    if accept:
        motivation = _reason(motivation, "motivation", "Say why you want to be a supporter.")
        experience = (experience or "").strip()[:REASON_MAX]
        availability_note = (availability_note or "").strip()[:300]
        _move(candidacy=candidacy, action="accept", actor=actor, to=Stage.ACCEPTED)
        candidacy.motivation = motivation
        candidacy.experience = experience
        candidacy.availability_note = availability_note
        candidacy.save(update_fields=["motivation", "experience", "availability_note"])
        tell(
            role_holders(Role.COORDINATOR),
            key=f"{event_key(candidacy)}:accepted",
            message="selection/nominee_accepted",
        )
    else:
        _move(candidacy=candidacy, action="decline", actor=actor, to=Stage.DECLINED)
    return candidacy


@transaction.atomic
def candidacy_withdraw(*, actor: User, candidacy: Candidacy, reason: str) -> Candidacy:
    candidacy = _locked(candidacy)
    reason = _reason(reason)
    _move(candidacy=candidacy, action="withdraw", actor=actor, to=Stage.WITHDRAWN, reason=reason)
    if actor.pk == candidacy.nominee_id:
        tell(
            role_holders(Role.COORDINATOR),
            key=f"{event_key(candidacy)}:withdrawn",
            message="selection/candidate_withdrew",
        )
    else:
        tell_candidate(
            candidacy,
            key=f"{event_key(candidacy)}:withdrawn",
            message="selection/your_candidacy_withdrawn",
        )
    return candidacy


# --- 3. The interview -------------------------------------------------------------------------


@transaction.atomic
def interview_schedule(
    *,
    actor: User,
    candidacy: Candidacy,
    at: datetime.datetime,
    place: str,
    panelists: list[User],
) -> Interview:
    """The coordinator schedules a panel: when, where and who. Each panelist holds the
    panelist role and is not the candidate. The rubric is SELECTION_RUBRIC as it is now."""
    candidacy = _locked(candidacy)
    _check_actor("schedule", actor, candidacy)
    place = _reason(place, "place", "Say where the interview takes place.")[:200]
    if timezone.is_naive(at):
        raise ValueError("interview times must be timezone-aware")
    if at <= timezone.now():
        raise ValidationError({"at": "The interview must be in the future."})
    panel = list({p.pk: p for p in panelists}.values())
    if not panel:
        raise ValidationError({"panelists": "Choose at least one panelist."})
    if any(p.pk == candidacy.nominee_id for p in panel):
        raise ValidationError({"panelists": "The candidate cannot sit on their own panel."})
    panelist_ids = set(
        RoleGrant.objects.current()
        .filter(role=Role.PANELIST, user__in=panel)
        .values_list("user_id", flat=True)
    )
    missing = [str(p) for p in panel if p.pk not in panelist_ids]
    if missing:
        raise ValidationError({"panelists": f"Not an interview panelist: {', '.join(missing)}."})
    _move(candidacy=candidacy, action="schedule", actor=actor, to=Stage.INTERVIEW)
    interview = Interview.objects.create(
        candidacy=candidacy,
        at=at,
        place=place,
        rubric=list(settings.SELECTION_RUBRIC),
        score_max=settings.SELECTION_SCORE_MAX,
        scheduled_by=actor,
    )
    Panelist.objects.bulk_create(Panelist(interview=interview, user=p) for p in panel)
    when = timezone.localtime(at).strftime("%A %d %B %Y at %H:%M")
    tell(
        panel,
        key=f"{event_key(candidacy)}:panel",
        message="selection/panelist_chosen",
        when=when,
        place=place,
    )
    tell_candidate(
        candidacy,
        key=f"{event_key(candidacy)}:interview",
        message="selection/your_interview",
        when=when,
        place=place,
    )
    return interview


def _check_held(interview: Interview, what: str) -> None:
    """Refuse, saying ``what``, while ``interview``'s scheduled time is still to come."""
    if interview.at > timezone.now():
        when = timezone.localtime(interview.at).strftime("%A %d %B %Y at %H:%M")
        raise ValidationError(f"{what}: it is scheduled for {when}.")


@transaction.atomic
def interview_score(
    *, actor: User, interview: Interview, scores: dict[str, int], notes: str
) -> PanelScore:
    """A panelist scores the candidate once, on every criterion of the interview's rubric,
    with protected notes."""
    interview = (
        Interview.objects.select_for_update().select_related("candidacy").get(pk=interview.pk)
    )
    candidacy = interview.candidacy
    if not Panelist.objects.filter(interview=interview, user=actor).exists():
        raise ValidationError("Only the panelists of this interview score it.")
    if candidacy.stage != Stage.INTERVIEW or interview.decision:
        raise ValidationError("The panel has already decided; scores can no longer be added.")
    if current_interview(candidacy).pk != interview.pk:
        raise ValidationError("This interview was replaced by a later one.")
    if PanelScore.objects.filter(interview=interview, panelist=actor).exists():
        raise ValidationError("You have already scored this interview; scores are given once.")
    _check_held(interview, "Scores are recorded once the interview has taken place")
    clean = {}
    for criterion in interview.rubric:
        value = scores.get(criterion)
        if not isinstance(value, int) or not 1 <= value <= interview.score_max:
            raise ValidationError(
                f"Score every criterion from 1 to {interview.score_max} ({criterion})."
            )
        clean[criterion] = value
    notes = _reason(notes, "notes", "Write a few notes on the interview.")
    score = PanelScore.objects.create(
        interview=interview,
        panelist=actor,
        scores=clean,
        total=sum(clean.values()),
        notes=notes,
    )
    record(
        actor=actor,
        action=AuditAction.SELECTION_SCORED,
        target=candidacy,
        details={"interview": interview.pk, "score": score.pk},
    )
    if interview.scores.count() == Panelist.objects.filter(interview=interview).count():
        tell(
            role_holders(Role.COORDINATOR),
            key=f"{candidacy.pk}:interview:{interview.pk}:scored",
            message="selection/panel_scored",
        )
    return score


@transaction.atomic
def interview_decide(*, actor: User, candidacy: Candidacy, decision: str, reason: str) -> Candidacy:
    """The panel's decision, recorded by the coordinator once every panelist has scored:
    selected (the request goes up the chain of command), not selected, or deferred."""
    candidacy = _locked(candidacy)
    _check_actor("select", actor, candidacy)
    reason = _reason(reason, "reason", "Give the panel's reasons.")
    if decision not in Decision.values:
        raise ValidationError({"decision": "Choose selected, not selected or deferred."})
    action = {
        Decision.SELECTED: "select",
        Decision.NOT_SELECTED: "not_select",
        Decision.DEFERRED: "defer",
    }[decision]
    interview = current_interview(candidacy)
    if candidacy.stage == Stage.INTERVIEW and interview is not None:
        _check_held(interview, "The panel decides once the interview has taken place")
        waiting = (
            Panelist.objects.filter(interview=interview)
            .exclude(user__in=interview.scores.values("panelist"))
            .count()
        )
        if waiting:
            raise ValidationError(
                f"{waiting} panelist(s) have not scored yet; the panel decides after every "
                "panelist has scored."
            )
    steps = []
    if decision == Decision.SELECTED:
        employee = Employee.objects.filter(user=candidacy.nominee).first()
        chain = chain_of_command(employee) if employee is not None else []
        target = Stage.CHAIN if chain else Stage.BHS_REVIEW
    else:
        target = Stage.NOT_SELECTED if decision == Decision.NOT_SELECTED else Stage.DEFERRED
    _move(
        candidacy=candidacy, action=action, actor=actor, to=target, reason=reason, chain_position=0
    )
    now = timezone.now()
    interview.decision, interview.decision_reason = decision, reason
    interview.decided_by, interview.decided_at = actor, now
    interview.save(update_fields=["decision", "decision_reason", "decided_by", "decided_at"])
    if decision == Decision.SELECTED:
        units = {}
        unit = employee.unit if employee is not None else None
        while unit is not None:  # which unit each supervisor heads, for the page
            if unit.supervisor_id:
                units.setdefault(unit.supervisor_id, unit)
            unit = unit.parent
        steps = ChainStep.objects.bulk_create(
            ChainStep(candidacy=candidacy, position=i, supervisor=sup, unit=units.get(sup.pk))
            for i, sup in enumerate(chain)
        )
        _after_chain_move(candidacy, steps=steps)
    key = event_key(candidacy)
    tell_candidate(
        candidacy,
        key=f"{key}:panel",
        message="selection/panel_decided",
        decision=decision,
    )
    return candidacy


# --- 4. The chain of command ------------------------------------------------------------------


def _account_holder(step: ChainStep) -> User | None:
    """The account of the supervisor at ``step``, or None when nobody there can act (no
    account, or a disabled one)."""
    user = User.objects.filter(pk=step.supervisor.user_id, is_active=True).first()
    return user


def _skip_levels_without_account(candidacy: Candidacy) -> list[int]:
    """Skip, one after the other, the levels the request is with whose supervisor has no
    account: nobody could ever act there, so the request would stall silently. Each skip is a
    move by the system (timeline, audit), with the reason NO_ACCOUNT_HOLDER on the level."""
    skipped = []
    while candidacy.stage == Stage.CHAIN:
        step = current_step(candidacy)
        if step is None or _account_holder(step) is not None:
            break
        level = candidacy.chain_position + 1
        reason = NO_ACCOUNT_HOLDER.format(level=level)
        _move(
            candidacy=candidacy,
            action="skip_level",
            actor=None,
            reason=reason,
            level=level,
            **where_after_level(candidacy),
        )
        step.outcome, step.comment, step.decided_at = Outcome.SKIPPED, reason, timezone.now()
        step.save(update_fields=["outcome", "comment", "decided_at"])
        skipped.append(level)
    return skipped


def _after_chain_move(candidacy: Candidacy, *, steps=None) -> None:
    """Tell whoever acts next: the supervisor at the level the request is with now (levels
    nobody holds an account at are skipped first), or the BHS managers once the chain is
    through. When no level of the chain had anyone to act, the coordinators are told too."""
    skipped = _skip_levels_without_account(candidacy)
    key = event_key(candidacy)
    if candidacy.stage == Stage.CHAIN:
        step = current_step(candidacy)
        tell(
            [_account_holder(step)],
            key=f"{key}:chain",
            message="selection/chain_endorse",
        )
    elif candidacy.stage == Stage.BHS_REVIEW:
        tell(
            role_holders(Role.BHS_MANAGER),
            key=f"{key}:bhs",
            message="selection/bhs_recommend",
        )
        nobody_acted = (
            not ChainStep.objects.filter(candidacy=candidacy)
            .exclude(outcome=Outcome.SKIPPED, decided_by__isnull=True)
            .exists()
        )
        if skipped and nobody_acted:
            tell(
                role_holders(Role.COORDINATOR),
                key=f"{key}:no_holder",
                message="selection/chain_no_holder",
                link=site_link("selection:candidacy", candidacy_id=candidacy.pk),
            )


@transaction.atomic
def chain_answer(*, actor: User, candidacy: Candidacy, endorse: bool, comment: str) -> Candidacy:
    """The supervisor at the current level endorses (the request goes up a level) or declines
    (the request stops, unless the BHS manager overrides)."""
    candidacy = _locked(candidacy)
    comment = _reason(comment, "comment", "Add a comment for the program.")
    mine = list(
        ChainStep.objects.filter(candidacy=candidacy, supervisor__user=actor).order_by("position")
    )
    step = current_step(candidacy) if candidacy.stage == Stage.CHAIN else None
    if step is None or step.supervisor.user_id != actor.pk:
        if mine and candidacy.stage == Stage.CHAIN and mine[0].position > candidacy.chain_position:
            raise ValidationError(
                f"It is not your turn yet: the request is with level "
                f"{candidacy.chain_position + 1} of the chain of command."
            )
        if mine and any(s.outcome != Outcome.PENDING for s in mine):
            raise ValidationError("You have already given your answer on this request.")
    level = candidacy.chain_position + 1
    if endorse:
        _move(
            candidacy=candidacy,
            action="endorse",
            actor=actor,
            reason=comment,
            level=level,
            **where_after_level(candidacy),
        )
    else:
        _move(
            candidacy=candidacy,
            action="decline_level",
            actor=actor,
            to=Stage.CHAIN_DECLINED,
            reason=comment,
            level=level,
        )
    step.outcome = Outcome.ENDORSED if endorse else Outcome.DECLINED
    step.comment, step.decided_by, step.decided_at = comment, actor, timezone.now()
    step.save(update_fields=["outcome", "comment", "decided_by", "decided_at"])
    if endorse:
        _after_chain_move(candidacy)
    else:
        tell(
            role_holders(Role.BHS_MANAGER, Role.COORDINATOR),
            key=f"{event_key(candidacy)}:declined",
            message="selection/chain_declined",
            level=level,
        )
        tell_candidate(
            candidacy,
            key=f"{event_key(candidacy)}:declined",
            message="selection/your_chain_declined",
        )
    return candidacy


@transaction.atomic
def chain_skip(*, actor: User, candidacy: Candidacy, reason: str) -> Candidacy:
    """The coordinator skips the current level (the post is vacant or its holder absent)."""
    candidacy = _locked(candidacy)
    reason = _reason(reason, "reason", "Say why this level is skipped (vacant, absent...).")
    step = current_step(candidacy) if candidacy.stage == Stage.CHAIN else None
    level = candidacy.chain_position + 1
    where = where_after_level(candidacy) if step is not None else {"to": Stage.CHAIN}
    _move(
        candidacy=candidacy, action="skip_level", actor=actor, reason=reason, level=level, **where
    )
    step.outcome, step.comment = Outcome.SKIPPED, reason
    step.decided_by, step.decided_at = actor, timezone.now()
    step.save(update_fields=["outcome", "comment", "decided_by", "decided_at"])
    _after_chain_move(candidacy)
    return candidacy


@transaction.atomic
def chain_override(*, actor: User, candidacy: Candidacy, reason: str) -> Candidacy:
    """The BHS manager overrides a decline in the chain of command, with a reason; the request
    goes on to the next level (or to the BHS manager's own recommendation)."""
    candidacy = _locked(candidacy)
    reason = _reason(reason, "reason", "Say why the decline is overridden.")
    step = current_step(candidacy)
    level = candidacy.chain_position + 1
    where = (
        where_after_level(candidacy)
        if candidacy.stage == Stage.CHAIN_DECLINED
        else {"to": Stage.CHAIN}
    )
    _move(candidacy=candidacy, action="override", actor=actor, reason=reason, level=level, **where)
    step.outcome, step.override_reason = Outcome.OVERRIDDEN, reason
    step.save(update_fields=["outcome", "override_reason"])
    tell_candidate(
        candidacy,
        key=f"{event_key(candidacy)}:overridden",
        message="selection/your_decline_overridden",
    )
    _after_chain_move(candidacy)
    return candidacy


# --- Waits in the chain of command (the worker) -----------------------------------------------


def _stalled(now: datetime.datetime):
    """Requests waiting at one level for SELECTION_CHAIN_STALL_DAYS or more, not yet raised
    for this wait (a wait is raised again only once the request has moved on)."""
    cutoff = now - datetime.timedelta(days=settings.SELECTION_CHAIN_STALL_DAYS)
    return Candidacy.objects.filter(stage=Stage.CHAIN, stage_changed_at__lte=cutoff).filter(
        Q(stall_raised_at__isnull=True) | Q(stall_raised_at__lt=F("stage_changed_at"))
    )


def chain_stalls_raise(*, now: datetime.datetime | None = None) -> int:
    """Raise to the coordinators each request to serve that has waited too long at one level
    of the chain of command: one content-free alert per candidacy and wait, audited, however
    often the tick runs. Each in its own transaction. Returns how many were raised."""
    now = now or timezone.now()
    raised = 0
    for pk in list(_stalled(now).values_list("pk", flat=True)):
        with transaction.atomic():
            candidacy = _stalled(now).select_for_update().filter(pk=pk).first()
            if candidacy is None:  # moved, or raised by another run meanwhile
                continue
            candidacy.stall_raised_at = now
            candidacy.save(update_fields=["stall_raised_at"])
            level = candidacy.chain_position + 1
            record(
                actor=None,
                action=AuditAction.SELECTION_STALL_RAISED,
                target=candidacy,
                details={"level": level, "waiting_since": candidacy.stage_changed_at.isoformat()},
            )
            tell(
                role_holders(Role.COORDINATOR),
                key=f"{candidacy.pk}:stall:{int(candidacy.stage_changed_at.timestamp())}",
                message="selection/chain_stalled",
                days=(now - candidacy.stage_changed_at).days,
                link=site_link("selection:candidacy", candidacy_id=candidacy.pk),
            )
            raised += 1
    return raised


# --- 5. The BHS manager's recommendation ------------------------------------------------------


@transaction.atomic
def candidacy_recommend(
    *, actor: User, candidacy: Candidacy, recommend: bool, comment: str
) -> Candidacy:
    candidacy = _locked(candidacy)
    comment = _reason(comment, "comment", "Add your comments for the Chief.")
    if recommend:
        _move(
            candidacy=candidacy,
            action="recommend",
            actor=actor,
            to=Stage.CHIEF_REVIEW,
            reason=comment,
        )
        tell(
            role_holders(Role.CHIEF),
            key=f"{event_key(candidacy)}:chief",
            message="selection/chief_approve",
        )
    else:
        _move(
            candidacy=candidacy,
            action="not_recommend",
            actor=actor,
            to=Stage.NOT_RECOMMENDED,
            reason=comment,
        )
        tell_candidate(
            candidacy,
            key=f"{event_key(candidacy)}:not_recommended",
            message="selection/not_recommended",
        )
    return candidacy


# --- 6. The Chief's decision ------------------------------------------------------------------


def _appoint(*, actor: User, candidacy: Candidacy) -> SupporterProfile:
    nominee = candidacy.nominee
    why = f"Appointed by the Chief (candidacy {candidacy.pk})"
    profile = SupporterProfile.objects.filter(user=nominee).first()
    if profile is None:
        profile = supporter_profile_create(
            actor=actor, user=nominee, reason=f"Selected (candidacy {candidacy.pk})"
        )
    elif profile.status == SupporterProfile.Status.RETIRED:
        profile = supporter_set_status(
            actor=actor,
            profile=profile,
            status=SupporterProfile.Status.CANDIDATE,
            reason=f"Selected again (candidacy {candidacy.pk})",
            pipeline=True,
        )
    profile = supporter_set_status(
        actor=actor,
        profile=profile,
        status=SupporterProfile.Status.APPOINTED,
        reason=why,
        pipeline=True,
    )
    role_grant_by_program(actor=actor, user=nominee, role=Role.PEER_SUPPORTER, reason=why)
    return profile


@transaction.atomic
def candidacy_decide(
    *, actor: User, candidacy: Candidacy, approve: bool, comment: str
) -> Candidacy:
    """The Chief approves (the candidate is appointed, in initial training) or refuses."""
    candidacy = _locked(candidacy)
    comment = _reason(comment, "comment", "Add a comment for the record.")
    if approve:
        _move(
            candidacy=candidacy,
            action="approve",
            actor=actor,
            to=Stage.APPOINTED,
            reason=comment,
        )
        missing = missing_before_appointment(candidacy)
        if missing:
            raise ValidationError(missing)
        _appoint(actor=actor, candidacy=candidacy)
        tell(
            role_holders(Role.COORDINATOR),
            key=f"{event_key(candidacy)}:appointed",
            message="selection/appointed",
        )
        tell_candidate(
            candidacy,
            key=f"{event_key(candidacy)}:appointed",
            message="selection/you_are_appointed",
        )
    else:
        _move(candidacy=candidacy, action="refuse", actor=actor, to=Stage.REFUSED, reason=comment)
        tell_candidate(
            candidacy,
            key=f"{event_key(candidacy)}:refused",
            message="selection/chief_refused",
        )
    return candidacy
