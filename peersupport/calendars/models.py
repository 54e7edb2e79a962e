import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone


class Feed(models.Model):
    """A person's secret calendar address for one kind of event (a registered source, see
    registry.py). Only a hash of the token is kept: the address is shown once, when it is made;
    making a new one replaces it and stopping it deletes it, and the old address answers 404
    at once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    kind = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="calendar_feed_one_per_kind"),
        ]

    def __str__(self):
        return f"{self.kind} calendar feed of {self.user_id}"


def token_hash(token: str) -> str:
    """Feed tokens are stored as this hash only, never as themselves. The token has 256 bits
    from secrets, so one unsalted SHA-256 is enough to make a stolen table useless."""
    return hashlib.sha256(token.encode()).hexdigest()
