"""Training (PROGRAM.md, "Training"): courses, sessions over one or more days, enrolment with a
waiting list, attendance per day and its audited corrections.

Hours credited to a person are the sum of their ``Attendance`` rows; nothing else is a source of
hours, so the record of hours is one table a correction can only change through
``services.attendance_correct`` (which keeps the before, the after and the reason). Compliance is
computed from those rows (``compliance.py``); ``ComplianceRecord`` keeps what the worker last
judged, so pages read it and the worker acts (reminds, flags, sets inactive) once per change.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from peersupport.tenancy import AgencyManager, AgencyOwnedMixin


class CourseKind(models.TextChoices):
    INITIAL = "initial", "Initial peer support training"
    UPDATE = "update", "Quarterly update"
    WORKSHOP = "workshop", "Workshop"
    FOLLOW_UP = "follow_up", "Follow-up training"


class Course(AgencyOwnedMixin, models.Model):
    """What is taught: a kind, a title, a description and the hours a full attendance credits.
    An agency's own (issue 23): its sessions, days, places and hours are the agency's too."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=CourseKind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=4000, blank=True)
    hours = models.DecimalField(max_digits=5, decimal_places=2)
    days = models.PositiveSmallIntegerField(default=1)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AgencyManager()
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["kind", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "title"],
                name="course_title_unique_in_agency",
                violation_error_message="Another course already has this title.",
            ),
            models.CheckConstraint(condition=Q(hours__gt=0), name="course_hours_positive"),
            models.CheckConstraint(condition=Q(days__gte=1), name="course_days_positive"),
        ]

    def __str__(self):
        return self.title


class TrainingSession(models.Model):
    """One offering of a course: a multi-day course is one session over several days.

    ``starts_at`` and ``ends_at`` repeat the first day's start and the last day's end, so the
    calendar, the overlap check and the reminders are one indexed query; only
    ``services.session_save`` writes them, together with the days.
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    place = models.CharField(max_length=200)
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="training_sessions_taught",
    )
    # An instructor from outside the department (no account), shown as given.
    instructor_name = models.CharField(max_length=200, blank=True)
    capacity = models.PositiveSmallIntegerField()
    notes = models.TextField(max_length=2000, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = AgencyManager("course__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="session_capacity_positive"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(status="scheduled", cancelled_at__isnull=True)
                | (Q(status="cancelled", cancelled_at__isnull=False) & ~Q(cancel_reason="")),
                name="session_cancelled_with_reason",
            ),
        ]

    def __str__(self):
        return f"{self.course} from {timezone.localdate(self.starts_at):%Y-%m-%d}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def first_date(self) -> datetime.date:
        return timezone.localdate(self.starts_at)

    @property
    def last_date(self) -> datetime.date:
        return timezone.localdate(self.ends_at)


class SessionDay(models.Model):
    """One day of a session, with the hours a full attendance of that day credits."""

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="days")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    hours = models.DecimalField(max_digits=4, decimal_places=2)

    objects = AgencyManager("session__course__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="sessionday_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(hours__gt=0), name="sessionday_hours_positive"),
            models.UniqueConstraint(fields=["session", "starts_at"], name="sessionday_unique"),
        ]

    def __str__(self):
        return f"{self.session.course} on {self.date:%Y-%m-%d}"

    @property
    def date(self) -> datetime.date:
        return timezone.localdate(self.starts_at)


class Enrolment(models.Model):
    """A person's place on a session: enrolled, on the waiting list (in order of asking), or
    cancelled. One row per person and session; enrolling again re-uses it."""

    class Status(models.TextChoices):
        ENROLLED = "enrolled", "Enrolled"
        WAITLISTED = "waitlisted", "On the waiting list"
        CANCELLED = "cancelled", "Cancelled"

    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="enrolments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_enrolments"
    )
    status = models.CharField(max_length=16, choices=Status.choices)
    # The waiting list is served in this order.
    requested_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # Why the coordinator cancelled this place (empty when the person gave it up themselves).
    # Kept for the record; never put in the alert the person gets.
    cancel_reason = models.CharField(max_length=300, blank=True)

    objects = AgencyManager("session__course__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["requested_at", "pk"]
        indexes = [models.Index(fields=["session", "status", "requested_at"])]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="enrolment_unique"),
        ]

    def __str__(self):
        return f"{self.user} on {self.session}: {self.get_status_display()}"


class Attendance(models.Model):
    """Hours credited to one person for one day of a session (0 when absent, less than the
    day's hours when partly present)."""

    day = models.ForeignKey(SessionDay, on_delete=models.PROTECT, related_name="attendances")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_attendance"
    )
    hours = models.DecimalField(max_digits=4, decimal_places=2)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = AgencyManager("day__session__course__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["day__starts_at", "pk"]
        indexes = [models.Index(fields=["user", "day"])]
        constraints = [
            models.UniqueConstraint(fields=["day", "user"], name="attendance_unique"),
            models.CheckConstraint(condition=Q(hours__gte=0), name="attendance_hours_not_negative"),
        ]

    def __str__(self):
        return f"{self.hours} h for {self.user} on {self.day}"


class AttendanceCorrection(models.Model):
    """A change to hours already recorded: before, after, why, by whom. Never edited."""

    attendance = models.ForeignKey(Attendance, on_delete=models.PROTECT, related_name="corrections")
    hours_before = models.DecimalField(max_digits=4, decimal_places=2)
    hours_after = models.DecimalField(max_digits=4, decimal_places=2)
    reason = models.CharField(max_length=300)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    corrected_at = models.DateTimeField(default=timezone.now)

    objects = AgencyManager("attendance__day__session__course__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["corrected_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="attendancecorrection_has_reason"),
        ]

    def __str__(self):
        return f"{self.hours_before} -> {self.hours_after} h ({self.reason})"


class CalendarFeed(models.Model):
    """A person's secret calendar address. Only a hash of the token is kept: the address is
    shown once, when it is made; resetting makes a new one and the old stops working."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"calendar feed of {self.user}"


class CourseFeed(models.Model):
    """A course's secret calendar address, for calendar apps that cannot sign in. As with a
    person's, only a hash of the token is kept; the coordinator makes and resets it."""

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="feed")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AgencyManager("course__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    def __str__(self):
        return f"calendar feed of {self.course}"


class ComplianceRecord(AgencyOwnedMixin, models.Model):
    """A person's compliance for a year as the worker last judged it (``services.compliance_
    store``), so that pages read it instead of computing every supporter's at every view, and
    so that the worker reminds, flags and acts once per change rather than at every tick.

    The judgment fields hold exactly what ``compliance.year_compliance`` gave on ``judged_on``
    (``result`` rebuilds it). Nothing but the date changes a judgment between writes, and only
    at a quarter's end, so a row judged in the current quarter (or after its year closed) and
    not ``stale`` is current. A write that changes someone's hours marks their rows ``stale``
    and bumps ``marks`` in its own transaction; the worker stores the new judgment only if no
    mark came in meanwhile (``marks`` unchanged), so a change is never lost to a race.

    An agency's own: the supporter's home agency judges them (issue 23).
    """

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_compliance"
    )
    year = models.PositiveSmallIntegerField()
    # "" until first judged (a row made by a mark).
    status = models.CharField(max_length=24)
    changed_at = models.DateTimeField(default=timezone.now)
    # The last quarter (1-4) whose coming end the person was warned about.
    warned_quarter = models.PositiveSmallIntegerField(null=True, blank=True)
    # The last quarter (1-4) whose short end the person was told about: told at every quarter
    # end that finds them a quarter behind, not only when the status changes.
    missed_quarter = models.PositiveSmallIntegerField(null=True, blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True)
    # Update hours credited in required quarters (YearCompliance.update_hours).
    hours = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(0))
    # --- The stored judgment (YearCompliance on judged_on) ---
    judged_on = models.DateField(null=True, blank=True)
    judged_at = models.DateTimeField(null=True, blank=True)
    stale = models.BooleanField(default=False)
    marks = models.PositiveIntegerField(default=0)
    severity = models.PositiveSmallIntegerField(default=0)
    behind = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(0))
    expected = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(0))
    target = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(0))
    other_hours = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal(0))
    q1_hours = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(0))
    q2_hours = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(0))
    q3_hours = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(0))
    q4_hours = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(0))
    quarter_requirement = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(0))
    # The first required quarter (5: initial training completed in Q4 of this year; None while
    # initial training is not complete).
    first_required = models.PositiveSmallIntegerField(null=True, blank=True)
    initial_completed_on = models.DateField(null=True, blank=True)
    closed = models.BooleanField(default=False)
    forecast_quarter = models.PositiveSmallIntegerField(null=True, blank=True)
    forecast_by = models.DateField(null=True, blank=True)
    forecast_hours = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)

    objects = AgencyManager()
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["-year", "user_id"]
        indexes = [
            models.Index(fields=["year", "severity", "behind"]),
            models.Index(fields=["stale", "year"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "user", "year"], name="compliancerecord_unique_in_agency"
            ),
        ]

    def __str__(self):
        return f"{self.user} {self.year}: {self.status}"

    @property
    def quarter_hours(self) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        return (self.q1_hours, self.q2_hours, self.q3_hours, self.q4_hours)
