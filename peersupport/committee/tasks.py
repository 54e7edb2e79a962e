"""The committee tick: every COMMITTEE_TICK_SECONDS, whether or not anyone is signed in, it tells
every eligible voter that voting has opened, and the coordinator who opened an election whose
voting has closed that it waits for the count code (the worker cannot count: it never has the
code); it keeps its own chain going (peersupport/notifications/scheduling.py)."""

from django.tasks import task

from peersupport.notifications.scheduling import run_tick

from .services import elections_count_due, elections_voting_open


@task()
def committee_tick() -> dict:
    return run_tick(committee_tick, _work)


def _work() -> dict:
    return {"voters_told": elections_voting_open(), "waiting_for_count": elections_count_due()}
