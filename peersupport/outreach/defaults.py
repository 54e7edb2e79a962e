"""The default follow-up plan of every event type (PROGRAM.md: within 24 hours, one week, one
month, three months, the anniversary). Seeded for each new agency when it is made (the
``accounts.agencies.agency_created`` receiver, connected in apps.py) and again by tests after a
flush; the default agency got it from migration 0002_default_plans, which keeps its own frozen
copy of this data."""

from peersupport.tenancy import current_agency_id

DEFAULT_PLAN = (
    ("Within 24 hours", 24),
    ("One week", 7 * 24),
    ("One month", 30 * 24),
    ("Three months", 91 * 24),
    ("The anniversary", 365 * 24),
)
EVENT_TYPES = ("ld_injury", "ld_illness", "family", "critical_incident", "ld_death")


def install_defaults(*, PlanStep=None) -> None:  # noqa: N803
    """Create, in the current agency, the default steps of any event type that has none there;
    never touch what exists. ``PlanStep`` is accepted for the callers that pass the model."""
    if PlanStep is None:
        from .models import PlanStep
    agency_id = current_agency_id()  # bulk_create does not fill it as save() would
    for event_type in EVENT_TYPES:
        if PlanStep.objects.filter(event_type=event_type).exists():
            continue
        PlanStep.objects.bulk_create(
            PlanStep(agency_id=agency_id, event_type=event_type, label=label, offset_hours=hours)
            for label, hours in DEFAULT_PLAN
        )


def seed_agency(sender, *, agency, **kwargs) -> None:
    """``accounts.agencies.agency_created``: the new agency's plans (sent inside it)."""
    install_defaults()
