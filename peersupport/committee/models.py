"""The advisory committee (PROGRAM.md, "Advisory committee"): seats, who holds them and when,
and the elections the peer supporters hold for the elected seats.

The tables keep the names they had when the committee was part of governance
(``Meta.db_table``): the move to this app changed no table (committee/migrations/0001_initial.py).

The secret ballot is in the shape of the tables. ``Voter`` says who has voted; ``Ballot`` holds
a sealed ballot, and the two share nothing but the election: a ballot has a random UUID for its
key, no timestamp, no voter, and its content is sealed to the election's public key
(``Election.ballot_key``; the private key, the count code, is never stored: ballotbox.py). At
every vote services.ballot_cast seals every ballot again and writes the box out in a new random
order, so no copy of the database taken between votes can tell which ballot is new.
"""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from peersupport.tenancy import AgencyManager, AgencyOwnedMixin


def _agency_field():
    """The agency a seat or an election belongs to (issue 23, docs/design/agencies.md §1.1):
    never deleted from under its rows, never changed (``AgencyOwnedMixin``). Memberships are their
    seat's agency's; candidates, the roll and the ballots their election's, with no column of
    their own (a ballot gains nothing that could tell it from another)."""
    return models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")


class CommitteeSeat(AgencyOwnedMixin, models.Model):
    """One seat and how it is filled. Data a department changes (the coordinator adds and
    retires seats); the defaults come from PROGRAM.md (committee/defaults.py), for each new
    agency too (apps.py). A seat's name is unique within its agency."""

    class Kind(models.TextChoices):
        ELECTED = "elected", "Elected by the peer supporters"
        APPOINTED = "appointed", "Appointed by an organisation"
        EX_OFFICIO = "ex_officio", "Ex officio"

    agency = _agency_field()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=120)
    # Appointed: the organisation that names the member; ex officio: the office that holds it.
    appointed_by = models.CharField("organisation or office", max_length=200, blank=True)
    term_months = models.PositiveSmallIntegerField(default=24)
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    objects = AgencyManager()
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        db_table = "governance_committeeseat"
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "name"],
                name="committeeseat_name_unique_in_agency",
                violation_error_message="There is already a seat with this name.",
            ),
            models.CheckConstraint(
                condition=Q(term_months__gte=1), name="committeeseat_term_positive"
            ),
            models.CheckConstraint(
                condition=Q(kind="elected", appointed_by="")
                | (~Q(kind="elected") & ~Q(appointed_by="")),
                name="committeeseat_appointer_matches_kind",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_elected(self) -> bool:
        return self.kind == self.Kind.ELECTED


class Membership(models.Model):
    """Someone holding a seat for a term. Rows are never deleted: ended, they are the seat's
    history. Current while the term has started, not ended and not cut short."""

    class EndReason(models.TextChoices):
        RESIGNED = "resigned", "Resigned"
        REMOVED = "removed", "Removed"
        VOIDED = "voided", "Election voided"

    seat = models.ForeignKey(CommitteeSeat, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="committee_memberships"
    )
    term_start = models.DateField()
    # Empty: no fixed end (an ex officio member serves while in office).
    term_end = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=EndReason.choices, blank=True)
    end_note = models.CharField(max_length=300, blank=True)
    election = models.ForeignKey(
        "Election", null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    # The committee-member role this seat granted (empty when the person held it already).
    role_grant = models.ForeignKey(
        "accounts.RoleGrant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = AgencyManager("seat__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        db_table = "governance_membership"
        ordering = ["seat", "-term_start", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__isnull=True) | Q(term_end__gt=F("term_start")),
                name="membership_term_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True, end_reason="")
                | (Q(ended_on__isnull=False) & ~Q(end_reason="")),
                name="membership_end_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.user} on {self.seat}"

    def is_current(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return (
            self.ended_on is None
            and self.term_start <= today
            and (self.term_end is None or today < self.term_end)
        )

    @property
    def last_day(self) -> datetime.date | None:
        if self.ended_on is not None:
            return self.ended_on
        return self.term_end - datetime.timedelta(days=1) if self.term_end else None


class Election(AgencyOwnedMixin, models.Model):
    """An election for vacant elected seats: a nomination window, then a voting window; the
    worker tallies it when voting closes and the result is published at once. The coordinator
    may void it (with a reason) and open another."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PUBLISHED = "published", "Results published"
        VOIDED = "voided", "Voided"

    class Method(models.TextChoices):
        PLURALITY = "plurality", "Plurality: one vote for each seat to fill"

    class TieRule(models.TextChoices):
        LOTS = "lots", "A drawing of lots, recorded with the result"
        VACANT = "vacant", "Tied seats stay vacant for another election"

    agency = _agency_field()
    seats = models.PositiveSmallIntegerField("seats to fill")
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.PLURALITY)
    tie_rule = models.CharField(max_length=16, choices=TieRule.choices, default=TieRule.LOTS)
    nominations_open_at = models.DateTimeField()
    nominations_close_at = models.DateTimeField()
    voting_open_at = models.DateTimeField()
    voting_close_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    # Set by the tally: the ballots cast, and the electorate (active supporters at the close,
    # and anyone who voted and has left since) for the turnout.
    tallied_at = models.DateTimeField(null=True, blank=True)
    ballots_cast = models.PositiveIntegerField(null=True, blank=True)
    electorate = models.PositiveIntegerField(null=True, blank=True)
    # The drawing of lots, when a tie needed one: {"votes", "tied": [candidate ids],
    # "drawn": [candidate ids in the order drawn], "places"}.
    tie_draw = models.JSONField(default=dict, blank=True)
    # SHA-256 of the seed of any drawing of lots (ballotbox.lots_seed), published when the
    # election opens; the seed itself is published with the result. Empty for elections
    # opened before seeds were committed.
    lots_commitment = models.CharField(max_length=64, blank=True, editable=False)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=500, blank=True)
    rerun_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="rerun"
    )
    # The public X25519 key ballots are sealed to (ballotbox.py). Its private key is the count
    # code, shown once to the coordinator who opened the election and never stored.
    ballot_key = models.BinaryField(max_length=32, null=True, blank=True, editable=False)

    objects = AgencyManager()
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        db_table = "governance_election"
        ordering = ["-voting_close_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="election_seats_positive"),
            models.CheckConstraint(
                condition=Q(nominations_close_at__gt=F("nominations_open_at"))
                & Q(voting_open_at__gte=F("nominations_close_at"))
                & Q(voting_close_at__gt=F("voting_open_at")),
                name="election_windows_in_order",
            ),
            models.CheckConstraint(
                condition=~Q(status="voided") | ~Q(void_reason=""),
                name="election_void_has_reason",
            ),
        ]

    def __str__(self):
        return f"Election of {self.opened_at:%B %Y}"

    def phase(self, now: datetime.datetime | None = None) -> str:
        """ "upcoming", "nominations", "between", "voting", "counting" (voting closed, the
        worker has yet to tally), "published" or "voided"."""
        if self.status != self.Status.OPEN:
            return self.status
        now = now or timezone.now()
        if now < self.nominations_open_at:
            return "upcoming"
        if now < self.nominations_close_at:
            return "nominations"
        if now < self.voting_open_at:
            return "between"
        if now < self.voting_close_at:
            return "voting"
        return "counting"

    @property
    def turnout_percent(self) -> int | None:
        if not self.electorate or self.ballots_cast is None:
            return None
        return round(100 * self.ballots_cast / self.electorate)


class Candidate(models.Model):
    """An active supporter standing, or nominated by another and yet to accept."""

    class Status(models.TextChoices):
        NOMINATED = "nominated", "Nominated, yet to accept"
        STANDING = "standing", "Standing"
        DECLINED = "declined", "Declined"

    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="candidates")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="committee_candidacies"
    )
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices)
    statement = models.CharField(max_length=600, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # Set by the tally.
    votes = models.PositiveIntegerField(null=True, blank=True)
    elected = models.BooleanField(default=False)

    objects = AgencyManager("election__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        db_table = "governance_candidate"
        ordering = ["election", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["election", "user"], name="candidate_once"),
        ]

    def __str__(self):
        return f"{self.user} in {self.election}"


class Voter(models.Model):
    """Who has voted in an election: the roll, and the guarantee of one ballot each (the
    unique constraint holds even when two submissions race). Nothing here points to a ballot."""

    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="voters")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = AgencyManager("election__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        db_table = "governance_voter"
        constraints = [
            models.UniqueConstraint(fields=["election", "user"], name="voter_once"),
        ]

    def __str__(self):
        return f"{self.user} voted in {self.election}"


class Ballot(models.Model):
    """One sealed ballot, and nothing about who or when: a random key, the election, and bytes
    only the count code opens (ballotbox.py). Every ballot of an election has the same size,
    and every vote seals them all again, so no bytes survive from one vote to the next. No
    ordering either: rows come back in whatever order the database holds them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="ballots")
    sealed = models.BinaryField(editable=False)

    objects = AgencyManager("election__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        db_table = "governance_ballot"

    def __str__(self):
        return "A sealed ballot"
