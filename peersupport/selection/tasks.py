"""The selection tick: raises requests to serve that wait too long in the chain of command
(``services.chain_stalls_raise``, once per wait), every SELECTION_TICK_SECONDS; it keeps its
own chain going (peersupport/notifications/scheduling.py)."""

from django.tasks import task

from peersupport.notifications.scheduling import schedule_next

from .services import chain_stalls_raise


@task()
def selection_tick() -> dict:

    schedule_next(selection_tick)
    return {"stalls_raised": chain_stalls_raise()}
