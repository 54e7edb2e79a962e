"""The worker's support tick: lapsed offers, e-mail reminders, purge; scheduled exactly once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from peersupport.notifications.scheduling import ensure_scheduled
from peersupport.notifications.services import deliver_due
from peersupport.support import services
from peersupport.support.models import FollowUp
from peersupport.support.tasks import support_tick

pytestmark = pytest.mark.django_db


def test_followup_reminders_say_nothing_identifying_and_go_once(personas):
    supporter = personas["supporter"]
    today = timezone.localdate()
    FollowUp.objects.create(supporter=supporter, due=today)
    FollowUp.objects.create(supporter=supporter, due=today - timedelta(days=1))
    FollowUp.objects.create(supporter=supporter, due=today + timedelta(days=3))  # not yet
    FollowUp.objects.create(supporter=supporter, due=today, done_at=timezone.now())  # done already
    assert services.followups_remind() == 1
    assert len(mail.outbox) == 0  # queued in the outbox, sent by the worker
    assert deliver_due() == {"sent": 1}
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert msg.to == [supporter.email]
    assert "2 follow-ups due" in msg.body and "/support/inbox/" in msg.body
    # Again: nothing more is sent.
    assert services.followups_remind() == 0
    deliver_due()
    assert len(mail.outbox) == 1


def test_tick_runs_and_schedules_the_next_one():
    result = support_tick.call()
    assert set(result) == {
        "offers",
        "coordinators_told",
        "reminders",
        "purged",
        "restarted",
    }
    waiting = DBTaskResult.objects.filter(task_path=support_tick.module_path, status="READY")
    assert waiting.count() == 1
    assert waiting.get().run_after > timezone.now()


def test_ensure_scheduled_enqueues_once():
    assert ensure_scheduled(support_tick) is True
    assert ensure_scheduled(support_tick) is False
    assert DBTaskResult.objects.filter(task_path=support_tick.module_path).count() == 1


def test_a_tick_killed_mid_run_leaves_its_successor_waiting():
    """The next run is enqueued first thing, so a worker killed during a run (its row stays
    RUNNING for ever) does not end the chain; an old RUNNING row does not block a restart."""
    from peersupport.notifications.scheduling import STALE_RUNNING

    support_tick.call()
    waiting = DBTaskResult.objects.filter(task_path=support_tick.module_path, status="READY")
    assert waiting.count() == 1
    # Two chains collapse into one: a run does not add a second waiting successor.
    support_tick.call()
    assert waiting.count() == 1
    # A run that died long ago (status RUNNING, started before the stale limit) and nothing
    # waiting: ensure_scheduled starts the chain again.
    waiting.update(status="RUNNING", started_at=timezone.now() - STALE_RUNNING - timedelta(1))
    assert ensure_scheduled(support_tick) is True


def test_coordinators_are_told_of_waiting_requests_without_details(personas, settings):
    from peersupport.governance.notice import current_notice
    from peersupport.support.models import ContactMethod, RequesterKind, SupportRequest

    settings.SUPPORT_ESCALATE_MINUTES = 60
    created = services.request_create(
        requester=None,
        kind=RequesterKind.FAMILY,
        name="Waiting Canaryname",
        contact_method=ContactMethod.PHONE,
        contact_detail="555 0199 8877",
        notice_version=current_notice().version,
    )
    assert created.request.status == SupportRequest.Status.WAITING  # no supporter available
    later = timezone.now() + timedelta(minutes=61)
    assert services.offers_lapse(now=later)["escalated"] == 1
    assert services.waiting_tell_coordinators(now=later) == 1
    deliver_due()
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert msg.to == [personas["coordinator"].email]
    assert "1 support request has not been accepted" in msg.body and "61 minutes" in msg.body
    assert "Canaryname" not in msg.body + msg.subject and "0199" not in msg.body
    # Once only.
    assert services.waiting_tell_coordinators(now=later) == 0
    deliver_due()
    assert len(mail.outbox) == 1


def test_a_chain_killed_before_it_enqueued_its_successor_is_restarted_by_another():
    """A worker killed at the very start of an escalation tick leaves it RUNNING with no
    successor. Any other tick restarts it once the run is stale (a crash soak found this)."""
    from peersupport.confidentiality.tasks import escalation_tick
    from peersupport.notifications.scheduling import STALE_RUNNING

    escalation_tick.enqueue()
    dead = DBTaskResult.objects.filter(task_path=escalation_tick.module_path)
    dead.update(status="RUNNING", started_at=timezone.now() - timedelta(seconds=5))
    assert "escalation_tick" not in support_tick.call()["restarted"]  # maybe still running
    dead.update(started_at=timezone.now() - STALE_RUNNING - timedelta(seconds=1))
    assert "escalation_tick" in support_tick.call()["restarted"]
    assert DBTaskResult.objects.filter(
        task_path=escalation_tick.module_path, status="READY"
    ).exists()
