"""Issue 23, step 2: every webhook endpoint belongs to an agency. Apart from 0008_agency because PostgreSQL
does not alter a table in the transaction that has just updated its rows' foreign keys."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0008_agency"),
    ]

    operations = [
        migrations.AlterField(
            model_name="webhookendpoint",
            name="agency",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="accounts.agency"
            ),
        ),
    ]
