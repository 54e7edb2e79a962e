"""The committee's notifications: words from templates/messages/committee/, the same words as
before they were templates, and nothing in them about anyone (no names, no choices)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from peersupport.committee import services
from peersupport.committee.tasks import committee_tick
from peersupport.notifications.messages import render_message, site_link
from peersupport.notifications.models import Notification

from .helpers import closed, count, open_election, standing, voting

pytestmark = pytest.mark.django_db


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%-d %B %Y, %H:%M")


def _link(election) -> str:
    return site_link("committee:election", election_id=election.pk)


def _emails(**filters):
    return Notification.objects.filter(topic="committee", channel="email", **filters)


def test_opening_tells_every_supporter_in_the_words_of_the_template(dept, voters):
    election = open_election(dept, seats_to_fill=2)
    sent = _emails()
    assert sent.count() == len(voters)
    note = sent.first()
    assert note.subject == "Advisory committee election: nominations are open"
    assert note.body == (
        "The peer supporters elect 2 members of the advisory committee. Stand or nominate a "
        f"colleague until {_when(election.nominations_close_at)}; voting runs from "
        f"{_when(election.voting_open_at)} to {_when(election.voting_close_at)}. Take part "
        f"here:\n\n{_link(election)}"
    )
    subject, body = render_message(
        "committee/election_open",
        seats=election.seats,
        nominations_close_at=election.nominations_close_at,
        voting_open_at=election.voting_open_at,
        voting_close_at=election.voting_close_at,
        link=_link(election),
    )
    assert (subject, body) == (note.subject, note.body)


def test_one_seat_is_singular(dept, voters):
    election = open_election(dept, seats_to_fill=1)
    assert "elect 1 member of the advisory committee" in _emails().first().body
    assert election.seats == 1


def test_a_nomination_names_nobody(dept, voters):
    election = open_election(dept, seats_to_fill=1)
    nominee = voters[1]
    services.candidate_nominate(actor=voters[0], election=election, nominee=nominee)
    note = _emails(user=nominee, key__startswith="committee-nomination:").get()
    assert note.subject == "You are nominated for the advisory committee"
    assert note.body == (
        "A colleague has nominated you for an elected seat on the advisory committee. Accept "
        f"or decline before {_when(election.nominations_close_at)}:\n\n{_link(election)}"
    )
    assert str(voters[0]) not in note.body and voters[0].email not in note.body


def test_the_results_go_to_the_roll_and_say_nothing_of_them(dept, voters):
    election = open_election(dept, seats_to_fill=1)
    (candidate,) = standing(election, voters[:1])
    with voting(election):
        services.ballot_cast(actor=voters[1], election=election, choices=[candidate.pk])
    count(election, dept)
    results = _emails(key__contains=":results:")
    assert {n.user_id for n in results} == {v.pk for v in voters}
    for note in results:
        assert note.subject == "Advisory committee election: the results"
        assert note.body == (
            "The results of the advisory committee election are published. See them here:"
            f"\n\n{_link(election)}"
        )


def test_the_opener_is_told_when_the_count_waits_for_the_code(dept, voters):
    election = open_election(dept, seats_to_fill=1)
    with closed(election):
        services.elections_count_due()
    note = _emails(key__endswith=":count:email").get()
    assert note.user_id == dept.users["coordinator"].pk
    assert note.subject == "Advisory committee election: voting has closed, count the votes"
    assert "enter the count code you were given when you opened the election" in note.body
    assert reverse("committee:count", args=[election.pk]) in note.body
    # The code itself is in no message.
    assert election.count_code not in note.body


def _voting_alerts():
    return Notification.objects.filter(key__contains=":voting:")


def test_voting_opening_tells_every_eligible_voter_once_and_nobody_else(dept, voters, settings):
    election = open_election(dept, seats_to_fill=1)
    (candidate,) = standing(election, voters[:1])
    # Nominations are open: voting is not, and nobody is told of it yet.
    assert services.elections_voting_open() == 0
    assert not _voting_alerts().exists()
    with voting(election):
        assert committee_tick.call()["voters_told"] == len(voters)
        # The next tick tells nobody again.
        services.elections_voting_open()
    alerts = _voting_alerts()
    assert sorted((n.user_id, n.channel) for n in alerts) == sorted((v.pk, "email") for v in voters)
    note = alerts.first()
    assert note.subject == "Advisory committee election: voting is open"
    assert f"Voting is open until {_when(election.voting_close_at)}." in note.body
    link = f"{settings.SITE_URL}{reverse('committee:election', args=[election.pk])}"
    assert link in note.body
    assert candidate.user.email not in note.body and str(candidate.user) not in note.body
    # The coordinator, who does not vote, and anyone else are not told.
    everyone = {v.pk for v in voters}
    assert set(alerts.values_list("user_id", flat=True)) == everyone
    assert dept.users["coordinator"].pk not in everyone


def test_a_voter_who_has_voted_is_not_told_and_a_closed_election_tells_nobody(dept, voters):
    election = open_election(dept, seats_to_fill=1)
    (candidate,) = standing(election, voters[:1])
    with voting(election):
        services.ballot_cast(actor=voters[1], election=election, choices=[candidate.pk])
        assert services.elections_voting_open() == len(voters) - 1
    assert not _voting_alerts().filter(user=voters[1]).exists()
    with closed(election):
        assert services.elections_voting_open() == 0
