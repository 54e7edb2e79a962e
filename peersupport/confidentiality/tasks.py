"""The escalation tick: alerts again about unacknowledged escalations and sweeps the outbox.

It runs every ESCALATION_TICK_SECONDS (15; a re-alert is at most that late) and keeps its own
chain going (peersupport/notifications/scheduling.py).
"""

from django.tasks import task

from peersupport.notifications.scheduling import ensure_all, run_tick
from peersupport.notifications.services import sweep

from .services import escalations_advance


@task()
def escalation_tick() -> dict:
    escalated = run_tick(escalation_tick, lambda: {"escalations": escalations_advance()})
    # The outbox and the chains are the install's: swept and restarted once per run.
    return {**escalated, **sweep(), "restarted": ensure_all()}
