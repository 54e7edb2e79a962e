"""Demo advisory committee: the default seats, appointed members (the committee persona among
them), and one past election of the three elected seats, published with its ballots and
turnout; one elected member has since resigned, so an elected seat is vacant and the
coordinator can open an election. Idempotent; refused in production.

Ballots are written as the service writes them: sealed to the election's key (whose count code
is thrown away, as the count throws it away), no voter, no time, in a random order."""

import random
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from peersupport.accounts.models import Role, RoleGrant, User
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.committee import ballotbox
from peersupport.committee.defaults import install_seats
from peersupport.committee.models import (
    Ballot,
    Candidate,
    CommitteeSeat,
    Election,
    Membership,
    Voter,
)
from peersupport.committee.rules import add_months
from peersupport.roster import selectors as roster_selectors
from peersupport.tenancy import current_agency_id

from .personas import EMAIL_DOMAIN, PERSONA_EMAILS, demo_refuse_in_production


def _seat(seat, user, start, *, election=None):
    grant = None
    end = add_months(start, seat.term_months)
    if not RoleGrant.objects.current().filter(user=user, role=Role.COMMITTEE_MEMBER).exists():
        # Seed rows like every demo grant (demo/accounts.py): one DEMO_LOADED audit event per
        # loader, not one per row; the product grants only through accounts.services.
        (grant,) = RoleGrant.objects.bulk_create(
            [
                RoleGrant(
                    agency_id=current_agency_id(),
                    user=user,
                    role=Role.COMMITTEE_MEMBER,
                    reason="demo department",
                    granted_at=timezone.now(),
                    expires_at=timezone.make_aware(datetime.combine(end, time.min)),
                )
            ]
        )
    return Membership.objects.create(
        seat=seat, user=user, term_start=start, term_end=end, election=election, role_grant=grant
    )


def load_demo(*, seed: int = 1) -> str:
    demo_refuse_in_production()
    with transaction.atomic():
        if Election.objects.exists() or Membership.objects.exists():
            return "Committee already loaded; nothing added."
        coordinator = User.objects.filter(email=f"coordinator@{EMAIL_DOMAIN}").first()
        persona = User.objects.filter(email=f"committee@{EMAIL_DOMAIN}").first()
        supporters = [
            p.user
            for p in roster_selectors.roster_for_coordinator(status="active")
            if p.user.email not in PERSONA_EMAILS and roster_selectors.may_vote(p.user)
        ]
        if coordinator is None or persona is None or len(supporters) < 8:
            return "No demo personas or supporters: no committee added."
        install_seats(CommitteeSeat=CommitteeSeat, term_months=settings.COMMITTEE_TERM_MONTHS)
        rng = random.Random(seed)  # noqa: S311 - demo data, not a secret
        today = timezone.localdate()
        now = timezone.now()
        seats = list(CommitteeSeat.objects.filter(active=True))
        elected_seats = [s for s in seats if s.is_elected]
        appointed = [s for s in seats if not s.is_elected]

        # Appointed members: the committee persona for the Fraternal Order of Police, and
        # employees with accounts (not personas, not supporters) for three more; the others
        # are vacant.
        others = list(
            User.objects.filter(employee__isnull=False, role_grants__isnull=True)
            .exclude(email__in=PERSONA_EMAILS)
            .order_by("pk")[:3]
        )
        fop = next(s for s in appointed if s.appointed_by == "Fraternal Order of Police")
        _seat(fop, persona, today - timedelta(days=300))
        free = [s for s in appointed if s is not fop]
        for seat, user, days in zip(free, others, (400, 200, 90), strict=False):
            _seat(seat, user, today - timedelta(days=days))

        # The past election: three seats, five candidates, most supporters voted.
        closed = now - timedelta(days=150)
        public_key, _count_code = ballotbox.new_key()  # counted below; the code is not kept
        election = Election.objects.create(
            ballot_key=public_key,
            seats=3,
            nominations_open_at=closed - timedelta(days=28),
            nominations_close_at=closed - timedelta(days=14),
            voting_open_at=closed - timedelta(days=14),
            voting_close_at=closed,
            opened_by=coordinator,
            opened_at=closed - timedelta(days=28),
            status=Election.Status.PUBLISHED,
            tallied_at=closed + timedelta(minutes=1),
        )
        candidates = [
            Candidate.objects.create(
                election=election,
                user=user,
                status=Candidate.Status.STANDING,
                statement="I want the program to reach every shift, and to keep it confidential.",
                answered_at=closed - timedelta(days=20),
            )
            for user in supporters[:5]
        ]
        voters = [u for u in supporters if rng.random() < 0.75]
        ballots = []
        weights = [5, 4, 3, 2, 1]
        for _ in voters:
            picks = set()
            while len(picks) < rng.randint(1, 3):
                picks.add(rng.choices(candidates, weights=weights)[0].pk)
            ballots.append(sorted(picks))
        rng.shuffle(ballots)
        Voter.objects.bulk_create([Voter(election=election, user=u) for u in voters])
        box: list[bytes] = []
        for b in ballots:
            box = ballotbox.cast(public_key, box, b)
        Ballot.objects.bulk_create([Ballot(election=election, sealed=b) for b in box])
        counts = {c.pk: sum(c.pk in b for b in ballots) for c in candidates}
        ranked = sorted(candidates, key=lambda c: (-counts[c.pk], c.pk))
        for c in candidates:
            c.votes, c.elected = counts[c.pk], c in ranked[:3]
        Candidate.objects.bulk_update(candidates, ["votes", "elected"])
        election.ballots_cast = len(ballots)
        election.electorate = len(supporters)
        election.save(update_fields=["ballots_cast", "electorate"])
        start = timezone.localdate(closed)
        seated = [
            _seat(seat, c.user, start, election=election)
            for seat, c in zip(elected_seats, ranked[:3], strict=True)
        ]
        # One of them resigned since: the seat is vacant until the next election.
        resigned = seated[-1]
        resigned.ended_on = today - timedelta(days=20)
        resigned.end_reason = Membership.EndReason.RESIGNED
        resigned.end_note = "Transferred to another agency."
        resigned.recorded_by = coordinator
        resigned.save(update_fields=["ended_on", "end_reason", "end_note", "recorded_by"])
        if resigned.role_grant_id:
            # Saved, not update()d: the reason is encrypted and bound to its row.
            grant = RoleGrant.objects.get(pk=resigned.role_grant_id)
            grant.revoked_at = now - timedelta(days=20)
            grant.revoke_reason = "Committee membership ended"
            grant.save(update_fields=["revoked_at", "revoke_reason"])
        record(
            actor=None,
            action=AuditAction.DEMO_LOADED,
            details={"memberships": Membership.objects.count(), "elections": 1},
        )
    return (
        f"Committee: {Membership.objects.count()} memberships and one past election "
        f"({len(ballots)} ballots from {len(supporters)} supporters); one elected seat vacant."
    )
