"""The committee moved out of governance without touching a row: the same tables, state-only
migrations, and the models' content types follow them to the new app."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from peersupport.committee.models import CommitteeSeat

BEFORE = [("committee", None), ("governance", "0005_committee_seats")]
BEFORE_STATE = [
    ("governance", "0005_committee_seats"),
    ("contenttypes", "0002_remove_content_type_name"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def test_the_models_keep_their_tables():
    tables = {m._meta.db_table for m in CommitteeSeat._meta.app_config.get_models()}
    assert tables == {
        f"governance_{name}"
        for name in ("committeeseat", "membership", "election", "candidate", "voter", "ballot")
    }


@pytest.mark.django_db(transaction=True)
def test_an_existing_database_moves_its_rows_and_content_types():
    _migrate(BEFORE)
    old = MigrationExecutor(connection).loader.project_state(BEFORE_STATE, at_end=True).apps
    try:
        # A database as it was before the move: seats in governance's tables, and content
        # types made for governance's committee models.
        OldSeat = old.get_model("governance", "CommitteeSeat")  # noqa: N806
        OldContentType = old.get_model("contenttypes", "ContentType")  # noqa: N806
        OldContentType.objects.filter(app_label="committee").delete()
        seat = OldSeat.objects.create(kind="elected", name="Kept across the move", term_months=12)
        old_type = OldContentType.objects.get_or_create(app_label="governance", model="election")[0]
    finally:
        _migrate(_leaves())
    ContentType.objects.clear_cache()
    assert CommitteeSeat.objects.get(pk=seat.pk).name == "Kept across the move"
    moved = ContentType.objects.get(pk=old_type.pk)
    assert (moved.app_label, moved.model) == ("committee", "election")
    assert moved.model_class() is CommitteeSeat._meta.apps.get_model("committee", "Election")


@pytest.mark.django_db(transaction=True)
def test_sealed_ballots_drop_plaintext_ballots_and_void_an_open_election():
    """0002_sealed_ballots: plaintext ballots cannot be sealed (nobody would hold the count
    code), so they go; results already published stay; an election still open is voided with a
    reason saying why, to be run again."""
    from datetime import timedelta

    from django.utils import timezone

    from peersupport.committee.models import Ballot, Candidate, Election
    from tests.factories import UserFactory

    _migrate([("committee", "0001_initial")])
    old = (
        MigrationExecutor(connection)
        .loader.project_state([("committee", "0001_initial")], at_end=True)
        .apps
    )
    try:
        OldElection = old.get_model("committee", "Election")  # noqa: N806
        OldBallot = old.get_model("committee", "Ballot")  # noqa: N806
        OldCandidate = old.get_model("committee", "Candidate")  # noqa: N806
        opener = UserFactory(email="opener@pd.example.org")
        now = timezone.now()
        windows = {
            "nominations_open_at": now,
            "nominations_close_at": now + timedelta(days=1),
            "voting_open_at": now + timedelta(days=1),
            "voting_close_at": now + timedelta(days=2),
            "opened_by_id": opener.pk,
            "seats": 1,
        }
        published = OldElection.objects.create(status="published", ballots_cast=1, **windows)
        still_open = OldElection.objects.create(status="open", **windows)
        kept = OldCandidate.objects.create(
            election=published, user_id=opener.pk, status="standing", votes=1, elected=True
        )
        OldBallot.objects.create(election=published, choices=[kept.pk])
        OldBallot.objects.create(election=still_open, choices=[kept.pk])
    finally:
        _migrate(_leaves())
    assert not Ballot.objects.exists()
    assert Election.objects.get(pk=published.pk).status == "published"
    assert Candidate.objects.get(pk=kept.pk).votes == 1
    voided = Election.objects.get(pk=still_open.pk)
    assert voided.status == "voided" and "no count code" in voided.void_reason
    assert voided.ballot_key is None


@pytest.mark.django_db(transaction=True)
def test_existing_seats_and_elections_become_the_default_agencys(dept):
    """0004/0005_agency (issue 23): every seat and election of before agencies is the default
    agency's, and a seat's name is then unique within its agency."""
    from datetime import timedelta

    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from peersupport.accounts.agencies import default_agency_id

    _migrate([("committee", "0003_lots_commitment")])
    old = (
        MigrationExecutor(connection)
        .loader.project_state([("committee", "0003_lots_commitment")], at_end=True)
        .apps
    )
    try:
        now = timezone.now()
        seat = old.get_model("committee", "CommitteeSeat").objects.create(
            kind="elected", name="Seat of before agencies", term_months=12
        )
        election = old.get_model("committee", "Election").objects.create(
            seats=1,
            nominations_open_at=now,
            nominations_close_at=now + timedelta(days=1),
            voting_open_at=now + timedelta(days=1),
            voting_close_at=now + timedelta(days=2),
            opened_by_id=dept.users["coordinator"].pk,
        )
    finally:
        _migrate(_leaves())
    from peersupport.committee.models import Election

    assert CommitteeSeat.objects.get(pk=seat.pk).agency_id == default_agency_id()
    assert Election.objects.get(pk=election.pk).agency_id == default_agency_id()
    with pytest.raises(IntegrityError), transaction.atomic():
        CommitteeSeat.objects.create(kind="elected", name="Seat of before agencies", term_months=1)
