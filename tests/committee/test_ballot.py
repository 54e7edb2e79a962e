"""The secret ballot: nothing links a ballot to its voter or to the moment of voting, in the
database as the application sees it (tests/committee/test_ballot_snapshots.py reads copies of
the SQLite files); and one ballot per voter under concurrent submissions (PostgreSQL)."""

import contextvars
import random
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.committee import ballotbox, services
from peersupport.committee.models import Ballot, Voter
from peersupport.notifications.models import Notification

from .helpers import open_election, standing, voting

pytestmark = pytest.mark.django_db


# --- The secret ballot ----------------------------------------------------------------------


def _physical_order():
    """Ballots in the order the database stores them (SQLite's rowid, PostgreSQL's ctid)."""
    column = "ctid" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT sealed FROM governance_ballot ORDER BY {column}")  # noqa: S608
        return [bytes(r[0]) for r in cursor.fetchall()]


def test_a_ballot_cannot_be_matched_to_its_voter(dept, voters, committee_seats, monkeypatch):
    # A fixed shuffle, so that the test is deterministic; the service uses the system's
    # cryptographic random source.
    monkeypatch.setattr(ballotbox, "_random", random.Random(8))  # noqa: S311
    election = open_election(dept, seats_to_fill=3)
    candidates = standing(election, voters)
    # Every voter makes a different choice, so each ballot would be recognisable in plain.
    seen_keys, seen_bytes = set(), set()
    with voting(election):
        for n, voter in enumerate(voters):
            before = set(_physical_order())
            services.ballot_cast(actor=voter, election=election, choices=[candidates[n].pk])
            box = {b.pk: bytes(b.sealed) for b in Ballot.objects.all()}
            # Every vote gives every ballot new bytes and a new random key: comparing the
            # table before and after does not isolate the new ballot.
            assert len(box) == n + 1
            assert not set(box.values()) & (before | seen_bytes)
            assert not set(box) & seen_keys
            assert len({len(b) for b in box.values()}) == 1
            seen_keys |= set(box)
            seen_bytes |= set(box.values())

    # 1. Nothing in the ballot table names a person or a moment; the election keeps only the
    # public key (the count code is nowhere in the database).
    fields = {f.name: f for f in Ballot._meta.get_fields() if f.concrete}
    assert set(fields) == {"id", "election", "sealed"}
    assert fields["id"].get_default().version == 4  # random, not time-based
    assert not any(f.get_internal_type() in ("DateTimeField", "DateField") for f in fields.values())
    election.refresh_from_db()
    key = ballotbox.parse_code(election.count_code)
    assert bytes(election.ballot_key) == ballotbox.public_bytes(key)
    # 2. No ballot holds a candidate id in plain.
    for sealed in _physical_order():
        for c in candidates:
            assert ballotbox.encode([c.pk])[:24] not in sealed
    # 3. Nothing in the roll points to a ballot.
    assert {f.name for f in Voter._meta.get_fields() if f.concrete} == {"id", "election", "user"}
    # 4. The audit log says who voted, never how: no details at all.
    voted = AuditEvent.objects.filter(action=AuditAction.COMMITTEE_VOTED)
    assert [e.actor_id for e in voted.order_by("seq")] == [v.pk for v in voters]
    assert all(e.details == {} for e in voted)
    ballot_keys = {str(k) for k in Ballot.objects.values_list("pk", flat=True)}
    for event in AuditEvent.objects.all():
        assert not (ballot_keys & set(map(str, event.details.values()))), event.action
    # 5. The order the rows are stored in, and their keys' order, are not the voting order.
    voting_order = [[c.pk] for c in candidates]
    stored = ballotbox.open_box(key, _physical_order())
    assert sorted(stored) == sorted(voting_order)
    assert stored != voting_order
    by_key = ballotbox.open_box(key, [bytes(b.sealed) for b in Ballot.objects.order_by("pk")])
    assert by_key != voting_order
    # 6. Nothing is notified about a choice, and no message carries the count code.
    assert not Notification.objects.filter(subject__icontains="ballot").exists()
    assert not Notification.objects.filter(body__contains=election.count_code).exists()


# --- Concurrency (PostgreSQL) ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_submissions_produce_one_ballot(dept, voters, committee_seats):
    """Two submissions of the same voter on two connections at once: one ballot, one refusal."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database for parallel connections")
    election = open_election(dept, seats_to_fill=1)
    (ca,) = standing(election, voters[:1])
    voter = voters[1]
    start = threading.Barrier(2)
    outcomes = []
    with voting(election):

        def submit():
            try:
                start.wait()
                services.ballot_cast(actor=voter, election=election, choices=[ca.pk])
                outcomes.append("cast")
            except ValidationError as exc:
                outcomes.append(exc.messages[0])
            finally:
                connections.close_all()

        # Each thread in a copy of this context: the test's agency (tests/conftest.py).
        threads = [
            threading.Thread(target=contextvars.copy_context().run, args=(submit,))
            for _ in range(2)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(outcomes) == ["You have already voted in this election.", "cast"]
    assert Ballot.objects.filter(election=election).count() == 1
    assert Voter.objects.filter(election=election).count() == 1
