from django.db import models
from django.utils import timezone


class KeyFingerprint(models.Model):
    """Which key a key id stood for when it first wrote a value: an HMAC-SHA256 of a fixed label
    under the key (fingerprints.fingerprint), never the key. A server started with another key
    under a known id is refused (checks.py) and cannot write (fields.encrypt)."""

    key_id = models.CharField(max_length=32, primary_key=True)
    fingerprint = models.CharField(max_length=64)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["key_id"]

    def __str__(self):
        return f"fingerprint of key {self.key_id}"
