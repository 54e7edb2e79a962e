"""The exception categories of PROGRAM.md rule 4 and an approved version 1 of both policy
documents, in force from the day of the migration (see peersupport/governance/defaults.py)."""

from django.db import migrations
from django.utils import timezone


def install(apps, schema_editor):
    from peersupport.governance.defaults import install_defaults

    install_defaults(
        ExceptionCategory=apps.get_model("governance", "ExceptionCategory"),
        PolicyDocument=apps.get_model("governance", "PolicyDocument"),
        PolicyVersion=apps.get_model("governance", "PolicyVersion"),
        today=timezone.localdate(),
    )


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
