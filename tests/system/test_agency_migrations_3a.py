"""Agencies step 3a's migrations (resources 0003/0004, governance 0009/0010, roster 0006/0007):
they reverse, and rows written before them belong to the default agency after them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from peersupport.accounts.agencies import default_agency_id
from peersupport.governance.models import ExceptionCategory, PolicyDocument
from peersupport.resources.models import Resource
from peersupport.roster.models import SupporterProfile

from ..factories import UserFactory

BEFORE = [
    ("resources", "0002_resource_phone_then"),
    ("governance", "0008_notice_privilege"),
    ("roster", "0005_rowbound_ciphertext"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_rows_from_before_belong_to_the_default_agency():
    user = UserFactory(email="old-supporter@pd.example.org")
    _migrate(BEFORE)  # back through 3a's migrations, with governance's seeded rows in place
    old = MigrationExecutor(connection).loader.project_state(BEFORE, at_end=True).apps
    try:
        resource = old.get_model("resources", "Resource").objects.create(
            name="Old Helpline", category="crisis_line", description="Old.", phone="988"
        )
        category = old.get_model("governance", "ExceptionCategory").objects.create(
            code="old-clause", name="Old clause", action="Escalate."
        )
        profile = old.get_model("roster", "SupporterProfile").objects.create(
            user_id=user.pk, status="active"
        )
        # The seeded documents, or new ones if a transactional test's flush emptied the table.
        document, _ = old.get_model("governance", "PolicyDocument").objects.get_or_create(
            kind="program_policy", defaults={"title": "Program policy"}
        )
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    default = default_agency_id()
    assert Resource.everywhere.get(pk=resource.pk).agency_id == default
    assert ExceptionCategory.everywhere.get(pk=category.pk).agency_id == default
    assert SupporterProfile.everywhere.get(pk=profile.pk).agency_id == default
    assert set(PolicyDocument.everywhere.values_list("agency_id", flat=True)) == {default}
    # Read in the default agency as before.
    assert Resource.objects.filter(pk=resource.pk).exists()
    assert ExceptionCategory.objects.filter(pk=category.pk).exists()
    assert PolicyDocument.objects.filter(pk=document.pk).exists()
    assert SupporterProfile.objects.get(pk=profile.pk).user_id == user.pk
