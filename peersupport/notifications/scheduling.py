"""Periodic work on django.tasks, which has no schedule of its own.

Each periodic task calls ``schedule_next`` first thing, so that a worker killed half-way
through a run still leaves the next run waiting. ``ensure_scheduled`` (``manage.py
schedule_ticks``, run at every start) starts a chain that is missing: none waiting, and none
running recently (a run whose worker was killed stays "RUNNING" for ever). Two chains collapse
into one, because a run does not enqueue a next one when one is already waiting.
"""

from datetime import timedelta

from django.utils import timezone

# A run that started longer ago than this is taken for dead (its worker was killed: the row
# stays RUNNING for ever). A live run that is slower only makes a second chain for a while,
# which collapses into one, and the work is idempotent.
STALE_RUNNING = timedelta(seconds=90)


def _waiting(task):
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=task.module_path, status="READY")


def schedule_next(task, *, seconds: int) -> bool:
    if _waiting(task).exists():
        return False
    task.using(run_after=timezone.now() + timedelta(seconds=seconds)).enqueue()
    return True


def ensure_scheduled(task) -> bool:
    """Enqueue a run now unless the chain is alive. True when one was enqueued."""
    from django_tasks_db.models import DBTaskResult

    running = DBTaskResult.objects.filter(
        task_path=task.module_path,
        status="RUNNING",
        started_at__gte=timezone.now() - STALE_RUNNING,
    )
    if _waiting(task).exists() or running.exists():
        return False
    task.enqueue()
    return True


def ensure_all() -> list[str]:
    """Restart any chain that died. Every tick calls it, so a chain killed at the wrong moment
    (before it enqueued its successor) is back within a minute and a half while any other chain
    runs; `manage.py schedule_ticks` does the same at every start."""
    return [task.name for task, _seconds in periodic_tasks() if ensure_scheduled(task)]


def periodic_tasks():
    """Every chain the worker keeps going, with its period in seconds."""
    from django.conf import settings

    from peersupport.confidentiality.tasks import escalation_tick
    from peersupport.governance.tasks import committee_tick
    from peersupport.outreach.tasks import OUTREACH_TICK_SECONDS, outreach_tick
    from peersupport.support.tasks import TICK_SECONDS, support_tick
    from peersupport.training.tasks import training_tick

    return [
        (support_tick, TICK_SECONDS),
        (escalation_tick, settings.ESCALATION_TICK_SECONDS),
        (training_tick, settings.TRAINING_TICK_SECONDS),
        (outreach_tick, OUTREACH_TICK_SECONDS),
        (committee_tick, settings.COMMITTEE_TICK_SECONDS),
    ]
