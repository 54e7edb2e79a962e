"""The chain of command never stalls silently: levels nobody holds an account at are skipped
(recorded, audited, on the board), a chain with nobody at all raises the coordinator, a wait
longer than SELECTION_CHAIN_STALL_DAYS is raised once by the tick, and the candidate is told
when a decline is overridden. Staff read the timeline in the third person."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.notifications.models import Notification
from peersupport.selection import services as sel
from peersupport.selection.models import Candidacy, CandidacyEvent, ChainStep
from peersupport.selection.tasks import selection_tick

from ..conftest import signed_in_client
from ..factories import EmployeeFactory, UserFactory
from .helpers import PERFORM, at_stage, selected

pytestmark = pytest.mark.django_db
Stage = Candidacy.Stage
Outcome = ChainStep.Outcome
CHICAGO = ZoneInfo("America/Chicago")


def _no_account(unit):
    """``unit``'s supervisor is an employee with no account."""
    unit.supervisor = EmployeeFactory(unit=unit, first_name="Noacct")
    unit.save(update_fields=["supervisor"])
    return unit.supervisor


def _with_account(unit, name):
    user = UserFactory(email=f"{name.lower()}@pd.example.org")
    EmployeeFactory(user=user, unit=unit, first_name=name, work_email=user.email)
    unit.supervisor = user.employee
    unit.save(update_fields=["supervisor"])
    return user


def _recipients(**filters):
    return set(Notification.objects.filter(**filters).values_list("user_id", flat=True))


def test_a_level_without_an_account_holder_is_skipped_and_shown(dept, client_for):
    _no_account(dept.precinct)
    bureau = _with_account(dept.bureau, "Bure")
    candidacy = selected(dept)
    assert candidacy.stage == Stage.CHAIN and candidacy.chain_position == 0
    before = Notification.objects.count()
    PERFORM["endorse"](dept, candidacy)
    candidacy.refresh_from_db()
    # The precinct (level 2) has nobody who could act: the request is with the bureau.
    assert candidacy.stage == Stage.CHAIN and candidacy.chain_position == 2
    step = candidacy.chain.get(position=1)
    assert step.outcome == Outcome.SKIPPED and step.decided_by is None
    assert step.comment == "No account holder at level 2"
    event = CandidacyEvent.objects.get(candidacy=candidacy, action="skip_level")
    assert event.actor is None and event.reason == "No account holder at level 2"
    audit = AuditEvent.objects.filter(action=AuditAction.SELECTION_MOVED, actor_id=None)
    assert [e.details.get("level") for e in audit if e.details["action"] == "skip_level"] == [2]
    # Only the bureau's supervisor is told (the coordinator is not: someone can act).
    new = Notification.objects.order_by("pk")[before:]
    assert {n.user_id for n in new} == {bureau.pk}
    board = client_for("coordinator").get(reverse("selection:board"))
    assert b"No account holder at level 2: skipped" in board.content


def test_a_disabled_account_counts_as_none(dept):
    holder = dept.users["supervisor"]
    holder.is_active = False
    holder.save(update_fields=["is_active"])
    bureau = _with_account(dept.bureau, "Bure")
    candidacy = selected(dept)
    assert candidacy.chain_position == 1
    assert holder.pk not in _recipients(key__contains=":chain:")
    assert _recipients(key__contains=":chain:") == {bureau.pk}


def test_a_chain_with_nobody_to_act_raises_the_coordinator(dept):
    _no_account(dept.squad)
    _no_account(dept.bureau)
    candidacy = selected(dept)
    assert candidacy.stage == Stage.BHS_REVIEW
    assert list(candidacy.chain.values_list("outcome", flat=True)) == [Outcome.SKIPPED] * 2
    raised = Notification.objects.filter(key__contains=":no_holder:")
    assert {n.user_id for n in raised} == {dept.users["coordinator"].pk}
    alert = raised.get()
    assert reverse("selection:candidacy", args=[candidacy.pk]) in alert.body
    assert candidacy.name not in alert.subject + alert.body
    # Besides: the BHS manager to recommend, the candidate told of the panel. Nobody else.
    assert _recipients() == {
        dept.users["coordinator"].pk,
        dept.users["bhs_manager"].pk,
        candidacy.nominee_id,
    }


def test_a_chain_someone_acted_in_does_not_raise_the_coordinator(dept):
    _no_account(dept.precinct)
    candidacy = selected(dept)
    PERFORM["endorse"](dept, candidacy)
    candidacy.refresh_from_db()
    assert candidacy.stage == Stage.BHS_REVIEW
    assert not Notification.objects.filter(key__contains=":no_holder:").exists()


def test_a_long_wait_is_raised_once_per_level_across_the_year_end(dept, settings):
    settings.SELECTION_CHAIN_STALL_DAYS = 14
    bureau = _with_account(dept.bureau, "Bure")
    coordinator = dept.users["coordinator"]
    with time_machine.travel(datetime.datetime(2026, 12, 18, 9, tzinfo=CHICAGO), tick=False) as t:
        candidacy = selected(dept)
        t.move_to(datetime.datetime(2026, 12, 31, 23, 59, tzinfo=CHICAGO))
        assert sel.chain_stalls_raise() == 0
        t.move_to(datetime.datetime(2027, 1, 1, 9, 1, tzinfo=CHICAGO))
        before = Notification.objects.count()
        assert selection_tick.call() == {"stalls_raised": 1}
        assert selection_tick.call() == {"stalls_raised": 0}
        t.move_to(datetime.datetime(2027, 2, 1, 9, tzinfo=CHICAGO))
        assert sel.chain_stalls_raise() == 0  # still the same wait: never repeated
        raised = Notification.objects.order_by("pk")[before:]
        assert {n.user_id for n in raised} == {coordinator.pk}
        alert = raised[0]
        assert alert.subject == "A request to serve is waiting in the chain of command"
        assert "14 days" in alert.body and candidacy.name not in alert.body
        assert reverse("selection:candidacy", args=[candidacy.pk]) in alert.body
        assert AuditEvent.objects.filter(action=AuditAction.SELECTION_STALL_RAISED).count() == 1
        # The squad endorses on 1 February: the wait at the bureau is a new one.
        PERFORM["endorse"](dept, candidacy)
        t.move_to(datetime.datetime(2027, 2, 14, 9, tzinfo=CHICAGO))
        assert sel.chain_stalls_raise() == 0
        t.move_to(datetime.datetime(2027, 2, 15, 9, 1, tzinfo=CHICAGO))
        assert sel.chain_stalls_raise() == 1
    stalls = Notification.objects.filter(key__contains=":stall:")
    assert stalls.count() == 2 and {n.user_id for n in stalls} == {coordinator.pk}
    assert bureau.pk not in {n.user_id for n in stalls}


def test_other_stages_are_never_raised_as_chain_waits(dept, settings):
    settings.SELECTION_CHAIN_STALL_DAYS = 1
    for stage in (Stage.BHS_REVIEW, Stage.CHAIN_DECLINED, Stage.INTERVIEW):
        candidacy = at_stage(dept, stage)
        Candidacy.objects.filter(pk=candidacy.pk).update(
            stage_changed_at=candidacy.stage_changed_at - datetime.timedelta(days=60)
        )
    assert sel.chain_stalls_raise() == 0


def test_the_candidate_is_told_when_a_decline_is_overridden(dept):
    candidacy = at_stage(dept, Stage.CHAIN_DECLINED)
    PERFORM["override"](dept, candidacy)
    told = Notification.objects.filter(key__endswith=":overridden:candidate:email")
    assert {n.user_id for n in told} == {candidacy.nominee_id}
    alert = told.get()
    assert alert.subject == "Your request to serve goes on"
    assert "gave no reason" not in alert.body
    assert reverse("selection:mine") in alert.body
    # Besides the candidate, only the BHS manager (to recommend) hears of it.
    assert _recipients() == {candidacy.nominee_id, dept.users["bhs_manager"].pk}


def test_staff_read_the_timeline_in_staff_words(dept, client_for):
    candidacy = at_stage(dept, Stage.INVITED)
    PERFORM["accept"](dept, candidacy)
    page = client_for("coordinator").get(reverse("selection:candidacy", args=[candidacy.pk]))
    assert b"The nominee accepted the nomination" in page.content
    assert b"You accepted" not in page.content
    # The candidate's own page keeps their wording.
    own = signed_in_client(candidacy.nominee).get(reverse("selection:mine"))
    assert b"You accepted the nomination" in own.content


def test_the_coordinators_tasks_list_requests_waiting_too_long(dept, settings, client_for):
    settings.SELECTION_CHAIN_STALL_DAYS = 14
    candidacy = selected(dept)
    url = reverse("selection:tasks")
    assert b"Waiting too long in the chain" not in client_for("coordinator").get(url).content
    Candidacy.objects.filter(pk=candidacy.pk).update(
        stage_changed_at=candidacy.stage_changed_at - datetime.timedelta(days=14)
    )
    page = client_for("coordinator").get(url)
    assert b"Waiting too long in the chain of command (1)" in page.content
    assert b"level 1" in page.content
    assert b"Waiting too long" not in client_for("bhs_manager").get(url).content
