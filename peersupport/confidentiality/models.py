"""Confidentiality exceptions raised by supporters, the people they alert, and who is on duty.

An escalation's note and resolution are protected (encrypted); everything that leaves the
system about one (e-mail, text message) says only that an escalation is waiting, with a link.
An escalation never ends silently: until a recipient acknowledges it, the worker alerts again
every ESCALATION_RENOTIFY_MINUTES, moving up the ladder (services.escalations_advance).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from peersupport.crypto.fields import EncryptedTextField, RowBound
from peersupport.tenancy import AgencyManager, AgencyOwnedMixin


class Duty(models.TextChoices):
    BHS_MANAGER = "bhs_manager", "BHS manager"
    ADVOCACY_SUPERVISOR = "advocacy_supervisor", "Advocacy supervisor"


class DutyAssignmentQuerySet(models.QuerySet):
    def current(self, now=None):
        now = now or timezone.now()
        return self.filter(starts_at__lte=now).filter(
            models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=now)
        )


class DutyAssignment(AgencyOwnedMixin, models.Model):
    """Who is on duty for escalations, and who backs them up: rank 0 is on duty, 1, 2 ... are
    the backups in order. Kept by the BHS manager; ended, never deleted. Each agency keeps its
    own roster: an escalation raised in it alerts only its people."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    duty = models.CharField(max_length=32, choices=Duty.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="duty_assignments"
    )
    rank = models.PositiveSmallIntegerField(default=0)
    # Where text-message alerts go (the SMS gateway); empty: e-mail and in-app only.
    phone = models.CharField("phone for text alerts", max_length=32, blank=True)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = AgencyManager.from_queryset(DutyAssignmentQuerySet)()
    everywhere = DutyAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["duty", "rank", "starts_at"]
        indexes = [models.Index(fields=["duty", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="dutyassignment_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.get_duty_display()} rank {self.rank}: user {self.user_id}"

    @property
    def rank_label(self) -> str:
        return "On duty" if self.rank == 0 else f"Backup {self.rank}"


class Escalation(AgencyOwnedMixin, RowBound):
    class Status(models.TextChoices):
        OPEN = "open", "Waiting for acknowledgement"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    # Its own agency: the request and the contact it came from are both nullable (purged).
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    category = models.ForeignKey(
        "governance.ExceptionCategory", on_delete=models.PROTECT, related_name="escalations"
    )
    note = EncryptedTextField()
    request = models.ForeignKey(
        "support.SupportRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalations",
    )
    contact = models.ForeignKey(
        "support.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalations",
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="escalations_raised"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    # Rounds of alerts sent so far (0: the first, at once) and when the next one is due.
    round = models.PositiveSmallIntegerField(default=0)
    next_alert_at = models.DateTimeField(null=True, blank=True, db_index=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = EncryptedTextField(blank=True)

    objects = AgencyManager()
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["status", "next_alert_at"])]

    def __str__(self):
        return f"escalation {self.public_id} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class EscalationRecipient(models.Model):
    """Someone alerted about an escalation, and so one of those who may acknowledge it."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="escalation_alerts"
    )
    # Why they were alerted: "BHS manager on duty", "Advocacy supervisor, backup 1", ...
    reason = models.CharField(max_length=120)
    added_in_round = models.PositiveSmallIntegerField(default=0)
    phone = models.CharField(max_length=32, blank=True)
    first_alerted_at = models.DateTimeField(default=timezone.now)
    last_alerted_at = models.DateTimeField(default=timezone.now)

    objects = AgencyManager(path="escalation__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["added_in_round", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["escalation", "user"], name="escalationrecipient_once_per_escalation"
            ),
        ]

    def __str__(self):
        return f"user {self.user_id} alerted about {self.escalation_id}"
