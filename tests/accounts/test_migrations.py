"""Role grant reasons written before they were encrypted (an empty revoke reason too), and
family members' names encrypted before rows were bound, end up as ciphertext bound to their row
and read back the same."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from peersupport.accounts.models import FamilyMember, Role, RoleGrant

from ..factories import FamilyMemberFactory, UserFactory, grant

BEFORE = [("accounts", "0004_forget_sign_in_browsers")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _raw(table, column, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_grant_reasons_and_names_end_up_bound_to_their_rows():
    holder = UserFactory()
    current = grant(holder, Role.COORDINATOR)
    ended = grant(UserFactory(), Role.PANELIST)
    member = FamilyMemberFactory(name="OLDFAMILYNAME")
    _migrate(BEFORE)
    try:
        # The database as it was: grant reasons in clear text, names as v1 ciphertext.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE accounts_rolegrant SET reason = %s, revoke_reason = %s WHERE id = %s",
                ["OLDREASON", "", current.pk],
            )
            cursor.execute(
                "UPDATE accounts_rolegrant SET reason = %s, revoke_reason = %s WHERE id = %s",
                ["OLDGRANT", "OLDREVOKE", ended.pk],
            )
    finally:
        _migrate(_leaves())
    rows = ((current.pk, "OLDREASON", ""), (ended.pk, "OLDGRANT", "OLDREVOKE"))
    for pk, reason, revoke in rows:
        for column, value in (("reason", reason), ("revoke_reason", revoke)):
            raw = _raw("accounts_rolegrant", column, pk)
            assert raw.startswith("v2:"), column
            assert not value or value not in raw
        # The migrations made the agencies again (another id): read across them.
        stored = RoleGrant.everywhere.get(pk=pk)
        assert (stored.reason, stored.revoke_reason) == (reason, revoke)
    assert _raw("accounts_familymember", "name", member.pk).startswith("v2:")
    assert FamilyMember.everywhere.get(pk=member.pk).name == "OLDFAMILYNAME"
