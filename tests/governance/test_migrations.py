"""0007_policy_announcements: versions approved before it are marked told, so deploying it
sends no late alerts; a version still in progress is told when it comes into force."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from peersupport.governance.models import PolicyVersion

BEFORE = [("governance", "0006_committee_moved_out")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_approved_versions_are_marked_told_and_drafts_are_not():
    _migrate(BEFORE)
    old = MigrationExecutor(connection).loader.project_state(BEFORE, at_end=True).apps
    try:
        Document = old.get_model("governance", "PolicyDocument")  # noqa: N806
        Version = old.get_model("governance", "PolicyVersion")  # noqa: N806
        document, _ = Document.objects.get_or_create(
            kind="program_policy", defaults={"title": "Program policy"}
        )
        day = datetime.date(2026, 1, 5)
        approved = Version.objects.create(
            document=document, number=41, label="policy-v41", status="approved", effective_date=day
        )
        draft = Version.objects.create(
            document=document, number=42, label="policy-v42", status="draft", effective_date=day
        )
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert PolicyVersion.objects.get(pk=approved.pk).supporters_told_at is not None
    assert PolicyVersion.objects.get(pk=draft.pk).supporters_told_at is None
