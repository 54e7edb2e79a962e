"""Demo selection pipeline: candidates at every stage, and a few supporters further along the
lifecycle (appointed and in training, inactive with a reason).

The employee persona's request to serve waits for the supervisor persona (their immediate
supervisor), the committee member persona has just been nominated, the panelist persona has an
interview to score, and the coordinator, BHS manager and Chief each have something to act on.
Deterministic from ``random.Random(seed)``, idempotent (nothing is added once any candidacy
exists), one audit event. Rows are written directly, as each stage would have left them.
"""

import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from peersupport.accounts.models import Employee, RoleGrant, User
from peersupport.accounts.selectors import chain_of_command
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.roster.models import SupporterProfile
from peersupport.selection.models import (
    Candidacy,
    CandidacyEvent,
    ChainStep,
    Interview,
    Nomination,
    Panelist,
    PanelScore,
)
from peersupport.selection.rules import TRANSITIONS

from .personas import PERSONA_EMAILS, demo_refuse_in_production

Stage = Candidacy.Stage
Outcome = ChainStep.Outcome

# The path each demo candidate took, as (action, stage reached); the last is where they are.
PATHS = {
    Stage.NOMINATED: [],
    Stage.INVITED: [("invite", Stage.INVITED)],
    Stage.DECLINED: [("invite", Stage.INVITED), ("decline", Stage.DECLINED)],
    Stage.ACCEPTED: [("invite", Stage.INVITED), ("accept", Stage.ACCEPTED)],
}
_INTERVIEWED = PATHS[Stage.ACCEPTED] + [("schedule", Stage.INTERVIEW)]
PATHS |= {
    Stage.INTERVIEW: _INTERVIEWED,
    Stage.DEFERRED: _INTERVIEWED + [("defer", Stage.DEFERRED)],
    Stage.NOT_SELECTED: _INTERVIEWED + [("not_select", Stage.NOT_SELECTED)],
    Stage.WITHDRAWN: PATHS[Stage.ACCEPTED] + [("withdraw", Stage.WITHDRAWN)],
    Stage.CHAIN: _INTERVIEWED + [("select", Stage.CHAIN)],
    Stage.CHAIN_DECLINED: _INTERVIEWED
    + [("select", Stage.CHAIN), ("decline_level", Stage.CHAIN_DECLINED)],
}
_ENDORSED = _INTERVIEWED + [("select", Stage.CHAIN), ("endorse", Stage.BHS_REVIEW)]
PATHS |= {
    Stage.BHS_REVIEW: _ENDORSED,
    Stage.NOT_RECOMMENDED: _ENDORSED + [("not_recommend", Stage.NOT_RECOMMENDED)],
    Stage.CHIEF_REVIEW: _ENDORSED + [("recommend", Stage.CHIEF_REVIEW)],
    Stage.REFUSED: _ENDORSED + [("recommend", Stage.CHIEF_REVIEW), ("refuse", Stage.REFUSED)],
    Stage.APPOINTED: _ENDORSED + [("recommend", Stage.CHIEF_REVIEW), ("approve", Stage.APPOINTED)],
}
REASONS = [
    "Colleagues already come to them after bad calls.",
    "Steady, discreet and trusted across shifts.",
    "Went through a line-of-duty injury and talks about it openly.",
    "Listens more than they talk; people open up to them.",
]
NOTES = [
    "Calm, clear about confidentiality, good examples from the field.",
    "Strong listener; needs to learn the referral resources.",
    "Credible with peers; some hesitation about the time commitment.",
]


def _nominees(rng: random.Random, count: int, exclude: set[int], **filters) -> list[Employee]:
    """Active employees with an account, no program role and no supporter profile."""
    granted = RoleGrant.objects.values("user_id")
    pool = list(
        Employee.objects.filter(status=Employee.Status.ACTIVE, user__isnull=False, **filters)
        .exclude(user_id__in=granted)
        .exclude(user__supporter_profile__isnull=False)
        .exclude(user__email__in=PERSONA_EMAILS)
        .exclude(supervised_units__isnull=False)
        .exclude(user_id__in=exclude)
        .select_related("user", "unit")
        .order_by("pk")
    )
    rng.shuffle(pool)
    return pool[:count]


def load_demo(*, seed: int = 2026) -> str:
    demo_refuse_in_production()
    if Candidacy.objects.exists():
        return "Selection: candidacies already exist; nothing added."
    rng = random.Random(seed)  # noqa: S311  (repeatable demo data, not a secret)
    now = timezone.now()
    personas = {u.email.split("@")[0]: u for u in User.objects.filter(email__in=PERSONA_EMAILS)}
    if "employee" not in personas or "panelist" not in personas:
        return "Selection: the demo personas are missing; nothing added."
    staff = {
        "coordinator": personas.get("coordinator"),
        "bhs_manager": personas.get("bhs.manager"),
        "chief": personas.get("chief"),
    }
    panelist = personas["panelist"]
    supervisor = personas.get("supervisor")
    with transaction.atomic():
        # Open stages first, then outcomes: a small department gets the open ones. The
        # appointed candidate is one of the department's supporters (below).
        stages = [s for s in PATHS if s not in Candidacy.CLOSED_STAGES] + [
            s for s in PATHS if s in Candidacy.CLOSED_STAGES and s != Stage.APPOINTED
        ]
        nominees = _nominees(rng, len(stages) + 4, exclude=set())
        # A small department may have fewer accounts than stages: then the later stages go
        # without a candidate.
        # The employee persona's request to serve waits for the supervisor persona, their
        # immediate supervisor; the committee member persona has just been nominated. (In a
        # department where the supervisor persona is not the employee's, the employee persona
        # is the one just nominated.)
        employee_persona = Employee.objects.select_related("user", "unit").get(
            user=personas["employee"]
        )
        chain = chain_of_command(employee_persona)
        if supervisor is not None and chain and chain[0].user_id == supervisor.pk:
            plan = [(Stage.CHAIN, employee_persona)]
            committee = Employee.objects.filter(user=personas.get("committee")).first()
            if committee is not None:
                plan.append((Stage.INVITED, committee))
        else:
            plan = [(Stage.INVITED, employee_persona)]
        plan += list(zip(stages, nominees, strict=False))
        newly = _free_supporters(exclude={e.user_id for _, e in plan})[:1]
        plan += [(Stage.APPOINTED, p.user.employee) for p in newly]
        scored_extra = None
        if len(nominees) > len(stages):
            plan.append((Stage.INTERVIEW, nominees[len(stages)]))  # a second, already scored
            scored_extra = nominees[len(stages)].pk
        # Anyone in the department nominates, supporters and supervisors included.
        nominators = list(
            Employee.objects.filter(status=Employee.Status.ACTIVE, user__isnull=False)
            .exclude(user_id__in=[e.user_id for _, e in plan])
            .select_related("user")
            .order_by("pk")[:40]
        )
        made = 0
        for stage, employee in plan:
            _candidacy(
                rng,
                stage=stage,
                employee=employee,
                nominators=nominators,
                staff=staff,
                panelist=panelist,
                scored=stage != Stage.INTERVIEW or employee.pk == scored_extra,
                now=now,
            )
            made += 1
        lifecycle = _lifecycle(rng, now)
        record(
            actor=None,
            action=AuditAction.DEMO_LOADED,
            details={"candidacies": made, "lifecycle": lifecycle},
        )
    stages_used = Candidacy.objects.values("stage").distinct().count()
    return (
        f"Selection: {made} candidacies across {stages_used} stages of the pipeline; "
        f"{lifecycle} supporters inactive or in initial training."
    )


def _candidacy(rng, *, stage, employee, nominators, staff, panelist, scored, now) -> Candidacy:
    path = PATHS[stage]
    start = now - timedelta(days=rng.randint(20, 60) + 4 * len(path))
    candidacy = Candidacy.objects.create(
        nominee=employee.user, stage=Stage.NOMINATED, created_at=start, stage_changed_at=start
    )
    for nominator in rng.sample(nominators, rng.randint(1, 2)):
        Nomination.objects.create(
            candidacy=candidacy,
            nominator=nominator.user,
            reason=rng.choice(REASONS),
            hide_from_nominee=rng.random() < 0.3,
            created_at=start,
        )
    events = [
        CandidacyEvent(
            candidacy=candidacy,
            at=start,
            actor=nominators[0].user,
            action="nominate",
            to_stage=Stage.NOMINATED,
            label="Nominated by a colleague",
        )
    ]
    at, before, interview = start, Stage.NOMINATED, None
    chain = chain_of_command(employee) if any(a == "select" for a, _ in path) else []
    for action, reached in path:
        at += timedelta(days=rng.randint(2, 6))
        actor = {
            "accept": employee.user,
            "decline": employee.user,
            "withdraw": employee.user,
            "schedule": staff["coordinator"],
            "select": staff["coordinator"],
            "not_select": staff["coordinator"],
            "defer": staff["coordinator"],
            "recommend": staff["bhs_manager"],
            "not_recommend": staff["bhs_manager"],
            "approve": staff["chief"],
            "refuse": staff["chief"],
        }.get(action)
        if action in ("endorse", "decline_level") and chain:
            actor = chain[0].user
        reason = {
            "select": "Strong scores across the panel.",
            "not_select": "Not ready this year; encouraged to apply again.",
            "defer": "The panel wants a second conversation.",
            "decline_level": "Short-staffed this quarter.",
            "withdraw": "Family commitments.",
            "recommend": "Recommended: strong panel and chain support.",
            "not_recommend": "Not now: too recently promoted.",
            "refuse": "Not at this time.",
        }.get(action, "")
        if action == "accept":
            candidacy.motivation = "I have leaned on colleagues after hard calls; I want to be "
            candidacy.motivation += "that person for someone else."
            candidacy.availability_note = "Day shift; evenings by phone."
        if action == "schedule":
            interview = _interview(rng, candidacy, at, staff, panelist, scored)
        if action in ("select", "not_select", "defer") and interview is not None:
            interview.decision = {
                "select": Interview.Decision.SELECTED,
                "not_select": Interview.Decision.NOT_SELECTED,
                "defer": Interview.Decision.DEFERRED,
            }[action]
            interview.decision_reason, interview.decided_by, interview.decided_at = (
                reason,
                staff["coordinator"],
                at,
            )
            interview.save()
        if action == "select":
            if not chain:  # no supervisor above: straight to the BHS manager
                reached = Stage.BHS_REVIEW if stage != Stage.CHAIN else reached
            ChainStep.objects.bulk_create(
                ChainStep(candidacy=candidacy, position=i, supervisor=sup, unit=sup.unit)
                for i, sup in enumerate(chain)
            )
        if action in ("endorse", "decline_level"):
            # The first level answers; with more levels, the demo shows the rest endorsing.
            levels = list(candidacy.chain.order_by("position"))
            upto = levels if action == "endorse" else levels[:1]
            for step in upto:
                declined = action == "decline_level"
                step.outcome = Outcome.DECLINED if declined else Outcome.ENDORSED
                step.comment = reason or "Good officer; I support this."
                step.decided_by, step.decided_at = step.supervisor.user, at
                step.save()
        if action == "approve":
            _appointed(employee.user, staff["chief"], at)
        label = TRANSITIONS[action].label.format(level=1)
        events.append(
            CandidacyEvent(
                candidacy=candidacy,
                at=at,
                actor=actor,
                action=action,
                from_stage=before,
                to_stage=reached,
                label=label,
                reason=reason,
            )
        )
        before = reached
    CandidacyEvent.objects.bulk_create(events)
    candidacy.stage = before
    candidacy.stage_changed_at = at
    candidacy.save()
    return candidacy


def _interview(rng, candidacy, at, staff, panelist, scored) -> Interview:
    interview = Interview.objects.create(
        candidacy=candidacy,
        at=at + timedelta(days=7),
        place=rng.choice(["HQ room 4.12", "Training Academy, room B", "Video call"]),
        rubric=list(settings.SELECTION_RUBRIC),
        score_max=settings.SELECTION_SCORE_MAX,
        scheduled_by=staff["coordinator"],
        scheduled_at=at,
    )
    Panelist.objects.create(interview=interview, user=panelist)
    if scored:
        scores = {c: rng.randint(3, settings.SELECTION_SCORE_MAX) for c in interview.rubric}
        PanelScore.objects.create(
            interview=interview,
            panelist=panelist,
            scores=scores,
            total=sum(scores.values()),
            notes=rng.choice(NOTES),
            created_at=at + timedelta(days=7),
        )
    return interview


def _appointed(user, chief, at) -> None:
    """Appointed, in initial training: one of the demo's supporters (who already hold the role
    and a profile) is taken back to where the Chief's approval leaves a new one."""
    # Saved, not update(): the reason is encrypted and bound to its row (crypto.RowBound).
    profile = SupporterProfile.objects.get(user=user)
    profile.status = SupporterProfile.Status.APPOINTED
    profile.status_changed_at = at
    profile.status_reason = "Appointed by the Chief"
    profile.availability = SupporterProfile.Availability.OFF
    fields = ["status", "status_changed_at", "status_reason", "availability"]
    profile.save(update_fields=fields)


def _free_supporters(exclude=()) -> list[SupporterProfile]:
    """Active supporters, not personas, holding no open request or pending offer."""
    from peersupport.support.models import Offer, SupportRequest

    busy = set(
        SupportRequest.objects.filter(status__in=SupportRequest.OPEN_STATUSES).values_list(
            "assigned_supporter", flat=True
        )
    ) | set(Offer.objects.filter(answer=Offer.Answer.PENDING).values_list("supporter", flat=True))
    return list(
        SupporterProfile.objects.filter(status=SupporterProfile.Status.ACTIVE)
        .exclude(user_id__in=busy | set(exclude))
        .exclude(user__email__in=PERSONA_EMAILS)
        .select_related("user", "user__employee", "user__employee__unit")
        .order_by("pk")
    )


def _lifecycle(rng, now) -> int:
    """Two active supporters with no open requests become inactive: one on leave until a
    date, one at their own request."""
    free = _free_supporters()
    rng.shuffle(free)
    kinds = [
        (SupporterProfile.InactiveReason.LEAVE, "Parental leave", 45),
        (SupporterProfile.InactiveReason.OWN_REQUEST, "Asked for a break after a hard year", None),
    ]
    changed = 0
    for profile, (kind, reason, days) in zip(free, kinds, strict=False):
        profile.status = SupporterProfile.Status.INACTIVE
        profile.status_reason = reason
        profile.status_changed_at = now - timedelta(days=10)
        profile.inactive_reason = kind
        profile.inactive_until = timezone.localdate() + timedelta(days=days) if days else None
        profile.availability = SupporterProfile.Availability.OFF
        profile.save()
        changed += 1
    return changed + 1  # and the one appointed, in training
