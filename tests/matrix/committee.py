"""Who may use the advisory committee's pages (tests/system/test_authorization_matrix.py).

Everyone signed in sees the current committee and every election (counts once published).
The coordinator manages seats, appointments and elections, counts an election (with its count
code) and voids one. Peer
supporters stand, nominate, answer their own nomination (tests/system/test_object_access.py)
and vote; whether they are *active* supporters the services decide
(roster.selectors.may_vote), with a clear refusal (tests/committee/).
"""

from datetime import timedelta

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import SIGNED_IN

_ALL = frozenset({SIGNED_IN})
_COORDINATOR = frozenset({Role.COORDINATOR})
_COORD_GET_POST = {"GET": _COORDINATOR, "POST": _COORDINATOR}
_SUPPORTER = frozenset({Role.PEER_SUPPORTER})

MATRIX = {
    "committee:current": {"GET": _ALL},
    "committee:manage": {"GET": _COORDINATOR},
    "committee:seat_create": _COORD_GET_POST,
    "committee:seat_retire": _COORD_GET_POST,
    "committee:appoint": _COORD_GET_POST,
    "committee:member_end": _COORD_GET_POST,
    "committee:election_open": _COORD_GET_POST,
    "committee:election": {"GET": _ALL},
    "committee:stand": {"POST": _SUPPORTER},
    "committee:nominate": {"POST": _SUPPORTER},
    "committee:vote": {"GET": _SUPPORTER, "POST": _SUPPORTER},
    "committee:void": _COORD_GET_POST,
    "committee:count": _COORD_GET_POST,
    "committee:answer": {"GET": _SUPPORTER, "POST": _SUPPORTER},
}
# The nomination answered is the nominee's own: anyone else gets 404.
OBJECT_SCOPED = {"committee:answer"}


def seats():
    from peersupport.committee.defaults import install_seats
    from peersupport.committee.models import CommitteeSeat

    install_seats(CommitteeSeat=CommitteeSeat)
    return CommitteeSeat.objects.all()


def active_supporter(user):
    """Make ``user`` an active peer supporter (role, employee record, active profile)."""
    from peersupport.accounts.models import RoleGrant
    from peersupport.roster import services as roster
    from peersupport.roster.models import SupporterProfile
    from tests.factories import EmployeeFactory, grant

    if not RoleGrant.objects.current().filter(user=user, role=Role.PEER_SUPPORTER).exists():
        grant(user, Role.PEER_SUPPORTER)
    if not hasattr(user, "employee"):
        EmployeeFactory(user=user, work_email=user.email)
    if not SupporterProfile.objects.filter(user=user).exists():
        roster.supporter_profile_create(
            actor=user, user=user, status=SupporterProfile.Status.ACTIVE, reason="test"
        )
    user.forget_roles()
    return user


def open_election(*, phase: str = "nominations", seats_to_fill: int = 1):
    """An open election whose window ``phase`` ("nominations" or "voting") is now. Written
    straight to the table: the service refuses windows in the past, as it should. A new one
    carries its count code in ``count_code`` (not stored), as the service's does."""
    from django.utils import timezone

    from peersupport.accounts.models import User
    from peersupport.committee import ballotbox
    from peersupport.committee.models import Election

    seats()
    existing = Election.objects.filter(status=Election.Status.OPEN).first()
    if existing is not None:
        return existing
    now = timezone.now()
    start = now - (timedelta(hours=1) if phase == "nominations" else timedelta(days=2))
    opener = User.objects.filter(role_grants__role=Role.COORDINATOR).first()
    if opener is None:
        from tests.factories import UserFactory

        opener = UserFactory(email="opener@pd.example.org")
    public_key, count_code = ballotbox.new_key()
    election = Election.objects.create(
        ballot_key=public_key,
        seats=seats_to_fill,
        nominations_open_at=start,
        nominations_close_at=start + timedelta(days=1),
        voting_open_at=start + timedelta(days=1),
        voting_close_at=start + timedelta(days=3),
        opened_by=opener,
    )
    election.count_code = count_code  # as the service hands it back: never stored
    return election


def nomination(user):
    """A nomination of ``user`` (made an active supporter), waiting for their answer."""
    from peersupport.committee.models import Candidate

    active_supporter(user)
    return Candidate.objects.create(
        election=open_election(), user=user, status=Candidate.Status.NOMINATED
    )


def _election(dept):
    return {"election_id": open_election().pk}


def _appointed_seat(dept):
    return {"seat_id": seats().filter(kind="appointed").first().pk}


def _membership(dept):
    from django.utils import timezone

    from peersupport.committee.models import Membership

    seat = seats().filter(kind="appointed").last()
    membership = Membership.objects.create(
        seat=seat,
        user=dept.users["committee_member"],
        term_start=timezone.localdate(),
        term_end=timezone.localdate() + timedelta(days=365),
    )
    return {"membership_id": membership.pk}


def _candidate(dept):
    from tests.factories import UserFactory

    return {"candidate_id": nomination(UserFactory(email="nominee@pd.example.org")).pk}


URL_KWARGS = {
    "committee:seat_retire": _appointed_seat,
    "committee:appoint": _appointed_seat,
    "committee:member_end": _membership,
    "committee:election": _election,
    "committee:stand": _election,
    "committee:nominate": _election,
    "committee:vote": _election,
    "committee:void": _election,
    "committee:count": _election,
    "committee:answer": _candidate,
}

# tests/system/test_object_access.py
OWNED = {"committee:answer": (nomination, "candidate_id")}
SHARED = {
    "committee:seat_retire": "the coordinator manages every seat of the committee",
    "committee:appoint": "the coordinator manages every seat of the committee",
    "committee:member_end": "the coordinator manages every membership of the committee",
    "committee:void": "the coordinator runs every election",
    "committee:count": "the coordinator counts every election, with the count code it was "
    "opened with",
    "committee:election": "elections are the program's: every signed-in account reads every "
    "one, with counts only once published",
    "committee:stand": "any active supporter may stand in any open election (the service "
    "checks may_vote and the window)",
    "committee:nominate": "any active supporter may nominate in any open election",
    "committee:vote": "any active supporter votes in any open election, once; the ballot is "
    "nobody's object",
}
