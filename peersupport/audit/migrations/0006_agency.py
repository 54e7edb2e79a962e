"""Issue 23, step 2: the agency an event happened in, a number covered by the MAC when set. Added
empty: the rows before it keep none (they are the default agency's) and are never updated (the
triggers refuse it), so every MAC of the chain still verifies."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0005_maintenance_owner_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="agency_id",
            field=models.BigIntegerField(blank=True, db_index=True, null=True),
        ),
    ]
