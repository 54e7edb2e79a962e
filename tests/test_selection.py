"""Selection of supporters (issue 6): the table of allowed moves, each allowed and each refused
move, who may take each, bad input, notifications to whoever acts next, what the candidate sees,
the board, and the supporter lifecycle after appointment (training, inactive, re-offering)."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import Role, RoleGrant, Unit
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.notifications.models import Notification
from peersupport.roster import selection, selectors, selectors_selection, services
from peersupport.roster import services_selection as sel
from peersupport.roster.models import (
    Candidacy,
    CandidacyEvent,
    ChainStep,
    Interview,
    Nomination,
    NominationRound,
    Panelist,
    PanelScore,
    SupporterProfile,
)

from .factories import EmployeeFactory, UserFactory, enable_totp, grant

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
    candidacy = Candidacy.objects.create(nominee=nominee, stage=stage)
    Nomination.objects.create(
        candidacy=candidacy, nominator=dept.users["employee"], reason="Trusted by the squad."
    )
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
        interview = Interview.objects.create(
            candidacy=candidacy,
            at=timezone.now() + timedelta(days=1),
            place="Room 1",
            rubric=["Listening", "Judgement"],
            score_max=5,
            scheduled_by=dept.users["coordinator"],
        )
        Panelist.objects.create(interview=interview, user=dept.users["panelist"])
        PanelScore.objects.create(
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
        ChainStep.objects.create(
            candidacy=candidacy,
            position=0,
            supervisor=dept.users["supervisor"].employee,
            unit=dept.squad,
            outcome=chain_outcome,
            comment="" if chain_outcome == Outcome.PENDING else "Good officer.",
        )
    if stage in {Stage.CHIEF_REVIEW, Stage.APPOINTED, Stage.REFUSED}:
        CandidacyEvent.objects.create(
            candidacy=candidacy,
            action="recommend",
            from_stage=Stage.BHS_REVIEW,
            to_stage=Stage.CHIEF_REVIEW,
            label="Recommended",
        )
    return candidacy


def _invite(dept, c):
    with transaction.atomic():
        sel._move(candidacy=sel._locked(c), action="invite", actor=None, to=Stage.INVITED)


# action -> how the service is called by the person who takes it
PERFORM = {
    "invite": _invite,
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

# Written out here rather than read from selection.TRANSITIONS, so that a change to the table
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


def test_the_transition_table_is_the_one_tested():
    assert {a: set(t.sources) for a, t in selection.TRANSITIONS.items()} == SOURCES
    assert set(PERFORM) == set(selection.TRANSITIONS)


def _snapshot(candidacy):
    return (
        Candidacy.objects.filter(pk=candidacy.pk).values().get(),
        CandidacyEvent.objects.filter(candidacy=candidacy).count(),
        AuditEvent.objects.filter(action=AuditAction.SELECTION_MOVED).count(),
        Notification.objects.count(),
        SupporterProfile.objects.count(),
    )


@pytest.fixture
def no_training_needed(monkeypatch):
    monkeypatch.setattr(selectors, "initial_training_complete", lambda user: True)


@pytest.mark.parametrize(("action", "stage"), ALLOWED)
def test_allowed_move(action, stage, dept):
    candidacy = at_stage(dept, stage)
    before = AuditEvent.objects.filter(action=AuditAction.SELECTION_MOVED).count()
    PERFORM[action](dept, candidacy)
    candidacy.refresh_from_db()
    assert candidacy.stage in selection.TRANSITIONS[action].targets
    event = candidacy.events.order_by("-pk").first()
    assert event.action == action and event.from_stage == stage
    assert event.to_stage == candidacy.stage
    moved = AuditEvent.objects.filter(action=AuditAction.SELECTION_MOVED).order_by("-seq")
    assert moved.count() == before + 1
    assert moved.first().details["action"] == action
    assert moved.first().target_id == str(candidacy.pk)


@pytest.mark.parametrize(("action", "stage"), REFUSED)
def test_refused_move_changes_nothing(action, stage, dept):
    candidacy = at_stage(dept, stage)
    before = _snapshot(candidacy)
    with pytest.raises(ValidationError):
        PERFORM[action](dept, candidacy)
    assert _snapshot(candidacy) == before


# Who may not take each action: a persona that holds a role but not the right one.
WRONG_ACTOR = {
    "accept": ("employee", "Only the nominee"),
    "decline": ("coordinator", "Only the nominee"),
    "schedule": ("bhs_manager", "Only the program coordinator schedules"),
    "select": ("panelist", "Only the program coordinator records"),
    "not_select": ("chief", "Only the program coordinator records"),
    "defer": ("bhs_manager", "Only the program coordinator records"),
    "endorse": ("coordinator", "Only the supervisor"),
    "decline_level": ("bhs_manager", "Only the supervisor"),
    "skip_level": ("supervisor", "Only the program coordinator skips"),
    "override": ("coordinator", "Only the BHS manager overrides"),
    "recommend": ("coordinator", "Only the BHS manager recommends"),
    "not_recommend": ("chief", "Only the BHS manager recommends"),
    "approve": ("bhs_manager", "Only the Chief of Police approves"),
    "refuse": ("coordinator", "Only the Chief of Police decides"),
    "withdraw": ("employee", "Only the candidate or the program coordinator"),
}


def _as(action, actor):
    """PERFORM[action], but taken by ``actor`` instead of the right person."""

    class Swapped:
        users = defaultdict(lambda: actor)

    by_nominee = {
        "accept": lambda c: sel.candidacy_answer(
            actor=actor, candidacy=c, accept=True, motivation="x"
        ),
        "decline": lambda c: sel.candidacy_answer(actor=actor, candidacy=c, accept=False),
        "withdraw": lambda c: sel.candidacy_withdraw(actor=actor, candidacy=c, reason="x"),
    }
    if action in by_nominee:
        return lambda d, c: by_nominee[action](c)
    return lambda d, c: PERFORM[action](Swapped, c)


@pytest.mark.parametrize("action", sorted(WRONG_ACTOR))
def test_only_the_right_person_takes_each_step(action, dept):
    persona, message = WRONG_ACTOR[action]
    stage = sorted(SOURCES[action])[0]
    candidacy = at_stage(dept, stage)
    before = _snapshot(candidacy)
    with pytest.raises(ValidationError, match=message):
        _as(action, dept.users[persona])(dept, candidacy)
    assert _snapshot(candidacy) == before


# --- 1. Nomination ----------------------------------------------------------------------------


def test_an_employee_nominates_and_the_nominee_is_invited(dept):
    nominee = colleague(dept)
    nomination = sel.nomination_create(
        actor=dept.users["employee"], nominee=nominee, reason="Calm under pressure."
    )
    candidacy = nomination.candidacy
    assert candidacy.stage == Stage.INVITED
    [note] = Notification.objects.filter(user=nominee)
    assert "nominated" in note.subject
    assert AuditEvent.objects.filter(action=AuditAction.SELECTION_NOMINATED).count() == 1


def test_the_minimum_of_distinct_nominators_is_configurable(dept, settings):
    settings.SELECTION_MIN_NOMINATORS = 2
    nominee = colleague(dept)
    sel.nomination_create(actor=dept.users["employee"], nominee=nominee, reason="One.")
    candidacy = Candidacy.objects.get(nominee=nominee)
    assert candidacy.stage == Stage.NOMINATED
    assert not Notification.objects.filter(user=nominee).exists()
    with pytest.raises(ValidationError, match="already nominated"):
        sel.nomination_create(actor=dept.users["employee"], nominee=nominee, reason="Again.")
    sel.nomination_create(actor=dept.users["supporter"], nominee=nominee, reason="Two.")
    candidacy.refresh_from_db()
    assert candidacy.stage == Stage.INVITED
    assert candidacy.nominations.count() == 2


def test_nominating_oneself_is_refused(dept):
    me = dept.users["employee"]
    with pytest.raises(ValidationError, match="cannot nominate yourself"):
        sel.nomination_create(actor=me, nominee=me, reason="Me.")
    assert not Candidacy.objects.exists()


@pytest.mark.parametrize(
    "status", ["candidate", "appointed", "active", "inactive"], ids=lambda s: s
)
def test_nominating_an_existing_supporter_is_refused(status, dept):
    nominee = colleague(dept)
    SupporterProfile.objects.create(
        user=nominee,
        status=status,
        inactive_reason="leave" if status == "inactive" else "",
    )
    with pytest.raises(ValidationError, match="already a peer supporter"):
        sel.nomination_create(actor=dept.users["employee"], nominee=nominee, reason="x")
    assert not Candidacy.objects.exists()


def test_nominating_a_role_holder_or_a_removed_supporter_is_refused(dept):
    with pytest.raises(ValidationError, match="already a peer supporter"):
        sel.nomination_create(
            actor=dept.users["employee"], nominee=dept.users["supporter"], reason="x"
        )
    removed = colleague(dept, "Remy")
    SupporterProfile.objects.create(user=removed, status="removed")
    with pytest.raises(ValidationError, match="removed from the program"):
        sel.nomination_create(actor=dept.users["employee"], nominee=removed, reason="x")
    assert not Candidacy.objects.exists()


def test_a_retired_supporter_can_be_nominated_again(dept):
    retired = colleague(dept, "Reta")
    SupporterProfile.objects.create(user=retired, status="retired")
    sel.nomination_create(actor=dept.users["employee"], nominee=retired, reason="Missed.")
    assert Candidacy.objects.get(nominee=retired).stage == Stage.INVITED


def test_a_nomination_needs_a_reason_and_an_open_window(dept, settings):
    nominee = colleague(dept)
    with pytest.raises(ValidationError, match="Say why"):
        sel.nomination_create(actor=dept.users["employee"], nominee=nominee, reason="  ")
    settings.SELECTION_NOMINATIONS = "rounds"
    with pytest.raises(ValidationError, match="Nominations are closed"):
        sel.nomination_create(actor=dept.users["employee"], nominee=nominee, reason="x")
    today = timezone.localdate()
    sel.nomination_round_open(
        actor=dept.users["coordinator"], name="Spring", opens_on=today, closes_on=today
    )
    nomination = sel.nomination_create(actor=dept.users["employee"], nominee=nominee, reason="x")
    assert nomination.candidacy.round.name == "Spring"


def test_rounds_are_the_coordinators_and_never_overlap(dept):
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="Only the program coordinator"):
        sel.nomination_round_open(
            actor=dept.users["employee"], name="X", opens_on=today, closes_on=today
        )
    sel.nomination_round_open(
        actor=dept.users["coordinator"],
        name="Spring",
        opens_on=today,
        closes_on=today + timedelta(days=30),
    )
    with pytest.raises(ValidationError, match="overlaps"):
        sel.nomination_round_open(
            actor=dept.users["coordinator"],
            name="Summer",
            opens_on=today + timedelta(days=10),
            closes_on=today + timedelta(days=40),
        )
    assert NominationRound.objects.count() == 1


# --- 2-3. Answer and interview ----------------------------------------------------------------


def test_accepting_needs_the_interest_form(dept):
    candidacy = at_stage(dept, Stage.INVITED)
    with pytest.raises(ValidationError, match="Say why you want"):
        sel.candidacy_answer(actor=candidacy.nominee, candidacy=candidacy, accept=True)
    candidacy.refresh_from_db()
    assert candidacy.stage == Stage.INVITED


def test_scheduling_checks_the_panel(dept):
    candidacy = at_stage(dept, Stage.ACCEPTED)
    args = {
        "actor": dept.users["coordinator"],
        "candidacy": candidacy,
        "at": timezone.now() + timedelta(days=1),
        "place": "Room 2",
    }
    with pytest.raises(ValidationError, match="Not an interview panelist"):
        sel.interview_schedule(**args, panelists=[dept.users["employee"]])
    with pytest.raises(ValidationError, match="own panel"):
        sel.interview_schedule(**args, panelists=[candidacy.nominee])
    with pytest.raises(ValidationError, match="future"):
        sel.interview_schedule(
            **{**args, "at": timezone.now() - timedelta(hours=1)},
            panelists=[dept.users["panelist"]],
        )
    assert not Interview.objects.exists()
    sel.interview_schedule(**args, panelists=[dept.users["panelist"]])
    assert Notification.objects.filter(user=dept.users["panelist"]).exists()
    assert Notification.objects.filter(user=candidacy.nominee).exists()


def _scheduled(dept, panel=("panelist",)):
    candidacy = at_stage(dept, Stage.ACCEPTED)
    interview = sel.interview_schedule(
        actor=dept.users["coordinator"],
        candidacy=candidacy,
        at=timezone.now() + timedelta(days=1),
        place="Room 2",
        panelists=[dept.users[p] for p in panel],
    )
    return candidacy, interview


def test_a_panelist_scores_once_with_protected_notes(dept):
    candidacy, interview = _scheduled(dept)
    panelist = dept.users["panelist"]
    score = sel.interview_score(
        actor=panelist, interview=interview, scores=full_scores(interview), notes="Steady."
    )
    assert score.total == 4 * len(interview.rubric)
    with pytest.raises(ValidationError, match="already scored"):
        sel.interview_score(
            actor=panelist, interview=interview, scores=full_scores(interview), notes="Again."
        )
    assert PanelScore.objects.count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT notes FROM roster_panelscore")
        [(raw,)] = cursor.fetchall()
    assert "Steady" not in raw
    # The coordinator hears the panel is complete.
    assert Notification.objects.filter(
        user=dept.users["coordinator"], subject__contains="scored"
    ).exists()


def test_scores_must_cover_the_rubric_and_only_panelists_score(dept):
    candidacy, interview = _scheduled(dept)
    with pytest.raises(ValidationError, match="Only the panelists"):
        sel.interview_score(
            actor=dept.users["coordinator"],
            interview=interview,
            scores=full_scores(interview),
            notes="x",
        )
    partial = dict(list(full_scores(interview).items())[:-1])
    with pytest.raises(ValidationError, match="Score every criterion"):
        sel.interview_score(
            actor=dept.users["panelist"], interview=interview, scores=partial, notes="x"
        )
    too_high = {c: interview.score_max + 1 for c in interview.rubric}
    with pytest.raises(ValidationError, match="Score every criterion"):
        sel.interview_score(
            actor=dept.users["panelist"], interview=interview, scores=too_high, notes="x"
        )
    assert not PanelScore.objects.exists()


def test_the_panel_decides_only_after_every_panelist_scored(dept):
    second = colleague(dept, "Pat")
    grant(second, Role.PANELIST)
    candidacy, interview = _scheduled(dept)
    Panelist.objects.create(interview=interview, user=second)
    sel.interview_score(
        actor=dept.users["panelist"], interview=interview, scores=full_scores(interview), notes="a"
    )
    with pytest.raises(ValidationError, match="not scored yet"):
        sel.interview_decide(
            actor=dept.users["coordinator"], candidacy=candidacy, decision="selected", reason="x"
        )
    sel.interview_score(actor=second, interview=interview, scores=full_scores(interview), notes="b")
    sel.interview_decide(
        actor=dept.users["coordinator"], candidacy=candidacy, decision="selected", reason="Good."
    )
    candidacy.refresh_from_db()
    assert candidacy.stage == Stage.CHAIN
    [step] = candidacy.chain.all()
    assert step.supervisor == dept.users["supervisor"].employee
    assert Notification.objects.filter(
        user=dept.users["supervisor"], subject__contains="endorsement"
    ).exists()


def test_a_deferred_candidate_is_interviewed_again(dept):
    candidacy = at_stage(dept, Stage.DEFERRED)
    PERFORM["schedule"](dept, candidacy)
    candidacy.refresh_from_db()
    assert candidacy.stage == Stage.INTERVIEW
    assert candidacy.interviews.count() == 2
    fresh = sel.current_interview(candidacy)
    sel.interview_score(
        actor=dept.users["panelist"], interview=fresh, scores=full_scores(fresh), notes="Again."
    )


# --- 4. The chain of command ------------------------------------------------------------------


@pytest.fixture
def tall_chain(dept):
    """Supervisors at three levels above the squad: squad, precinct, bureau."""
    people = {}
    for unit, name in ((dept.precinct, "Prec"), (dept.bureau, "Bure")):
        user = UserFactory(email=f"{name.lower()}@pd.example.org")
        EmployeeFactory(user=user, unit=unit, first_name=name, work_email=user.email)
        enable_totp(user)
        unit.supervisor = user.employee
        unit.save(update_fields=["supervisor"])
        people[name] = user
    return people


def _selected(dept):
    candidacy = at_stage(dept, Stage.INTERVIEW)
    PERFORM["select"](dept, candidacy)
    candidacy.refresh_from_db()
    return candidacy


def test_the_request_goes_up_level_by_level(dept, tall_chain):
    candidacy = _selected(dept)
    assert [s.supervisor.first_name for s in candidacy.chain.all()][1:] == ["Prec", "Bure"]
    # The bureau is not first: out of turn.
    with pytest.raises(ValidationError, match="not your turn"):
        sel.chain_answer(
            actor=tall_chain["Bure"], candidacy=candidacy, endorse=True, comment="Early."
        )
    sel.chain_answer(actor=dept.users["supervisor"], candidacy=candidacy, endorse=True, comment="Y")
    candidacy.refresh_from_db()
    assert candidacy.stage == Stage.CHAIN and candidacy.chain_position == 1
    assert Notification.objects.filter(user=tall_chain["Prec"]).exists()
    with pytest.raises(ValidationError, match="already given"):
        sel.chain_answer(
            actor=dept.users["supervisor"], candidacy=candidacy, endorse=True, comment="Again"
        )
    # The precinct captain is away: the coordinator skips the level.
    sel.chain_skip(actor=dept.users["coordinator"], candidacy=candidacy, reason="On leave.")
    candidacy.refresh_from_db()
    assert candidacy.chain_position == 2
    # The bureau declines: the request stops...
    sel.chain_answer(actor=tall_chain["Bure"], candidacy=candidacy, endorse=False, comment="No.")
    candidacy.refresh_from_db()
    assert candidacy.stage == Stage.CHAIN_DECLINED
    assert Notification.objects.filter(
        user=dept.users["bhs_manager"], subject__contains="declined"
    ).exists()
    with pytest.raises(ValidationError):
        PERFORM["recommend"](dept, candidacy)
    # ...unless the BHS manager overrides it, with a reason.
    sel.chain_override(actor=dept.users["bhs_manager"], candidacy=candidacy, reason="Unfounded.")
    candidacy.refresh_from_db()
    assert candidacy.stage == Stage.BHS_REVIEW
    outcomes = [s.outcome for s in candidacy.chain.order_by("position")]
    assert outcomes == [Outcome.ENDORSED, Outcome.SKIPPED, Outcome.OVERRIDDEN]


def test_without_a_chain_the_request_goes_to_the_bhs_manager(dept):
    dept.squad.supervisor = None
    dept.squad.save(update_fields=["supervisor"])
    candidacy = _selected(dept)
    assert candidacy.stage == Stage.BHS_REVIEW
    assert Notification.objects.filter(user=dept.users["bhs_manager"]).exists()


# --- 5-6. Recommendation and the Chief's approval ---------------------------------------------


def test_the_chief_appoints(dept):
    candidacy = at_stage(dept, Stage.CHIEF_REVIEW)
    nominee = candidacy.nominee
    PERFORM["approve"](dept, candidacy)
    profile = SupporterProfile.objects.get(user=nominee)
    assert profile.status == SupporterProfile.Status.APPOINTED
    assert RoleGrant.objects.current().filter(user=nominee, role=Role.PEER_SUPPORTER).exists()
    assert Notification.objects.filter(user=nominee, subject__contains="appointed").exists()
    assert Notification.objects.filter(user=dept.users["coordinator"]).exists()
    # Appointed, in training: not in the directory, offered nothing.
    assert nominee.pk not in [p.user_id for p in selectors.directory(viewer=nominee)]


def test_a_retired_supporter_is_appointed_again(dept):
    candidacy = at_stage(dept, Stage.CHIEF_REVIEW)
    SupporterProfile.objects.create(user=candidacy.nominee, status="retired")
    PERFORM["approve"](dept, candidacy)
    assert SupporterProfile.objects.get(user=candidacy.nominee).status == "appointed"


def test_appointing_without_every_earlier_step_is_refused(dept):
    # At the Chief's stage but with no recommendation on record (the data was tampered with).
    candidacy = at_stage(dept, Stage.CHIEF_REVIEW)
    candidacy.events.filter(action="recommend").delete()
    before = _snapshot(candidacy)
    with pytest.raises(ValidationError, match="has not recommended"):
        PERFORM["approve"](dept, candidacy)
    assert _snapshot(candidacy) == before
    # And from any earlier stage the table refuses it with a clear message.
    early = at_stage(dept, Stage.BHS_REVIEW, nominee=colleague(dept, "Early"))
    with pytest.raises(ValidationError, match="only a candidate the BHS manager has recommended"):
        PERFORM["approve"](dept, early)
    assert not SupporterProfile.objects.exists()


@pytest.mark.parametrize("persona", ["bhs_manager", "coordinator", "supervisor", "panelist"])
def test_only_the_chief_approves(persona, dept):
    candidacy = at_stage(dept, Stage.CHIEF_REVIEW)
    with pytest.raises(ValidationError, match="Only the Chief"):
        sel.candidacy_decide(
            actor=dept.users[persona], candidacy=candidacy, approve=True, comment="x"
        )
    assert not SupporterProfile.objects.exists()


# --- What the candidate sees ------------------------------------------------------------------


def test_the_candidate_sees_a_timeline_without_scores_notes_or_hidden_nominators(dept, client_for):
    nominee = dept.users["committee_member"]  # an employee with MFA and no program role
    candidacy = at_stage(dept, Stage.CHAIN, nominee=nominee)
    Nomination.objects.create(
        candidacy=candidacy,
        nominator=dept.users["supporter"],
        reason="Secret reason.",
        hide_from_nominee=True,
    )
    CandidacyEvent.objects.create(
        candidacy=candidacy,
        action="select",
        from_stage=Stage.INTERVIEW,
        to_stage=Stage.CHAIN,
        label="Selected by the interview panel",
        reason="Private panel reasoning.",
    )
    page = client_for("committee_member").get(reverse("selection:mine"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "With the chain of command" in text
    assert "Selected by the interview panel" in text
    assert dept.users["employee"].employee.full_name in text  # named nominator
    assert "1 colleague who asked not to be named" in text
    assert dept.users["supporter"].employee.full_name not in text
    for secret in ("Calm and credible", "Private panel reasoning", "Secret reason", ">9<"):
        assert secret not in text


def test_staff_see_scores_and_only_note_readers_see_notes(dept, client_for):
    candidacy = at_stage(dept, Stage.CHAIN)
    url = reverse("selection:candidacy", args=[candidacy.pk])
    coordinator = client_for("coordinator").get(url).content.decode()
    assert "Calm and credible" in coordinator
    assert AuditEvent.objects.filter(action=AuditAction.SELECTION_NOTES_VIEWED).count() == 1
    chief = client_for("chief").get(url).content.decode()
    assert "Calm and credible" not in chief and "Listening" in chief


def test_a_panelist_or_supervisor_outside_the_candidacy_gets_404(dept, client_for):
    candidacy = at_stage(dept, Stage.CHAIN)
    other = colleague(dept, "Otto")
    grant(other, Role.PANELIST)
    enable_totp(other)
    from .conftest import signed_in_client

    client = signed_in_client(other)
    assert client.get(reverse("selection:score", args=[candidacy.pk])).status_code == 404
    assert (
        client_for("supervisor").get(reverse("selection:endorse", args=[candidacy.pk])).status_code
        == 200
    )


# --- Every step in the browser's words (the views) ---------------------------------------------


def test_every_step_through_the_pages(dept, client_for, tall_chain):
    employee = client_for("employee")
    nominee = dept.users["committee_member"]
    page = employee.get(reverse("selection:nominate"))
    assert page.status_code == 200
    refused = employee.post(
        reverse("selection:nominate"),
        {"colleague": dept.users["employee"].email, "reason": "Me."},
    )
    assert refused.status_code == 400 and "cannot nominate yourself" in refused.content.decode()
    done = employee.post(
        reverse("selection:nominate"),
        {
            "colleague": nominee.employee.employee_number,
            "reason": "Trusted.",
            "hide_from_nominee": "on",
        },
    )
    assert done.status_code == 302
    candidacy = Candidacy.objects.get(nominee=nominee)
    me = client_for("committee_member")
    assert "You have been nominated" in me.get(reverse("selection:tasks")).content.decode()
    assert me.post(reverse("selection:answer"), {"answer": "accept"}).status_code == 400
    assert (
        me.post(
            reverse("selection:answer"), {"answer": "accept", "motivation": "To give back."}
        ).status_code
        == 302
    )
    coordinator = client_for("coordinator")
    assert coordinator.get(reverse("selection:board")).status_code == 200
    assert coordinator.get(reverse("selection:schedule", args=[candidacy.pk])).status_code == 200
    when = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    scheduled = coordinator.post(
        reverse("selection:schedule", args=[candidacy.pk]),
        {"at": when, "place": "HQ 4", "panelists": [dept.users["panelist"].pk]},
    )
    assert scheduled.status_code == 302
    panelist = client_for("panelist")
    interview = Interview.objects.get(candidacy=candidacy)
    assert panelist.get(reverse("selection:score", args=[candidacy.pk])).status_code == 200
    scores = {f"c{i}": "4" for i in range(len(interview.rubric))}
    url = reverse("selection:score", args=[candidacy.pk])
    assert panelist.post(url, {**scores, "notes": "Good."}).status_code == 302
    twice = panelist.post(url, {**scores, "notes": "Again."})
    assert twice.status_code == 400 and "already scored" in twice.content.decode()
    decided = coordinator.post(
        reverse("selection:decide", args=[candidacy.pk]),
        {"decision": "selected", "reason": "Strong panel."},
    )
    assert decided.status_code == 302
    supervisor = client_for("supervisor")
    assert (
        "awaiting your endorsement" in supervisor.get(reverse("selection:tasks")).content.decode()
    )
    endorse = reverse("selection:endorse", args=[candidacy.pk])
    assert supervisor.post(endorse, {"choice": "yes", "comment": "Solid."}).status_code == 302
    skipped = coordinator.post(
        reverse("selection:skip", args=[candidacy.pk]), {"reason": "Captain away."}
    )
    assert skipped.status_code == 302
    from .conftest import signed_in_client

    bureau = signed_in_client(tall_chain["Bure"])
    assert bureau.post(endorse, {"choice": "no", "comment": "Short staffed."}).status_code == 302
    bhs = client_for("bhs_manager")
    overridden = bhs.post(
        reverse("selection:override", args=[candidacy.pk]), {"reason": "Staffing is no reason."}
    )
    assert overridden.status_code == 302
    recommended = bhs.post(
        reverse("selection:recommend", args=[candidacy.pk]),
        {"choice": "yes", "comment": "Recommended."},
    )
    assert recommended.status_code == 302
    assert (
        client_for("coordinator")
        .post(reverse("selection:approve", args=[candidacy.pk]), {"choice": "yes", "comment": "x"})
        .status_code
        == 403
    )
    chief = client_for("chief")
    approved = chief.post(
        reverse("selection:approve", args=[candidacy.pk]), {"choice": "yes", "comment": "Yes."}
    )
    assert approved.status_code == 302
    candidacy.refresh_from_db()
    assert candidacy.stage == Stage.APPOINTED
    timeline = me.get(reverse("selection:mine")).content.decode()
    assert "Approved by the Chief" in timeline and "Good." not in timeline
    assert client_for("coordinator").get(reverse("roster:manage")).status_code == 200


# --- The lifecycle after appointment --------------------------------------------------------


def credit_initial_training(user, hours=40):
    """Real training records: a completed initial course attended in full."""
    from peersupport.training.models import (
        Attendance,
        Course,
        CourseKind,
        SessionDay,
        TrainingSession,
    )

    start = timezone.now() - timedelta(days=10)
    course, _ = Course.objects.get_or_create(
        kind=CourseKind.INITIAL,
        title="Initial peer support training",
        defaults={"hours": Decimal(40), "days": 1},
    )
    session = TrainingSession.objects.create(
        course=course,
        place="Academy",
        capacity=10,
        starts_at=start,
        ends_at=start + timedelta(hours=10),
    )
    day = SessionDay.objects.create(
        session=session, starts_at=start, ends_at=start + timedelta(hours=10), hours=hours
    )
    Attendance.objects.create(day=day, user=user, hours=hours, recorded_by=user)


def _appointed(dept):
    candidacy = at_stage(dept, Stage.CHIEF_REVIEW)
    PERFORM["approve"](dept, candidacy)
    return SupporterProfile.objects.get(user=candidacy.nominee)


def test_active_only_once_initial_training_is_complete(dept):
    profile = _appointed(dept)
    coordinator = dept.users["coordinator"]
    with pytest.raises(ValidationError, match="not completed initial training"):
        services.supporter_set_status(
            actor=coordinator, profile=profile, status="active", reason="Trained."
        )
    credit_initial_training(profile.user, hours=8)
    with pytest.raises(ValidationError, match="not completed initial training"):
        services.supporter_set_status(
            actor=coordinator, profile=profile, status="active", reason="Trained."
        )
    profile.refresh_from_db()
    assert profile.status == "appointed"
    credit_initial_training(profile.user, hours=32)
    services.supporter_set_status(
        actor=coordinator, profile=profile, status="active", reason="Trained."
    )
    profile.refresh_from_db()
    assert profile.status == "active"


@pytest.mark.parametrize("kind", list(SupporterProfile.InactiveReason))
def test_inactive_with_a_reason_and_an_optional_end_date(kind, dept):
    profile = _appointed(dept)
    SupporterProfile.objects.filter(pk=profile.pk).update(status="active")
    until = timezone.localdate() + timedelta(days=60)
    services.supporter_set_status(
        actor=dept.users["coordinator"],
        profile=profile,
        status="inactive",
        reason="As discussed.",
        inactive_reason=kind,
        inactive_until=until,
    )
    profile.refresh_from_db()
    assert (profile.inactive_reason, profile.inactive_until) == (kind, until)
    services.supporter_set_status(
        actor=dept.users["coordinator"], profile=profile, status="active", reason="Back."
    )
    profile.refresh_from_db()
    assert (profile.status, profile.inactive_reason, profile.inactive_until) == ("active", "", None)


def test_inactive_needs_a_kind_of_reason_and_a_future_end(dept):
    profile = _appointed(dept)
    SupporterProfile.objects.filter(pk=profile.pk).update(status="active")
    args = {"actor": dept.users["coordinator"], "profile": profile, "status": "inactive"}
    with pytest.raises(ValidationError, match="Say why"):
        services.supporter_set_status(**args, reason="x")
    with pytest.raises(ValidationError, match="past"):
        services.supporter_set_status(
            **args,
            reason="x",
            inactive_reason="leave",
            inactive_until=timezone.localdate() - timedelta(days=1),
        )
    profile.refresh_from_db()
    assert profile.status == "active"


@pytest.mark.parametrize("end", ["retired", "removed"])
def test_retiring_or_removal_ends_the_role(end, dept):
    profile = _appointed(dept)
    SupporterProfile.objects.filter(pk=profile.pk).update(status="active")
    services.supporter_set_status(
        actor=dept.users["coordinator"], profile=profile, status=end, reason="Twenty years."
    )
    assert (
        not RoleGrant.objects.current().filter(user=profile.user, role=Role.PEER_SUPPORTER).exists()
    )
    assert AuditEvent.objects.filter(action=AuditAction.ROLE_REVOKED).exists()


def test_open_requests_are_reoffered_when_a_supporter_leaves_active(dept):
    from peersupport.support.models import Message, Offer, SupportRequest

    from .matrix.support_supporter import held_request, pending_offer
    from .test_roster import make_supporter

    leaving = dept.users["supporter"]
    held = held_request(leaving)
    Message.objects.create(request=held, sender="requester", body="Still there?")
    offered = pending_offer(leaving).request
    profile = SupporterProfile.objects.get(user=leaving)
    other = make_supporter(dept.squad, first="Olive", last="Other")
    services.supporter_set_status(
        actor=dept.users["coordinator"],
        profile=profile,
        status="inactive",
        reason="Leave.",
        inactive_reason="leave",
    )
    held.refresh_from_db()
    offered.refresh_from_db()
    assert held.assigned_supporter_id is None
    assert held.messages.count() == 1 and held.identity  # nothing lost
    for req in (held, offered):
        assert req.status == SupportRequest.Status.OFFERED
        assert req.offers.filter(answer=Offer.Answer.PENDING).get().supporter_id == other.user_id
    assert not Offer.objects.filter(supporter=leaving, answer=Offer.Answer.PENDING).exists()
    assert AuditEvent.objects.filter(action=AuditAction.ROSTER_REQUESTS_REOFFERED).exists()


def test_follow_ups_of_a_reoffered_request_go_to_whoever_accepts_it(dept):
    """The supporter who leaves active status had promised a follow-up on a request they held;
    whoever accepts the request next takes it over (and sees it in their inbox), while a
    follow-up already done, or one on a contact without a request, stays where it was."""
    from peersupport.support import services as support
    from peersupport.support.models import FollowUp, Offer

    from .matrix.support_supporter import open_followup
    from .test_roster import make_supporter

    leaving = dept.users["supporter"]
    followup = open_followup(leaving)
    req = followup.request
    done = FollowUp.objects.create(
        supporter=leaving, request=req, due=followup.due, done_at=timezone.now()
    )
    other = make_supporter(dept.squad, first="Olive", last="Other")
    services.supporter_set_status(
        actor=dept.users["coordinator"],
        profile=SupporterProfile.objects.get(user=leaving),
        status="inactive",
        reason="Leave.",
        inactive_reason="leave",
    )
    followup.refresh_from_db()
    assert followup.supporter_id == leaving.pk  # nobody holds the request yet

    offer = req.offers.get(answer=Offer.Answer.PENDING)
    assert offer.supporter_id == other.user_id
    support.offer_answer(actor=other.user, offer=offer, accept=True)

    followup.refresh_from_db()
    done.refresh_from_db()
    assert followup.supporter_id == other.user_id
    assert done.supporter_id == leaving.pk
    accepted = AuditEvent.objects.filter(action=AuditAction.REQUEST_ACCEPTED).latest("seq")
    assert accepted.details == {"followups_taken_over": 1}


def test_only_active_supporters_vote(dept):
    from .test_roster import make_supporter

    active = make_supporter(dept.squad, first="Ava")
    inactive = make_supporter(dept.squad, first="Ina", last="Active", status="inactive")
    assert selectors.may_vote(active.user)
    assert not selectors.may_vote(inactive.user)


def test_the_roster_page_changes_status(dept, client_for):
    from .test_roster import make_supporter

    profile = make_supporter(dept.squad, first="Rosa")
    coordinator = client_for("coordinator")
    url = reverse("roster:set_status", args=[profile.pk])
    assert coordinator.get(url).status_code == 200
    missing = coordinator.post(url, {"status": "inactive", "reason": "Leave."})
    assert missing.status_code == 400
    done = coordinator.post(
        url, {"status": "inactive", "reason": "Leave.", "inactive_reason": "leave"}
    )
    assert done.status_code == 302
    profile.refresh_from_db()
    assert profile.status == "inactive"
    # Appointing is not offered on the roster: only the Chief's approval appoints.
    assert b'value="appointed"' not in coordinator.get(url).content


# --- The board and query counts -----------------------------------------------------------------


def _many(dept, n):
    unit = Unit.objects.create(name="Extra", kind=Unit.Kind.UNIT, parent=dept.precinct)
    for i, stage in enumerate(selection.BOARD_STAGES * n):
        at_stage(dept, stage, nominee=colleague(dept, f"N{i}", unit=unit))


def test_the_board_counts_each_stage_and_how_long_each_waited(dept, client_for):
    _many(dept, 1)
    Candidacy.objects.filter(stage=Stage.INVITED).update(
        stage_changed_at=timezone.now() - timedelta(days=9)
    )
    columns, _ = selectors_selection.board()
    assert all(column.count == 1 for column in columns)
    invited = next(c for c in columns if c.stage == Stage.INVITED)
    assert invited.candidacies[0].waited.days == 9
    page = client_for("coordinator").get(reverse("selection:board"))
    assert "waiting 9 days" in page.content.decode()


PAGES = [
    ("coordinator", "selection:board", None),
    ("coordinator", "selection:tasks", None),
    ("bhs_manager", "selection:tasks", None),
    ("chief", "selection:tasks", None),
    ("coordinator", "roster:manage", None),
    ("coordinator", "selection:candidacy", "candidacy"),
    ("committee_member", "selection:mine", None),
]


@pytest.mark.parametrize(("persona", "name", "arg"), PAGES)
def test_query_counts_stay_constant(persona, name, arg, dept, client_for):
    own = at_stage(dept, Stage.CHAIN, nominee=dept.users["committee_member"])
    client = client_for(persona)
    url = reverse(name, args=[own.pk] if arg else [])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _many(dept, 3)
    for _ in range(3):
        Nomination.objects.create(candidacy=own, nominator=colleague(dept, "Nom"), reason="More.")
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    print(f"{persona} {name}: {len(small)} queries")  # noqa: T201
    assert len(large) == len(small), (name, len(small), len(large))
