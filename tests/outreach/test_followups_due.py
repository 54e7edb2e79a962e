"""Follow-ups are closed only once they are open (an anniversary a year away cannot be marked
reached today); overdue ones are raised to the coordinators once by the tick; the board's
Remind button alerts the supporter at most once a day; a suggested supporter is assigned with
one click. Dates cross the year end in the department's time zone."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.notifications.models import Notification
from peersupport.outreach import services
from peersupport.outreach.defaults import install_defaults
from peersupport.outreach.models import Assignment, Attempt, FollowUpTask, PlanStep
from peersupport.outreach.tasks import outreach_tick

from ..conftest import signed_in_client
from ..matrix.outreach import assigned, person
from ..matrix.support_supporter import active_supporter

pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")
Outcome = Attempt.Outcome


@pytest.fixture(autouse=True)
def plans(db):
    install_defaults(PlanStep=PlanStep)


def _held_task(personas, due_at):
    """A follow-up due at ``due_at`` of a person the supporter persona has accepted."""
    assignment = assigned(personas["supporter"], personas["coordinator"])
    task = services.task_add(
        actor=personas["coordinator"], person=assignment.person, label="Anniversary", due_at=due_at
    )
    return assignment, task


def test_an_anniversary_cannot_be_marked_reached_before_it_opens(personas, client_for):
    supporter = personas["supporter"]
    with time_machine.travel(datetime(2026, 12, 31, 12, tzinfo=CHICAGO), tick=False) as t:
        assignment, task = _held_task(personas, datetime(2028, 1, 1, 10, tzinfo=CHICAGO))
        for outcome in (Outcome.REACHED, Outcome.LEFT_MESSAGE):
            with pytest.raises(ValidationError, match="can be marked reached from 31 December"):
                services.attempt_record(actor=supporter, task=task, outcome=outcome)
        task.refresh_from_db()
        assert task.status == FollowUpTask.Status.OPEN and not task.attempts.exists()
        # Through the page: a clear message, a 400, nothing changed.
        page = client_for("supporter").get(reverse("outreach:assignment", args=[assignment.pk]))
        assert b"can be marked reached from 31 December 2027" in page.content
        response = client_for("supporter").post(
            reverse("outreach:attempt", args=[task.pk]), {"outcome": Outcome.REACHED}
        )
        assert response.status_code == 400 and b"is due on 1 January 2028" in (response.content)
        assert not task.attempts.exists()
        # Trying and not getting through is a fact at any time; it closes nothing.
        services.attempt_record(actor=supporter, task=task, outcome=Outcome.NO_ANSWER)
        t.move_to(datetime(2027, 12, 30, 23, 59, tzinfo=CHICAGO))
        with pytest.raises(ValidationError):
            services.attempt_record(actor=supporter, task=task, outcome=Outcome.REACHED)
        t.move_to(datetime(2027, 12, 31, 0, 1, tzinfo=CHICAGO))  # the day before: open
        services.attempt_record(actor=supporter, task=task, outcome=Outcome.REACHED)
    task.refresh_from_db()
    assert task.status == FollowUpTask.Status.DONE


def test_a_first_contact_can_be_done_at_once(personas):
    assignment = assigned(personas["supporter"], personas["coordinator"])
    first = assignment.person.tasks.order_by("due_at").first()
    services.attempt_record(actor=personas["supporter"], task=first, outcome=Outcome.REACHED)
    first.refresh_from_db()
    assert first.status == FollowUpTask.Status.DONE


def _overdue_alerts(task):
    return Notification.objects.filter(key__startswith=f"outreach-overdue:{task.pk}:")


def test_an_overdue_follow_up_is_raised_to_the_coordinators_once(personas, settings):
    settings.OUTREACH_OVERDUE_DAYS = 2
    coordinator = personas["coordinator"]
    with time_machine.travel(datetime(2026, 12, 20, 9, tzinfo=CHICAGO), tick=False) as t:
        _assignment, task = _held_task(personas, datetime(2026, 12, 30, 10, tzinfo=CHICAGO))
        t.move_to(datetime(2027, 1, 1, 9, 59, tzinfo=CHICAGO))
        services.outreach_overdue_raise()
        assert not _overdue_alerts(task).exists()
        t.move_to(datetime(2027, 1, 1, 10, 1, tzinfo=CHICAGO))
        outreach_tick.call()
        outreach_tick.call()
        t.move_to(datetime(2027, 3, 31, 23, 0, tzinfo=CHICAGO))
        services.outreach_overdue_raise()
    alerts = _overdue_alerts(task)
    assert [n.user_id for n in alerts] == [coordinator.pk]
    alert = alerts.get()
    assert alert.subject == "An outreach follow-up is overdue"
    assert "2 days" in alert.body and reverse("outreach:board") in alert.body
    assert "Anniversary" not in alert.body and "Matrix" not in alert.body
    # Every overdue alert of the run went to the coordinator, nobody else (not the BHS manager,
    # not the supporter, who had the due reminder).
    raised_to = set(
        Notification.objects.filter(key__startswith="outreach-overdue:").values_list(
            "user_id", flat=True
        )
    )
    assert raised_to == {coordinator.pk}
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.OUTREACH_OVERDUE_RAISED, details__task_id=task.pk
        ).count()
        == 1
    )


def test_done_or_declined_follow_ups_are_never_raised(personas, settings):
    settings.OUTREACH_OVERDUE_DAYS = 1
    with time_machine.travel(datetime(2026, 9, 28, 9, tzinfo=CHICAGO), tick=False) as t:
        _assignment, task = _held_task(personas, datetime(2026, 9, 29, 9, tzinfo=CHICAGO))
        services.attempt_record(
            actor=personas["supporter"], task=task, outcome=Outcome.LEFT_MESSAGE
        )
        t.move_to(datetime(2026, 10, 1, 9, tzinfo=CHICAGO))
        services.outreach_overdue_raise()
    assert not _overdue_alerts(task).exists()


def _as(personas, name):
    """A fresh sign-in now (the clock moves by days: an older session has expired)."""
    return signed_in_client(personas[name])


def _remind(client, task):
    return client.post(reverse("outreach:remind", args=[task.pk]), follow=True)


def test_the_board_reminds_the_supporter_at_most_once_a_day(personas):
    supporter, coordinator = personas["supporter"], personas["coordinator"]
    with time_machine.travel(datetime(2026, 12, 29, 9, tzinfo=CHICAGO), tick=False) as t:
        _assignment, task = _held_task(personas, datetime(2026, 12, 30, 10, tzinfo=CHICAGO))
        # Not overdue yet: no button, and a POST is refused with a message.
        board = _as(personas, "coordinator").get(reverse("outreach:board"))
        assert reverse("outreach:remind", args=[task.pk]).encode() not in board.content
        refused = _remind(_as(personas, "coordinator"), task)
        assert b"not overdue yet" in refused.content
        t.move_to(datetime(2026, 12, 31, 22, tzinfo=CHICAGO))
        board = _as(personas, "coordinator").get(reverse("outreach:board"))
        assert reverse("outreach:remind", args=[task.pk]).encode() in board.content
        before = Notification.objects.count()
        done = _remind(_as(personas, "coordinator"), task)
        assert b"The supporter has been reminded." in done.content
        new = list(Notification.objects.order_by("pk")[before:])
        assert [n.user_id for n in new] == [supporter.pk]
        assert new[0].subject == "Reminder: an outreach follow-up is overdue"
        assert "Anniversary" not in new[0].body
        # Again the same evening: refused, nobody told.
        again = _remind(_as(personas, "coordinator"), task)
        assert b"already reminded of this follow-up today" in again.content
        assert Notification.objects.count() == before + 1
        assert (
            b"reminded today" in _as(personas, "coordinator").get(reverse("outreach:board")).content
        )
        # The next day (a new year): once more, by the BHS manager this time.
        t.move_to(datetime(2027, 1, 1, 8, tzinfo=CHICAGO))
        _remind(_as(personas, "bhs_manager"), task)
        assert Notification.objects.count() == before + 2
        assert (
            _as(personas, "supporter").post(reverse("outreach:remind", args=[task.pk])).status_code
            == 403
        )
    reminders = AuditEvent.objects.filter(action=AuditAction.OUTREACH_REMINDED)
    assert [e.actor_id for e in reminders.order_by("seq")] == [
        coordinator.pk,
        personas["bhs_manager"].pk,
    ]


def test_an_unassigned_overdue_follow_up_cannot_be_reminded(personas, client_for):
    who = person(type("D", (), {"users": personas})())
    task = who.tasks.order_by("due_at").first()
    with time_machine.travel(task.due_at + timedelta(days=1)):
        response = _remind(client_for("coordinator"), task)
    assert b"assign a supporter first" in response.content
    assert not Notification.objects.filter(key__startswith="outreach-remind:").exists()


def test_a_suggested_supporter_is_assigned_with_one_click(personas, client_for):
    supporter = personas["supporter"]
    active_supporter(supporter)
    who = person(type("D", (), {"users": personas})())
    url = reverse("outreach:assign", args=[who.pk])
    page = client_for("coordinator").get(url)
    assert f'name="supporter_id" value="{supporter.pk}"'.encode() in page.content
    response = client_for("coordinator").post(url, {"supporter_id": supporter.pk})
    assert response.status_code == 302
    held = Assignment.objects.get(person=who)
    assert held.supporter_id == supporter.pk and held.status == Assignment.Status.OFFERED
    told = Notification.objects.filter(key__contains="assign").values_list("user_id", flat=True)
    assert set(told) == {supporter.pk}
