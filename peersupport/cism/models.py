"""CISM call-outs: the critical incident stress management team, its activations after an
incident, the members' answers, and the defusings and debriefings it runs (issue 23, part 4).

What happened is protected (encrypted, like an outreach's description). A session records how
many came, never who. The activation keeps the moments an after-action report asks for: when the
team was requested, when it was first assembled (CISM_TEAM_MINIMUM acceptances at once) and,
from its sessions, when the first one started.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from peersupport.crypto.fields import EncryptedTextField, RowBound
from peersupport.outreach.models import EventType
from peersupport.tenancy import AgencyManager, AgencyOwnedMixin


class TeamRole(models.TextChoices):
    LEAD = "lead", "Team lead"
    CLINICIAN = "clinician", "Clinician"
    PEER = "peer", "Peer"


class TeamMember(AgencyOwnedMixin, models.Model):
    """One person on an agency's CISM team. Peers and the team lead are active peer supporters;
    the clinician may also be the BHS manager or an advocacy supervisor (services.member_add).
    A person is on each agency's team at most once (a regional team's supporter may be on
    several)."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cism_memberships"
    )
    team_role = models.CharField(max_length=16, choices=TeamRole.choices, default=TeamRole.PEER)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    objects = AgencyManager()
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["team_role", "added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "user"], name="cism_member_once"),
            models.UniqueConstraint(
                fields=["agency"],
                condition=models.Q(team_role="lead"),
                name="cism_one_team_lead",
            ),
        ]

    def __str__(self):
        return f"CISM member {self.user_id} ({self.team_role})"


class Activation(AgencyOwnedMixin, RowBound):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        STOOD_DOWN = "stood_down", "Stood down"

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(max_length=32, choices=EventType.choices)
    incident_date = models.DateField()
    description = EncryptedTextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    # The first moment CISM_TEAM_MINIMUM members had accepted; kept once reached, even when a
    # member later changes their answer (rules.py: the page shows the team as it stands now).
    assembled_at = models.DateTimeField(null=True, blank=True)
    # When the coordinator or the BHS manager last reminded those who have not answered
    # (services.activation_remind: at most once every rules.REMIND_EVERY).
    reminded_at = models.DateTimeField(null=True, blank=True)
    stood_down_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    stood_down_at = models.DateTimeField(null=True, blank=True)
    summary = EncryptedTextField(blank=True)
    # The follow-up outreach opened from this activation ("Open outreach for this incident").
    outreach = models.OneToOneField(
        "outreach.Outreach",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cism_activation",
    )

    objects = AgencyManager()
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self):
        return f"CISM activation {self.pk}: {self.get_event_type_display()} on {self.incident_date}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Callout(models.Model):
    """One member asked to answer an activation. The team role is copied from the roster at
    activation time, so a later change to the roster does not rewrite who came as what."""

    class Answer(models.TextChoices):
        WAITING = "waiting", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    activation = models.ForeignKey(Activation, on_delete=models.CASCADE, related_name="callouts")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cism_callouts"
    )
    team_role = models.CharField(max_length=16, choices=TeamRole.choices)
    answer = models.CharField(max_length=16, choices=Answer.choices, default=Answer.WAITING)
    # The latest answer's moment: a member may change their answer while the activation is
    # active (services.callout_answer; each change is audited).
    answered_at = models.DateTimeField(null=True, blank=True)
    # The last alert to this member (the call-out, a re-alert or a staff reminder), and how many
    # automatic re-alerts the worker has sent (services.callouts_realert, CISM_REALERT_*).
    alerted_at = models.DateTimeField(default=timezone.now)
    realerts = models.PositiveSmallIntegerField(default=0)

    objects = AgencyManager("activation__agency")

    class Meta:
        ordering = ["activation", "team_role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["activation", "member"], name="cism_callout_once_per_member"
            ),
        ]
        indexes = [
            models.Index(fields=["member", "answer"]),
            models.Index(fields=["answer", "alerted_at"], name="cism_callout_waiting_idx"),
        ]

    def __str__(self):
        return f"callout of {self.member_id} on activation {self.activation_id}: {self.answer}"


class Session(models.Model):
    """A defusing or a debriefing. Attendance is a count, never names; place and who leads it
    are staff text."""

    class Kind(models.TextChoices):
        DEFUSING = "defusing", "Defusing"
        DEBRIEFING = "debriefing", "Debriefing"

    activation = models.ForeignKey(Activation, on_delete=models.CASCADE, related_name="sessions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    starts_at = models.DateTimeField()
    place = models.CharField(max_length=200)
    led_by = models.CharField(max_length=200)
    attendance = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = AgencyManager("activation__agency")

    class Meta:
        ordering = ["starts_at", "pk"]

    def __str__(self):
        return f"{self.kind} {self.pk} of activation {self.activation_id}"
