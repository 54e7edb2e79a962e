from django.conf import settings
from django.db import models
from django.utils import timezone

from peersupport.tenancy import AgencyManager, AgencyOwnedMixin


def _agency_field():
    # An agency's program data (docs/design/agencies.md §1.1): never deleted from under its
    # rows, and never changed (``AgencyOwnedMixin``).
    return models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")


class ExceptionCategory(AgencyOwnedMixin, models.Model):
    """One limit of confidentiality (PROGRAM.md rule 4). Data, not code: a department adds what
    its state's law requires. A notice version keeps its own snapshot of the categories shown,
    so editing one here never rewrites a notice already approved. Each agency has its own
    (seeded from ``defaults`` when it is made); a code is unique within the agency."""

    agency = _agency_field()
    code = models.SlugField(max_length=64)
    name = models.CharField(max_length=120)
    explanation = models.TextField(blank=True)
    action = models.CharField("action it triggers", max_length=200)
    # Raising an escalation in this category shows the supporter the crisis lines of the
    # resource directory on the spot ("danger to self").
    crisis_resources = models.BooleanField("show crisis resources when raised", default=False)
    active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    # The current agency's categories; ``everywhere`` only for the listed crossings (§2.3).
    objects = AgencyManager()
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "exception categories"
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "code"], name="exceptioncategory_code_unique_in_agency"
            ),
        ]

    def __str__(self):
        return self.name


class PolicyDocument(AgencyOwnedMixin, models.Model):
    """One of an agency's two policy documents (one of each kind per agency)."""

    class Kind(models.TextChoices):
        PROGRAM_POLICY = "program_policy", "Program policy"
        CONFIDENTIALITY_NOTICE = "confidentiality_notice", "Confidentiality notice"

    agency = _agency_field()
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=200)

    objects = AgencyManager()
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "kind"], name="policydocument_kind_unique_in_agency"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_notice(self) -> bool:
        return self.kind == self.Kind.CONFIDENTIALITY_NOTICE


class PolicyVersion(models.Model):
    """One version of a policy document. It moves draft → submitted → approved, or back to
    returned (editable, then submitted again); rules.TRANSITIONS is the only table of moves.
    An approved version is current from its effective date (selectors.current_version)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted for approval"
        APPROVED = "approved", "Approved"
        RETURNED = "returned", "Returned with comments"

    document = models.ForeignKey(PolicyDocument, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    # The version string every request and contact records (for a notice), e.g. "notice-v2".
    # Stored, not computed: the installed version 1 of the notice keeps the string of the
    # built-in notice it repeats ("program-default-1"), so records made before stay consistent.
    label = models.CharField(max_length=64, editable=False)
    body = models.TextField(blank=True)
    # Confidentiality notice only: the text before and after the list of exceptions, and the
    # exceptions shown, as [{"code", "name", "explanation"}] copied when drafted or edited.
    intro = models.TextField(blank=True)
    closing = models.TextField(blank=True)
    exceptions = models.JSONField(default=list, blank=True)
    # Confidentiality notice only: the department's peer support privilege profile as this
    # version states it (rules.PrivilegeProfile.to_json()); {} states none, as before profiles.
    privilege = models.JSONField(default=dict, blank=True)
    effective_date = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    drafted_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    chief_comment = models.TextField(blank=True)
    # Program policy only: when the supporters were told it waits for their acknowledgement
    # (once, when it is in force), and the day they were last reminded (once a day at most).
    supporters_told_at = models.DateTimeField(null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True)

    # Its document's agency: labels ("notice-v3") repeat across agencies, the agency and the
    # label together do not.
    objects = AgencyManager(path="document__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="policyversion_number_unique"
            ),
        ]

    def __str__(self):
        return f"{self.document} version {self.number}"

    @staticmethod
    def label_for(document: PolicyDocument, number: int) -> str:
        prefix = "notice" if document.is_notice else "policy"
        return f"{prefix}-v{number}"

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)

    def exception_lines(self) -> tuple[str, ...]:
        return tuple(
            f"{item['name']}: {item['explanation']}"
            if item.get("explanation")
            else f"{item['name']}."
            for item in self.exceptions
        )


class PolicyAcknowledgement(models.Model):
    version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="policy_acknowledgements"
    )
    at = models.DateTimeField(default=timezone.now)

    # The agency of the policy acknowledged (a lent supporter acknowledges the served agency's).
    objects = AgencyManager(path="version__document__agency")
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "user"], name="policyacknowledgement_once_per_version"
            ),
        ]

    def __str__(self):
        return f"{self.user} acknowledged {self.version}"
