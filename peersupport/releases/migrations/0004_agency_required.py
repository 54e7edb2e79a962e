"""Issue 23, step 3c: every release belongs to an agency. Apart from 0003_agency because PostgreSQL
does not alter a table in the transaction that has just updated its rows' foreign keys."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("releases", "0003_agency"),
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
            for name in ("release",)
        ),
    ]
