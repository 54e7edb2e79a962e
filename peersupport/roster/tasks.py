"""The roster's scheduled work: supporters whose inactive period ends today become active
again. Runs every ROSTER_TICK_SECONDS (registered in apps.py)."""

from django.tasks import task

from peersupport.notifications.scheduling import schedule_next

from .services import supporters_inactive_period_end


@task()
def roster_tick() -> dict:

    schedule_next(roster_tick)
    return {"supporters_back": supporters_inactive_period_end()}
