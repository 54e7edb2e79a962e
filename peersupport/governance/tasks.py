"""The governance tick, run by the background worker every hour: a program policy approved
with a later effective date is announced to the supporters on the day it takes effect
(peersupport/notifications/scheduling.py keeps the chain going)."""

from django.tasks import task

from peersupport.notifications.scheduling import run_tick

from .services import policies_announce

TICK_SECONDS = 3600


@task()
def governance_tick() -> dict:
    return run_tick(governance_tick, lambda: {"supporters_told": policies_announce()})
