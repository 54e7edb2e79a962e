"""The outreach tick: reminds supporters of follow-ups coming due (once each), and raises to
the coordinators follow-ups overdue by OUTREACH_OVERDUE_DAYS (once each), every five minutes;
it keeps its own chain going (peersupport/notifications/scheduling.py)."""

from django.tasks import task

from peersupport.notifications.scheduling import run_tick

from .services import outreach_overdue_raise, outreach_remind

OUTREACH_TICK_SECONDS = 300


@task()
def outreach_tick() -> dict:
    return run_tick(outreach_tick, _work)


def _work() -> dict:
    return {"reminded": outreach_remind(), "overdue_raised": outreach_overdue_raise()}
