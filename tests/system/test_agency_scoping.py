"""Every piece of the product knows which agency it works for (docs/design/agencies.md §2.4).

Step 1 holds the background work to it: every task either runs per agency, takes the agency it
works for, or is listed here as install-wide with its reason. A new task fails this test until it
makes that choice. (The models' own test, ``test_every_model_declares_its_agency``, comes with
step 2.)
"""

import importlib
import inspect
from pathlib import Path

import pytest
from django.tasks import Task
from django_tasks_db.models import DBTaskResult

from peersupport.accounts.models import Agency
from peersupport.notifications import scheduling
from peersupport.tenancy import using_agency

ROOT = Path(__file__).resolve().parents[2] / "peersupport"

# Tasks that serve the whole install, not one agency, and why.
INSTALL_WIDE_TASKS = {
    "peersupport.web.tasks.kernel_tick": "the kernel's machinery: grant requests lapse, the "
    "audit chain (one for the install) is checkpointed, old task results are pruned",
    "peersupport.notifications.tasks.deliver_notification": "the outbox is one install-wide "
    "pipeline; a notification is delivered wherever it was queued",
}


def _tasks() -> dict[str, Task]:
    found = {}
    for path in sorted(ROOT.rglob("tasks.py")):
        module = importlib.import_module(
            ".".join(["peersupport", *path.relative_to(ROOT).with_suffix("").parts])
        )
        for value in vars(module).values():
            if isinstance(value, Task) and value.module_path.startswith(module.__name__ + "."):
                found[value.module_path] = value
    return found


def test_every_task_takes_an_agency():
    tasks = _tasks()
    assert len(tasks) >= 15, sorted(tasks)  # the reader finds them (14 and the kernel's)
    wrong = []
    for path, task in sorted(tasks.items()):
        source = inspect.getsource(task.func)
        periodic = path in scheduling._registry
        if path in INSTALL_WIDE_TASKS:
            if periodic and scheduling.is_per_agency(task):
                wrong.append(f"{path} is listed install-wide but registered per agency")
        elif periodic:
            if not scheduling.is_per_agency(task):
                wrong.append(f"{path} is registered install-wide: list it with its reason")
            elif f"run_tick({task.name}" not in source:
                wrong.append(f"{path} must run through scheduling.run_tick")
        elif "agency_id" not in inspect.signature(task.func).parameters:
            wrong.append(f"{path} takes no agency_id: run it per agency, or list it")
        elif "using_agency(agency_id" not in source:
            wrong.append(f"{path} takes an agency_id but does not enter it (using_agency)")
    assert not wrong, "\n".join(wrong)
    assert set(INSTALL_WIDE_TASKS) <= set(tasks), "a listed task that does not exist"


@pytest.mark.django_db
def test_what_enqueues_a_task_passes_the_current_agency(settings):
    """A write in an agency queues its follow-up work for that agency."""
    from peersupport.reports import builds
    from peersupport.reports.tasks import reports_rebuild
    from peersupport.training import services as training_services
    from peersupport.training.tasks import compliance_refresh_task

    settings.SILENCED_SYSTEM_CHECKS = [*settings.SILENCED_SYSTEM_CHECKS, "accounts.E001"]
    other = Agency.objects.create(slug="b", name="B", time_zone=settings.TIME_ZONE)
    with using_agency(other):
        assert builds.request(delay=0)
        training_services._enqueue_refresh()
    for queued in (reports_rebuild, compliance_refresh_task):
        (row,) = DBTaskResult.objects.filter(task_path=queued.module_path, status="READY")
        assert row.args_kwargs["args"] == [other.pk], queued.name
