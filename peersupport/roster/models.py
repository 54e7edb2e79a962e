import uuid

from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils import timezone

from peersupport.accounts.models import User
from peersupport.crypto.fields import EncryptedTextField, RowBound
from peersupport.tenancy import AgencyManager, AgencyOwnedMixin


class ExperienceArea(models.TextChoices):
    """What a supporter has lived through or knows well, shown in the directory and used to
    match a request (PROGRAM.md, "Support")."""

    CRITICAL_INCIDENTS = "critical_incidents", "Critical incidents"
    INJURY_ILLNESS = "injury_illness", "Line-of-duty injury or illness"
    FAMILY_TRAGEDY = "family_tragedy", "Family tragedy"
    GRIEF_LOSS = "grief_loss", "Grief and loss"
    RELATIONSHIPS = "relationships", "Relationships"
    SUBSTANCE_USE = "substance_use", "Substance use"
    FINANCES = "finances", "Finances"
    STRESS_BURNOUT = "stress_burnout", "Stress and burnout"
    RETIREMENT = "retirement", "Retirement and transitions"
    DISCRIMINATION = "discrimination", "Discrimination or harassment"


class PhotoStorage(FileSystemStorage):
    """Supporter photos live under MEDIA_ROOT but have no public URL: they are served only to
    signed-in employees by ``roster:photo``. Asking for a URL is a programming error."""

    def url(self, name):
        raise NotImplementedError("Supporter photos are served only by the roster:photo view.")


photo_storage = PhotoStorage()


def _photo_storage():
    return photo_storage


def photo_path(instance, filename):
    """A random name: nothing of the uploaded file's name (often a person's name) is kept."""
    return f"supporters/{uuid.uuid4().hex}.jpg"


class SupporterProfile(AgencyOwnedMixin, RowBound):
    """A peer supporter's entry in the program: where they are in the lifecycle, what the
    directory shows about them and whether they can take a request now.

    Name, rank or title, unit, shift and languages come from the employee record of ``user``.
    ``agency`` is the supporter's home agency (lifecycle, training, votes); another agency lists
    them while they hold its peer-supporter role (a loan, docs/design/agencies.md §2.3), which
    only ``selectors`` read, through ``everywhere``.
    """

    class Status(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        APPOINTED = "appointed", "Appointed (in initial training)"
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        RETIRED = "retired", "Retired"
        REMOVED = "removed", "Removed"

    class Availability(models.TextChoices):
        AVAILABLE = "available", "Available"
        BUSY = "busy", "Busy"
        OFF = "off", "Off"

    class InactiveReason(models.TextChoices):
        LEAVE = "leave", "On leave"
        OWN_REQUEST = "own_request", "At their own request"
        OUT_OF_COMPLIANCE = "out_of_compliance", "Out of training compliance"
        COORDINATOR_DECISION = "coordinator_decision", "Coordinator's decision"

    class Gender(models.TextChoices):
        WOMAN = "woman", "Woman"
        MAN = "man", "Man"
        NON_BINARY = "non_binary", "Non-binary"

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="supporter_profile")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CANDIDATE)
    status_changed_at = models.DateTimeField(default=timezone.now)
    status_reason = EncryptedTextField(max_length=300, blank=True)
    # Why an INACTIVE supporter is inactive, and until when if that is known.
    inactive_reason = models.CharField(max_length=32, choices=InactiveReason.choices, blank=True)
    inactive_until = models.DateField(null=True, blank=True)
    bio = models.TextField(
        max_length=600,
        blank=True,
        help_text="A few sentences colleagues see in the directory.",
    )
    photo = models.ImageField(upload_to=photo_path, storage=_photo_storage, blank=True)
    gender = models.CharField(max_length=16, choices=Gender.choices, blank=True)
    show_gender = models.BooleanField(default=False)
    availability = models.CharField(
        max_length=16, choices=Availability.choices, default=Availability.OFF
    )
    availability_updated_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    # The supporters whose home is the current agency; ``everywhere`` only for the listed
    # crossings (§2.3: the directory lists the current agency's peer-supporter role holders).
    objects = AgencyManager()
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        indexes = [models.Index(fields=["status", "availability"])]
        constraints = [
            # Gender is shown only when the supporter has said what it is.
            models.CheckConstraint(
                condition=~models.Q(show_gender=True, gender=""),
                name="supporterprofile_show_gender_needs_gender",
            ),
            # An inactive supporter always has a kind of reason; nobody else has one.
            models.CheckConstraint(
                condition=(Q(status="inactive") & ~Q(inactive_reason=""))
                | (~Q(status="inactive") & Q(inactive_reason="", inactive_until__isnull=True)),
                name="supporterprofile_inactive_reason",
            ),
        ]

    def __str__(self):
        return f"Supporter profile of {self.user}"

    @property
    def employee(self):
        """The employee record behind the profile (name, rank, unit, shift, languages)."""
        return getattr(self.user, "employee", None)

    @property
    def name(self) -> str:
        employee = self.employee
        return employee.full_name if employee is not None else str(self.user)

    @property
    def initials(self) -> str:
        """Shown in place of a photo."""
        parts = self.name.split() or ["?"]
        return (parts[0][0] + (parts[-1][0] if len(parts) > 1 else "")).upper()

    @property
    def shown_gender(self) -> str:
        """The gender label to show, or "" when the supporter chose not to show it."""
        return self.get_gender_display() if self.show_gender and self.gender else ""


class SupporterArea(models.Model):
    """One experience area of a supporter (a row each, so the directory can filter on them)."""

    profile = models.ForeignKey(SupporterProfile, on_delete=models.CASCADE, related_name="areas")
    area = models.CharField(max_length=32, choices=ExperienceArea.choices)

    # The profile's (home) agency.
    objects = AgencyManager(path="profile__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["area"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "area"], name="supporterarea_unique"),
        ]

    def __str__(self):
        # A plain dictionary: the directory prints 30 supporters' areas on every view, and
        # get_area_display() hashes the whole choices list each time.
        return AREA_LABELS.get(self.area, self.area)


AREA_LABELS = dict(ExperienceArea.choices)


class OnCallShift(models.Model):
    """A time a supporter has promised to be reachable: from ``start`` up to (not including)
    ``end``."""

    profile = models.ForeignKey(SupporterProfile, on_delete=models.CASCADE, related_name="shifts")
    start = models.DateTimeField()
    end = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    # The profile's (home) agency: shifts are worked for home.
    objects = AgencyManager(path="profile__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["profile", "start", "end"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="oncallshift_end_after_start"
            ),
        ]

    def __str__(self):
        return f"On call {self.start:%Y-%m-%d %H:%M} to {self.end:%Y-%m-%d %H:%M}"
