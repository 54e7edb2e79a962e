"""Outreach: the program reaches out after a family tragedy, a line-of-duty injury or illness, or
a critical incident, without waiting to be asked (PROGRAM.md, "Outreach after tragedy and
injury").

What happened and who is affected is protected (encrypted): the description, the name and the
way to reach an affected person who has no employee record. A follow-up attempt records only
its outcome, never what was said. A person who declines support is not contacted again unless
they ask: their remaining follow-ups are cancelled and no new ones can be planned.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from peersupport.crypto.fields import EncryptedTextField, RowBound
from peersupport.tenancy import AgencyManager, AgencyOwnedMixin


class EventType(models.TextChoices):
    LINE_OF_DUTY_INJURY = "ld_injury", "Line-of-duty injury"
    LINE_OF_DUTY_ILLNESS = "ld_illness", "Line-of-duty illness"
    FAMILY_TRAGEDY = "family", "Death or serious illness in the family"
    CRITICAL_INCIDENT = "critical_incident", "Officer-involved shooting or other critical incident"
    LINE_OF_DUTY_DEATH = "ld_death", "Line-of-duty death"


class PlanStep(AgencyOwnedMixin, models.Model):
    """One step of the follow-up plan made for every affected person of an event type. Data, so
    the coordinator can change a department's plans; a plan already made is not rewritten. Each
    agency has its own plans (seeded from ``defaults`` when it is made)."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    event_type = models.CharField(max_length=32, choices=EventType.choices)
    label = models.CharField(max_length=80)
    # Hours after the event (the first step) or after the person was added, whichever is later.
    offset_hours = models.PositiveIntegerField()

    objects = AgencyManager()
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["event_type", "offset_hours", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "event_type", "offset_hours"], name="planstep_one_per_offset"
            ),
        ]

    def __str__(self):
        return f"{self.get_event_type_display()}: {self.label}"


class Outreach(AgencyOwnedMixin, RowBound):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(max_length=32, choices=EventType.choices)
    event_date = models.DateField()
    description = EncryptedTextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    summary = EncryptedTextField(blank=True)

    objects = AgencyManager()
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["-event_date", "-opened_at"]
        indexes = [models.Index(fields=["status", "event_date"])]

    def __str__(self):
        return f"outreach {self.pk}: {self.get_event_type_display()} on {self.event_date}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class AffectedPerson(RowBound):
    """Someone the program reaches out to: an employee, a family member on record, or someone
    with no record at all (then their name and how to reach them are kept here, encrypted)."""

    outreach = models.ForeignKey(Outreach, on_delete=models.CASCADE, related_name="people")
    employee = models.ForeignKey(
        "accounts.Employee", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    family_member = models.ForeignKey(
        "accounts.FamilyMember",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = EncryptedTextField(blank=True)
    how_to_reach = EncryptedTextField(blank=True)
    added_at = models.DateTimeField(default=timezone.now)
    declined_at = models.DateTimeField(null=True, blank=True)

    objects = AgencyManager(path="outreach__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(employee__isnull=False, family_member__isnull=True)
                    | models.Q(employee__isnull=True, family_member__isnull=False)
                    | models.Q(employee__isnull=True, family_member__isnull=True)
                ),
                name="affectedperson_one_kind",
            ),
        ]

    def __str__(self):
        return f"affected person {self.pk} of outreach {self.outreach_id}"

    def display_name(self) -> str:
        """Decrypts: call only where the viewer may see who is affected."""
        if self.employee_id:
            return str(self.employee)
        if self.family_member_id:
            member = self.family_member
            relation = member.get_relationship_display().lower()
            return f"{member.name} ({relation} of {member.employee})"
        return self.name

    @property
    def anchor_employee(self):
        """The employee whose chain of command a supporter should not be in."""
        if self.employee_id:
            return self.employee
        if self.family_member_id:
            return self.family_member.employee
        return None


class Assignment(models.Model):
    class Status(models.TextChoices):
        OFFERED = "offered", "Waiting for the supporter"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined by the supporter"
        ENDED = "ended", "Ended"

    ACTIVE = (Status.OFFERED, Status.ACCEPTED)

    person = models.ForeignKey(AffectedPerson, on_delete=models.CASCADE, related_name="assignments")
    supporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="outreach_assignments"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OFFERED)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    # Set when the coordinator went ahead although the supporter is in the person's chain of
    # command (warned, and asked for a reason).
    chain_reason = models.CharField(max_length=300, blank=True)

    objects = AgencyManager(path="person__outreach__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["assigned_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(status__in=["offered", "accepted"]),
                name="assignment_one_active_per_person",
            ),
        ]
        indexes = [models.Index(fields=["supporter", "status"])]

    def __str__(self):
        return f"assignment of {self.supporter_id} to {self.person_id}: {self.status}"


class Responder(models.Model):
    """A peer supporter who responded to the incident of an outreach, as the coordinator marks
    them. Like a supporter among the affected people (or whose relative is), they were involved:
    never suggested or assigned on this outreach, and, while it is open, not offered support
    requests that ask for experience of this kind of event (selectors.involved_supporter_ids).
    Some states' peer support privilege does not cover a responder either."""

    outreach = models.ForeignKey(Outreach, on_delete=models.CASCADE, related_name="responders")
    supporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    marked_at = models.DateTimeField(default=timezone.now)

    objects = AgencyManager(path="outreach__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["marked_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["outreach", "supporter"], name="responder_once_per_outreach"
            ),
        ]

    def __str__(self):
        return f"responder {self.supporter_id} of outreach {self.outreach_id}"


class FollowUpTask(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "To do"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    person = models.ForeignKey(AffectedPerson, on_delete=models.CASCADE, related_name="tasks")
    label = models.CharField(max_length=80)
    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # When the worker told the coordinators it is overdue (once), and when the coordinator last
    # reminded the supporter (at most once a day).
    overdue_raised_at = models.DateTimeField(null=True, blank=True)
    staff_reminded_at = models.DateTimeField(null=True, blank=True)

    objects = AgencyManager(path="person__outreach__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self):
        return f"{self.label} for {self.person_id} due {self.due_at:%Y-%m-%d}"


class Attempt(models.Model):
    """One try at reaching the person: when, by whom and how it went. Never what was said."""

    class Outcome(models.TextChoices):
        REACHED = "reached", "Reached them"
        LEFT_MESSAGE = "left_message", "Left a message"
        NO_ANSWER = "no_answer", "No answer"
        DECLINED = "declined", "They declined support"

    task = models.ForeignKey(FollowUpTask, on_delete=models.CASCADE, related_name="attempts")
    supporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)

    objects = AgencyManager(path="task__person__outreach__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"attempt on {self.task_id}: {self.outcome}"


class GroupSession(models.Model):
    """Group support after a critical incident. Attendance is a count, never names."""

    outreach = models.ForeignKey(Outreach, on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField()
    place = models.CharField(max_length=200)
    facilitator = models.CharField(max_length=200)
    attendance = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = AgencyManager(path="outreach__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["starts_at"]

    def __str__(self):
        return f"group session {self.pk} of outreach {self.outreach_id}"
