"""The training app's scheduled work, run by the background worker.

``training_tick`` runs every TRAINING_TICK_SECONDS (an hour by default;
peersupport/notifications/scheduling.py keeps the chain going). Each step is idempotent: a
reminder, a warning or a flag is sent once however often the tick runs.
"""

from django.tasks import task

from peersupport.notifications.scheduling import schedule_next

from .services import compliance_review, sessions_remind


@task()
def training_tick() -> dict:

    schedule_next(training_tick)
    return {"reminded": sessions_remind(), **compliance_review()}
