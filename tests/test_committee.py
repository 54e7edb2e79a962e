"""The advisory committee: seats, appointments and terms, elections from opening to published
results, every refusal, the secret ballot, ties, voiding, and one ballot per voter under
concurrent submissions (PostgreSQL)."""

import random
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import Role, RoleGrant
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.governance import services_committee as services
from peersupport.governance.models import (
    Ballot,
    Candidate,
    CommitteeSeat,
    Election,
    Membership,
    Voter,
)
from peersupport.notifications.models import Notification

from .conftest import signed_in_client
from .factories import UserFactory
from .matrix.committee import active_supporter, seats

pytestmark = pytest.mark.django_db


@pytest.fixture
def committee_seats(db):
    return list(seats())


@pytest.fixture
def voters(dept, committee_seats):
    """Five active supporters: the supporter persona and four colleagues."""
    people = [active_supporter(dept.users["supporter"])]
    for n in range(4):
        people.append(active_supporter(UserFactory(email=f"voter{n}@pd.example.org")))
    return people


def _windows(now=None):
    now = now or timezone.now()
    return {
        "nominations_open_at": now,
        "nominations_close_at": now + timedelta(days=7),
        "voting_open_at": now + timedelta(days=7),
        "voting_close_at": now + timedelta(days=14),
    }


def _open(dept, seats_to_fill=2, **kwargs):
    return services.election_open(
        actor=dept.users["coordinator"], seats=seats_to_fill, **(_windows() | kwargs)
    )


def _voting(election):
    return time_machine.travel(election.voting_open_at + timedelta(hours=1), tick=False)


def _closed(election):
    return time_machine.travel(election.voting_close_at + timedelta(minutes=1), tick=False)


def _standing(election, people):
    return [services.candidate_stand(actor=p, election=election) for p in people]


# --- Seats and appointments -----------------------------------------------------------------


def test_default_seats_three_elected_seven_appointed(committee_seats):
    kinds = [s.kind for s in committee_seats]
    assert kinds.count(CommitteeSeat.Kind.ELECTED) == 3
    assert kinds.count(CommitteeSeat.Kind.APPOINTED) == 7
    names = {s.appointed_by for s in committee_seats}
    assert {"Fraternal Order of Police", "National Black Police Association"} <= names


def test_coordinator_adds_and_retires_a_seat(dept, committee_seats):
    coordinator = dept.users["coordinator"]
    seat = services.seat_create(
        actor=coordinator,
        kind=CommitteeSeat.Kind.EX_OFFICIO,
        name="Chief's delegate",
        appointed_by="Office of the Chief",
        term_months=12,
    )
    with pytest.raises(ValidationError, match="already a seat"):
        services.seat_create(
            actor=coordinator, kind="elected", name="chief's delegate", term_months=12
        )
    with pytest.raises(ValidationError, match="program coordinator"):
        services.seat_create(
            actor=dept.users["bhs_manager"], kind="elected", name="X", term_months=12
        )
    services.seat_retire(actor=coordinator, seat=seat)
    assert not CommitteeSeat.objects.get(pk=seat.pk).active
    assert AuditEvent.objects.filter(action=AuditAction.COMMITTEE_SEAT_RETIRED).count() == 1


def test_appointment_grants_the_role_for_the_term_and_a_resignation_ends_it(dept, committee_seats):
    coordinator, person = dept.users["coordinator"], dept.users["employee"]
    seat = next(s for s in committee_seats if s.appointed_by == "Fraternal Order of Police")
    today = timezone.localdate()
    membership = services.member_appoint(
        actor=coordinator, seat=seat, user=person, term_start=today
    )
    assert membership.term_end.year == today.year + 2  # the seat's 24 months
    grant = membership.role_grant
    assert grant.role == Role.COMMITTEE_MEMBER and grant.expires_at is not None
    person.forget_roles()
    assert person.has_role(Role.COMMITTEE_MEMBER)
    with pytest.raises(ValidationError, match="holds this seat"):
        services.member_appoint(
            actor=coordinator, seat=seat, user=dept.users["chief"], term_start=today
        )
    elected_seat = next(s for s in committee_seats if s.is_elected)
    with pytest.raises(ValidationError, match="election"):
        services.member_appoint(
            actor=coordinator, seat=elected_seat, user=dept.users["chief"], term_start=today
        )
    services.member_end(
        actor=coordinator, membership=membership, reason="resigned", note="Moved away"
    )
    membership.refresh_from_db()
    assert membership.end_reason == "resigned" and not membership.is_current()
    assert RoleGrant.objects.get(pk=grant.pk).revoked_at is not None
    person.forget_roles()
    assert not person.has_role(Role.COMMITTEE_MEMBER)
    # The seat is vacant again, and its history kept.
    services.member_appoint(
        actor=coordinator, seat=seat, user=dept.users["chief"], term_start=today
    )
    assert seat.memberships.count() == 2


def test_committee_page_shows_members_and_vacancies(dept, client_for, committee_seats):
    seat = committee_seats[3]
    services.member_appoint(
        actor=dept.users["coordinator"],
        seat=seat,
        user=dept.users["committee_member"],
        term_start=timezone.localdate(),
    )
    page = client_for("employee").get(reverse("committee:current")).content.decode()
    assert "Committee_Member" in page or str(dept.users["committee_member"]) in page
    assert page.count("Vacant") == len(committee_seats) - 1


def test_coordinator_appoints_through_the_page(dept, client_for, committee_seats):
    seat = committee_seats[4]
    url = reverse("committee:appoint", args=[seat.pk])
    bad = client_for("coordinator").post(url, {"email": "nobody@example.org", "term_start": ""})
    assert bad.status_code == 400
    assert not Membership.objects.exists()
    resp = client_for("coordinator").post(
        url,
        {"email": dept.users["chief"].email, "term_start": timezone.localdate().isoformat()},
    )
    assert resp.status_code == 302
    assert Membership.objects.get().user == dept.users["chief"]


# --- An election from opening to published results -------------------------------------------


def test_election_from_opening_to_published_results(dept, voters, committee_seats):
    coordinator = dept.users["coordinator"]
    election = _open(dept, seats_to_fill=2)
    # Every active supporter is told, through the outbox.
    told = set(Notification.objects.filter(topic="committee").values_list("user_id", flat=True))
    assert told == {v.pk for v in voters}
    a, b, c, d, e = voters
    _standing(election, [a, b])
    nominated = services.candidate_nominate(actor=a, election=election, nominee=c)
    assert nominated.status == Candidate.Status.NOMINATED
    services.candidate_answer(actor=c, candidate=nominated, accept=True)
    declined = services.candidate_nominate(actor=a, election=election, nominee=d)
    services.candidate_answer(actor=d, candidate=declined, accept=False)
    ca, cb, cc = (Candidate.objects.get(election=election, user=u) for u in (a, b, c))

    with _voting(election):
        services.ballot_cast(actor=a, election=election, choices=[ca.pk, cb.pk])
        services.ballot_cast(actor=b, election=election, choices=[cb.pk])
        services.ballot_cast(actor=c, election=election, choices=[cb.pk, cc.pk])
        services.ballot_cast(actor=e, election=election, choices=[ca.pk])

    # Nobody signed in: the worker's tick publishes the result when voting closes.
    from peersupport.governance.tasks import committee_tick
    from peersupport.notifications.scheduling import periodic_tasks

    assert committee_tick in [t for t, _ in periodic_tasks()]
    assert services.elections_tally() == 0  # not yet closed
    with _closed(election):
        assert services.elections_tally() == 1
        assert services.elections_tally() == 0  # once
    election.refresh_from_db()
    assert election.status == Election.Status.PUBLISHED
    assert (election.ballots_cast, election.electorate) == (4, 5)
    assert election.turnout_percent == 80
    results = {c.user_id: (c.votes, c.elected) for c in election.candidates.all()}
    assert results[b.pk] == (3, True)
    assert results[a.pk] == (2, True)
    assert results[c.pk] == (1, False)
    seated = Membership.objects.filter(election=election)
    assert {m.user_id for m in seated} == {a.pk, b.pk}
    assert all(m.seat.is_elected and m.term_end > m.term_start for m in seated)
    b.forget_roles()
    assert b.has_role(Role.COMMITTEE_MEMBER)
    tallied = AuditEvent.objects.get(action=AuditAction.COMMITTEE_ELECTION_TALLIED)
    assert tallied.actor_id is None and tallied.details["ballots"] == 4
    coordinator.forget_roles()


def test_results_page_shows_counts_and_turnout(dept, voters, client_for, committee_seats):
    election = _open(dept, seats_to_fill=1)
    (ca,) = _standing(election, voters[:1])
    with _voting(election):
        services.ballot_cast(actor=voters[1], election=election, choices=[ca.pk])
    with _closed(election):
        services.elections_tally()
    page = client_for("employee").get(reverse("committee:election", args=[election.pk]))
    text = page.content.decode()
    assert "Turnout: 1 ballot from 5 active supporters (20%)" in text
    assert "Elected" in text


def test_vote_in_the_browser_pages(dept, voters, client_for, committee_seats):
    election = _open(dept, seats_to_fill=1)
    ca, cb = _standing(election, voters[1:3])
    url = reverse("committee:vote", args=[election.pk])
    with _voting(election):
        # Signed in during the voting window (sessions end after their lifetime).
        client = signed_in_client(dept.users["supporter"])
        assert client.get(url).status_code == 200
        too_many = client.post(url, {"choices": [ca.pk, cb.pk]})
        assert too_many.status_code == 400
        assert "Choose at most 1 candidate" in too_many.content.decode()
        assert not Ballot.objects.exists() and not Voter.objects.exists()
        assert client.post(url, {"choices": [ca.pk]}).status_code == 302
        again = client.post(url, {"choices": [ca.pk]})
        assert again.status_code == 400
        assert "already voted" in again.content.decode()
    assert Ballot.objects.count() == 1 and Voter.objects.count() == 1


# --- Refusals: a clear message, nothing changed ------------------------------------------------


def _snapshot():
    return (
        Ballot.objects.count(),
        Voter.objects.count(),
        Candidate.objects.count(),
        AuditEvent.objects.count(),
    )


def test_refusals_change_nothing(dept, voters, committee_seats):
    election = _open(dept, seats_to_fill=1)
    a, b, c = voters[:3]
    ca, cb = _standing(election, [a, b])
    outsider = dept.users["employee"]  # not a supporter
    inactive = active_supporter(UserFactory(email="inactive@pd.example.org"))
    inactive.supporter_profile.status = "retired"
    inactive.supporter_profile.save(update_fields=["status"])

    def refused(match, call):
        before = _snapshot()
        with pytest.raises(ValidationError, match=match):
            call()
        assert _snapshot() == before

    # Standing or nominating when not eligible.
    refused(
        "not an active peer supporter",
        lambda: services.candidate_stand(actor=outsider, election=election),
    )
    refused(
        "not an active peer supporter",
        lambda: services.candidate_stand(actor=inactive, election=election),
    )
    refused(
        "not an active peer supporter",
        lambda: services.candidate_nominate(actor=a, election=election, nominee=outsider),
    )
    refused("already standing", lambda: services.candidate_stand(actor=a, election=election))
    # Voting outside the window (before it opens).
    refused(
        "not opened yet", lambda: services.ballot_cast(actor=c, election=election, choices=[ca.pk])
    )
    with _voting(election):
        refused(
            "Nominations are closed", lambda: services.candidate_stand(actor=c, election=election)
        )
        refused(
            "Only active peer supporters vote",
            lambda: services.ballot_cast(actor=outsider, election=election, choices=[ca.pk]),
        )
        refused(
            "Only active peer supporters vote",
            lambda: services.ballot_cast(actor=inactive, election=election, choices=[ca.pk]),
        )
        refused(
            "at most 1",
            lambda: services.ballot_cast(actor=c, election=election, choices=[ca.pk, cb.pk]),
        )
        refused(
            "at least one", lambda: services.ballot_cast(actor=c, election=election, choices=[])
        )
        refused(
            "among the candidates",
            lambda: services.ballot_cast(actor=c, election=election, choices=[999999]),
        )
        refused(
            "once at most",
            lambda: services.ballot_cast(actor=c, election=election, choices=[ca.pk, ca.pk]),
        )
        services.ballot_cast(actor=c, election=election, choices=[ca.pk])
        refused(
            "already voted",
            lambda: services.ballot_cast(actor=c, election=election, choices=[cb.pk]),
        )
    with _closed(election):
        refused(
            "Voting has closed",
            lambda: services.ballot_cast(actor=a, election=election, choices=[ca.pk]),
        )


def test_opening_refusals(dept, voters, committee_seats):
    coordinator = dept.users["coordinator"]
    with pytest.raises(ValidationError, match="program coordinator"):
        services.election_open(actor=voters[0], seats=1, **_windows())
    with pytest.raises(ValidationError) as exc:
        services.election_open(actor=coordinator, seats=4, **_windows())
    assert "Only 3 elected seats" in str(exc.value)
    bad = _windows() | {"voting_close_at": timezone.now() + timedelta(days=1)}
    with pytest.raises(ValidationError, match="close after it opens"):
        services.election_open(actor=coordinator, seats=1, **bad)
    _open(dept, seats_to_fill=1)
    with pytest.raises(ValidationError, match="already open"):
        _open(dept, seats_to_fill=1)
    assert Election.objects.count() == 1


# --- Ties -----------------------------------------------------------------------------------


def test_a_tie_is_settled_by_a_recorded_drawing_of_lots(dept, voters, committee_seats):
    election = _open(dept, seats_to_fill=1)
    ca, cb = _standing(election, voters[:2])
    with _voting(election):
        services.ballot_cast(actor=voters[2], election=election, choices=[ca.pk])
        services.ballot_cast(actor=voters[3], election=election, choices=[cb.pk])
    with _closed(election):
        services.elections_tally()
    election.refresh_from_db()
    draw = election.tie_draw
    assert draw["votes"] == 1 and sorted(draw["tied"]) == sorted([ca.pk, cb.pk])
    winner = draw["drawn"][0]
    assert list(election.candidates.filter(elected=True).values_list("pk", flat=True)) == [winner]
    assert Membership.objects.filter(election=election).count() == 1
    assert AuditEvent.objects.get(action=AuditAction.COMMITTEE_ELECTION_TALLIED).details[
        "drawing_of_lots"
    ]


@override_settings(COMMITTEE_TIE_RULE="vacant")
def test_a_tie_can_leave_the_seat_vacant(dept, voters, committee_seats):
    election = _open(dept, seats_to_fill=2)
    ca, cb, cc = _standing(election, voters[:3])
    with _voting(election):
        services.ballot_cast(actor=voters[3], election=election, choices=[ca.pk, cb.pk])
        services.ballot_cast(actor=voters[4], election=election, choices=[ca.pk, cc.pk])
    with _closed(election):
        services.elections_tally()
    election.refresh_from_db()
    assert election.tie_rule == "vacant"
    assert list(election.candidates.filter(elected=True).values_list("pk", flat=True)) == [ca.pk]
    assert "drawn" not in election.tie_draw and election.tie_draw["places"] == 1


# --- Void and rerun -------------------------------------------------------------------------


def test_void_unseats_the_elected_and_allows_one_rerun(dept, voters, committee_seats):
    coordinator = dept.users["coordinator"]
    election = _open(dept, seats_to_fill=1)
    (ca,) = _standing(election, voters[:1])
    with _voting(election):
        services.ballot_cast(actor=voters[1], election=election, choices=[ca.pk])
    with _closed(election):
        services.elections_tally()
    membership = Membership.objects.get(election=election)
    with pytest.raises(ValidationError, match="Say why"):
        services.election_void(actor=coordinator, election=election, reason=" ")
    services.election_void(actor=coordinator, election=election, reason="Ballot irregularity")
    membership.refresh_from_db()
    assert membership.end_reason == Membership.EndReason.VOIDED
    assert RoleGrant.objects.get(pk=membership.role_grant_id).revoked_at is not None
    event = AuditEvent.objects.get(action=AuditAction.COMMITTEE_ELECTION_VOIDED)
    assert event.actor_id == coordinator.pk
    rerun = _open(dept, seats_to_fill=1, rerun_of=election)
    assert rerun.rerun_of == election
    services.election_void(actor=coordinator, election=rerun, reason="Again")
    with pytest.raises(ValidationError, match="once"):
        _open(dept, seats_to_fill=1, rerun_of=election)


def test_coordinator_voids_through_the_page(dept, voters, client_for, committee_seats):
    election = _open(dept, seats_to_fill=1)
    url = reverse("committee:void", args=[election.pk])
    assert client_for("coordinator").post(url, {"reason": ""}).status_code == 400
    assert client_for("coordinator").post(url, {"reason": "Wrong dates"}).status_code == 302
    election.refresh_from_db()
    assert election.status == Election.Status.VOIDED and election.void_reason == "Wrong dates"


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
    election = _open(dept, seats_to_fill=3)
    candidates = _standing(election, voters)
    # Every voter makes a different choice, so each ballot is recognisable.
    choice_of = {}
    seen_keys = set()
    with _voting(election):
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
    election = _open(dept, seats_to_fill=1)
    (ca,) = _standing(election, voters[:1])
    voter = voters[1]
    start = threading.Barrier(2)
    outcomes = []
    with _voting(election):

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


# --- The demo department ----------------------------------------------------------------------


def test_demo_department_has_a_committee_and_a_past_election():
    import io

    from django.core.management import call_command

    from peersupport.governance import selectors_committee

    call_command("demo_department", "--employees", "300", stdout=io.StringIO())
    past = Election.objects.get()
    assert past.status == Election.Status.PUBLISHED
    assert 0 < past.ballots_cast <= past.electorate
    assert Voter.objects.count() == past.ballots_cast
    assert Ballot.objects.count() == past.ballots_cast
    rows = selectors_committee.committee()
    held = [r for r in rows if r.member]
    assert len(held) >= 4
    assert "committee@demo.peersupport.test" in {r.member.user.email for r in held}
    assert len(selectors_committee.vacant_elected_seats()) == 1
    assert Membership.objects.filter(end_reason="resigned").count() == 1
