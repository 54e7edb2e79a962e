"""The roster's scheduled work: supporters whose inactive period ends today become active
again. Runs every ROSTER_TICK_SECONDS (registered in apps.py)."""

from django.tasks import task

from peersupport.notifications.scheduling import run_tick

from .services import supporters_inactive_period_end


@task()
def roster_tick() -> dict:
    return run_tick(roster_tick, lambda: {"supporters_back": supporters_inactive_period_end()})
