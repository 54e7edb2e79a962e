"""The default committee seats, from PROGRAM.md: three elected by the peer supporters and one
appointed by each of seven organisations.

Frozen here as they were when this migration was written: the committee has since moved to its
own app (peersupport/committee/defaults.py keeps the live copy, for the demo and the tests), and
a migration must not change with the code it once called.
"""

from django.conf import settings
from django.db import migrations

ELECTED_SEATS = 3
APPOINTING_ORGANISATIONS = (
    "Advocacy service",
    "Peer Support Program",
    "BHS manager",
    "Personnel / Human Resources",
    "National Black Police Association",
    "Fraternal Order of Police",
    "Police Civilian Association",
)


def install(apps, schema_editor):
    CommitteeSeat = apps.get_model("governance", "CommitteeSeat")  # noqa: N806
    if CommitteeSeat.objects.exists():
        return
    term_months = settings.COMMITTEE_TERM_MONTHS
    seats = [
        CommitteeSeat(
            kind="elected",
            name=f"Elected by the peer supporters ({n})",
            term_months=term_months,
            order=10 * n,
        )
        for n in range(1, ELECTED_SEATS + 1)
    ]
    seats += [
        CommitteeSeat(
            kind="appointed",
            name=organisation,
            appointed_by=organisation,
            term_months=term_months,
            order=10 * (ELECTED_SEATS + n),
        )
        for n, organisation in enumerate(APPOINTING_ORGANISATIONS, start=1)
    ]
    CommitteeSeat.objects.bulk_create(seats)


class Migration(migrations.Migration):
    dependencies = [("governance", "0004_committee")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
