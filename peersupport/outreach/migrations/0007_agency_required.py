"""Issue 23, step 3c: every outreach and plan step belongs to an agency. Apart from 0006_agency
because PostgreSQL does not alter a table in the transaction that has just updated its rows'
foreign keys."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0006_agency"),
    ]

    operations = [
        *(
            migrations.AlterField(
                model_name=name,
                name="agency",
                field=models.ForeignKey(
                    on_delete=django.db.models.deletion.PROTECT,
                    related_name="+",
                    to="accounts.agency",
                ),
            )
            for name in ("planstep", "outreach")
        ),
        migrations.AddConstraint(
            model_name="planstep",
            constraint=models.UniqueConstraint(
                fields=("agency", "event_type", "offset_hours"), name="planstep_one_per_offset"
            ),
        ),
    ]
