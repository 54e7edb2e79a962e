"""The committee belongs to one agency (issue 23, step 3c): a new agency gets the default seats
(``agency_created``), seat names are unique within an agency, and an agency's seats, members,
elections, candidates, roll and ballots are read only inside it, the worker's tick included."""

import pytest
from django.core.exceptions import ValidationError

from peersupport.accounts.agencies import announce_agency
from peersupport.accounts.models import Agency, Role
from peersupport.committee import selectors, services
from peersupport.committee.defaults import APPOINTING_ORGANISATIONS, ELECTED_SEATS
from peersupport.committee.models import (
    Ballot,
    Candidate,
    CommitteeSeat,
    Election,
    Membership,
    Voter,
)
from peersupport.tenancy import using_agency

from ..factories import (
    CandidateFactory,
    ElectionFactory,
    EmployeeFactory,
    MembershipFactory,
    UnitFactory,
    UserFactory,
    grant,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency_b(db, settings):
    settings.SILENCED_SYSTEM_CHECKS = [*settings.SILENCED_SYSTEM_CHECKS, "accounts.E001"]
    return Agency.objects.create(slug="b-county", name="B County", time_zone=settings.TIME_ZONE)


def test_a_new_agency_gets_the_default_seats(committee_seats, agency_b, settings):
    settings.COMMITTEE_TERM_MONTHS = 18
    a_seats = sorted(CommitteeSeat.objects.values_list("pk", flat=True))
    announce_agency(agency_b)
    with using_agency(agency_b):
        seats = list(CommitteeSeat.objects.all())
        assert len(seats) == ELECTED_SEATS + len(APPOINTING_ORGANISATIONS)
        assert {s.agency_id for s in seats} == {agency_b.pk}
        assert {s.term_months for s in seats} == {18}
        # The same names as A's: unique within an agency, not across.
        assert {s.name for s in seats} == {s.name for s in committee_seats}
    assert sorted(CommitteeSeat.objects.values_list("pk", flat=True)) == a_seats
    announce_agency(agency_b)  # seeding twice adds nothing
    with using_agency(agency_b):
        assert CommitteeSeat.objects.count() == len(seats)


def test_seat_names_are_unique_within_an_agency(dept, committee_seats, agency_b):
    coordinator = dept.users["coordinator"]
    with using_agency(agency_b):
        grant(coordinator, Role.COORDINATOR)
        coordinator.forget_roles()
        seat = services.seat_create(
            actor=coordinator, kind="elected", name="Bilby seat", term_months=12
        )
        assert seat.agency_id == agency_b.pk
        with pytest.raises(ValidationError, match="already a seat"):
            services.seat_create(
                actor=coordinator, kind="elected", name="bilby seat", term_months=1
            )
    coordinator.forget_roles()
    services.seat_create(actor=coordinator, kind="elected", name="Bilby seat", term_months=12)


def test_an_agencys_committee_is_read_only_inside_it(dept, committee_seats, agency_b):
    election = ElectionFactory(opened_by=dept.users["coordinator"])
    CandidateFactory(election=election, user=dept.users["supporter"])
    Voter.objects.create(election=election, user=dept.users["supporter"])
    Ballot.objects.create(election=election, sealed=b"sealed")
    MembershipFactory(seat=committee_seats[3], user=dept.users["committee_member"])
    every = (CommitteeSeat, Membership, Election, Candidate, Voter, Ballot)
    assert all(model.objects.exists() for model in every)
    with using_agency(agency_b):
        assert not any(model.objects.exists() for model in every)
        assert selectors.committee() == []
        assert selectors.open_election() is None
        assert selectors.sealed_ballots(election) == []
        assert selectors.voter_ids(election) == set()
        with pytest.raises(Exception, match="No such election"):
            selectors.election(election.pk)
        with pytest.raises(Exception, match="No such seat"):
            selectors.seat(committee_seats[0].pk)


def test_the_tick_tells_only_its_agencys_people(dept, committee_seats, agency_b):
    from datetime import timedelta

    from django.utils import timezone

    closed = timezone.now() - timedelta(hours=1)
    ElectionFactory(
        opened_by=dept.users["coordinator"],
        nominations_open_at=closed - timedelta(days=3),
        nominations_close_at=closed - timedelta(days=2),
        voting_open_at=closed - timedelta(days=2),
        voting_close_at=closed,
    )
    with using_agency(agency_b):
        b_user = UserFactory(email="b-coordinator@b.example.org")
        EmployeeFactory(user=b_user, unit=UnitFactory(name="B HQ"), work_email=b_user.email)
        assert services.elections_count_due() == 0
        assert services.elections_voting_open() == 0
    assert services.elections_count_due() == 1
