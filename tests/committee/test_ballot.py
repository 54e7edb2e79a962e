"""The secret ballot: nothing links a ballot to its voter or to the moment of voting; and one
ballot per voter under concurrent submissions (PostgreSQL)."""

import random
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.committee import services
from peersupport.committee.models import Ballot, Voter
from peersupport.notifications.models import Notification

from .helpers import open_election, standing, voting

pytestmark = pytest.mark.django_db


# --- The secret ballot ----------------------------------------------------------------------


def _physical_order():
    """Ballots in the order the database stores them (SQLite's rowid, PostgreSQL's ctid)."""
    column = "ctid" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT choices FROM governance_ballot ORDER BY {column}")  # noqa: S608
        rows = cursor.fetchall()
    import json

    return [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows]


def test_a_ballot_cannot_be_matched_to_its_voter(dept, voters, committee_seats, monkeypatch):
    # A fixed shuffle, so that the test is deterministic; the service uses the system's
    # cryptographic random source.
    monkeypatch.setattr(services, "_random", random.Random(8))  # noqa: S311
    election = open_election(dept, seats_to_fill=3)
    candidates = standing(election, voters)
    # Every voter makes a different choice, so each ballot is recognisable.
    choice_of = {}
    seen_keys = set()
    with voting(election):
        for n, voter in enumerate(voters):
            choice_of[voter.pk] = [candidates[n].pk]
            services.ballot_cast(actor=voter, election=election, choices=[candidates[n].pk])
            keys = set(Ballot.objects.values_list("pk", flat=True))
            # Every vote gives every ballot a new random key: no key survives to be dated.
            assert not keys & seen_keys
            seen_keys |= keys

    # 1. Nothing in the ballot table names a person or a moment.
    fields = {f.name: f for f in Ballot._meta.get_fields() if f.concrete}
    assert set(fields) == {"id", "election", "choices"}
    assert fields["id"].get_default().version == 4  # random, not time-based
    assert not any(f.get_internal_type() in ("DateTimeField", "DateField") for f in fields.values())
    # 2. Nothing in the roll points to a ballot.
    assert {f.name for f in Voter._meta.get_fields() if f.concrete} == {"id", "election", "user"}
    # 3. The audit log says who voted, never how: no details at all.
    voted = AuditEvent.objects.filter(action=AuditAction.COMMITTEE_VOTED)
    assert [e.actor_id for e in voted.order_by("seq")] == [v.pk for v in voters]
    assert all(e.details == {} for e in voted)
    ballot_keys = {str(k) for k in Ballot.objects.values_list("pk", flat=True)}
    for event in AuditEvent.objects.all():
        assert not (ballot_keys & set(map(str, event.details.values()))), event.action
    # 4. The order the rows are stored in, and their keys' order, are not the voting order.
    voting_order = [choice_of[v.pk] for v in voters]
    stored = _physical_order()
    assert sorted(map(tuple, stored)) == sorted(map(tuple, voting_order))
    assert stored != voting_order
    by_key = [b.choices for b in Ballot.objects.order_by("pk")]
    assert by_key != voting_order
    # 5. Nothing is notified about a choice.
    assert not Notification.objects.filter(subject__icontains="ballot").exists()


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

        threads = [threading.Thread(target=submit) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(outcomes) == ["You have already voted in this election.", "cast"]
    assert Ballot.objects.filter(election=election).count() == 1
    assert Voter.objects.filter(election=election).count() == 1
