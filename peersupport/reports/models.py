from django.conf import settings
from django.db import models
from django.utils import timezone


class Publication(models.Model):
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
                fields=["population", "period"], name="reports_publication_once"
            )
        ]

    def __str__(self):
        return f"{self.population} {self.period} published {self.published_at:%Y-%m-%d}"


class PeriodClosure(models.Model):
    """The coordinator closed every reporting month up to ``through`` (a month key, "2026-01").

    A month is closed when a closure reaches it or when ``REPORTS_PERIOD_GRACE_DAYS`` have
    passed since it ended (periods.closed_through); closed months form an unbroken run from
    the first, so closing one closes every earlier month still open. Once closed, a month is
    published the next time the reports are built and never changes (publishing.py)."""

    through = models.CharField(max_length=7, unique=True)
    closed_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )

    def __str__(self):
        return f"closed through {self.through}"
