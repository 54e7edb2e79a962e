"""The table of allowed moves (peersupport.selection.rules): each allowed and each refused move,
and who may take each."""

from collections import defaultdict

import pytest
from django.core.exceptions import ValidationError

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.selection import rules
from peersupport.selection import services as sel
from peersupport.selection.models import (
    Candidacy,
    ChainStep,
)

from .helpers import (
    ALLOWED,
    PERFORM,
    REFUSED,
    SOURCES,
    at_stage,
    snapshot,
)

Stage = Candidacy.Stage
Outcome = ChainStep.Outcome


def test_the_transition_table_is_the_one_tested():
    assert {a: set(t.sources) for a, t in rules.TRANSITIONS.items()} == SOURCES
    assert set(PERFORM) == set(rules.TRANSITIONS)


@pytest.mark.parametrize(("action", "stage"), ALLOWED)
def test_allowed_move(action, stage, dept):
    candidacy = at_stage(dept, stage)
    before = AuditEvent.objects.filter(action=AuditAction.SELECTION_MOVED).count()
    PERFORM[action](dept, candidacy)
    candidacy.refresh_from_db()
    assert candidacy.stage in rules.TRANSITIONS[action].targets
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
    before = snapshot(candidacy)
    with pytest.raises(ValidationError):
        PERFORM[action](dept, candidacy)
    assert snapshot(candidacy) == before


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
    before = snapshot(candidacy)
    with pytest.raises(ValidationError, match=message):
        _as(action, dept.users[persona])(dept, candidacy)
    assert snapshot(candidacy) == before
