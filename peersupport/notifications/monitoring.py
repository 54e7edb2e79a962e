"""Gauges read from the database when Prometheus scrapes ``/metrics`` (web/metrics.py).

The kernel cannot import the domain apps, so each app with something worth watching registers a
reader here in its ``AppConfig.ready()``, as it registers its periodic work. A reader runs a
fixed number of cheap queries, never one per row, and returns counts and ages only. A label
takes one of a few fixed values (a channel), never anything that names or points at a person,
a unit, a codename, a request or an escalation: whoever runs the scraper and keeps its data
stands outside the program's confidentiality (docs/threat-model.md).

The kernel's own readers are here too: the outbox, the task queue and the worker's heartbeat.
"""

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Min, Q
from django.utils import timezone

from peersupport.tenancy import all_agencies

from .models import Channel, Notification, WorkerHeartbeat


@dataclass(frozen=True)
class Gauge:
    """One value of one gauge; ``name`` without the ``peersupport_`` prefix."""

    name: str
    help: str
    value: float
    labels: dict[str, str] = field(default_factory=dict)


Reader = Callable[[datetime], Iterable[Gauge]]
_readers: dict[str, Reader] = {}


def register_gauges(key: str, read: Reader) -> None:
    """Read ``read(now)`` at every scrape. Registering the same key again replaces it."""
    _readers[key] = read


def read_all(now: datetime | None = None) -> list[Gauge]:
    """Every gauge, as the install's totals: the monitoring system watches the install (a
    stopped worker, escalations waiting), and a gauge never carries an agency label."""
    now = now or timezone.now()
    with all_agencies("/metrics: the install's totals, with no agency label"):
        return [gauge for read in _readers.values() for gauge in read(now)]


def age_seconds(since: datetime | None, now: datetime) -> float:
    """Seconds from ``since`` to ``now``; 0 when there is nothing waiting."""
    return max((now - since).total_seconds(), 0.0) if since else 0.0


def outbox_gauges(now: datetime) -> list[Gauge]:
    """What waits to go out, per channel, in one query (the status index): how many, how late
    the oldest due one is (a stopped worker makes it grow), and how many wait for a retry
    after a failed try, with the age of the oldest of those."""
    Status = Notification.Status
    due = Q(status=Status.PENDING, next_attempt_at__lte=now)
    failing = Q(status=Status.PENDING) & ~Q(last_error="")
    rows = {
        row["channel"]: row
        for row in Notification.objects.filter(status__in=[Status.PENDING, Status.SENDING])
        .order_by()
        .values("channel")
        .annotate(
            waiting=Count("pk"),
            failing=Count("pk", filter=failing),
            oldest_due=Min("next_attempt_at", filter=due),
            oldest_failing=Min("created_at", filter=failing),
        )
    }
    gauges = []
    for channel in Channel.values:
        row = rows.get(channel, {})
        labels = {"channel": channel}
        gauges += [
            Gauge(
                "outbox_waiting",
                "Notifications not yet sent (waiting, held or being sent).",
                row.get("waiting", 0),
                labels,
            ),
            Gauge(
                "outbox_oldest_due_age_seconds",
                "How long the oldest notification that is due has waited past its time.",
                age_seconds(row.get("oldest_due"), now),
                labels,
            ),
            Gauge(
                "outbox_failing",
                "Notifications whose last delivery failed, waiting to be tried again.",
                row.get("failing", 0),
                labels,
            ),
            Gauge(
                "outbox_failing_oldest_age_seconds",
                "Age of the oldest notification whose last delivery failed.",
                age_seconds(row.get("oldest_failing"), now),
                labels,
            ),
        ]
    return gauges


def task_gauges(now: datetime) -> list[Gauge]:
    """The worker's queue (django-tasks-db), in one query on its index of waiting tasks: how
    many are due and how long the oldest has waited. A task without a time to run after is
    due from when it was enqueued."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    never = get_date_max()
    ready = DBTaskResult.objects.filter(status="READY").filter(
        Q(run_after=never) | Q(run_after__lte=now)
    )
    row = ready.aggregate(
        due=Count("pk"),
        oldest_run_after=Min("run_after", filter=Q(run_after__lte=now)),
        oldest_enqueued=Min("enqueued_at", filter=Q(run_after=never)),
    )
    oldest = [moment for moment in (row["oldest_run_after"], row["oldest_enqueued"]) if moment]
    return [
        Gauge("tasks_due", "Background tasks due and not yet taken by a worker.", row["due"]),
        Gauge(
            "tasks_oldest_due_age_seconds",
            "How long the oldest due background task has waited for a worker.",
            age_seconds(min(oldest) if oldest else None, now),
        ),
    ]


def heartbeat_gauges(now: datetime) -> list[Gauge]:
    """Seconds since a worker last ran a periodic task (scheduling.beat); +Inf before any."""
    beat = WorkerHeartbeat.objects.filter(pk=1).values_list("beat_at", flat=True).first()
    return [
        Gauge(
            "worker_heartbeat_age_seconds",
            "Seconds since a background worker last ran a periodic task (+Inf: never).",
            age_seconds(beat, now) if beat else math.inf,
        )
    ]
