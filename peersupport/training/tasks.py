"""The training app's scheduled work, run by the background worker.

``training_tick`` runs every TRAINING_TICK_SECONDS (an hour by default;
peersupport/notifications/scheduling.py keeps the chain going). Each step is idempotent: a
reminder, a warning or a flag is sent once however often the tick runs. It also stores the
compliance pages read (``services.compliance_refresh``): at a quarter's end every judgment
changes, and anything a write marked and no run has judged yet is judged here.
"""

from django.tasks import task

from peersupport.accounts.agencies import default_agency_id
from peersupport.notifications.scheduling import run_tick
from peersupport.tenancy import using_agency

from .services import compliance_refresh, compliance_review, sessions_remind


@task()
def training_tick() -> dict:
    return run_tick(training_tick, lambda: {"reminded": sessions_remind(), **compliance_review()})


@task()
def compliance_refresh_task(agency_id: int | None = None) -> dict:
    """Enqueued by ``services.compliance_mark`` (debounced) after a write changed someone's
    hours, for the agency it worked for: store the judgments that no longer hold. A task
    enqueued before agencies existed has no ``agency_id``: the default agency's."""
    with using_agency(agency_id or default_agency_id()):
        return compliance_refresh()
