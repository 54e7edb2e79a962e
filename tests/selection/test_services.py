"""Each step of selection through its service: nomination, the nominee's answer, the
interview, the chain of command, the BHS manager's recommendation and the Chief's approval; bad
input, and notifications to whoever acts next."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from peersupport.accounts.models import Role, RoleGrant
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.notifications.models import Notification
from peersupport.roster import selectors
from peersupport.roster.models import SupporterProfile
from peersupport.selection import selectors as sel_selectors
from peersupport.selection import services as sel
from peersupport.selection.models import (
    Candidacy,
    ChainStep,
    Interview,
    NominationRound,
    PanelScore,
)

from ..factories import PanelistFactory, SupporterProfileFactory, grant
from .helpers import (
    PERFORM,
    at_stage,
    colleague,
    full_scores,
    scheduled,
    selected,
    snapshot,
)

Stage = Candidacy.Stage
Outcome = ChainStep.Outcome


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


def test_a_retiree_does_not_nominate(dept):
    """Retirees keep the employee role to ask for support, not to choose who serves."""
    retiree = dept.users["employee"]
    retiree.employee.status = "retired"
    retiree.employee.save(update_fields=["status"])
    nominee = dept.users["supervisor"]
    with pytest.raises(ValidationError, match="still serving"):
        sel.nomination_create(actor=retiree, nominee=nominee, reason="A good listener.")
    assert not Candidacy.objects.exists()


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
    SupporterProfileFactory(user=nominee, status=status)  # inactive: on leave
    with pytest.raises(ValidationError, match="already a peer supporter"):
        sel.nomination_create(actor=dept.users["employee"], nominee=nominee, reason="x")
    assert not Candidacy.objects.exists()


def test_nominating_a_role_holder_or_a_removed_supporter_is_refused(dept):
    with pytest.raises(ValidationError, match="already a peer supporter"):
        sel.nomination_create(
            actor=dept.users["employee"], nominee=dept.users["supporter"], reason="x"
        )
    removed = colleague(dept, "Remy")
    SupporterProfileFactory(user=removed, status="removed")
    with pytest.raises(ValidationError, match="removed from the program"):
        sel.nomination_create(actor=dept.users["employee"], nominee=removed, reason="x")
    assert not Candidacy.objects.exists()


def test_a_retired_supporter_can_be_nominated_again(dept):
    retired = colleague(dept, "Reta")
    SupporterProfileFactory(user=retired, status="retired")
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


def test_a_panelist_scores_once_with_protected_notes(dept):
    candidacy, interview = scheduled(dept)
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
    candidacy, interview = scheduled(dept)
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
    candidacy, interview = scheduled(dept)
    PanelistFactory(interview=interview, user=second)
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
    fresh = sel_selectors.current_interview(candidacy)
    with time_machine.travel(fresh.at + timedelta(minutes=30), tick=False):
        sel.interview_score(
            actor=dept.users["panelist"], interview=fresh, scores=full_scores(fresh), notes="Again."
        )


def test_scores_and_the_decision_wait_for_the_interviews_time(dept):
    candidacy, interview = scheduled(dept, held=False)
    panelist, coordinator = dept.users["panelist"], dept.users["coordinator"]
    before = snapshot(candidacy), PanelScore.objects.count()
    with time_machine.travel(interview.at - timedelta(minutes=1), tick=False):
        with pytest.raises(ValidationError, match="once the interview has taken place"):
            sel.interview_score(
                actor=panelist, interview=interview, scores=full_scores(interview), notes="Early."
            )
        with pytest.raises(ValidationError, match="panel decides once the interview"):
            sel.interview_decide(
                actor=coordinator, candidacy=candidacy, decision="selected", reason="Early."
            )
    assert (snapshot(candidacy), PanelScore.objects.count()) == before
    with time_machine.travel(interview.at, tick=False):  # at the time itself: it has begun
        sel.interview_score(
            actor=panelist, interview=interview, scores=full_scores(interview), notes="Done."
        )
        sel.interview_decide(
            actor=coordinator, candidacy=candidacy, decision="selected", reason="Good."
        )
    candidacy.refresh_from_db()
    assert candidacy.stage == Stage.CHAIN


def test_the_request_goes_up_level_by_level(dept, tall_chain):
    candidacy = selected(dept)
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
    candidacy = selected(dept)
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
    SupporterProfileFactory(user=candidacy.nominee, status="retired")
    PERFORM["approve"](dept, candidacy)
    assert SupporterProfile.objects.get(user=candidacy.nominee).status == "appointed"


def test_appointing_without_every_earlier_step_is_refused(dept):
    # At the Chief's stage but with no recommendation on record (the data was tampered with).
    candidacy = at_stage(dept, Stage.CHIEF_REVIEW)
    candidacy.events.filter(action="recommend").delete()
    before = snapshot(candidacy)
    with pytest.raises(ValidationError, match="has not recommended"):
        PERFORM["approve"](dept, candidacy)
    assert snapshot(candidacy) == before
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
