import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from peersupport.tenancy import AgencyManager, AgencyOwnedMixin


class ApiToken(AgencyOwnedMixin, models.Model):
    """One other system's key to the API or to SCIM provisioning, with the scopes it may use.

    Only a hash of the secret is kept: the token is shown once, when it is made. ``key`` is the
    token's public first part: it finds the row and tells tokens apart on the page without the
    secret. Revoking keeps the row (the audit log names it) and the token answers 401 at once."""

    # The API and SCIM act for one agency: the token's (issue 23, step 2).
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    label = models.CharField(max_length=100)
    key = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = AgencyManager()
    # Authentication: the token names its agency.
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["label", "pk"]

    def __str__(self):
        return f"{self.label} ({self.key})"

    @property
    def active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


def secret_hash(secret: str) -> str:
    """The secret has 256 bits from ``secrets``: one unsalted SHA-256 makes a stolen table
    useless, and is cheap enough to check on every request."""
    return hashlib.sha256(secret.encode()).hexdigest()
