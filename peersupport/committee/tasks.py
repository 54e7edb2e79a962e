"""The committee tick: tallies and publishes every election whose voting has closed, every
COMMITTEE_TICK_SECONDS, whether or not anyone is signed in; it keeps its own chain going
(peersupport/notifications/scheduling.py)."""

from django.tasks import task

from peersupport.notifications.scheduling import schedule_next

from .services import elections_tally


@task()
def committee_tick() -> dict:

    schedule_next(committee_tick)
    return {"published": elections_tally()}
