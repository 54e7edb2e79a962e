"""The selection pipeline's records (PROGRAM.md, "Selection of supporters"): nominated by peers
-> the nominee accepts -> interview by a panel -> the request to serve goes up the chain of
command -> the BHS manager recommends -> the Chief approves -> appointed. rules.py holds the one
table of allowed moves.

The tables keep the names they had when these models lived in the roster app
(``roster_<model>``): the move to this app changed no row (migrations/0001_initial.py).
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from peersupport.accounts.models import Employee, Unit, User
from peersupport.crypto.fields import EncryptedTextField, RowBound
from peersupport.tenancy import AgencyManager, AgencyOwnedMixin


def _agency_field():
    """The agency a round or a candidacy belongs to (issue 23, docs/design/agencies.md §1.1):
    never deleted from under its rows, never changed (``AgencyOwnedMixin``). The records of a
    candidacy (nominations, interviews and their panels, the chain, the timeline) have no column:
    they are their candidacy's agency's."""
    return models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")


class NominationRound(AgencyOwnedMixin, models.Model):
    """A period the coordinator opens for nominations (SELECTION_NOMINATIONS="rounds"), in one
    agency."""

    agency = _agency_field()
    name = models.CharField(max_length=120)
    opens_on = models.DateField()
    closes_on = models.DateField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = AgencyManager()
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        db_table = "roster_nominationround"
        ordering = ["-opens_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")),
                name="nominationround_closes_after_opening",
            ),
        ]

    def __str__(self):
        return self.name

    def is_open_on(self, day) -> bool:
        return self.opens_on <= day <= self.closes_on


class Candidacy(AgencyOwnedMixin, RowBound):
    """One person's way through selection, from the first nomination to the Chief's decision.
    A person has at most one open candidacy; a closed one stays as the record of what happened.
    It belongs to the agency the nominee is an employee of (services.nomination_create).
    """

    class Stage(models.TextChoices):
        NOMINATED = "nominated", "Nominated (waiting for more nominations)"
        INVITED = "invited", "Invited (waiting for the nominee's answer)"
        ACCEPTED = "accepted", "Accepted (interview to schedule)"
        INTERVIEW = "interview", "Interview scheduled"
        DEFERRED = "deferred", "Deferred by the panel"
        CHAIN = "chain", "With the chain of command"
        CHAIN_DECLINED = "chain_declined", "Declined in the chain of command"
        BHS_REVIEW = "bhs_review", "With the BHS manager"
        CHIEF_REVIEW = "chief_review", "With the Chief"
        APPOINTED = "appointed", "Appointed"
        DECLINED = "declined", "Declined by the nominee"
        NOT_SELECTED = "not_selected", "Not selected by the panel"
        NOT_RECOMMENDED = "not_recommended", "Not recommended by the BHS manager"
        REFUSED = "refused", "Refused by the Chief"
        WITHDRAWN = "withdrawn", "Withdrawn"

    CLOSED_STAGES = (
        Stage.APPOINTED,
        Stage.DECLINED,
        Stage.NOT_SELECTED,
        Stage.NOT_RECOMMENDED,
        Stage.REFUSED,
        Stage.WITHDRAWN,
    )

    agency = _agency_field()
    nominee = models.ForeignKey(User, on_delete=models.PROTECT, related_name="candidacies")
    round = models.ForeignKey(
        NominationRound, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.NOMINATED)
    stage_changed_at = models.DateTimeField(default=timezone.now)
    # The nominee's short interest form, filled in when they accept.
    motivation = EncryptedTextField(blank=True)
    experience = EncryptedTextField(blank=True)
    availability_note = EncryptedTextField(max_length=300, blank=True)
    # The level of the chain of command the request is with (ChainStep.position).
    chain_position = models.PositiveSmallIntegerField(default=0)
    # When a wait at the current level of the chain of command was last raised to the
    # coordinator: raised again only after the request has moved (``stage_changed_at`` later).
    stall_raised_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AgencyManager()
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        db_table = "roster_candidacy"
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "candidacies"
        indexes = [
            models.Index(fields=["stage", "stage_changed_at"], name="roster_cand_stage_27b550_idx")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["nominee"],
                condition=~Q(
                    stage__in=[
                        "appointed",
                        "declined",
                        "not_selected",
                        "not_recommended",
                        "refused",
                        "withdrawn",
                    ]
                ),
                name="candidacy_one_open_per_nominee",
            ),
        ]

    def __str__(self):
        return f"candidacy {self.pk} of {self.nominee_id}"

    @property
    def is_open(self) -> bool:
        return self.stage not in self.CLOSED_STAGES

    @property
    def name(self) -> str:
        employee = getattr(self.nominee, "employee", None)
        return employee.full_name if employee is not None else str(self.nominee)


class Nomination(RowBound):
    """One colleague's nomination, with why. ``hide_from_nominee``: the nominee is never told
    who this nominator is (the coordinator and the BHS manager still see it)."""

    candidacy = models.ForeignKey(Candidacy, on_delete=models.CASCADE, related_name="nominations")
    nominator = models.ForeignKey(User, on_delete=models.PROTECT, related_name="nominations_made")
    reason = EncryptedTextField(max_length=2000)
    hide_from_nominee = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AgencyManager("candidacy__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        db_table = "roster_nomination"
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidacy", "nominator"], name="nomination_once_per_nominator"
            ),
        ]

    def __str__(self):
        return f"nomination {self.pk}"


class Interview(RowBound):
    """A panel interview the coordinator scheduled, and the panel's decision."""

    class Decision(models.TextChoices):
        SELECTED = "selected", "Selected"
        NOT_SELECTED = "not_selected", "Not selected"
        DEFERRED = "deferred", "Deferred"

    candidacy = models.ForeignKey(Candidacy, on_delete=models.CASCADE, related_name="interviews")
    at = models.DateTimeField()
    place = models.CharField(max_length=200)
    panelists = models.ManyToManyField(User, related_name="panels", through="Panelist")
    # The rubric as it was when the interview was scheduled, so later changes of
    # SELECTION_RUBRIC never change how an old interview reads.
    rubric = models.JSONField(default=list)
    score_max = models.PositiveSmallIntegerField(default=5)
    scheduled_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    scheduled_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    decision_reason = EncryptedTextField(blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = AgencyManager("candidacy__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        db_table = "roster_interview"
        ordering = ["-scheduled_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                # The reason is encrypted, so its presence is the service's to check.
                condition=Q(decision="") | Q(decided_at__isnull=False),
                name="interview_decision_is_dated",
            ),
        ]

    def __str__(self):
        return f"interview {self.pk}"


class Panelist(models.Model):
    interview = models.ForeignKey(Interview, on_delete=models.CASCADE)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    objects = AgencyManager("interview__candidacy__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        db_table = "roster_panelist"
        constraints = [
            models.UniqueConstraint(fields=["interview", "user"], name="panelist_once"),
        ]

    def __str__(self):
        return f"panelist {self.user_id} of interview {self.interview_id}"


class PanelScore(RowBound):
    """One panelist's scores ({criterion: score}) and protected notes. Scored once."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="scores")
    panelist = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    scores = models.JSONField()
    total = models.PositiveSmallIntegerField()
    notes = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = AgencyManager("interview__candidacy__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        db_table = "roster_panelscore"
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["interview", "panelist"], name="panelscore_once"),
        ]

    def __str__(self):
        return f"scores of {self.panelist_id} in interview {self.interview_id}"


class ChainStep(RowBound):
    """One level of the candidate's chain of command, computed when the panel selected them
    (immediate supervisor first, position 0)."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Waiting"
        ENDORSED = "endorsed", "Endorsed"
        DECLINED = "declined", "Declined"
        SKIPPED = "skipped", "Skipped (vacant or absent)"
        OVERRIDDEN = "overridden", "Declined, overridden by the BHS manager"

    candidacy = models.ForeignKey(Candidacy, on_delete=models.CASCADE, related_name="chain")
    position = models.PositiveSmallIntegerField()
    supervisor = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    comment = EncryptedTextField(blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    override_reason = EncryptedTextField(blank=True)

    objects = AgencyManager("candidacy__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        db_table = "roster_chainstep"
        ordering = ["candidacy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["candidacy", "position"], name="chainstep_position"),
            # A decision's comment is encrypted, so its presence is the services' to check.
        ]

    def __str__(self):
        return f"level {self.position + 1} of candidacy {self.candidacy_id}"


class CandidacyEvent(RowBound):
    """The timeline: every move of a candidacy, with who, when and why. The candidate sees
    ``label`` and the date; actor and ``reason`` only the coordinator, BHS manager and Chief."""

    candidacy = models.ForeignKey(Candidacy, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=32)
    from_stage = models.CharField(max_length=20, blank=True)
    to_stage = models.CharField(max_length=20)
    label = models.CharField(max_length=200)
    reason = EncryptedTextField(blank=True)

    objects = AgencyManager("candidacy__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        db_table = "roster_candidacyevent"
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.action} of candidacy {self.candidacy_id}"
