from django.conf import settings
from django.db import models
from django.utils import timezone

from peersupport.tenancy import AgencyManager, AgencyOwnedMixin


class _PerAgency(AgencyOwnedMixin, models.Model):
    """Each agency's reports are its own (issue 23): its figures, publications, closures and
    rendered outputs are rows of that agency, read through its scoped manager."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")

    objects = AgencyManager()
    everywhere = models.Manager()  # noqa: DJ012 (objects first: the default manager)

    class Meta:
        abstract = True


class Publication(_PerAgency):
    """What the reports showed of one period for one population (contacts, requests... or a
    supporters' snapshot table) the first time they showed it, kept for ever so that later
    reports show exactly the same (reports/publishing.py says why).

    Aggregates only: counts per category and month, and which of the period's cells were shown
    with which value. Nothing about a person, and no protected field, is ever stored here.
    """

    population = models.CharField(max_length=32)
    period = models.CharField(max_length=7)  # "2026", "2026-Q1" or "2026-03"
    published_at = models.DateTimeField(default=timezone.now)
    # For a month: the counts the reports computed it from, so that records entered later
    # with a date in it change nothing ({"counts": {table: {row: n}}, "labels": {table:
    # {row: label}}, "minutes": n}). Empty for quarters and years (the sums of their months).
    inputs = models.JSONField(default=dict, blank=True)
    # The period's cells as published ({"tables": {table: {row: value, or None if hidden}},
    # "median": value or None}).
    cells = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "population", "period"], name="reports_publication_once"
            )
        ]

    def __str__(self):
        return f"{self.population} {self.period} published {self.published_at:%Y-%m-%d}"


class PeriodClosure(_PerAgency):
    """The coordinator closed every reporting month up to ``through`` (a month key, "2026-01").

    A month is closed when a closure reaches it or when ``REPORTS_PERIOD_GRACE_DAYS`` have
    passed since it ended (periods.closed_through); closed months form an unbroken run from
    the first, so closing one closes every earlier month still open. Once closed, a month is
    published the next time the reports are built and never changes (publishing.py)."""

    through = models.CharField(max_length=7)
    closed_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "through"], name="reports_closure_once")
        ]

    def __str__(self):
        return f"closed through {self.through}"


class Build(_PerAgency):
    """An agency's reports' figures as the worker last built them: one row per agency, never
    more.

    No request builds the figures (building them reads every open period's records: seconds at
    a large department); readers take this row's cube, with the time it was built, and the
    worker builds it again after writes (builds.py). ``cube`` is the pickled ``selectors.Cube``,
    aggregates only (what Django's database cache would hold, but under one key that a new
    build replaces instead of a dead row per version), sealed so that a cube this application
    did not write is never loaded (crypto/sealing.py). ``claimed_at`` is the lease of the one
    builder at work."""

    number = models.PositiveBigIntegerField(default=0)  # 0: never built
    # Unique to each build (numbers start again in a restored or test database): what a
    # process keeps its unpickled copy under.
    token = models.CharField(max_length=32, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)
    # What the build saw: the audit head's data version, the day, the threshold and grace.
    data_version = models.BigIntegerField(default=0)
    day = models.DateField(null=True, blank=True)
    threshold = models.PositiveIntegerField(default=0)
    grace_days = models.PositiveIntegerField(default=0)
    cube = models.BinaryField(default=b"")
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency"], name="reports_build_one")]

    def __str__(self):
        return f"reports build {self.number} at {self.built_at}"


class Rendered(_PerAgency):
    """A page fragment, a CSV or a PDF rendered from build ``build`` for one period and
    audience, so that the same output is never rendered twice from the same figures. Rows of
    earlier builds are deleted when a new build lands."""

    build = models.PositiveBigIntegerField()  # Build.number
    key = models.CharField(max_length=120)  # "pdf:committee:2025-Q4", "csv:staff:2025:topic"
    content = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "build", "key"], name="reports_rendered_once")
        ]

    def __str__(self):
        return f"{self.key} of build {self.build}"


class SealedCounts(_PerAgency):
    """The counts a build reads from an append-only population (contacts: a million rows at a
    large department), for every row up to ``sealed_id``, so that a build reads only the rows
    added since (reports/sealed.py). Aggregates only, as ``Build.cube``: counts per month and
    category, and per month and supporter id (the contacts table holds the same).

    ``candidate_id`` is the newest id when ``candidate_at`` was taken; the rows up to it are
    added to the counts once ``SEAL_AFTER`` has passed, when every transaction that could
    still commit a lower id has ended."""

    population = models.CharField(max_length=32)
    layout = models.PositiveIntegerField(default=0)  # of ``counts``: another is read again
    sealed_id = models.BigIntegerField(default=0)
    counts = models.BinaryField(default=b"")
    candidate_id = models.BigIntegerField(null=True, blank=True)
    candidate_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "population"], name="reports_sealed_once")
        ]

    def __str__(self):
        return f"{self.population} counted through id {self.sealed_id}"
