"""The support app's scheduled work, run by the background worker.

``support_tick`` runs every minute (peersupport/notifications/scheduling.py keeps the chain
going; ``manage.py schedule_ticks`` starts it). The work is idempotent: two ticks at once do no
harm.
"""

from django.tasks import task

from peersupport.notifications.scheduling import ensure_all, run_tick

from .services import followups_remind, offers_lapse, purge_expired, waiting_tell_coordinators

TICK_SECONDS = 60


@task()
def support_tick() -> dict:
    result = run_tick(support_tick, _work)
    # The chains are the install's: restarted once per run, not once per agency.
    return {**result, "restarted": ensure_all()}


def _work() -> dict:
    return {
        "offers": offers_lapse(),
        "coordinators_told": waiting_tell_coordinators(),
        "reminders": followups_remind(),
        "purged": purge_expired(),
    }
