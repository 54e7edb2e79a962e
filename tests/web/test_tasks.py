"""The kernel tick: grant requests nobody decided lapse on time, and the audit chain head is
anchored outside the database (and sent off the machine) even when nothing is written."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from peersupport.accounts.models import Role, RoleGrantRequest
from peersupport.accounts.services import role_request
from peersupport.audit import checkpoints
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.notifications.scheduling import periodic_tasks
from peersupport.web.tasks import anchor_audit_head, kernel_tick
from tests.audit.helpers import fill
from tests.servers import WebhookServer

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkpoint_file(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "var" / "audit-checkpoints.log")
    settings.AUDIT_CHECKPOINT_EMAIL = []
    settings.AUDIT_CHECKPOINT_WEBHOOK_URL = ""
    return tmp_path / "var" / "audit-checkpoints.log"


def test_the_worker_keeps_the_kernel_tick_going():
    assert kernel_tick in [t for t, _ in periodic_tasks()]


def test_a_request_nobody_decided_lapses_at_the_tick(personas):
    wanted = UserFactory()
    req = role_request(
        actor=personas["sysadmin"], user=wanted, role=Role.COORDINATOR, reason="Cover the desk"
    )
    assert kernel_tick.call()["grant_requests_lapsed"] == 0
    RoleGrantRequest.objects.filter(pk=req.pk).update(lapses_at=timezone.now() - timedelta(1))
    assert kernel_tick.call()["grant_requests_lapsed"] == 1
    req.refresh_from_db()
    assert req.status == RoleGrantRequest.Status.LAPSED
    assert AuditEvent.objects.filter(action=AuditAction.ROLE_GRANT_LAPSED).count() == 1
    assert not wanted.has_role(Role.COORDINATOR)
    assert kernel_tick.call()["grant_requests_lapsed"] == 0


def test_without_a_checkpoint_file_the_tick_anchors_nothing(settings):
    settings.AUDIT_CHECKPOINT_FILE = ""
    fill(1)
    assert anchor_audit_head() == "off"


def test_the_head_is_anchored_once_and_sent_off_the_machine(settings, checkpoint_file):
    assert anchor_audit_head() == "empty"
    fill(3)  # not committed in this test's transaction: no checkpoint was written after them
    assert not checkpoint_file.exists()
    assert anchor_audit_head() == "written"
    lines = [json.loads(line) for line in checkpoint_file.read_text().splitlines()]
    assert [line["seq"] for line in lines] == [3]
    assert anchor_audit_head() == "written"
    assert len(checkpoint_file.read_text().splitlines()) == 1  # the head had not moved

    with WebhookServer() as hook:
        settings.AUDIT_CHECKPOINT_WEBHOOK_URL = hook.url
        assert anchor_audit_head() == "sent"
    (request,) = hook.requests
    assert request["json"]["seq"] == 3
    assert request["json"]["sig"] == checkpoints.sign(request["json"])


def test_a_copy_that_cannot_be_sent_is_tried_again_and_blocks_nothing(settings, checkpoint_file):
    from tests.servers import free_port

    fill(1)
    settings.AUDIT_CHECKPOINT_WEBHOOK_URL = f"http://127.0.0.1:{free_port()}/nobody"
    settings.AUDIT_CHECKPOINT_WEBHOOK_TIMEOUT_SECONDS = 1
    assert kernel_tick.call()["audit_checkpoint"] == "not sent"
    assert checkpoint_file.exists()


def test_finished_task_results_are_pruned_after_the_keep_days(settings):
    from django_tasks_db.models import DBTaskResult

    from peersupport.web import tasks

    settings.TASK_RESULTS_KEEP_DAYS = 14
    now = timezone.now()
    rows = {}
    for name, status, age in [
        ("old ok", "SUCCESSFUL", 15),
        ("old failed", "FAILED", 30),
        ("recent ok", "SUCCESSFUL", 13),
        ("waiting", "READY", 40),  # never finished: never pruned
    ]:
        result = kernel_tick.enqueue()
        finished = now - timedelta(days=age) if status != "READY" else None
        DBTaskResult.objects.filter(pk=result.id).update(status=status, finished_at=finished)
        rows[name] = result.id
    assert tasks.prune_task_results(now=now) == 2
    left = {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)}
    assert {rows["recent ok"], rows["waiting"]} <= left
    assert not {rows["old ok"], rows["old failed"]} & left
    assert tasks.prune_task_results(now=now) == 0
