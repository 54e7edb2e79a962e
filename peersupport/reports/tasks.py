"""The reports' background work (builds.py says why no request builds the figures).

``reports_rebuild`` is queued by writes (debounced: one waiting at a time) and by a reader
finding nothing built; ``reports_tick`` runs every ``builds.TICK_SECONDS`` and rebuilds a
stale build (a lost task, a day changed, a new threshold or grace). Both are idempotent: a
build that is current, or claimed by another builder, is left alone.
"""

from django.tasks import task

from peersupport.notifications.scheduling import schedule_next

from . import builds


@task()
def reports_rebuild() -> dict:
    return {"built": builds.rebuild()}


@task()
def reports_tick() -> dict:

    schedule_next(reports_tick)
    return {"built": builds.rebuild()}
