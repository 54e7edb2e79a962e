"""When supporters were told of a program policy to acknowledge, and last reminded.

Versions already approved are marked told: their supporters have had them (or the version 1
the install put in place before anyone served), so deploying this sends no late alerts.
"""

from django.db import migrations, models
from django.utils import timezone


def mark_approved_told(apps, schema_editor):
    PolicyVersion = apps.get_model("governance", "PolicyVersion")
    PolicyVersion.objects.filter(status="approved").update(supporters_told_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("governance", "0006_committee_moved_out")]

    operations = [
        migrations.AddField(
            model_name="policyversion",
            name="reminded_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="policyversion",
            name="supporters_told_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(mark_approved_told, migrations.RunPython.noop),
    ]
