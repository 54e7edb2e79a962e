"""The default follow-up plan for every event type (peersupport/outreach/defaults.py)."""

from django.db import migrations


def install(apps, schema_editor):
    from peersupport.outreach.defaults import install_defaults

    install_defaults(PlanStep=apps.get_model("outreach", "PlanStep"))


class Migration(migrations.Migration):
    dependencies = [("outreach", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
