"""Periodic work on django.tasks, which has no schedule of its own.

Each app registers its periodic task in ``AppConfig.ready()`` with ``register_periodic``; this
module never imports an app (the kernel points down only). The worker keeps every registered
chain going.

Each periodic task calls ``schedule_next`` first thing, so that a worker killed half-way
through a run still leaves the next run waiting. ``ensure_scheduled`` (``manage.py
schedule_ticks``, run at every start) starts a chain that is missing: none waiting, and none
running recently (a run whose worker was killed stays "RUNNING" for ever). Two chains collapse
into one, because a run does not enqueue a next one when one is already waiting.

A periodic task is registered per agency (the default) or install-wide. Its body is
``run_tick(task, work)``: the next run is scheduled first, then ``work`` runs once inside each
active agency (``tenancy.using_agency``), or once for the install. One agency's failure is
logged and the others still run (docs/design/agencies.md §2.5).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.tasks import Task
from django.utils import timezone

from peersupport.tenancy import using_agency

log = logging.getLogger(__name__)

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
    per_agency: bool = True  # runs once inside each active agency, or once for the install

    def interval(self) -> int:
        if isinstance(self.seconds, str):
            return int(getattr(settings, self.seconds))
        return self.seconds


_registry: dict[str, Periodic] = {}


def register_periodic(task: Task, *, seconds: int | str, per_agency: bool = True) -> None:
    """Keep ``task`` running every ``seconds`` (a number, or the name of a setting). Called from
    an app's ``AppConfig.ready()``; registering the same task again replaces it. A task
    ``per_agency`` does its work once for each active agency (``run_tick``); the kernel's own
    machinery (its tick, the outbox) is install-wide: ``per_agency=False``."""
    _registry[task.module_path] = Periodic(task=task, seconds=seconds, per_agency=per_agency)


def is_per_agency(task: Task) -> bool:
    return _registry[task.module_path].per_agency


class TickFailed(RuntimeError):
    """The work of a periodic task failed in at least one agency (the others ran)."""


def run_tick(task: Task, work: Callable[[], dict]) -> dict:
    """The body of a periodic task: schedule the next run first, then ``work()`` once for the
    install, or once inside each active agency when ``task`` is registered per agency.

    Per agency, the result is the agency's own when there is one agency (as before agencies),
    and keyed by each agency's slug when there are several. An agency whose work raises is
    logged and the next one runs; the run then fails (``TickFailed``), so the task's result
    says so, as it did when the tick had one department. There is no transaction around an
    agency's work: the services commit their own steps (a reports build must be seen claimed by
    other builders at once), and outside a transaction a failed statement does not spoil the
    next agency's."""
    schedule_next(task)
    if not is_per_agency(task):
        return work()
    return each_agency(work, name=task.name)


def each_agency(work: Callable[[], dict], *, name: str = "work") -> dict:
    """``work()`` once inside each active agency; see ``run_tick``."""
    from peersupport.accounts.agencies import active_agencies

    agencies = active_agencies()
    results, failed = {}, []
    for agency in agencies:
        try:
            with using_agency(agency.pk):
                results[agency.slug] = work()
        except Exception as error:
            log.exception("%s failed for agency %s", name, agency.pk)
            failed.append((agency, error))
    if failed:
        slugs = ", ".join(agency.slug for agency, _error in failed)
        raise TickFailed(f"{name} failed for {slugs}") from failed[0][1]
    if len(agencies) == 1:
        return results[agencies[0].slug]
    return results


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
