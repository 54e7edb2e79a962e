"""Reasons, notes and comments written before they were encrypted are encrypted in place by
the migrations, and read back the same; nothing of them stays in clear text."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from peersupport.roster.models import SupporterProfile
from peersupport.selection.models import (
    Candidacy,
    CandidacyEvent,
    ChainStep,
    Interview,
    Nomination,
)

from ..roster.helpers import make_supporter
from .helpers import at_stage

BEFORE = [("selection", "0001_initial"), ("roster", "0003_selection_moves_out")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _column(model, field) -> tuple[str, str]:
    return model._meta.db_table, model._meta.get_field(field).column


def _raw(model, field, pk) -> str:
    table, column = _column(model, field)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_existing_values_are_encrypted_in_place(dept):
    cand = at_stage(dept, Candidacy.Stage.APPOINTED)
    profile = make_supporter(dept.squad)
    step = cand.chain.first()
    plain = {
        (Candidacy, "motivation", cand.pk): "OLDMOTIVATION",
        (Candidacy, "experience", cand.pk): "",
        (Candidacy, "availability_note", cand.pk): "OLDAVAILABILITY",
        (Nomination, "reason", cand.nominations.first().pk): "OLDNOMINATION",
        (Interview, "decision_reason", cand.interviews.first().pk): "OLDDECISION",
        (ChainStep, "comment", step.pk): "OLDCOMMENT",
        (ChainStep, "override_reason", step.pk): "OLDOVERRIDE",
        (CandidacyEvent, "reason", cand.events.last().pk): "OLDEVENT",
        (SupporterProfile, "status_reason", profile.pk): "OLDSTATUS",
    }
    _migrate(BEFORE)
    try:
        # The database as it was: these columns held clear text.
        with connection.cursor() as cursor:
            for (model, field, pk), value in plain.items():
                table, column = _column(model, field)
                cursor.execute(
                    f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608
                    [value, pk],
                )
    finally:
        _migrate(_leaves())
    for (model, field, pk), value in plain.items():
        raw = _raw(model, field, pk)
        assert raw.startswith("v2:test1:"), (model, field)  # then bound to its row (0003)
        assert not value or value not in raw
        assert getattr(model.objects.get(pk=pk), field) == value


@pytest.mark.django_db(transaction=True)
def test_existing_rounds_and_candidacies_become_the_default_agencys(dept):
    """0005/0006_agency (issue 23): every round and candidacy of before agencies is the default
    agency's, and so are their records."""
    from django.utils import timezone

    from peersupport.accounts.agencies import default_agency_id
    from peersupport.selection.models import NominationRound

    before = [("selection", "0004_candidacy_stall_raised_at")]
    _migrate(before)
    old = MigrationExecutor(connection).loader.project_state(before, at_end=True).apps
    try:
        today = timezone.localdate()
        nomination_round = old.get_model("selection", "NominationRound").objects.create(
            name="Round of before agencies",
            opens_on=today,
            closes_on=today,
            created_by_id=dept.users["coordinator"].pk,
        )
        candidacy = old.get_model("selection", "Candidacy").objects.create(
            nominee_id=dept.users["employee"].pk, stage="nominated"
        )
        old.get_model("selection", "Nomination").objects.create(
            candidacy=candidacy, nominator_id=dept.users["supporter"].pk, reason=""
        )
    finally:
        _migrate(_leaves())
    assert NominationRound.objects.get(pk=nomination_round.pk).agency_id == default_agency_id()
    assert Candidacy.objects.get(pk=candidacy.pk).agency_id == default_agency_id()
    assert Nomination.objects.filter(candidacy_id=candidacy.pk).count() == 1
