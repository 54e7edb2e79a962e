"""Building candidacies at any stage, and how each action of the selection pipeline is taken by
the person who takes it (PERFORM): shared by the selection tests."""

from datetime import timedelta
from decimal import Decimal

import time_machine
from django.db import transaction
from django.utils import timezone

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.notifications.models import Notification
from peersupport.roster.models import SupporterProfile
from peersupport.selection import rules
from peersupport.selection import services as sel
from peersupport.selection.models import Candidacy, CandidacyEvent, ChainStep, Interview

from ..factories import (
    AttendanceFactory,
    CandidacyEventFactory,
    CandidacyFactory,
    ChainStepFactory,
    CourseFactory,
    EmployeeFactory,
    InterviewFactory,
    NominationFactory,
    PanelistFactory,
    PanelScoreFactory,
    TrainingSessionFactory,
    UnitFactory,
    UserFactory,
)

Stage = Candidacy.Stage
Outcome = ChainStep.Outcome


# --- Building candidacies at any stage ------------------------------------------------------


def colleague(dept, name="Casey", unit=None):
    user = UserFactory(display_name=f"{name} Candidate")
    EmployeeFactory(user=user, unit=unit or dept.squad, first_name=name, work_email=user.email)
    return user


def full_scores(interview):
    return {c: 4 for c in interview.rubric}


def at_stage(dept, stage, *, nominee=None) -> Candidacy:
    """A candidacy at ``stage`` with the records a real one has there. The chain of command of
    a nominee in the squad is the supervisor persona (one level)."""
    nominee = nominee or colleague(dept)
    candidacy = CandidacyFactory(nominee=nominee, stage=stage)
    NominationFactory(candidacy=candidacy, nominator=dept.users["employee"])
    later = {
        Stage.ACCEPTED,
        Stage.INTERVIEW,
        Stage.DEFERRED,
        Stage.NOT_SELECTED,
        Stage.CHAIN,
        Stage.CHAIN_DECLINED,
        Stage.BHS_REVIEW,
        Stage.NOT_RECOMMENDED,
        Stage.CHIEF_REVIEW,
        Stage.APPOINTED,
        Stage.REFUSED,
    }
    if stage in later:
        candidacy.motivation = "I want to help."
        candidacy.save(update_fields=["motivation"])
    if stage in later - {Stage.ACCEPTED}:
        # Held yesterday: scores and a decision come after the interview (services).
        interview = InterviewFactory(
            candidacy=candidacy,
            at=timezone.now() - timedelta(days=1),
            rubric=["Listening", "Judgement"],
            scheduled_by=dept.users["coordinator"],
        )
        PanelistFactory(interview=interview, user=dept.users["panelist"])
        PanelScoreFactory(
            interview=interview,
            panelist=dept.users["panelist"],
            scores={"Listening": 4, "Judgement": 5},
            total=9,
            notes="Calm and credible.",
        )
        decision = {
            Stage.INTERVIEW: "",
            Stage.DEFERRED: Interview.Decision.DEFERRED,
            Stage.NOT_SELECTED: Interview.Decision.NOT_SELECTED,
        }.get(stage, Interview.Decision.SELECTED)
        if decision:
            interview.decision, interview.decision_reason = decision, "Panel view."
            interview.decided_at = timezone.now()
            interview.save()
    chain_outcome = {
        Stage.CHAIN: Outcome.PENDING,
        Stage.CHAIN_DECLINED: Outcome.DECLINED,
    }.get(stage, Outcome.ENDORSED)
    if stage in {
        Stage.CHAIN,
        Stage.CHAIN_DECLINED,
        Stage.BHS_REVIEW,
        Stage.NOT_RECOMMENDED,
        Stage.CHIEF_REVIEW,
        Stage.APPOINTED,
        Stage.REFUSED,
    }:
        # Decided levels carry the supervisor's comment ("Good officer."), pending ones none.
        ChainStepFactory(
            candidacy=candidacy,
            supervisor=dept.users["supervisor"].employee,
            unit=dept.squad,
            outcome=chain_outcome,
        )
    if stage in {Stage.CHIEF_REVIEW, Stage.APPOINTED, Stage.REFUSED}:
        CandidacyEventFactory(
            candidacy=candidacy,
            action="recommend",
            from_stage=Stage.BHS_REVIEW,
            to_stage=Stage.CHIEF_REVIEW,
            label="Recommended",
        )
    return candidacy


def invite(dept, c):
    with transaction.atomic():
        sel._move(candidacy=sel._locked(c), action="invite", actor=None, to=Stage.INVITED)


# action -> how the service is called by the person who takes it
PERFORM = {
    "invite": invite,
    "accept": lambda d, c: sel.candidacy_answer(
        actor=c.nominee, candidacy=c, accept=True, motivation="I want to help."
    ),
    "decline": lambda d, c: sel.candidacy_answer(actor=c.nominee, candidacy=c, accept=False),
    "schedule": lambda d, c: sel.interview_schedule(
        actor=d.users["coordinator"],
        candidacy=c,
        at=timezone.now() + timedelta(days=3),
        place="HQ room 4",
        panelists=[d.users["panelist"]],
    ),
    "select": lambda d, c: sel.interview_decide(
        actor=d.users["coordinator"], candidacy=c, decision="selected", reason="Strong."
    ),
    "not_select": lambda d, c: sel.interview_decide(
        actor=d.users["coordinator"], candidacy=c, decision="not_selected", reason="Not yet."
    ),
    "defer": lambda d, c: sel.interview_decide(
        actor=d.users["coordinator"], candidacy=c, decision="deferred", reason="Later."
    ),
    "endorse": lambda d, c: sel.chain_answer(
        actor=d.users["supervisor"], candidacy=c, endorse=True, comment="Yes."
    ),
    "decline_level": lambda d, c: sel.chain_answer(
        actor=d.users["supervisor"], candidacy=c, endorse=False, comment="Not now."
    ),
    "skip_level": lambda d, c: sel.chain_skip(
        actor=d.users["coordinator"], candidacy=c, reason="Post vacant."
    ),
    "override": lambda d, c: sel.chain_override(
        actor=d.users["bhs_manager"], candidacy=c, reason="The decline gave no reason."
    ),
    "recommend": lambda d, c: sel.candidacy_recommend(
        actor=d.users["bhs_manager"], candidacy=c, recommend=True, comment="Recommended."
    ),
    "not_recommend": lambda d, c: sel.candidacy_recommend(
        actor=d.users["bhs_manager"], candidacy=c, recommend=False, comment="No."
    ),
    "approve": lambda d, c: sel.candidacy_decide(
        actor=d.users["chief"], candidacy=c, approve=True, comment="Approved."
    ),
    "refuse": lambda d, c: sel.candidacy_decide(
        actor=d.users["chief"], candidacy=c, approve=False, comment="Refused."
    ),
    "withdraw": lambda d, c: sel.candidacy_withdraw(
        actor=c.nominee, candidacy=c, reason="Changed my mind."
    ),
}

# Written out here rather than read from rules.TRANSITIONS, so that a change to the table
# has to be made twice, on purpose: action -> the stages it starts from.
OPEN = {
    Stage.NOMINATED,
    Stage.INVITED,
    Stage.ACCEPTED,
    Stage.INTERVIEW,
    Stage.DEFERRED,
    Stage.CHAIN,
    Stage.CHAIN_DECLINED,
    Stage.BHS_REVIEW,
    Stage.CHIEF_REVIEW,
}
SOURCES = {
    "invite": {Stage.NOMINATED},
    "accept": {Stage.INVITED},
    "decline": {Stage.INVITED},
    "schedule": {Stage.ACCEPTED, Stage.DEFERRED},
    "select": {Stage.INTERVIEW},
    "not_select": {Stage.INTERVIEW},
    "defer": {Stage.INTERVIEW},
    "endorse": {Stage.CHAIN},
    "decline_level": {Stage.CHAIN},
    "skip_level": {Stage.CHAIN},
    "override": {Stage.CHAIN_DECLINED},
    "recommend": {Stage.BHS_REVIEW},
    "not_recommend": {Stage.BHS_REVIEW},
    "approve": {Stage.CHIEF_REVIEW},
    "refuse": {Stage.CHIEF_REVIEW},
    "withdraw": OPEN - {Stage.CHIEF_REVIEW} | {Stage.CHIEF_REVIEW},
}
ALLOWED = sorted((a, s) for a, stages in SOURCES.items() for s in stages)
REFUSED = sorted((a, s) for a in SOURCES for s in Stage.values if s not in SOURCES[a])


def snapshot(candidacy):
    return (
        Candidacy.objects.filter(pk=candidacy.pk).values().get(),
        CandidacyEvent.objects.filter(candidacy=candidacy).count(),
        AuditEvent.objects.filter(action=AuditAction.SELECTION_MOVED).count(),
        Notification.objects.count(),
        SupporterProfile.objects.count(),
    )


def scheduled(dept, panel=("panelist",), *, held=True):
    """A candidacy whose interview the coordinator scheduled two days before it; ``held``: it
    took place an hour ago (scores and a decision may be recorded), else it is tomorrow."""
    candidacy = at_stage(dept, Stage.ACCEPTED)
    at = timezone.now() + (timedelta(hours=-1) if held else timedelta(days=1))
    with time_machine.travel(at - timedelta(days=2), tick=False):
        interview = sel.interview_schedule(
            actor=dept.users["coordinator"],
            candidacy=candidacy,
            at=at,
            place="Room 2",
            panelists=[dept.users[p] for p in panel],
        )
    return candidacy, interview


def selected(dept):
    candidacy = at_stage(dept, Stage.INTERVIEW)
    PERFORM["select"](dept, candidacy)
    candidacy.refresh_from_db()
    return candidacy


def credit_initial_training(user, hours=40):
    """Real training records: a completed initial course attended in full."""
    from peersupport.training.models import CourseKind

    start = timezone.now() - timedelta(days=10)
    course = CourseFactory(
        kind=CourseKind.INITIAL, title="Initial peer support training", hours=Decimal(40)
    )
    session = TrainingSessionFactory(
        course=course, starts_at=start, ends_at=start + timedelta(hours=10), day__hours=hours
    )
    AttendanceFactory(day=session.days.get(), user=user, hours=hours, recorded_by=user)


def appointed(dept):
    candidacy = at_stage(dept, Stage.CHIEF_REVIEW)
    PERFORM["approve"](dept, candidacy)
    return SupporterProfile.objects.get(user=candidacy.nominee)


def many(dept, n):
    unit = UnitFactory(name="Extra", parent=dept.precinct)
    for i, stage in enumerate(rules.BOARD_STAGES * n):
        at_stage(dept, stage, nominee=colleague(dept, f"N{i}", unit=unit))
