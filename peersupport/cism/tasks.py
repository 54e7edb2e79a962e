"""The CISM tick: alerts again, content-free, the members who have not answered an active
call-out (CISM_REALERT_MINUTES apart, at most CISM_REALERT_TIMES times), every minute; it keeps
its own chain going (peersupport/notifications/scheduling.py). Safe with several workers:
services.callouts_realert locks each activation and re-reads its call-outs under the lock."""

from django.tasks import task

from peersupport.notifications.scheduling import run_tick

from .services import callouts_realert

CISM_TICK_SECONDS = 60


@task()
def cism_tick() -> dict:
    return run_tick(cism_tick, lambda: {"realerted": callouts_realert()})
