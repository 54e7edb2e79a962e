"""Issue 23, step 3a: every supporter profile belongs to a home agency. Apart from 0006_agency
because PostgreSQL does not alter a table in the transaction that has just updated its rows'
foreign keys."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("roster", "0006_agency"),
    ]

    operations = [
        migrations.AlterField(
            model_name="supporterprofile",
            name="agency",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="accounts.agency"
            ),
        ),
    ]
