"""Reasons, notes and comments written before they were encrypted are encrypted in place by
the migration, and read back the same; nothing of them stays in clear text."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from peersupport.roster.models import SupporterProfile
from peersupport.selection.models import Candidacy, CandidacyEvent, ChainStep, Interview, Nomination

BEFORE = [("selection", "0001_initial"), ("roster", "0003_selection_moves_out")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _raw(model, field, pk) -> str:
    column = model._meta.get_field(field).column
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s",  # noqa: S608
            [pk],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_existing_values_are_encrypted_in_place(dept):
    from tests.selection.helpers import candidacy_at  # noqa: PLC0415

    cand = candidacy_at(dept, Candidacy.Stage.CHAIN_DECLINED)
    profile = SupporterProfile.objects.filter(status_reason__isnull=False).first()
    _migrate(BEFORE)
    try:
        plain = {
            (Candidacy, "motivation", cand.pk): "OLDMOTIVATION",
            (Candidacy, "experience", cand.pk): "",
            (Candidacy, "availability_note", cand.pk): "OLDAVAILABILITY",
            (Nomination, "reason", cand.nominations.first().pk): "OLDNOMINATION",
            (Interview, "decision_reason", cand.interviews.first().pk): "OLDDECISION",
            (ChainStep, "comment", cand.chain.first().pk): "OLDCOMMENT",
            (ChainStep, "override_reason", cand.chain.first().pk): "OLDOVERRIDE",
            (CandidacyEvent, "reason", cand.events.last().pk): "OLDEVENT",
        }
        if profile is not None:
            plain[(SupporterProfile, "status_reason", profile.pk)] = "OLDSTATUS"
        with connection.cursor() as cursor:
            for (model, field, pk), value in plain.items():
                column = model._meta.get_field(field).column
                cursor.execute(
                    f"UPDATE {model._meta.db_table} SET {column} = %s WHERE id = %s",  # noqa: S608
                    [value, pk],
                )
    finally:
        _migrate(_leaves())
    for (model, field, pk), value in plain.items():
        raw = _raw(model, field, pk)
        assert raw.startswith("v1:test1:"), (model, field)
        assert not value or value not in raw
        assert getattr(model.objects.get(pk=pk), field) == value
