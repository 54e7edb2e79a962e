"""The default follow-up plan of every event type (PROGRAM.md: within 24 hours, one week, one
month, three months, the anniversary), installed by migration and again by tests after a flush.
Takes the model class so the data migration can pass its historical one."""

DEFAULT_PLAN = (
    ("Within 24 hours", 24),
    ("One week", 7 * 24),
    ("One month", 30 * 24),
    ("Three months", 91 * 24),
    ("The anniversary", 365 * 24),
)
EVENT_TYPES = ("ld_injury", "ld_illness", "family", "critical_incident", "ld_death")


def install_defaults(*, PlanStep) -> None:  # noqa: N803
    """Create the default steps of any event type that has none; never touch what exists."""
    for event_type in EVENT_TYPES:
        if PlanStep.objects.filter(event_type=event_type).exists():
            continue
        PlanStep.objects.bulk_create(
            PlanStep(event_type=event_type, label=label, offset_hours=hours)
            for label, hours in DEFAULT_PLAN
        )
