"""CISM answers that change while the team is out, and alerting again those who have not
answered: the worker's re-alert across its interval's boundary, at most CISM_REALERT_TIMES
times, once however many ticks (or workers) run at the same moment, never after the team stood
down or for members who answered; and the staff's rate-limited "remind" button."""

import contextvars
import threading
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from peersupport.audit.models import AuditEvent
from peersupport.cism import selectors, services
from peersupport.cism.models import Activation, Callout, TeamMember
from peersupport.cism.tasks import cism_tick
from peersupport.notifications.models import Notification

from ..matrix.cism import _peer
from ..matrix.support_supporter import active_supporter

pytestmark = pytest.mark.django_db
SECRET = "Shots fired at the Elm Street stop"
# Late on New Year's Eve: the re-alerts cross midnight and the year's end.
START = datetime(2026, 12, 31, 23, 40, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def coordinator(personas):
    return personas["coordinator"]


@pytest.fixture
def team(personas, coordinator):
    """The persona supporter as lead and two more peers."""
    supporter = personas["supporter"]
    active_supporter(supporter)
    services.member_add(actor=coordinator, user=supporter, team_role="lead")
    peers = [_peer(), _peer()]
    for peer in peers:
        services.member_add(actor=coordinator, user=peer, team_role="peer")
    return [supporter, *peers]


def _activate(coordinator, at=START):
    with time_machine.travel(at, tick=False):
        return services.activation_start(
            actor=coordinator,
            event_type="critical_incident",
            incident_date=at.date(),
            description=SECRET,
        )


def _answer(member, activation, accept, at):
    with time_machine.travel(at, tick=False):
        return services.callout_answer(
            actor=member, callout=activation.callouts.get(member=member), accept=accept
        )


def _tick(at):
    with time_machine.travel(at, tick=False):
        return services.callouts_realert()


def _alerts(user=None):
    """E-mail rows of the call-out's alert (each alert has one e-mail row at least)."""
    rows = Notification.objects.filter(kind="cism/callout", channel="email")
    return rows.filter(user=user) if user is not None else rows


def _later(minutes, seconds=0):
    return START + timedelta(minutes=minutes, seconds=seconds)


# --- Changing an answer --------------------------------------------------------------------


@override_settings(CISM_TEAM_MINIMUM=2)
def test_a_member_changes_their_answer_and_the_log_keeps_the_first_assembly(coordinator, team):
    activation = _activate(coordinator)
    lead, peer, other = team
    _answer(lead, activation, True, _later(5))
    _answer(peer, activation, False, _later(6))
    _answer(peer, activation, True, _later(8))  # can come after all: the team is assembled
    activation.refresh_from_db()
    assert activation.assembled_at == _later(8)
    _answer(lead, activation, False, _later(20))  # can no longer come
    activation.refresh_from_db()
    counts = selectors.answer_counts(selectors.callouts_of(activation))
    assert activation.assembled_at == _later(8)  # the first moment, kept
    assert not selectors.is_assembled_now(counts)
    _answer(other, activation, True, _later(30))  # back to two: the first moment still stands
    activation.refresh_from_db()
    assert activation.assembled_at == _later(8)
    assert selectors.is_assembled_now(selectors.answer_counts(selectors.callouts_of(activation)))
    # Every answer and every change is audited, with what it replaced; nothing is alerted.
    changes = [
        (e.details["accepted"], e.details["from"])
        for e in AuditEvent.objects.filter(action="cism.answered").order_by("seq")
    ]
    assert changes == [
        (True, "waiting"),
        (False, "waiting"),
        (True, "declined"),
        (False, "accepted"),
        (True, "waiting"),
    ]
    assert _alerts().count() == 3


def test_an_answer_cannot_change_after_stand_down_or_be_given_twice(coordinator, team):
    activation = _activate(coordinator)
    lead = team[0]
    _answer(lead, activation, False, _later(1))
    with pytest.raises(ValidationError, match="already declined"):
        _answer(lead, activation, False, _later(2))
    services.activation_stand_down(actor=coordinator, activation=activation, summary="Done.")
    with pytest.raises(ValidationError, match="stood down"):
        _answer(lead, activation, True, _later(3))
    assert activation.callouts.get(member=lead).answer == "declined"


def test_the_activation_page_says_when_the_team_is_no_longer_assembled(
    client_for, coordinator, team
):
    activation = _activate(coordinator)
    for minute, member in enumerate(team, start=1):
        _answer(member, activation, True, _later(minute))
    url = reverse("cism:detail", args=[activation.public_id])
    assert "no longer" not in client_for("coordinator").get(url).content.decode()
    _answer(team[0], activation, False, _later(10))
    page = client_for("coordinator").get(url).content.decode()
    assert "(no longer: 2 accepted now)" in page
    board = client_for("coordinator").get(reverse("cism:board")).content.decode()
    assert "(no longer)" in board


def test_a_member_who_declined_accepts_after_all_on_their_page(client_for, coordinator, team):
    activation = _activate(coordinator, at=timezone.now())
    callout = activation.callouts.get(member=team[0])
    client = client_for("supporter")
    url = reverse("cism:callout", args=[callout.pk])
    client.post(url, {"answer": "decline"})
    mine = client.get(reverse("cism:mine")).content.decode()
    assert "declined" in mine
    page = client.get(url).content.decode()
    assert SECRET not in page and "I can come after all" in page
    resp = client.post(url, {"answer": "accept"})
    assert resp.status_code == 302 and resp["Location"] == url
    page = client.get(url).content.decode()
    assert SECRET in page and "I can no longer come" in page
    resp = client.post(url, {"answer": "accept"})
    assert resp.status_code == 400 and "already accepted" in resp.content.decode()


# --- The worker's re-alert -----------------------------------------------------------------


@override_settings(CISM_REALERT_MINUTES=15, CISM_REALERT_TIMES=2)
def test_those_who_have_not_answered_are_alerted_again_across_the_interval(coordinator, team):
    activation = _activate(coordinator)
    lead, peer, other = team
    _answer(lead, activation, True, _later(3))
    assert _tick(_later(14, 59)) == 0
    assert _tick(_later(15)) == 2  # the boundary (and the year's end) included
    assert _alerts(lead).count() == 1 and _alerts(peer).count() == 2
    _answer(peer, activation, False, _later(20))
    assert _tick(_later(29, 59)) == 0
    assert _tick(_later(30)) == 1  # only the one who still has not answered
    assert _tick(_later(45)) == 0  # CISM_REALERT_TIMES reached
    assert _tick(_later(600)) == 0
    callout = activation.callouts.get(member=other)
    assert (callout.realerts, callout.alerted_at) == (2, _later(30))
    assert _alerts(other).count() == 3 and _alerts(peer).count() == 2
    events = AuditEvent.objects.filter(action="cism.realerted").order_by("seq")
    assert [e.details for e in events] == [{"realerted": 2}, {"realerted": 1}]
    assert all(e.actor_id is None for e in events)
    for alert in _alerts():
        assert SECRET not in alert.subject + alert.body and "Elm" not in alert.body
        assert str(alert.user) not in alert.body


def test_two_ticks_at_the_same_moment_alert_once(coordinator, team):
    activation = _activate(coordinator)
    assert _tick(_later(15)) == 3
    assert _tick(_later(15)) == 0
    with time_machine.travel(_later(15), tick=False):
        assert cism_tick.call() == {"realerted": 0}
    assert set(activation.callouts.values_list("realerts", flat=True)) == {1}
    assert _alerts().count() == 6


def test_nothing_is_alerted_again_after_stand_down(coordinator, team):
    activation = _activate(coordinator)
    with time_machine.travel(_later(10), tick=False):
        services.activation_stand_down(actor=coordinator, activation=activation, summary="Done.")
    assert _tick(_later(15)) == 0
    assert _tick(_later(120)) == 0
    assert _alerts().count() == 3
    assert not AuditEvent.objects.filter(action="cism.realerted").exists()


@override_settings(CISM_REALERT_TIMES=0)
def test_no_re_alert_when_switched_off(coordinator, team):
    _activate(coordinator)
    assert _tick(_later(60)) == 0


def test_the_tick_is_registered_with_the_worker():
    from peersupport.notifications.scheduling import periodic_tasks

    assert cism_tick in [t for t, _ in periodic_tasks()]


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_alert_each_member_once(dept, team):
    """Two ticks on two connections at the same moment (PostgreSQL): each waiting member is
    alerted again exactly once, the activation's lock ordering the two."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database for parallel connections")
    activation = _activate(dept.users["coordinator"], at=timezone.now() - timedelta(minutes=20))
    start = threading.Barrier(2)
    results = []

    def tick():
        try:
            start.wait()
            results.append(services.callouts_realert())
        finally:
            connections.close_all()

    # Each thread in a copy of this context: the test's agency (tests/conftest.py).
    threads = [
        threading.Thread(target=contextvars.copy_context().run, args=(tick,)) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 3]
    assert set(activation.callouts.values_list("realerts", flat=True)) == {1}
    assert _alerts().count() == 6


# --- The staff's reminder ------------------------------------------------------------------


def test_the_coordinator_reminds_those_who_have_not_answered_at_most_every_five_minutes(
    coordinator, team
):
    activation = _activate(coordinator)
    lead, peer, other = team
    _answer(lead, activation, True, _later(1))
    with time_machine.travel(_later(10), tick=False):
        assert services.activation_remind(actor=coordinator, activation=activation) == 2
    with (
        time_machine.travel(_later(14, 59), tick=False),
        pytest.raises(ValidationError, match="less than 5 minutes ago"),
    ):
        services.activation_remind(actor=coordinator, activation=activation)
    assert _alerts(peer).count() == 2 and _alerts(lead).count() == 1
    # The reminder restarted the interval and used up none of the worker's re-alerts.
    assert _tick(_later(15)) == 0
    assert _tick(_later(25)) == 2
    assert set(Callout.objects.filter(answer="waiting").values_list("realerts", flat=True)) == {1}
    with time_machine.travel(_later(26), tick=False):
        assert services.activation_remind(actor=coordinator, activation=activation) == 2
    event = AuditEvent.objects.filter(action="cism.reminded").first()
    assert event.actor_id == coordinator.pk and event.details == {"reminded": 2}


def test_a_member_taken_off_the_team_is_not_alerted_again(coordinator, team):
    """Off the team mid-activation: their call-out stays in the log, unanswered, but neither
    the worker nor a reminder alerts them again."""
    activation = _activate(coordinator)
    lead, peer, other = team
    with time_machine.travel(_later(2), tick=False):
        services.member_remove(actor=coordinator, member=TeamMember.objects.get(user=other))
    assert _tick(_later(15)) == 2
    with time_machine.travel(_later(21), tick=False):
        assert services.activation_remind(actor=coordinator, activation=activation) == 2
    assert _alerts(other).count() == 1 and _alerts(peer).count() == 3
    assert activation.callouts.get(member=other).answer == Callout.Answer.WAITING


def test_a_member_separated_mid_activation_is_not_alerted_again_nor_answers(
    personas, coordinator, team
):
    """Separation revokes the roles and keeps the account: the separated member is neither
    re-alerted, nor reminded, nor able to answer, and their call-out's page is gone."""
    from peersupport.accounts import services as accounts

    activation = _activate(coordinator)
    lead, peer, other = team
    with time_machine.travel(_later(2), tick=False):
        employee = other.employee
        accounts.employee_update(
            actor=personas["sysadmin"], employee=employee, status=employee.Status.SEPARATED
        )
    assert _tick(_later(15)) == 2
    assert _alerts(other).count() == 1
    callout = activation.callouts.get(member=other)
    with (
        time_machine.travel(_later(16), tick=False),
        pytest.raises(ValidationError, match="no longer on the CISM team"),
    ):
        services.callout_answer(actor=other, callout=callout, accept=True)
    assert selectors.callouts_for(other) == []
    assert selectors.waiting_count(other)[0] == 0


def test_a_member_off_the_team_cannot_accept_after_all_and_read_what_happened(
    client_for, coordinator, team
):
    """A member who declined and was then taken off the team cannot turn the decline into an
    acceptance: what happened stays with those still on the team."""
    activation = _activate(coordinator, at=timezone.now())
    lead, peer, other = team
    callout = activation.callouts.get(member=other)
    services.callout_answer(actor=other, callout=callout, accept=False)
    services.member_remove(actor=coordinator, member=TeamMember.objects.get(user=other))
    with pytest.raises(ValidationError, match="no longer on the CISM team"):
        services.callout_answer(actor=other, callout=callout, accept=True)
    assert Callout.objects.get(pk=callout.pk).answer == Callout.Answer.DECLINED


def test_an_activation_calls_out_only_members_still_serving(personas, coordinator, team):
    """A peer on the team whose supporter profile is no longer active (on leave, retired) is
    not called out, nor is someone whose account is disabled."""
    from peersupport.roster import services as roster
    from peersupport.roster.models import SupporterProfile

    lead, peer, other = team
    roster.supporter_set_status(
        actor=coordinator,
        profile=SupporterProfile.objects.get(user=other),
        status=SupporterProfile.Status.INACTIVE,
        reason="On leave for a month",
        inactive_reason=SupporterProfile.InactiveReason.LEAVE,
    )
    activation = _activate(coordinator)
    assert set(activation.callouts.values_list("member", flat=True)) == {lead.pk, peer.pk}


def test_nobody_is_reminded_when_all_answered_or_after_stand_down(coordinator, team):
    activation = _activate(coordinator)
    for minute, member in enumerate(team, start=1):
        _answer(member, activation, minute != 2, _later(minute))
    with pytest.raises(ValidationError, match="Every member has answered"):
        services.activation_remind(actor=coordinator, activation=activation)
    services.activation_stand_down(actor=coordinator, activation=activation, summary="Done.")
    with pytest.raises(ValidationError, match="stood down"):
        services.activation_remind(actor=coordinator, activation=activation)
    assert _alerts().count() == 3
    assert Activation.objects.get(pk=activation.pk).reminded_at is None


def test_the_remind_button_on_the_activation_page(client_for, coordinator, team):
    activation = _activate(coordinator, at=timezone.now())
    client = client_for("bhs_manager")
    detail = reverse("cism:detail", args=[activation.public_id])
    url = reverse("cism:remind", args=[activation.public_id])
    assert "Remind those who have not answered" in client.get(detail).content.decode()
    empty = client.post(url, {})
    assert empty.status_code == 400 and 'class="error-summary"' in empty.content.decode()
    assert _alerts().count() == 3
    resp = client.post(url, {"confirm": "remind"})
    assert resp.status_code == 302 and resp["Location"] == detail
    assert _alerts().count() == 6
    page = client.get(detail).content.decode()
    assert "Remind those who have not answered" not in page and "Reminded at" in page
    again = client.post(url, {"confirm": "remind"})
    assert again.status_code == 400 and "less than 5 minutes ago" in again.content.decode()
    assert _alerts().count() == 6
    assert client_for("supporter").post(url, {"confirm": "remind"}).status_code == 403


def test_the_upgrade_takes_earlier_call_outs_as_alerted_at_their_activation(
    settings, coordinator, team
):
    """0002's data step: call-outs made before re-alerts existed are taken as alerted when their
    activation started, their re-alerts used up, so the upgrade sets off no burst of alerts."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("peersupport.cism.migrations.0002_answers_and_realerts")
    activation = _activate(coordinator)
    Callout.objects.update(alerted_at=_later(60 * 24), realerts=0)  # as AddField left them
    migration._no_burst(apps, None)
    rows = set(Callout.objects.values_list("alerted_at", "realerts"))
    assert rows == {(activation.requested_at, settings.CISM_REALERT_TIMES)}
    assert _tick(_later(60 * 24 + 15)) == 0
