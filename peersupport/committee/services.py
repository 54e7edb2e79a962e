"""Every write about the advisory committee: seats, memberships, elections, candidacies,
ballots, the count and voiding. Each writes its audit event in the same transaction; a refusal
raises ValidationError and changes nothing.

The secret ballot: ``election_open`` makes the election's key pair (ballotbox.py): the public
key is kept with the election, the private key goes back to the coordinator once, as the count
code (``election.count_code``, an attribute never saved). ``ballot_cast`` writes two unrelated
things in one transaction, a ``Voter`` row (who voted: the roll, audited as committee.voted
with no details) and the ballot, sealed to the public key; every ballot already in the box is
sealed again under a fresh layer and the box is written out in a fresh random order with fresh
keys, so no copy of the database taken between two votes can tell which ballot is new.
``election_count`` opens the box with the count code the counter types in, publishes the
totals, and keeps nothing of the code. No audit event, log line or notification carries a
choice.

The committee-member role follows the seat: seating someone grants Role.COMMITTEE_MEMBER until
the end of the term (the grant's expiry), unless they hold it already; ending the membership
early (resignation, removal, a voided election) revokes the grant the seat made. Both are
program decisions, made through accounts.services.role_grant_by_program and
role_revoke_by_program (the coordinator or the worker, not the system administrator or the BHS
manager), and audited like every grant.

The pure rules (terms, windows, who a count elects) are in rules.py, the reads in selectors.py,
and the words of every message in templates/messages/committee/.
"""

import datetime
import secrets
from collections import Counter

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from peersupport.accounts.models import Role, User
from peersupport.accounts.services import role_grant_by_program, role_revoke_by_program
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.notifications.messages import notify_message, site_link

from . import ballotbox, rules, selectors
from .models import Ballot, Candidate, CommitteeSeat, Election, Membership, Voter
from .rules import add_months

C = Candidate.Status
_random = secrets.SystemRandom()


def _require_coordinator(actor: User) -> None:
    if actor is None or not actor.has_role(Role.COORDINATOR):
        raise ValidationError("Only the program coordinator manages the committee.")


# --- Seats ----------------------------------------------------------------------------------


@transaction.atomic
def seat_create(
    *, actor: User, kind: str, name: str, appointed_by: str = "", term_months: int, order: int = 0
) -> CommitteeSeat:
    _require_coordinator(actor)
    if kind not in CommitteeSeat.Kind.values:
        raise ValidationError({"kind": "Choose how the seat is filled."})
    name = rules.required_text(name, "name", "Name the seat.")
    appointed_by = " ".join((appointed_by or "").split())
    if kind == CommitteeSeat.Kind.ELECTED:
        appointed_by = ""
    elif not appointed_by:
        raise ValidationError(
            {"appointed_by": "Name the organisation that appoints, or the office that sits."}
        )
    if not term_months or term_months < 1:
        raise ValidationError({"term_months": "A term is at least one month."})
    if CommitteeSeat.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": "There is already a seat with this name."})
    try:
        with transaction.atomic():
            seat = CommitteeSeat.objects.create(
                kind=kind,
                name=name,
                appointed_by=appointed_by,
                term_months=term_months,
                order=order,
            )
    except IntegrityError:
        raise ValidationError({"name": "There is already a seat with this name."}) from None
    record(
        actor=actor,
        action=AuditAction.COMMITTEE_SEAT_CREATED,
        target=seat,
        details={"kind": kind},
    )
    return seat


@transaction.atomic
def seat_retire(*, actor: User, seat: CommitteeSeat) -> CommitteeSeat:
    """No longer part of the committee. Only a vacant seat: end its membership first."""
    _require_coordinator(actor)
    seat = CommitteeSeat.objects.select_for_update().get(pk=seat.pk)
    if not seat.active:
        raise ValidationError(f"“{seat.name}” is already retired.")
    if selectors.current_memberships().filter(seat=seat).exists():
        raise ValidationError(f"Someone holds “{seat.name}”: end their membership first.")
    if selectors.upcoming_memberships(seat).exists():
        raise ValidationError(f"Someone is due to take “{seat.name}”: end that membership first.")
    seat.active = False
    seat.save(update_fields=["active"])
    record(actor=actor, action=AuditAction.COMMITTEE_SEAT_RETIRED, target=seat)
    return seat


# --- Memberships ----------------------------------------------------------------------------


def _seat_member(
    *,
    actor: User | None,
    seat: CommitteeSeat,
    user: User,
    term_start: datetime.date,
    term_end: datetime.date | None,
    election: Election | None = None,
) -> Membership:
    """Seat ``user`` (the caller has locked ``seat``) and grant the committee-member role."""
    grant = role_grant_by_program(
        actor=actor,
        user=user,
        role=Role.COMMITTEE_MEMBER,
        reason=f"Seated on the advisory committee: {seat.name}",
        expires_at=rules.start_of_day(term_end) if term_end else None,
    )
    membership = Membership.objects.create(
        seat=seat,
        user=user,
        term_start=term_start,
        term_end=term_end,
        election=election,
        recorded_by=actor,
        role_grant=grant,
    )
    record(
        actor=actor,
        action=AuditAction.COMMITTEE_MEMBER_SEATED,
        target=membership,
        details={
            "seat_id": seat.pk,
            "user_id": user.pk,
            "election_id": election.pk if election else None,
        },
    )
    return membership


@transaction.atomic
def member_appoint(
    *,
    actor: User,
    seat: CommitteeSeat,
    user: User | None,
    term_start: datetime.date | None,
    term_end: datetime.date | None = None,
) -> Membership:
    """The coordinator records an appointed or ex officio member. Elected seats are filled by
    elections only. Without an end date, the seat's term length sets it (ex officio seats may
    have none: the member serves while in office)."""
    _require_coordinator(actor)
    seat = CommitteeSeat.objects.select_for_update().get(pk=seat.pk)
    if not seat.active:
        raise ValidationError("This seat is retired.")
    if seat.is_elected:
        raise ValidationError("Elected seats are filled by an election of the peer supporters.")
    if user is None:
        raise ValidationError({"email": "Give the e-mail address of the person's account."})
    if not user.is_active:
        raise ValidationError({"email": "This account is disabled."})
    if term_start is None:
        raise ValidationError({"term_start": "Give the date the term starts."})
    if term_end is None and seat.kind == CommitteeSeat.Kind.APPOINTED:
        term_end = add_months(term_start, seat.term_months)
    if term_end is not None and term_end <= term_start:
        raise ValidationError({"term_end": "The term must end after it starts."})
    if term_end is not None and term_end <= timezone.localdate():
        raise ValidationError({"term_end": "This term has already ended."})
    if selectors.overlapping_memberships(seat, term_start, term_end).exists():
        raise ValidationError(
            {"term_start": "Someone holds this seat during that term; end their membership first."}
        )
    if selectors.current_memberships().filter(user=user).exclude(seat=seat).exists():
        raise ValidationError({"email": "This person already holds another seat."})
    return _seat_member(actor=actor, seat=seat, user=user, term_start=term_start, term_end=term_end)


def _end(
    *, actor: User | None, membership: Membership, reason: str, note: str, today: datetime.date
) -> Membership:
    membership.ended_on = max(today, membership.term_start)
    membership.end_reason = reason
    membership.end_note = note[:300]
    membership.save(update_fields=["ended_on", "end_reason", "end_note"])
    if membership.role_grant_id:
        ended = membership.get_end_reason_display().lower()
        role_revoke_by_program(
            actor=actor,
            user=membership.user,
            role=Role.COMMITTEE_MEMBER,
            reason=f"Committee membership ended ({ended})",
            grant=membership.role_grant,
        )
    record(
        actor=actor,
        action=AuditAction.COMMITTEE_MEMBER_ENDED,
        target=membership,
        details={"seat_id": membership.seat_id, "reason": reason},
    )
    return membership


@transaction.atomic
def member_end(*, actor: User, membership: Membership, reason: str, note: str) -> Membership:
    """A resignation or removal before the term ends. The seat is vacant at once (an elected
    one until an election fills it)."""
    _require_coordinator(actor)
    membership = (
        Membership.objects.select_for_update().select_related("seat", "user").get(pk=membership.pk)
    )
    if reason not in (Membership.EndReason.RESIGNED, Membership.EndReason.REMOVED):
        raise ValidationError({"reason": "Choose resigned or removed."})
    note = rules.required_text(note, "note", "Say briefly what happened, for the record.")
    today = timezone.localdate()
    if membership.ended_on is not None or (
        membership.term_end is not None and membership.term_end <= today
    ):
        raise ValidationError("This membership has already ended.")
    return _end(actor=actor, membership=membership, reason=reason, note=note, today=today)


# --- Elections ------------------------------------------------------------------------------


@transaction.atomic
def election_open(
    *,
    actor: User,
    seats: int | None,
    nominations_open_at: datetime.datetime | None,
    nominations_close_at: datetime.datetime | None,
    voting_open_at: datetime.datetime | None,
    voting_close_at: datetime.datetime | None,
    rerun_of: Election | None = None,
) -> Election:
    """Open an election for elected seats that will be vacant when voting closes. One open
    election at a time. Every active supporter is told (through the outbox)."""
    _require_coordinator(actor)
    list(CommitteeSeat.objects.select_for_update().filter(kind="elected").values_list("pk"))
    if selectors.open_election() is not None:
        raise ValidationError("An election is already open; it must be published or voided first.")
    now = timezone.now()
    rules.check_windows(
        now=now,
        nominations_open_at=nominations_open_at,
        nominations_close_at=nominations_close_at,
        voting_open_at=voting_open_at,
        voting_close_at=voting_close_at,
    )
    vacant = len(selectors.vacant_elected_seats(timezone.localdate(voting_close_at)))
    if vacant == 0:
        raise ValidationError("No elected seat will be vacant when voting closes.")
    if not seats or seats < 1:
        raise ValidationError({"seats": "Fill at least one seat."})
    if seats > vacant:
        raise ValidationError(
            {"seats": f"Only {vacant} elected seat{'s' if vacant != 1 else ''} will be vacant."}
        )
    if rerun_of is not None:
        rerun_of = Election.objects.get(pk=rerun_of.pk)
    if rerun_of is not None and (
        rerun_of.status != Election.Status.VOIDED
        or Election.objects.filter(rerun_of=rerun_of).exists()
    ):
        raise ValidationError("Only a voided election, once, can be run again.")
    public_key, count_code = ballotbox.new_key()
    seed = ballotbox.lots_seed(ballotbox.private_key(count_code, public_key))
    election = Election.objects.create(
        ballot_key=public_key,
        lots_commitment=ballotbox.lots_commitment(seed),
        seats=seats,
        method=Election.Method.PLURALITY,
        tie_rule=settings.COMMITTEE_TIE_RULE,
        nominations_open_at=nominations_open_at,
        nominations_close_at=nominations_close_at,
        voting_open_at=voting_open_at,
        voting_close_at=voting_close_at,
        opened_by=actor,
        opened_at=now,
        rerun_of=rerun_of,
    )
    record(
        actor=actor,
        action=AuditAction.COMMITTEE_ELECTION_OPENED,
        target=election,
        details={"seats": seats, "rerun_of": rerun_of.pk if rerun_of else None},
    )
    for user in selectors.electorate():
        notify_message(
            key=f"committee-election:{election.pk}:open:{user.pk}",
            user=user,
            message="committee/election_open",
            link=site_link("committee:election", election_id=election.pk),
            seats=election.seats,
            nominations_close_at=election.nominations_close_at,
            voting_open_at=election.voting_open_at,
            voting_close_at=election.voting_close_at,
        )
    # Handed back once, for the page to show; never saved (only its public key is).
    election.count_code = count_code
    return election


def _locked_election(election: Election) -> Election:
    return Election.objects.select_for_update().get(pk=election.pk)


def _check_nominations_open(election: Election) -> None:
    phase = election.phase()
    if phase == "upcoming":
        raise ValidationError("Nominations have not opened yet.")
    if phase != "nominations":
        raise ValidationError("Nominations are closed for this election.")


def _check_eligible(user: User, *, who: str) -> None:
    if not selectors.may_vote(user):
        raise ValidationError(
            f"{who} not an active peer supporter, so cannot stand in this election."
        )


@transaction.atomic
def candidate_stand(*, actor: User, election: Election, statement: str = "") -> Candidate:
    """An active supporter stands (or accepts a nomination already made)."""
    election = _locked_election(election)
    _check_nominations_open(election)
    _check_eligible(actor, who="You are")
    statement = (statement or "").strip()[:600]
    candidate = selectors.own_candidacy(user=actor, election=election)
    if candidate is not None and candidate.status == C.STANDING:
        raise ValidationError("You are already standing in this election.")
    if candidate is None:
        candidate = Candidate.objects.create(
            election=election,
            user=actor,
            status=C.STANDING,
            statement=statement,
            answered_at=timezone.now(),
        )
    else:
        candidate.status, candidate.answered_at = C.STANDING, timezone.now()
        candidate.statement = statement or candidate.statement
        candidate.save(update_fields=["status", "answered_at", "statement"])
    record(
        actor=actor,
        action=AuditAction.COMMITTEE_CANDIDATE,
        target=candidate,
        details={"election_id": election.pk, "status": candidate.status},
    )
    return candidate


@transaction.atomic
def candidate_nominate(*, actor: User, election: Election, nominee: User | None) -> Candidate:
    """An active supporter nominates another, who then accepts or declines."""
    election = _locked_election(election)
    _check_nominations_open(election)
    if not selectors.may_vote(actor):
        raise ValidationError("Only active peer supporters nominate candidates.")
    if nominee is None:
        raise ValidationError({"nominee": "Choose the supporter you nominate."})
    if nominee.pk == actor.pk:
        raise ValidationError({"nominee": "To stand yourself, use “Stand for election”."})
    if not selectors.may_vote(nominee):
        raise ValidationError(
            {"nominee": "This person is not an active peer supporter, so cannot stand."}
        )
    if selectors.own_candidacy(user=nominee, election=election) is not None:
        raise ValidationError({"nominee": "This supporter is already nominated or standing."})
    candidate = Candidate.objects.create(
        election=election, user=nominee, nominated_by=actor, status=C.NOMINATED
    )
    record(
        actor=actor,
        action=AuditAction.COMMITTEE_CANDIDATE,
        target=candidate,
        details={"election_id": election.pk, "status": candidate.status},
    )
    notify_message(
        key=f"committee-nomination:{candidate.pk}",
        user=nominee,
        message="committee/nominated",
        nominations_close_at=election.nominations_close_at,
        link=site_link("committee:election", election_id=election.pk),
    )
    return candidate


@transaction.atomic
def candidate_answer(*, actor: User, candidate: Candidate, accept: bool) -> Candidate:
    """The nominee accepts (and stands) or declines."""
    election = _locked_election(candidate.election)
    candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.user_id != actor.pk:
        raise ValidationError("Only the nominee answers a nomination.")
    if candidate.status != C.NOMINATED:
        raise ValidationError("This nomination is already answered.")
    _check_nominations_open(election)
    if accept:
        _check_eligible(actor, who="You are")
    candidate.status = C.STANDING if accept else C.DECLINED
    candidate.answered_at = timezone.now()
    candidate.save(update_fields=["status", "answered_at"])
    record(
        actor=actor,
        action=AuditAction.COMMITTEE_CANDIDATE,
        target=candidate,
        details={"election_id": election.pk, "status": candidate.status},
    )
    return candidate


@transaction.atomic
def ballot_cast(*, actor: User, election: Election, choices: list[int]) -> None:
    """One ballot per active supporter, in the voting window, for up to ``seats`` standing
    candidates. Returns nothing: there is nothing a voter (or anyone) could hold that points
    to their ballot."""
    election = _locked_election(election)  # one vote at a time per election
    if not selectors.may_vote(actor):
        raise ValidationError("Only active peer supporters vote in committee elections.")
    phase = election.phase()
    if phase in ("upcoming", "nominations", "between"):
        raise ValidationError("Voting has not opened yet.")
    if phase != "voting":
        raise ValidationError("Voting has closed for this election.")
    if selectors.has_voted(user=actor, election=election):
        raise ValidationError("You have already voted in this election.")
    try:
        chosen = sorted({int(c) for c in choices})
    except (TypeError, ValueError):
        raise ValidationError({"choices": "Choose among the candidates listed."}) from None
    if len(chosen) != len(list(choices)):
        raise ValidationError({"choices": "Choose each candidate once at most."})
    if not chosen:
        raise ValidationError({"choices": "Choose at least one candidate."})
    if len(chosen) > election.seats:
        raise ValidationError(
            {
                "choices": f"Choose at most {election.seats} candidate"
                f"{'s' if election.seats != 1 else ''}: one for each seat to fill."
            }
        )
    if not set(chosen) <= selectors.standing_candidate_ids(election):
        raise ValidationError({"choices": "Choose among the candidates listed."})
    if not election.ballot_key:
        raise ValidationError("This election has no ballot box; the coordinator runs it again.")
    try:
        ballotbox.encode(chosen)  # fits in a ballot's fixed size
    except ballotbox.BallotTooLong:
        raise ValidationError({"choices": "Choose fewer candidates."}) from None
    try:
        with transaction.atomic():
            Voter.objects.create(election=election, user=actor)
    except IntegrityError:
        raise ValidationError("You have already voted in this election.") from None
    # Every ballot is sealed again and the box written out in a random order with new keys:
    # no bytes, key or physical place (SQLite's rowid, PostgreSQL's heap) survive the vote.
    box = ballotbox.cast(election.ballot_key, selectors.sealed_ballots(election), chosen)
    Ballot.objects.filter(election=election).delete()
    Ballot.objects.bulk_create([Ballot(election=election, sealed=b) for b in box])
    record(actor=actor, action=AuditAction.COMMITTEE_VOTED, target=election)


@transaction.atomic
def election_count(
    *, actor: User, election: Election, count_code: str, witness: str = ""
) -> Election:
    """Count and publish an election whose voting has closed, with the count code shown when
    it was opened: the ballots are opened in memory, only the totals are saved, and nothing
    keeps the code."""
    _require_coordinator(actor)
    election = _locked_election(election)
    if election.status != Election.Status.OPEN:
        raise ValidationError("This election is not waiting to be counted.")
    now = timezone.now()
    if election.voting_close_at > now:
        raise ValidationError("Voting has not closed yet; the ballots are counted after it closes.")
    if not election.ballot_key:
        raise ValidationError("This election has no ballot box; void it and run it again.")
    try:
        private = ballotbox.private_key(count_code, election.ballot_key)
    except ballotbox.WrongCountCode:
        raise ValidationError(
            {"count_code": "This is not the count code of this election. Check it and try again."}
        ) from None
    tampered = ValidationError(
        "The ballot box was tampered with: a ballot does not open with this election's key, is "
        "not a valid ballot, or the box does not hold one ballot per voter on the roll. Nothing "
        "was counted. Void the election and run it again."
    )
    try:
        box = ballotbox.open_box(private, selectors.sealed_ballots(election))
    except (ballotbox.InvalidTag, ValueError):
        raise tampered from None
    seed = ballotbox.lots_seed(private) if election.lots_commitment else ""
    del private
    if seed and ballotbox.lots_commitment(seed) != election.lots_commitment:
        raise tampered
    # Anyone may seal a ballot to the public key: the box must hold exactly one valid ballot
    # per voter on the roll.
    standing = selectors.standing_candidate_ids(election)
    if len(box) != len(selectors.voter_ids(election)) or any(
        not choices
        or len(choices) > election.seats
        or len(set(choices)) != len(choices)
        or not set(choices) <= standing
        for choices in box
    ):
        raise tampered
    witness = " ".join((witness or "").split())[:120]
    _publish(election, box, now=now, actor=actor, seed=seed, witness=witness)
    return election


def _publish(
    election: Election,
    box: list[list[int]],
    *,
    now: datetime.datetime,
    actor: User,
    seed: str = "",
    witness: str = "",
):
    counts = Counter()
    ballots = 0
    for choices in box:
        ballots += 1
        counts.update(choices)
    standing = selectors.standing_candidates(election)
    today = timezone.localdate(now)
    vacant = selectors.vacant_elected_seats(today)
    elected, draw = rules.decide(
        tie_rule=election.tie_rule,
        standing=standing,
        counts=counts,
        places=min(election.seats, len(vacant)),
        rng=_random,
        seed=seed,
    )
    if draw.get("drawn"):
        # Who watched the count, and the one who counted: published with the drawing.
        draw["counted_by"] = str(actor) if actor is not None else "the system"
        if witness:
            draw["witness"] = witness
    for candidate in standing:
        candidate.votes = counts[candidate.pk]
        candidate.elected = candidate in elected
    Candidate.objects.bulk_update(standing, ["votes", "elected"])
    voters = selectors.voter_ids(election)
    roll = {u.pk for u in selectors.electorate()} | voters
    election.status = Election.Status.PUBLISHED
    election.tallied_at = now
    election.ballots_cast = ballots
    election.electorate = len(roll)
    election.tie_draw = draw
    election.save(update_fields=["status", "tallied_at", "ballots_cast", "electorate", "tie_draw"])
    for candidate, seat in zip(elected, vacant, strict=False):
        _seat_member(
            actor=None,
            seat=CommitteeSeat.objects.select_for_update().get(pk=seat.pk),
            user=candidate.user,
            term_start=today,
            term_end=add_months(today, seat.term_months),
            election=election,
        )
    record(
        actor=actor,
        action=AuditAction.COMMITTEE_ELECTION_TALLIED,
        target=election,
        details={
            "ballots": ballots,
            "electorate": election.electorate,
            "elected": [c.pk for c in elected],
            "drawing_of_lots": bool(draw.get("drawn")),
        },
    )
    for user in selectors.accounts(roll):
        notify_message(
            key=f"committee-election:{election.pk}:results:{user.pk}",
            user=user,
            message="committee/results",
            link=site_link("committee:election", election_id=election.pk),
        )


def elections_count_due(*, now: datetime.datetime | None = None) -> int:
    """The worker's tick: tell the coordinator who opened each election whose voting has
    closed that it waits for the count code (once per election). The worker cannot count: it
    never has the code. Returns how many elections wait."""
    now = now or timezone.now()
    due = list(Election.objects.filter(status=Election.Status.OPEN, voting_close_at__lte=now))
    for election in due:
        notify_message(
            key=f"committee-election:{election.pk}:count",
            user=election.opened_by,
            message="committee/count_due",
            link=site_link("committee:count", election_id=election.pk),
        )
    return len(due)


@transaction.atomic
def elections_voting_open(*, now: datetime.datetime | None = None) -> int:
    """The worker's tick: once voting opens, tell every eligible voter who has not voted yet
    (once each: the outbox key; a supporter who becomes eligible during the window is told at
    the next tick). Nominations and results are announced by the services that make them;
    voting opens by the clock, so the tick announces it. Returns how many were told."""
    now = now or timezone.now()
    voting = list(
        Election.objects.filter(
            status=Election.Status.OPEN, voting_open_at__lte=now, voting_close_at__gt=now
        )
    )
    if not voting:
        return 0
    voters = selectors.electorate()
    told = 0
    for election in voting:
        voted = selectors.voter_ids(election)
        link = site_link("committee:election", election_id=election.pk)
        for user in voters:
            if user.pk in voted:
                continue
            notify_message(
                key=f"committee-election:{election.pk}:voting:{user.pk}",
                user=user,
                message="committee/voting_open",
                voting_close_at=election.voting_close_at,
                link=link,
            )
            told += 1
    return told


@transaction.atomic
def election_void(*, actor: User, election: Election, reason: str) -> Election:
    """Void an open or published election. Members it seated leave their seats (their role
    granted by the seat is revoked); its ballots stay, as secret as before. The coordinator
    may then open a new election that reruns it."""
    _require_coordinator(actor)
    election = _locked_election(election)
    reason = rules.required_text(
        reason, "reason", "Say why the election is voided, for the record."
    )
    if election.status == Election.Status.VOIDED:
        raise ValidationError("This election is already voided.")
    today = timezone.localdate()
    for membership in election.memberships.select_for_update().select_related("user"):
        if membership.ended_on is None:
            _end(
                actor=actor,
                membership=membership,
                reason=Membership.EndReason.VOIDED,
                note=reason,
                today=today,
            )
    election.status = Election.Status.VOIDED
    election.voided_by, election.voided_at = actor, timezone.now()
    election.void_reason = reason[:500]
    election.save(update_fields=["status", "voided_by", "voided_at", "void_reason"])
    record(actor=actor, action=AuditAction.COMMITTEE_ELECTION_VOIDED, target=election)
    return election
