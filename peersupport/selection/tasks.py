"""The selection tick: raises requests to serve that wait too long in the chain of command
(``services.chain_stalls_raise``, once per wait), every SELECTION_TICK_SECONDS; it keeps its
own chain going (peersupport/notifications/scheduling.py)."""

from django.tasks import task

from peersupport.notifications.scheduling import run_tick

from .services import chain_stalls_raise


@task()
def selection_tick() -> dict:
    return run_tick(selection_tick, lambda: {"stalls_raised": chain_stalls_raise()})
