"""A committee election from opening to published results, every refusal (a clear message,
nothing changed), ties, and voiding with one rerun."""

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import Role, RoleGrant
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.committee import selectors, services
from peersupport.committee.models import (
    Ballot,
    Candidate,
    Election,
    Membership,
    Voter,
)
from peersupport.committee.rules import draw_order
from peersupport.notifications.models import Notification
from peersupport.web.pagination import PER_PAGE

from ..conftest import signed_in_client
from ..factories import ElectionFactory, UserFactory
from ..matrix.committee import active_supporter
from ..queries import page_queries
from .helpers import closed, count, open_election, standing, voting, windows

pytestmark = pytest.mark.django_db


# --- An election from opening to published results -------------------------------------------


def test_election_from_opening_to_published_results(dept, voters, committee_seats):
    coordinator = dept.users["coordinator"]
    election = open_election(dept, seats_to_fill=2)
    # Every active supporter is told, through the outbox.
    told = set(Notification.objects.filter(topic="committee").values_list("user_id", flat=True))
    assert told == {v.pk for v in voters}
    a, b, c, d, e = voters
    standing(election, [a, b])
    nominated = services.candidate_nominate(actor=a, election=election, nominee=c)
    assert nominated.status == Candidate.Status.NOMINATED
    services.candidate_answer(actor=c, candidate=nominated, accept=True)
    declined = services.candidate_nominate(actor=a, election=election, nominee=d)
    services.candidate_answer(actor=d, candidate=declined, accept=False)
    ca, cb, cc = (Candidate.objects.get(election=election, user=u) for u in (a, b, c))

    with voting(election):
        services.ballot_cast(actor=a, election=election, choices=[ca.pk, cb.pk])
        services.ballot_cast(actor=b, election=election, choices=[cb.pk])
        services.ballot_cast(actor=c, election=election, choices=[cb.pk, cc.pk])
        services.ballot_cast(actor=e, election=election, choices=[ca.pk])

    # The worker's tick cannot count (it never has the code): once voting closes it tells the
    # coordinator who opened the election, once.
    from peersupport.committee.tasks import committee_tick
    from peersupport.notifications.scheduling import periodic_tasks

    assert committee_tick in [t for t, _ in periodic_tasks()]
    assert services.elections_count_due() == 0  # not yet closed
    with pytest.raises(ValidationError, match="not closed yet"):
        services.election_count(
            actor=coordinator, election=election, count_code=election.count_code
        )
    with closed(election):
        assert services.elections_count_due() == 1
        assert services.elections_count_due() == 1  # still waiting; told once
    reminders = Notification.objects.filter(subject__icontains="count the votes")
    assert [n.user_id for n in reminders] == [coordinator.pk]
    count(election, dept)
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
    assert tallied.actor_id == coordinator.pk and tallied.details["ballots"] == 4
    with closed(election):
        assert services.elections_count_due() == 0
        with pytest.raises(ValidationError, match="not waiting to be counted"):
            services.election_count(
                actor=coordinator, election=election, count_code=election.count_code
            )
    coordinator.forget_roles()


def test_results_page_shows_counts_and_turnout(dept, voters, client_for, committee_seats):
    election = open_election(dept, seats_to_fill=1)
    (ca,) = standing(election, voters[:1])
    with voting(election):
        services.ballot_cast(actor=voters[1], election=election, choices=[ca.pk])
    count(election, dept)
    page = client_for("employee").get(reverse("committee:election", args=[election.pk]))
    text = page.content.decode()
    assert "Turnout: 1 ballot from 5 active supporters (20%)" in text
    assert "Elected" in text


def test_vote_in_the_browser_pages(dept, voters, client_for, committee_seats):
    election = open_election(dept, seats_to_fill=1)
    ca, cb = standing(election, voters[1:3])
    url = reverse("committee:vote", args=[election.pk])
    with voting(election):
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
    election = open_election(dept, seats_to_fill=1)
    a, b, c = voters[:3]
    ca, cb = standing(election, [a, b])
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
    with voting(election):
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
    with closed(election):
        refused(
            "Voting has closed",
            lambda: services.ballot_cast(actor=a, election=election, choices=[ca.pk]),
        )


def test_opening_refusals(dept, voters, committee_seats):
    coordinator = dept.users["coordinator"]
    with pytest.raises(ValidationError, match="program coordinator"):
        services.election_open(actor=voters[0], seats=1, **windows())
    with pytest.raises(ValidationError) as exc:
        services.election_open(actor=coordinator, seats=4, **windows())
    assert "Only 3 elected seats" in str(exc.value)
    bad = windows() | {"voting_close_at": timezone.now() + timedelta(days=1)}
    with pytest.raises(ValidationError, match="close after it opens"):
        services.election_open(actor=coordinator, seats=1, **bad)
    open_election(dept, seats_to_fill=1)
    with pytest.raises(ValidationError, match="already open"):
        open_election(dept, seats_to_fill=1)
    assert Election.objects.count() == 1


# --- Ties -----------------------------------------------------------------------------------


def test_a_tie_is_settled_by_a_recorded_drawing_of_lots(dept, voters, committee_seats):
    election = open_election(dept, seats_to_fill=1)
    ca, cb = standing(election, voters[:2])
    with voting(election):
        services.ballot_cast(actor=voters[2], election=election, choices=[ca.pk])
        services.ballot_cast(actor=voters[3], election=election, choices=[cb.pk])
    count(election, dept)
    election.refresh_from_db()
    draw = election.tie_draw
    assert draw["votes"] == 1 and sorted(draw["tied"]) == sorted([ca.pk, cb.pk])
    winner = draw["drawn"][0]
    assert list(election.candidates.filter(elected=True).values_list("pk", flat=True)) == [winner]
    assert Membership.objects.filter(election=election).count() == 1
    assert AuditEvent.objects.get(action=AuditAction.COMMITTEE_ELECTION_TALLIED).details[
        "drawing_of_lots"
    ]
    # The seed was fixed when the election opened: its SHA-256 was published then, and the
    # drawing repeats from the seed published now.
    assert hashlib.sha256(draw["seed"].encode()).hexdigest() == election.lots_commitment
    assert draw["drawn"] == draw_order(draw["seed"], draw["tied"])
    assert draw["counted_by"] == str(dept.users["coordinator"])


def test_the_drawing_is_published_with_the_witness_and_the_winner_first(
    dept, voters, committee_seats, client_for
):
    election = open_election(dept, seats_to_fill=1)
    commitment = election.lots_commitment
    page = client_for("coordinator").get(reverse("committee:election", args=[election.pk]))
    assert len(commitment) == 64
    ca, cb = standing(election, voters[:2])
    with voting(election):
        services.ballot_cast(actor=voters[2], election=election, choices=[ca.pk])
        services.ballot_cast(actor=voters[3], election=election, choices=[cb.pk])
    with closed(election):
        services.election_count(
            actor=dept.users["coordinator"],
            election=election,
            count_code=election.count_code,
            witness="  Sam   Lee, committee member ",
        )
    election.refresh_from_db()
    assert election.tie_draw["witness"] == "Sam Lee, committee member"
    winner, loser = election.tie_draw["drawn"]
    listed = [c.pk for c in selectors.candidates(election)]
    assert listed.index(winner) < listed.index(loser)
    page = client_for("coordinator").get(reverse("committee:election", args=[election.pk]))
    html = page.content.decode()
    assert election.tie_draw["seed"] in html and commitment in html
    assert "witnessed by Sam Lee, committee member" in html


@override_settings(COMMITTEE_TIE_RULE="vacant")
def test_a_tie_can_leave_the_seat_vacant(dept, voters, committee_seats):
    election = open_election(dept, seats_to_fill=2)
    ca, cb, cc = standing(election, voters[:3])
    with voting(election):
        services.ballot_cast(actor=voters[3], election=election, choices=[ca.pk, cb.pk])
        services.ballot_cast(actor=voters[4], election=election, choices=[ca.pk, cc.pk])
    count(election, dept)
    election.refresh_from_db()
    assert election.tie_rule == "vacant"
    assert list(election.candidates.filter(elected=True).values_list("pk", flat=True)) == [ca.pk]
    assert "drawn" not in election.tie_draw and election.tie_draw["places"] == 1


# --- Void and rerun -------------------------------------------------------------------------


def test_void_unseats_the_elected_and_allows_one_rerun(dept, voters, committee_seats):
    coordinator = dept.users["coordinator"]
    election = open_election(dept, seats_to_fill=1)
    (ca,) = standing(election, voters[:1])
    with voting(election):
        services.ballot_cast(actor=voters[1], election=election, choices=[ca.pk])
    count(election, dept)
    membership = Membership.objects.get(election=election)
    with pytest.raises(ValidationError, match="Say why"):
        services.election_void(actor=coordinator, election=election, reason=" ")
    services.election_void(actor=coordinator, election=election, reason="Ballot irregularity")
    membership.refresh_from_db()
    assert membership.end_reason == Membership.EndReason.VOIDED
    assert RoleGrant.objects.get(pk=membership.role_grant_id).revoked_at is not None
    event = AuditEvent.objects.get(action=AuditAction.COMMITTEE_ELECTION_VOIDED)
    assert event.actor_id == coordinator.pk
    rerun = open_election(dept, seats_to_fill=1, rerun_of=election)
    assert rerun.rerun_of == election
    services.election_void(actor=coordinator, election=rerun, reason="Again")
    with pytest.raises(ValidationError, match="once"):
        open_election(dept, seats_to_fill=1, rerun_of=election)


def test_coordinator_voids_through_the_page(dept, voters, client_for, committee_seats):
    election = open_election(dept, seats_to_fill=1)
    url = reverse("committee:void", args=[election.pk])
    assert client_for("coordinator").post(url, {"reason": ""}).status_code == 400
    assert client_for("coordinator").post(url, {"reason": "Wrong dates"}).status_code == 302
    election.refresh_from_db()
    assert election.status == Election.Status.VOIDED and election.void_reason == "Wrong dates"


# --- The manage page's elections, a page at a time ------------------------------------------

MANAGE = reverse("committee:manage")


def _past_elections(n: int, *, after: int = 0) -> list[Election]:
    """``n`` elections over, the last to close first; every third one voided, never rerun."""
    by = UserFactory()
    made = []
    for i in range(after, after + n):
        voided = i % 3 == 2
        made.append(
            ElectionFactory(
                opened_by=by,
                nominations_open_at=timezone.now() - timedelta(days=30 + i),
                status=Election.Status.VOIDED if voided else Election.Status.PUBLISHED,
                void_reason="A ballot box fault." if voided else "",
                ballots_cast=None if voided else 4,
                electorate=None if voided else 9,
            )
        )
    return made


def _election_ids(resp) -> list[int]:
    return [e.pk for e in resp.context["elections"]]


def test_the_manage_page_lists_elections_fifty_a_page(client_for):
    past = _past_elections(PER_PAGE + 3)
    client = client_for("coordinator")

    first = client.get(MANAGE)
    assert _election_ids(first) == [e.pk for e in past[:PER_PAGE]]
    html = first.content.decode()
    assert "Page 1 of 2" in html and 'aria-label="Pages of elections"' in html
    assert html.count("Run it again") == sum(e.status == "voided" for e in past[:PER_PAGE])

    second = client.get(MANAGE, {"page": 2})
    assert _election_ids(second) == [e.pk for e in past[PER_PAGE:]]
    assert "Page 2 of 2" in second.content.decode()


def test_the_open_election_stays_on_every_page_of_the_manage_page(client_for, dept):
    _past_elections(PER_PAGE + 1)
    election = open_election(dept)
    client = client_for("coordinator")
    assert _election_ids(client.get(MANAGE))[0] == election.pk
    second = client.get(MANAGE, {"page": 2})
    assert second.context["open_election"] == election
    link = reverse("committee:election", args=[election.pk])
    assert f'An election is open: <a href="{link}"' in second.content.decode()


@pytest.mark.parametrize("page", ["x", "0", "-3", ""])
def test_a_bad_page_of_elections_shows_the_first(client_for, page):
    past = _past_elections(PER_PAGE + 1)
    resp = client_for("coordinator").get(MANAGE, {"page": page})
    assert resp.status_code == 200
    assert resp.context["elections"].number == 1
    assert _election_ids(resp)[0] == past[0].pk


def test_the_manage_page_queries_do_not_grow_with_elections(client_for):
    client = client_for("coordinator")

    _past_elections(PER_PAGE + 1)
    small = page_queries(client, MANAGE, warm=True)
    _past_elections(120 - PER_PAGE - 1, after=PER_PAGE + 1)
    assert page_queries(client, MANAGE, warm=True) <= small
