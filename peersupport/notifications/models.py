"""The outbox: one row per message to one person on one channel.

A notification is written in the transaction of the change it announces (an escalation and its
alerts commit together or not at all), then delivered by the background worker, at least once:
a worker that dies mid-delivery leaves the row leased, and the sweeper takes it back when the
lease runs out. ``key`` makes each notification unique, so a retried write or a second sweep
never makes a second one, and it travels with the message (Message-ID, Idempotency-Key) so that
a receiver can drop the rare repeat of a delivery interrupted after sending.

Nothing protected is ever written here: the text says that something is waiting and links to
it; the page behind the link applies the access rules.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from peersupport.crypto.fields import EncryptedTextField, RowBound


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "Text message (SMS gateway)"
    PUSH = "push", "Push alert to a device (Web Push)"


class Notification(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Not sent (no address or channel off)"

    key = models.CharField(max_length=160, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    # What it is about, e.g. "escalation:12", so a page can show how its alerts went.
    topic = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.get_channel_display()} to user {self.user_id}: {self.status}"


class PushSubscription(RowBound):
    """A browser or phone a person added on their devices page, to receive push alerts.

    The endpoint (the push service's address for this one browser) and the browser's keys are
    encrypted and bound to the row: a copy of the database cannot push to anyone, nor tell
    which push service or device belongs to whom. ``endpoint_digest`` (a keyed hash) finds a
    browser that subscribes again without decrypting every row. A push service that answers
    404 or 410 has forgotten the browser: the row is kept, inactive, until its owner removes it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    label = models.CharField(max_length=60)
    endpoint = EncryptedTextField()
    p256dh = EncryptedTextField()
    auth = EncryptedTextField()
    endpoint_digest = models.CharField(max_length=64)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_success_at = models.DateTimeField(null=True, blank=True)
    gone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # One active row per browser: the same device never gets an alert twice.
            models.UniqueConstraint(
                fields=["endpoint_digest"],
                condition=models.Q(active=True),
                name="push_one_active_row_per_browser",
            )
        ]

    def __str__(self):
        return f"push device {self.pk} of user {self.user_id}"
