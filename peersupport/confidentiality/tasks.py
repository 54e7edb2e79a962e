"""The escalation tick: alerts again about unacknowledged escalations and sweeps the outbox.

It runs every ESCALATION_TICK_SECONDS (15; a re-alert is at most that late) and keeps its own
chain going (peersupport/notifications/scheduling.py).
"""

from django.tasks import task

from peersupport.notifications.scheduling import ensure_all, schedule_next
from peersupport.notifications.services import sweep

from .services import escalations_advance


@task()
def escalation_tick() -> dict:

    schedule_next(escalation_tick)
    return {"escalations": escalations_advance(), **sweep(), "restarted": ensure_all()}
