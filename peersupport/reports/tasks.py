"""The reports' background work (builds.py says why no request builds the figures).

``reports_rebuild`` is queued by writes (debounced: one waiting at a time) and by a reader
finding nothing built; ``reports_tick`` runs every ``builds.TICK_SECONDS`` and rebuilds a
stale build (a lost task, a day changed, a new threshold or grace). Both are idempotent: a
build that is current, or claimed by another builder, is left alone. After a build, both
render the default period's dashboards and program reports (outputs.prerender), so the PDF
(seconds of CPU) is made by the worker, not by its first reader.
"""

from django.tasks import task

from peersupport.accounts.agencies import default_agency_id
from peersupport.notifications.scheduling import run_tick
from peersupport.tenancy import using_agency

from . import builds, outputs


def _rebuild() -> dict:
    number = builds.rebuild()
    if number is None:
        return {"built": None}
    return {"built": number, "rendered": outputs.prerender(builds.current())}


@task()
def reports_rebuild(agency_id: int | None = None) -> dict:
    """For the agency whose write queued it; one queued before agencies existed has no
    ``agency_id``: the default agency's."""
    with using_agency(agency_id or default_agency_id()):
        return _rebuild()


@task()
def reports_tick() -> dict:
    return run_tick(reports_tick, _rebuild)
