"""The training app's scheduled work, run by the background worker.

``training_tick`` runs every TRAINING_TICK_SECONDS (an hour by default;
peersupport/notifications/scheduling.py keeps the chain going). Each step is idempotent: a
reminder, a warning or a flag is sent once however often the tick runs. It also stores the
compliance pages read (``services.compliance_refresh``): at a quarter's end every judgment
changes, and anything a write marked and no run has judged yet is judged here.
"""

from django.tasks import task

from peersupport.notifications.scheduling import schedule_next

from .services import compliance_refresh, compliance_review, sessions_remind


@task()
def training_tick() -> dict:

    schedule_next(training_tick)
    return {"reminded": sessions_remind(), **compliance_review()}


@task()
def compliance_refresh_task() -> dict:
    """Enqueued by ``services.compliance_mark`` (debounced) after a write changed someone's
    hours: store the judgments that no longer hold."""
    return compliance_refresh()
