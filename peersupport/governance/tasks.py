"""The governance tick, run by the background worker every hour: a program policy approved
with a later effective date is announced to the supporters on the day it takes effect
(peersupport/notifications/scheduling.py keeps the chain going)."""

from django.tasks import task

from peersupport.notifications.scheduling import schedule_next

from .services import policies_announce

TICK_SECONDS = 3600


@task()
def governance_tick() -> dict:

    schedule_next(governance_tick)
    return {"supporters_told": policies_announce()}
