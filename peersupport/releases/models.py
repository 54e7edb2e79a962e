"""Releases of information (PROGRAM.md rules 1, 4 and 6) and the disclosures made under them.

A release is the person's signed consent: what information, to which named recipients, for what
purpose, until when, and who may disclose it. Everything in it that says who the person is or
what their information is (their name, the items, the recipients, the purpose, the expiry event,
the signature) is encrypted. A release is kept, with its accounting of disclosures, for
``RELEASE_RETENTION_YEARS`` after it ends; the support request it came from is purged long
before, so the link to it is a nullable foreign key.

Whether a release is in force is computed (``status_on``), never stored: signed, not revoked,
its expiry event not recorded as having happened, and today on or before its expiry date.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from peersupport.crypto.fields import EncryptedJSONField, EncryptedTextField, RowBound
from peersupport.tenancy import AgencyManager, AgencyOwnedMixin


class ReleaseStatus(models.TextChoices):
    VALID = "valid", "In force"
    REVOKED = "revoked", "Revoked"
    ENDED = "ended", "Ended (expiry event)"
    EXPIRED = "expired", "Expired"


class ReleaseQuerySet(models.QuerySet):
    def with_status(self, status: str, *, today: datetime.date | None = None):
        """Releases in ``status`` on ``today``: the database form of Release.status_on."""
        today = today or timezone.localdate()
        live = Q(revoked_at__isnull=True, ended_at__isnull=True)
        conditions = {
            ReleaseStatus.REVOKED: Q(revoked_at__isnull=False),
            ReleaseStatus.ENDED: Q(revoked_at__isnull=True, ended_at__isnull=False),
            ReleaseStatus.EXPIRED: live & Q(expires_on__lt=today),
            ReleaseStatus.VALID: live
            & (Q(expires_on__isnull=True) | Q(expires_on__gte=today))
            & Q(signed_on__lte=today),
        }
        return self.filter(conditions[status])


class Release(AgencyOwnedMixin, RowBound):
    class Disclosers(models.TextChoices):
        SUPPORTER = "supporter", "My peer supporter only"
        SUPPORTER_AND_BHS = "supporter_and_bhs", "My peer supporter and the BHS manager"

    class SignatureKind(models.TextChoices):
        DRAWN = "drawn", "Signed on the screen"
        SCAN = "scan", "A scan of the signed paper form"

    class SignatureType(models.TextChoices):
        PNG = "image/png", "PNG image"
        JPEG = "image/jpeg", "JPEG image"
        PDF = "application/pdf", "PDF document"

    # Its own agency, not its request's: the request is purged long before the release.
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    # The request it was signed for; set to NULL if that request is ever deleted, while the
    # release and its accounting are kept for RELEASE_RETENTION_YEARS.
    request = models.ForeignKey(
        "support.SupportRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="releases",
    )
    # The peer supporter holding the request, who recorded the release and holds it.
    supporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="releases_held"
    )
    # Protected: who the person is (copied from the request, which is purged long before).
    person_name = EncryptedTextField()
    disclosers = models.CharField("who may disclose", max_length=32, choices=Disclosers.choices)
    # Protected: the specific items of information, the named recipients (lists of strings), the
    # purpose and the expiry event. A disclosure is checked item by item and name by name.
    items = EncryptedJSONField()
    recipients = EncryptedJSONField()
    purpose = EncryptedTextField()
    right_to_revoke_explained = models.BooleanField()
    expires_on = models.DateField(null=True, blank=True)
    expiry_event = EncryptedTextField(null=True, blank=True)
    signature_kind = models.CharField(max_length=16, choices=SignatureKind.choices)
    signature_type = models.CharField(max_length=32, choices=SignatureType.choices)
    # Protected: the drawn signature or the scan of the signed form, base64. Never a file.
    signature = EncryptedTextField()
    signed_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = AgencyManager.from_queryset(ReleaseQuerySet)()
    everywhere = ReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["supporter", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(right_to_revoke_explained=True), name="release_revoke_explained"
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=False) | Q(expiry_event__isnull=False),
                name="release_has_an_end",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=models.F("signed_on")),
                name="release_expires_after_signing",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(expiry_event__isnull=False),
                name="release_ended_by_its_event",
            ),
        ]

    def __str__(self):
        return f"release {self.number}"

    @property
    def number(self) -> str:
        """How people refer to it, on the page and on paper."""
        return f"ROI-{self.pk:05d}" if self.pk else "ROI-(new)"

    @property
    def bhs_may_disclose(self) -> bool:
        return self.disclosers == self.Disclosers.SUPPORTER_AND_BHS

    def status_on(self, today: datetime.date | None = None) -> str:
        today = today or timezone.localdate()
        if self.revoked_at is not None:
            return ReleaseStatus.REVOKED
        if self.ended_at is not None:
            return ReleaseStatus.ENDED
        if self.expires_on is not None and today > self.expires_on:
            return ReleaseStatus.EXPIRED
        if self.signed_on > today:  # cannot be saved so; kept so the rule reads whole
            return ReleaseStatus.EXPIRED
        return ReleaseStatus.VALID

    @property
    def status(self) -> str:
        return self.status_on()

    @property
    def status_label(self) -> str:
        return ReleaseStatus(self.status).label

    def is_valid_on(self, today: datetime.date | None = None) -> bool:
        return self.status_on(today) == ReleaseStatus.VALID

    def ended_on(self, today: datetime.date | None = None) -> datetime.date | None:
        """The day it stopped being in force (the earliest of revocation, expiry event and
        expiry date), or None while it is in force."""
        today = today or timezone.localdate()
        if self.status_on(today) == ReleaseStatus.VALID:
            return None
        ends = [timezone.localdate(at) for at in (self.revoked_at, self.ended_at) if at]
        if self.expires_on is not None and self.expires_on < today:
            ends.append(self.expires_on)
        return min(ends, default=today)


class Disclosure(RowBound):
    """One disclosure made under a release: when, to whom (one of its named recipients), which
    of its items, for its purpose, and by whom. Written only by services.disclosure_record."""

    class ByRole(models.TextChoices):
        SUPPORTER = "supporter", "Your peer supporter"
        BHS_MANAGER = "bhs_manager", "The BHS manager"

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="disclosures")
    disclosed_on = models.DateField()
    recipient = EncryptedTextField()
    items = EncryptedJSONField()
    purpose = EncryptedTextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # In which capacity: what the person is shown instead of a name.
    by_role = models.CharField(max_length=16, choices=ByRole.choices)
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = AgencyManager(path="release__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["-disclosed_on", "-recorded_at", "-pk"]
        indexes = [models.Index(fields=["release", "disclosed_on"])]

    def __str__(self):
        return f"disclosure {self.pk} under release {self.release_id}"
