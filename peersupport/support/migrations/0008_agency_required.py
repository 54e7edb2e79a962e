"""Issue 23, step 3b, second half: every request, contact, follow-up and debrief request has an
agency. Apart from 0007 because PostgreSQL does not alter a table in the transaction that has
just updated its rows' foreign keys."""

import django.db.models.deletion
from django.db import migrations, models


def _agency():
    return models.ForeignKey(
        db_index=False,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="accounts.agency",
    )


class Migration(migrations.Migration):

    dependencies = [
        ("support", "0007_agency"),
    ]

    operations = [
        migrations.AlterField(model_name=name, name="agency", field=_agency())
        for name in ("supportrequest", "contact", "followup", "debriefrequest")
    ]
