"""Reads about the advisory committee. Who may vote and stand is asked of one function only,
peersupport.roster.selectors.may_vote; everything else here is the committee's own data.
Nothing here writes, and nothing imports the services."""

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from peersupport.accounts import selectors as account_selectors
from peersupport.accounts.models import User
from peersupport.roster import selectors as roster_selectors

from .models import Ballot, Candidate, CommitteeSeat, Election, Membership, Voter


def may_vote(user: User) -> bool:
    """An active peer supporter: may vote, stand and nominate."""
    return roster_selectors.may_vote(user)


def electorate() -> list[User]:
    """Everyone who may vote now (the listed active supporters), by name, in one query."""
    return roster_selectors.voters()


def electorate_names() -> list[tuple[int, str]]:
    """``(user id, name)`` of each of ``electorate``, in its order, without reading the
    accounts themselves (the options of the nominate select)."""
    return roster_selectors.voter_names()


def _current_q(today: datetime.date) -> Q:
    return Q(ended_on__isnull=True, term_start__lte=today) & (
        Q(term_end__isnull=True) | Q(term_end__gt=today)
    )


def current_memberships(today: datetime.date | None = None):
    today = today or timezone.localdate()
    return Membership.objects.filter(_current_q(today))


def upcoming_memberships(seat: CommitteeSeat, today: datetime.date | None = None):
    """Memberships of ``seat`` that start after ``today`` and are not ended."""
    today = today or timezone.localdate()
    return seat.memberships.filter(term_start__gt=today, ended_on=None)


def overlapping_memberships(seat: CommitteeSeat, start: datetime.date, end: datetime.date | None):
    """Memberships of ``seat``, not ended, whose term meets the term from ``start`` to ``end``
    (no end: open-ended)."""
    qs = seat.memberships.filter(ended_on=None)
    qs = qs.exclude(term_end__isnull=False, term_end__lte=start)
    if end is not None:
        qs = qs.exclude(term_start__gte=end)
    return qs


@dataclass
class SeatRow:
    seat: CommitteeSeat
    member: Membership | None
    history: list[Membership]


def committee(*, today: datetime.date | None = None, history: bool = False) -> list[SeatRow]:
    """Every active seat with its current member (or none: vacant), in order; with
    ``history`` also every past and future membership. Two queries."""
    today = today or timezone.localdate()
    memberships = Membership.objects.select_related("user", "election").order_by(
        "-term_start", "-pk"
    )
    seats = CommitteeSeat.objects.filter(active=True).prefetch_related(
        Prefetch("memberships", queryset=memberships, to_attr="all_memberships")
    )
    rows = []
    for seat in seats:
        current = next((m for m in seat.all_memberships if m.is_current(today)), None)
        rows.append(SeatRow(seat, current, seat.all_memberships if history else []))
    return rows


def retired_seats() -> list[CommitteeSeat]:
    return list(CommitteeSeat.objects.filter(active=False))


def seat(seat_id: int) -> CommitteeSeat:
    found = CommitteeSeat.objects.filter(pk=seat_id).first()
    if found is None:
        raise Http404("No such seat.")
    return found


def membership(membership_id: int) -> Membership:
    found = Membership.objects.select_related("seat", "user").filter(pk=membership_id).first()
    if found is None:
        raise Http404("No such membership.")
    return found


def vacant_elected_seats(on: datetime.date | None = None) -> list[CommitteeSeat]:
    """Active elected seats nobody holds on ``on`` (today by default), in order."""
    on = on or timezone.localdate()
    held = current_memberships(on).values("seat_id")
    return list(CommitteeSeat.objects.filter(active=True, kind="elected").exclude(pk__in=held))


def open_election() -> Election | None:
    return Election.objects.filter(status=Election.Status.OPEN).first()


def elections() -> list[Election]:
    return list(Election.objects.select_related("rerun_of"))


def elections_listed() -> QuerySet[Election]:
    """Every election, the last to close first, with the one it reruns and its own rerun (the
    manage page shows them a page at a time)."""
    return Election.objects.select_related("rerun_of", "rerun")


def election(election_id: int) -> Election:
    """Elections are the program's: every signed-in account may read one (the page shows
    counts only once published)."""
    # Not who opened it (an account, the widest model): no page of the election shows it.
    found = Election.objects.select_related("rerun_of").filter(pk=election_id).first()
    if found is None:
        raise Http404("No such election.")
    return found


def candidates(election: Election) -> list[Candidate]:
    """Standing candidates first (by votes once tallied, the elected before the others on the
    same votes, tied ones in the order drawn), then the others."""
    rows = list(election.candidates.select_related("user", "nominated_by"))
    order = {Candidate.Status.STANDING: 0, Candidate.Status.NOMINATED: 1}
    drawn = {pk: i for i, pk in enumerate(election.tie_draw.get("drawn", []))}
    return sorted(
        rows,
        key=lambda c: (
            order.get(c.status, 2),
            -(c.votes or 0),
            not c.elected,
            drawn.get(c.pk, len(drawn)),
            str(c.user),
            c.pk,
        ),
    )


def candidate_for_user(*, user: User, candidate_id: int) -> Candidate:
    """Only the nominee answers their nomination; anyone else gets 404."""
    found = (
        Candidate.objects.select_related("election", "user")
        .filter(pk=candidate_id, user=user)
        .first()
    )
    if found is None:
        raise Http404("No such nomination.")
    return found


def standing_candidates(election: Election) -> list[Candidate]:
    return list(election.candidates.filter(status=Candidate.Status.STANDING).select_related("user"))


def standing_candidate_ids(election: Election) -> set[int]:
    return set(
        election.candidates.filter(status=Candidate.Status.STANDING).values_list("pk", flat=True)
    )


def has_voted(*, user: User, election: Election) -> bool:
    return Voter.objects.filter(election=election, user=user).exists()


def voter_ids(election: Election) -> set[int]:
    """Who has voted (the roll), never how."""
    return set(Voter.objects.filter(election=election).values_list("user_id", flat=True))


def sealed_ballots(election: Election) -> list[bytes]:
    """The sealed ballots of ``election``, in no meaningful order, with no key."""
    rows = Ballot.objects.filter(election=election).values_list("sealed", flat=True)
    return [bytes(b) for b in rows]


def accounts(user_ids) -> list[User]:
    """The accounts of ``user_ids``, by id (disabled ones too)."""
    return list(User.objects.filter(pk__in=list(user_ids)).order_by("pk"))


def own_candidacy(*, user: User, election: Election) -> Candidate | None:
    return election.candidates.filter(user=user).first()


def account_by_email(email: str) -> User | None:
    """The account a coordinator names by e-mail address when appointing a member: one of the
    agency's people (never another agency's, whose address is not even confirmed to exist)."""
    return account_selectors.account_by_email(email)
