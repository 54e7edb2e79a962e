"""Issue 23, step 3c: every seat and election belongs to an agency, and a seat's name is unique
within its agency (two agencies may both have "Fraternal Order of Police"). Apart from
0004_agency because PostgreSQL does not alter a table in the transaction that has just updated
its rows' foreign keys."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("committee", "0004_agency"),
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
            for name in ("committeeseat", "election")
        ),
        migrations.AlterField(
            model_name="committeeseat",
            name="name",
            field=models.CharField(max_length=120),
        ),
        migrations.AddConstraint(
            model_name="committeeseat",
            constraint=models.UniqueConstraint(
                fields=("agency", "name"),
                name="committeeseat_name_unique_in_agency",
                violation_error_message="There is already a seat with this name.",
            ),
        ),
    ]
