"""The demo department's committee: members, a vacancy and a past election."""

import pytest

from peersupport.committee.models import Ballot, Election, Membership, Voter

pytestmark = pytest.mark.django_db


# --- The demo department ----------------------------------------------------------------------


def test_demo_department_has_a_committee_and_a_past_election():
    import io

    from django.core.management import call_command

    from peersupport.committee import selectors

    call_command("demo_department", "--employees", "300", stdout=io.StringIO())
    past = Election.objects.get()
    assert past.status == Election.Status.PUBLISHED
    assert 0 < past.ballots_cast <= past.electorate
    assert Voter.objects.count() == past.ballots_cast
    assert Ballot.objects.count() == past.ballots_cast
    rows = selectors.committee()
    held = [r for r in rows if r.member]
    assert len(held) >= 4
    assert "committee@demo.peersupport.test" in {r.member.user.email for r in held}
    assert len(selectors.vacant_elected_seats()) == 1
    assert Membership.objects.filter(end_reason="resigned").count() == 1
