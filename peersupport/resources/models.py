from urllib.parse import quote

from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from peersupport.tenancy import AgencyManager, AgencyOwnedMixin

from .validators import (
    EMAIL_MESSAGE,
    WEBSITE_MESSAGE,
    dial_href,
    validate_phone,
    validate_text_number,
    validate_web_scheme,
)


class ResourceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(retired_at__isnull=True)

    def retired(self):
        return self.filter(retired_at__isnull=False)


class Category(models.TextChoices):
    # The order here is the order of the directory.
    CRISIS_LINE = "crisis_line", "Crisis line"
    ADVOCACY = "advocacy", "Advocacy service"
    EAP = "eap", "Employee assistance program (EAP)"
    CHAPLAIN = "chaplain", "Chaplain"
    MEDICAL = "medical", "Medical and mental health"
    SUBSTANCE_USE = "substance_use", "Substance use"
    FAMILY = "family", "Family and relationships"
    FINANCIAL = "financial", "Financial"
    LEGAL = "legal", "Legal"
    OTHER = "other", "Other"


class Cost(models.TextChoices):
    FREE = "free", "Free"
    LOW_COST = "low_cost", "Low cost"
    INSURANCE = "insurance", "Covered by insurance"
    VARIES = "varies", "Varies"


class Resource(AgencyOwnedMixin, models.Model):
    """A service a supporter can refer someone to, or a person can reach themselves.

    Nothing here is protected: the directory is public, to signed-in people and to anyone
    without an account. An entry that is no longer offered is retired, never deleted, so the
    referrals that named it keep their meaning. Each agency keeps its own directory (issue 23,
    docs/design/agencies.md §7 Q2): a lent supporter refers to the directory of the agency
    they serve.
    """

    Category = Category
    Cost = Cost

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=150)
    category = models.CharField(max_length=32, choices=Category.choices)
    description = models.TextField(
        "what they help with",
        max_length=2000,
        help_text="Who it is for and what they do, in a few plain sentences.",
    )
    phone = models.CharField(
        max_length=40,
        blank=True,
        validators=[validate_phone],
        help_text="For example 988 or (555) 555-0100 ext. 12.",
    )
    phone_then = models.CharField(
        "after dialling",
        max_length=60,
        blank=True,
        help_text="What to do once through, if anything: for example “then press 1”.",
    )
    text_number = models.CharField(
        "text (SMS) number",
        max_length=40,
        blank=True,
        validators=[validate_text_number],
        help_text="A number or short code that answers text messages, for example 741741.",
    )
    text_keyword = models.CharField(
        "word to text",
        max_length=20,
        blank=True,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9]+$", "Enter one word of letters and digits, for example HOME."
            )
        ],
        help_text="If the service asks for a word to start, for example HOME.",
    )
    email = models.EmailField(
        "e-mail address", blank=True, error_messages={"invalid": EMAIL_MESSAGE}
    )
    website = models.URLField(
        max_length=300,
        blank=True,
        validators=[validate_web_scheme],
        error_messages={"invalid": WEBSITE_MESSAGE},
    )
    address = models.TextField(max_length=500, blank=True)
    hours = models.CharField(
        max_length=120, blank=True, help_text="For example “24/7” or “Mon–Fri 8–5”."
    )
    available_24_7 = models.BooleanField(
        "open 24 hours a day, 7 days a week",
        default=False,
    )
    cost = models.CharField(max_length=16, choices=Cost.choices, default=Cost.FREE)
    cost_note = models.CharField(
        "about the cost",
        max_length=200,
        blank=True,
        help_text="For example “first six sessions free”.",
    )
    is_internal = models.BooleanField(
        "run by the department",
        default=False,
        help_text="Tick for the department's own services; leave empty for outside ones.",
    )
    retired_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The current agency's directory; ``everywhere`` only for the listed crossings (§2.3).
    objects = AgencyManager.from_queryset(ResourceQuerySet)()
    everywhere = ResourceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]  # selectors order the directory by category first
        indexes = [models.Index(fields=["retired_at", "category"])]
        constraints = [
            models.UniqueConstraint(
                models.F("agency"),
                Lower("name"),
                condition=models.Q(retired_at__isnull=True),
                name="resource_active_name_unique",
                violation_error_message=(
                    "The directory already lists a resource with this name. Edit that entry "
                    "instead, or give this one a name people can tell apart."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(category__in=Category.values),
                name="resource_category_known",
            ),
            models.CheckConstraint(
                condition=models.Q(cost__in=Cost.values), name="resource_cost_known"
            ),
            models.CheckConstraint(
                condition=~models.Q(phone="", text_number="", email="", website="", address=""),
                name="resource_reachable",
                violation_error_message=(
                    "Give at least one way to reach this resource: a phone or text number, an "
                    "e-mail address, a website or an address."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("resources:detail", kwargs={"resource_id": self.pk})

    @property
    def is_active(self) -> bool:
        return self.retired_at is None

    @property
    def phone_href(self) -> str:
        return dial_href(self.phone, "tel")

    @property
    def text_href(self) -> str:
        href = dial_href(self.text_number, "sms")
        # "?&body=" is the form both iOS and Android fill in.
        return f"{href}?&body={quote(self.text_keyword)}" if href and self.text_keyword else href

    @property
    def hours_display(self) -> str:
        if self.hours:
            return self.hours
        return "24/7" if self.available_24_7 else ""


# What the coordinator edits (the form and the services use the same list).
EDITABLE_FIELDS = (
    "name",
    "category",
    "description",
    "phone",
    "phone_then",
    "text_number",
    "text_keyword",
    "email",
    "website",
    "address",
    "hours",
    "available_24_7",
    "cost",
    "cost_note",
    "is_internal",
)
