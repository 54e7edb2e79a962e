"""The CISM tick: alerts again, content-free, the members who have not answered an active
call-out (CISM_REALERT_MINUTES apart, at most CISM_REALERT_TIMES times), every minute; it keeps
its own chain going (peersupport/notifications/scheduling.py). Safe with several workers:
services.callouts_realert locks each activation and re-reads its call-outs under the lock."""

from django.tasks import task

from peersupport.notifications.scheduling import schedule_next

from .services import callouts_realert

CISM_TICK_SECONDS = 60


@task()
def cism_tick() -> dict:
    schedule_next(cism_tick)
    return {"realerted": callouts_realert()}
