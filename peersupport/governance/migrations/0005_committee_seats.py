"""The default committee seats (see peersupport/governance/defaults_committee.py)."""

from django.conf import settings
from django.db import migrations


def install(apps, schema_editor):
    from peersupport.governance.defaults_committee import install_seats

    install_seats(
        CommitteeSeat=apps.get_model("governance", "CommitteeSeat"),
        term_months=settings.COMMITTEE_TERM_MONTHS,
    )


class Migration(migrations.Migration):
    dependencies = [("governance", "0004_committee")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
