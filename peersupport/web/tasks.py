"""The kernel's scheduled work, run by the background worker every KERNEL_TICK_SECONDS.

- Role grant requests nobody decided in time lapse (accounts' two-person rule), so their status
  and the audit log say so without waiting for the next decision.
- The audit chain head is checkpointed outside the database and, when AUDIT_CHECKPOINT_EMAIL or
  AUDIT_CHECKPOINT_WEBHOOK_URL is set, the latest checkpoint is sent there: quiet periods are
  anchored off the machine too, with no cron job (``manage.py audit_checkpoint`` does the same
  by hand).

- Finished task results older than TASK_RESULTS_KEEP_DAYS are deleted (django-tasks-db keeps
  every one; the worker makes thousands a day), a bounded batch per tick.

Every step is idempotent; a failed copy is logged and tried again at the next tick.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from peersupport.accounts.services import role_requests_lapse
from peersupport.audit import checkpoints
from peersupport.audit.models import AuditChainHead
from peersupport.notifications.scheduling import each_agency, run_tick

log = logging.getLogger(__name__)


def anchor_audit_head() -> str:
    """Checkpoint the chain head unless the file already ends with it; send the latest
    checkpoint off the machine when a copy is configured. Returns what was done."""
    if checkpoints.path() is None:
        return "off"
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None or not head.seq:
        return "empty"
    current = checkpoints.read()
    last = current.lines[-1] if current.lines else None
    if last is None or last.seq != head.seq or last.mac != head.last_mac:
        checkpoints.append(head.seq, head.last_mac)
        current = checkpoints.read()
    if not current.lines:
        return "unwritable"
    if not checkpoints.remote_configured():
        return "written"
    failures = checkpoints.send_remote(current.lines[-1].fields)
    if failures:
        log.warning("audit checkpoint copy not sent: %s", "; ".join(failures))
        return "not sent"
    return "sent"


PRUNE_BATCH = 10_000  # results deleted per tick at most: a short transaction whatever the backlog


def prune_task_results(*, now=None) -> int:
    """Delete finished task results older than TASK_RESULTS_KEEP_DAYS; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.TASK_RESULTS_KEEP_DAYS)
    old = list(
        DBTaskResult.objects.finished()
        .filter(finished_at__lte=cutoff)
        .order_by("finished_at")
        .values_list("pk", flat=True)[:PRUNE_BATCH]
    )
    if not old:
        return 0
    deleted, _ = DBTaskResult.objects.filter(pk__in=old).delete()
    return deleted


@task()
def kernel_tick() -> dict:
    return run_tick(kernel_tick, _work)  # install-wide (web/apps.py)


def _work() -> dict:
    return {
        # Grant requests belong to an agency: each agency's lapse inside it.
        "grant_requests_lapsed": each_agency(role_requests_lapse, name="grant requests lapse"),
        "audit_checkpoint": anchor_audit_head(),
        "task_results_pruned": prune_task_results(),
    }
