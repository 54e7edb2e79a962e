"""The default follow-up plan for every event type, as it was when this migration was written
(a frozen copy: peersupport/outreach/defaults.py seeds each new agency with today's, and this
runs before plan steps had an agency; 0006_agency gives these rows the default agency)."""

from django.db import migrations

DEFAULT_PLAN = (
    ("Within 24 hours", 24),
    ("One week", 7 * 24),
    ("One month", 30 * 24),
    ("Three months", 91 * 24),
    ("The anniversary", 365 * 24),
)
EVENT_TYPES = ("ld_injury", "ld_illness", "family", "critical_incident", "ld_death")


def install(apps, schema_editor):
    PlanStep = apps.get_model("outreach", "PlanStep")
    for event_type in EVENT_TYPES:
        if PlanStep.objects.filter(event_type=event_type).exists():
            continue
        PlanStep.objects.bulk_create(
            PlanStep(event_type=event_type, label=label, offset_hours=hours)
            for label, hours in DEFAULT_PLAN
        )


class Migration(migrations.Migration):
    dependencies = [("outreach", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
