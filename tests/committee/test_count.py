"""The count code: shown once, on the page that opens the election, and stored nowhere; the
count with it after voting closes; every wrong code refused with a clear message and nothing
changed; a lost code means voiding the election and running it again."""

import base64
import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.committee import ballotbox, services
from peersupport.committee.models import Ballot, Candidate, Election

from ..conftest import signed_in_client
from .helpers import closed, open_election, standing, voting

pytestmark = pytest.mark.django_db


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_the_count_code_is_shown_once_and_stored_nowhere(dept, voters, committee_seats):
    client = signed_in_client(dept.users["coordinator"])
    now = timezone.now() + timedelta(minutes=5)
    page = client.post(
        reverse("committee:election_open"),
        {
            "seats": 1,
            "nominations_open_at": _local(now),
            "nominations_close_at": _local(now + timedelta(days=7)),
            "voting_open_at": _local(now + timedelta(days=7)),
            "voting_close_at": _local(now + timedelta(days=14)),
        },
    )
    # Shown on the response itself (no redirect through the session), and not cached.
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    text = page.content.decode()
    election = Election.objects.get()
    code = text.split('<code id="count-code">')[1].split("</code>")[0]
    key = ballotbox.private_key(code, election.ballot_key)  # the page's code opens this box
    assert "shown only now" in text
    # Nowhere in the database: every row of every table, as dumpdata writes it (binary fields
    # in base64), holds neither the code nor the private key in any encoding.
    raw = key.private_bytes_raw()
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    everything = dump.getvalue()
    for form in (code, code.replace("-", ""), base64.b64encode(raw).decode(), raw.hex()):
        assert form not in everything
    # The election page never shows it again.
    again = client.get(reverse("committee:election", args=[election.pk])).content.decode()
    assert code not in again


def _counted_election(dept, voters):
    election = open_election(dept, seats_to_fill=1)
    ca, cb = standing(election, voters[:2])
    with voting(election):
        services.ballot_cast(actor=voters[2], election=election, choices=[ca.pk])
        services.ballot_cast(actor=voters[3], election=election, choices=[ca.pk])
        services.ballot_cast(actor=voters[4], election=election, choices=[cb.pk])
    return election, ca, cb


def _state(election):
    election.refresh_from_db()
    return (
        election.status,
        list(Candidate.objects.values_list("votes", "elected").order_by("pk")),
        sorted(bytes(b) for b in Ballot.objects.values_list("sealed", flat=True)),
        AuditEvent.objects.count(),
    )


def test_the_coordinator_counts_with_the_code(dept, voters, committee_seats):
    election, ca, cb = _counted_election(dept, voters)
    url = reverse("committee:count", args=[election.pk])
    _, other_code = ballotbox.new_key()
    with closed(election):
        client = signed_in_client(dept.users["coordinator"])
        page = client.get(reverse("committee:election", args=[election.pk]))
        assert "Count the votes" in page.content.decode()
        assert client.get(url).status_code == 200
        before = _state(election)
        for wrong, says in [
            ("", "Enter the count code"),
            ("ABCD-EFGH", "not the count code of this election"),
            (other_code, "not the count code of this election"),
            ("x" * 5000, "at most 100 characters"),
            ("\u202e" + election.count_code[1:], "not the count code of this election"),
        ]:
            refused = client.post(url, {"count_code": wrong})
            assert refused.status_code == 400, wrong
            assert says in refused.content.decode()
            assert "Nothing was saved." in refused.content.decode()
            assert _state(election) == before
        typed = election.count_code.lower().replace("-", " ")
        done = client.post(url, {"count_code": typed})
        assert done.status_code == 302
        assert client.get(done["Location"]).content.decode().count("Elected") >= 1
        # Counted once: the page now says so, and a second count is refused.
        assert "not waiting to be counted" in client.get(url).content.decode()
        again = client.post(url, {"count_code": election.count_code})
        assert again.status_code == 400
    election.refresh_from_db()
    assert election.status == Election.Status.PUBLISHED and election.ballots_cast == 3
    assert (
        Candidate.objects.get(pk=ca.pk).votes == 2
        and Candidate.objects.get(pk=cb.pk).elected is False
    )
    event = AuditEvent.objects.get(action=AuditAction.COMMITTEE_ELECTION_TALLIED)
    assert event.actor_id == dept.users["coordinator"].pk
    assert election.count_code not in str(event.details)


def test_no_count_before_voting_closes(dept, voters, committee_seats):
    election, _, _ = _counted_election(dept, voters)
    with voting(election):
        client = signed_in_client(dept.users["coordinator"])
        url = reverse("committee:count", args=[election.pk])
        assert "not waiting to be counted" in client.get(url).content.decode()
        refused = client.post(url, {"count_code": election.count_code})
        assert refused.status_code == 400
        assert "Voting has not closed yet" in refused.content.decode()
    election.refresh_from_db()
    assert election.status == Election.Status.OPEN


def _sealed_like_the_box(public, choices):
    """A ballot sealed to the election's public key (which is no secret), as big as the
    ballots in the box: what someone with write access to the database could add."""
    forged = ballotbox.cast(public, [], choices)[0]
    size = len(bytes(Ballot.objects.first().sealed))
    while len(forged) < size:
        forged = ballotbox.seal(public, forged)
    return forged


@pytest.mark.parametrize("forgery", ["other key", "stuffed", "not a candidate", "truncated"])
def test_a_tampered_box_is_refused_and_counts_nothing(dept, voters, committee_seats, forgery):
    election, ca, cb = _counted_election(dept, voters)
    other_public, _ = ballotbox.new_key()
    if forgery == "other key":
        Ballot.objects.create(election=election, sealed=_sealed_like_the_box(other_public, [1]))
    elif forgery == "stuffed":  # a valid ballot, but one more than the roll
        forged = _sealed_like_the_box(bytes(election.ballot_key), [cb.pk])
        Ballot.objects.create(election=election, sealed=forged)
    elif forgery == "not a candidate":  # one ballot replaced by a vote for nobody standing
        Ballot.objects.first().delete()
        forged = _sealed_like_the_box(bytes(election.ballot_key), [999999])
        Ballot.objects.create(election=election, sealed=forged)
    else:
        ballot = Ballot.objects.first()
        Ballot.objects.filter(pk=ballot.pk).update(sealed=bytes(ballot.sealed)[:-1])
    before = _state(election)
    with closed(election), pytest.raises(ValidationError, match="tampered with"):
        services.election_count(
            actor=dept.users["coordinator"], election=election, count_code=election.count_code
        )
    assert _state(election) == before
    assert election.status == Election.Status.OPEN


def test_a_lost_code_means_voiding_and_running_it_again(dept, voters, committee_seats):
    coordinator = dept.users["coordinator"]
    election, _, _ = _counted_election(dept, voters)
    with closed(election):
        services.election_void(actor=coordinator, election=election, reason="Count code lost")
    rerun = open_election(dept, seats_to_fill=1, rerun_of=election)
    assert rerun.count_code != election.count_code
    assert bytes(rerun.ballot_key) != bytes(election.ballot_key)
