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
from peersupport.tenancy import AgencyManager, AgencyOwnedMixin


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "Text message (SMS gateway)"
    PUSH = "push", "Push alert to a device (Web Push)"
    # An event to another system (webhooks.py): no person, a content-free JSON body.
    WEBHOOK = "webhook", "Webhook to another system"


class Notification(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Not sent (no address or channel off)"

    key = models.CharField(max_length=160, unique=True)
    # None for someone without an account (recipients.py): then ``address`` is a reference to
    # where the address is kept, encrypted, and is read only when the message is sent.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="notifications",
        null=True,
        blank=True,
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    # What it is about, e.g. "escalation:12", so a page can show how its alerts went.
    topic = models.CharField(max_length=64, blank=True, db_index=True)
    # The kind (its template's name, kinds.py); "" for a message sent outside the kinds.
    kind = models.CharField(max_length=64, blank=True)
    # Urgent rows go alone and at once; the others may be gathered into one (services.deliver).
    urgent = models.BooleanField(default=False)
    # Where the message points, for a gathered message that lists what waits.
    link = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    # Which claim holds it: the rows one delivery claimed together share it.
    lease_token = models.CharField(max_length=32, blank=True, db_index=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The agency the message was queued for (its link will name it, step 5); the outbox itself
    # is install-wide, so this is a plain number, not a scope. None: queued outside any agency.
    agency_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["user", "channel", "status"]),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} to user {self.user_id}: {self.status}"


# The channels a person chooses between for each kind. E-mail always reaches them; a text
# message goes only where the alert has a phone number (the on-duty roster's); push goes to the
# devices they registered. A person with no preference row has every channel on.
PREFERENCE_CHANNELS = ("email", "sms", "push")


class AlertPreference(models.Model):
    """Which channels one person wants one kind of alert on. No row: every channel on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_preferences"
    )
    kind = models.CharField(max_length=64)
    email = models.BooleanField(default=True)
    sms = models.BooleanField(default=True)
    push = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_alert_preference_per_kind")
        ]

    def __str__(self):
        return f"{self.kind} for user {self.user_id}"

    def channels(self) -> set[str]:
        return {c for c in PREFERENCE_CHANNELS if getattr(self, c)}


class QuietHours(models.Model):
    """Hours (local time, settings.TIME_ZONE) in which one person's non-urgent alerts wait.
    ``start`` after ``end`` crosses midnight (22:00 to 07:00). No row: no quiet hours."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiet_hours"
    )
    start = models.TimeField()
    end = models.TimeField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "quiet hours"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(start=models.F("end")), name="quiet_hours_not_empty"
            )
        ]

    def __str__(self):
        return f"{self.start:%H:%M} to {self.end:%H:%M} for user {self.user_id}"


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


class AlertPhone(RowBound):
    """The number a person gave for text-message alerts (their own choice, on /alerts/):
    encrypted and bound to its row. No row: text messages reach them only where an alert
    carries a number (the on-duty roster's)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_phone"
    )
    phone = EncryptedTextField()
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"text-alert number of user {self.user_id}"


class WorkerHeartbeat(models.Model):
    """One row: when a background worker last ran a periodic task (scheduling.beat). The
    metrics endpoint reports its age, so that a stopped worker is seen before the alerts it
    should have sent are missed."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    beat_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="heartbeat_one_row")]

    def __str__(self):
        return f"worker heartbeat at {self.beat_at.isoformat()}"


class WebhookEndpoint(AgencyOwnedMixin, RowBound):
    """Another system told of content-free events (webhooks.py): its address, the events it
    asked for, and the secret every delivery is signed with. The secret must be read to sign,
    so it is encrypted and bound to the row rather than hashed; it is shown once, when it is
    made or rotated. A disabled endpoint keeps its row and gets nothing."""

    # Events are an agency's: each endpoint is told of one agency's (issue 23, step 2).
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    label = models.CharField(max_length=80)
    url = models.CharField(max_length=500)
    # Names of registered events (webhooks.register_event).
    events = models.JSONField(default=list, blank=True)
    secret = EncryptedTextField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    secret_set_at = models.DateTimeField(default=timezone.now)

    objects = AgencyManager()
    everywhere = models.Manager()  # the outbox's delivery, install-wide

    class Meta:
        ordering = ["label", "pk"]

    def __str__(self):
        return f"webhook {self.label}"
