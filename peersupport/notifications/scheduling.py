"""Periodic work on django.tasks, which has no schedule of its own.

Each app registers its periodic task in ``AppConfig.ready()`` with ``register_periodic``; this
module never imports an app (the kernel points down only). The worker keeps every registered
chain going.

Each periodic task calls ``schedule_next`` first thing, so that a worker killed half-way
through a run still leaves the next run waiting. ``ensure_scheduled`` (``manage.py
schedule_ticks``, run at every start) starts a chain that is missing: none waiting, and none
running recently (a run whose worker was killed stays "RUNNING" for ever). Two chains collapse
into one, because a run does not enqueue a next one when one is already waiting.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.tasks import Task
from django.utils import timezone

# A run that started longer ago than this is taken for dead (its worker was killed: the row
# stays RUNNING for ever). A live run that is slower only makes a second chain for a while,
# which collapses into one, and the work is idempotent.
STALE_RUNNING = timedelta(seconds=90)


def _waiting(task):
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=task.module_path, status="READY")


@dataclass(frozen=True)
class Periodic:
    task: Task
    seconds: int | str  # a number, or the name of a setting read at each run

    def interval(self) -> int:
        if isinstance(self.seconds, str):
            return int(getattr(settings, self.seconds))
        return self.seconds


_registry: dict[str, Periodic] = {}


def register_periodic(task: Task, *, seconds: int | str) -> None:
    """Keep ``task`` running every ``seconds`` (a number, or the name of a setting). Called from
    an app's ``AppConfig.ready()``; registering the same task again replaces it."""
    _registry[task.module_path] = Periodic(task=task, seconds=seconds)


def interval_of(task: Task) -> int:
    return _registry[task.module_path].interval()


def schedule_next(task: Task, *, seconds: int | None = None) -> bool:
    """Enqueue the next run of ``task`` (after its registered interval unless ``seconds``),
    unless one is already waiting. Every periodic task calls this first thing, in the worker,
    so this is also where the worker's heartbeat is written."""
    beat()
    if seconds is None:
        seconds = interval_of(task)
    if _waiting(task).exists():
        return False
    task.using(run_after=timezone.now() + timedelta(seconds=seconds)).enqueue()
    return True


def beat() -> None:
    """Record that a worker is running periodic work now: one UPDATE of one row (the row is
    made by the first beat). The shortest tick (the escalation tick, 15 s) sets its pace; the
    metrics endpoint reports its age (monitoring.heartbeat_gauges)."""
    from .models import WorkerHeartbeat

    now = timezone.now()
    if not WorkerHeartbeat.objects.filter(pk=1).update(beat_at=now):
        WorkerHeartbeat.objects.bulk_create(
            [WorkerHeartbeat(pk=1, beat_at=now)], ignore_conflicts=True
        )


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


def periodic_tasks() -> list[tuple[Task, int]]:
    """Every chain the worker keeps going, with its period in seconds, in registration order."""
    return [(p.task, p.interval()) for p in _registry.values()]
