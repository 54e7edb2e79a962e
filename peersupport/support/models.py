"""Requests for support, offers to supporters, messages, de-identified contacts, follow-ups.

What could identify or reach a person who asked for help lives only in encrypted fields
(``SupportRequest.identity``, ``Message.body``) and is purged after the request closes. The
link from a signed-in employee to their own requests is a keyed hash (``requester_tag``), not a
foreign key, so a copy of the database does not say who asked. Everything else here is
de-identified by construction: no names, no free text on contacts.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from peersupport.crypto.fields import EncryptedJSONField, EncryptedTextField, RowBound
from peersupport.tenancy import AgencyManager, AgencyOwnedMixin


def _agency_field():
    # The agency a row belongs to (issue 23): never deleted from under its rows, never changed
    # (``AgencyOwnedMixin``). No index of its own: an agency is never a selective filter (a
    # handful on an install), and with one the planner could take it over the indexes the
    # pages are read through (a supporter's contacts by date, the open follow-ups).
    return models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="+", db_index=False
    )


class RequesterKind(models.TextChoices):
    EMPLOYEE = "employee", "Employee (signed in)"
    FAMILY = "family", "Family member"
    ANONYMOUS = "anonymous", "Anonymous"


class ContactMethod(models.TextChoices):
    PHONE = "phone", "Phone call"
    TEXT = "text", "Text message"
    EMAIL = "email", "E-mail"
    IN_PERSON = "in_person", "In person"
    MESSAGES = "messages", "Only through messages here"


class SupportRequest(AgencyOwnedMixin, RowBound):
    """A request for support, in the agency where it was asked (issue 23)."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting for a supporter"
        OFFERED = "offered", "Offered to a supporter"
        ACCEPTED = "accepted", "Accepted"
        CLOSED = "closed", "Closed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    OPEN_STATUSES = (Status.WAITING, Status.OFFERED, Status.ACCEPTED)

    agency = _agency_field()
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=RequesterKind.choices)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.WAITING, db_index=True
    )
    # Protected: name, how and when to reach them, and for a signed-in employee their account id
    # (used only to leave their own chain of command out of matching).
    identity = EncryptedJSONField()
    # Keyed hash of the requester's account id (under the codename key), so they can list their
    # own requests.
    requester_tag = models.CharField(max_length=64, blank=True, db_index=True)
    # Requests without an account (support/codenames.py): HMAC of the codename under the
    # codename key, which finds the request; and the Argon2id hash that then verifies it (salted
    # per request; older rows: a raw digest with a SECRET_KEY-derived salt and no lookup yet).
    # The codename itself is shown once and never stored.
    codename_lookup = models.CharField(max_length=64, blank=True, db_index=True)
    codename_hash = models.CharField(max_length=128, blank=True, db_index=True)
    # What they asked for (not identifying): a named supporter, or criteria for matching.
    requested_supporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The named supporter was unavailable when they asked, and they chose to wait for them: the
    # request is offered to no one else until that supporter has had it (answered or lapsed).
    wait_for_requested = models.BooleanField(default=False)
    wanted_languages = models.JSONField(default=list, blank=True)
    wanted_areas = models.JSONField(default=list, blank=True)
    wanted_employee_type = models.CharField(max_length=16, blank=True)
    exclude_chain = models.BooleanField(default=False)
    assigned_supporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="held_requests",
    )
    notice_version = models.CharField(max_length=64)
    # One request per submitted form, however often it is sent (double click, retry).
    submission_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # When the coordinators were told by e-mail that it is waiting (after escalated_at).
    coordinators_told_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    objects = AgencyManager()
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["assigned_supporter", "status"])]

    def __str__(self):
        return f"request {self.public_id} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class Offer(models.Model):
    """A request offered to one supporter, who accepts or passes (or lets it lapse)."""

    class Answer(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        PASSED = "passed", "Passed"
        LAPSED = "lapsed", "Lapsed"
        WITHDRAWN = "withdrawn", "Request withdrawn"

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="offers")
    supporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="support_offers"
    )
    offered_at = models.DateTimeField(default=timezone.now)
    answer = models.CharField(max_length=16, choices=Answer.choices, default=Answer.PENDING)
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = AgencyManager("request__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["offered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=models.Q(answer="pending"),
                name="offer_one_pending_per_request",
            ),
        ]
        indexes = [models.Index(fields=["supporter", "answer"])]

    def __str__(self):
        return f"offer of {self.request_id} to {self.supporter_id}: {self.answer}"


class Message(RowBound):
    class Sender(models.TextChoices):
        REQUESTER = "requester", "Requester"
        SUPPORTER = "supporter", "Supporter"

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(max_length=16, choices=Sender.choices)
    body = EncryptedTextField()
    sent_at = models.DateTimeField(default=timezone.now)

    objects = AgencyManager("request__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["sent_at", "pk"]

    def __str__(self):
        return f"message on {self.request_id} from {self.sender}"


class Contact(AgencyOwnedMixin, models.Model):
    """One support contact, de-identified: no name, no free text. Logged by the supporter, from a
    request or for a contact made outside the system. In the agency the supporter logged it for
    (issue 23): its own column, as its request may be none and the supporter's home may be
    another agency (a lent supporter's contacts are the served agency's)."""

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        PHONE = "phone", "Phone"
        VIDEO = "video", "Video"
        TEXT = "text", "Text"

    class RequesterType(models.TextChoices):
        SWORN = "sworn", "Sworn"
        CIVILIAN = "civilian", "Civilian"
        CORRECTIONS = "corrections", "Corrections"
        FAMILY = "family", "Family member"
        RETIREE = "retiree", "Retiree"
        UNKNOWN = "unknown", "Unknown or not said"

    class Topic(models.TextChoices):
        WORK_STRESS = "work_stress", "Work stress"
        CRITICAL_INCIDENT = "critical_incident", "Critical incident"
        INJURY_ILLNESS = "injury_illness", "Injury or illness"
        GRIEF = "grief", "Grief and loss"
        FAMILY = "family", "Family"
        RELATIONSHIP = "relationship", "Relationship"
        SUBSTANCE_USE = "substance_use", "Substance use"
        FINANCES = "finances", "Finances"
        SLEEP_HEALTH = "sleep_health", "Sleep and health"
        CAREER = "career", "Career and transitions"
        OTHER = "other", "Other"

    agency = _agency_field()
    supporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="support_contacts"
    )
    request = models.ForeignKey(
        SupportRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    date = models.DateField()
    duration_minutes = models.PositiveIntegerField()
    mode = models.CharField(max_length=16, choices=Mode.choices)
    requester_type = models.CharField(max_length=16, choices=RequesterType.choices)
    topics = models.JSONField(default=list)
    limits_explained = models.BooleanField()
    notice_version = models.CharField(max_length=64)
    referrals = models.ManyToManyField("resources.Resource", blank=True, related_name="+")
    follow_up_planned = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AgencyManager()
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["-date", "-created_at"]
        indexes = [models.Index(fields=["supporter", "date"]), models.Index(fields=["date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(limits_explained=True), name="contact_limits_explained"
            ),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=1, duration_minutes__lte=24 * 60),
                name="contact_duration_range",
            ),
        ]

    def __str__(self):
        return f"contact {self.pk} on {self.date}"


class FollowUp(AgencyOwnedMixin, models.Model):
    """A follow-up a supporter planned, in the agency they planned it for (issue 23)."""

    agency = _agency_field()
    supporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="support_followups"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="followups"
    )
    request = models.ForeignKey(
        SupportRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="followups"
    )
    due = models.DateField(db_index=True)
    done_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AgencyManager()
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["due", "pk"]
        indexes = [
            # Open follow-ups only: the coordinator's overdue counts per supporter and each
            # supporter's own list read nothing else, and without it they scanned the done ones
            # too (nearly all of them after a few years: over a second per dashboard view at a
            # million contacts, bench/pages.py). Small, since follow-ups get done.
            models.Index(
                fields=["supporter", "due"],
                condition=models.Q(done_at__isnull=True),
                name="followup_open_by_supporter",
            )
        ]

    def __str__(self):
        return f"follow-up {self.pk} due {self.due}"


class DebriefRequest(AgencyOwnedMixin, models.Model):
    """A supporter asks the coordinator for a debrief after a hard contact. No content. Asked of
    the supporter's home agency's coordinators (issue 23)."""

    agency = _agency_field()
    supporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="debrief_requests"
    )
    created_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = AgencyManager()
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"debrief request {self.pk}"
