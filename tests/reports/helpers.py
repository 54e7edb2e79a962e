"""Helpers shared by the reports' tests."""

from django_tasks_db.models import DBTaskResult

from peersupport.reports import builds


def build() -> int:
    """Build the figures now, as the worker does after a write (records made in a test with
    ``bulk_create`` leave no audit event to queue one)."""
    return builds.rebuild(force=True)


def run_worker() -> list:
    """What ``db_worker`` does with the reports' tasks that are due: each row taken from the
    database and run. Returns what each run returned."""
    ran = []
    ready = DBTaskResult.objects.ready().filter(task_path__startswith="peersupport.reports.")
    for row in list(ready.order_by("run_after")):
        DBTaskResult.objects.filter(pk=row.pk).update(status="SUCCESSFUL")
        ran.append(row.task.call())
    return ran
