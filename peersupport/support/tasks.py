"""The support app's scheduled work, run by the background worker.

django.tasks has no periodic schedule, so ``support_tick`` re-enqueues itself a minute ahead
each time it runs; ``manage.py support_schedule`` (run by `make run` at start, and by any
deployment's start script) enqueues one if none is waiting, so a restart picks the chain up.
The work is idempotent: two ticks at once do no harm.
"""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

TICK_SECONDS = 60


@task()
def support_tick() -> dict:
    from .services import followups_remind, offers_lapse, purge_expired, waiting_tell_coordinators

    result = {
        "offers": offers_lapse(),
        "coordinators_told": waiting_tell_coordinators(),
        "reminders": followups_remind(),
        "purged": purge_expired(),
    }
    support_tick.using(run_after=timezone.now() + timedelta(seconds=TICK_SECONDS)).enqueue()
    return result


def ensure_scheduled() -> bool:
    """Enqueue a tick unless one is already waiting. True when one was enqueued."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=support_tick.module_path,
        status__in=["READY", "RUNNING"],
    ).exists()
    if waiting:
        return False
    support_tick.enqueue()
    return True
