"""Issue 23, step 3a: every resource belongs to an agency, and an active entry's name is unique
within its agency's directory. Apart from 0003_agency because PostgreSQL does not alter a table
in the transaction that has just updated its rows' foreign keys."""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models

_DUPLICATE = (
    "The directory already lists a resource with this name. Edit that entry instead, or give "
    "this one a name people can tell apart."
)


class Migration(migrations.Migration):
    dependencies = [
        ("resources", "0003_agency"),
    ]

    operations = [
        migrations.AlterField(
            model_name="resource",
            name="agency",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="accounts.agency"
            ),
        ),
        migrations.RemoveConstraint(model_name="resource", name="resource_active_name_unique"),
        migrations.AddConstraint(
            model_name="resource",
            constraint=models.UniqueConstraint(
                models.F("agency"),
                django.db.models.functions.text.Lower("name"),
                condition=models.Q(("retired_at__isnull", True)),
                name="resource_active_name_unique",
                violation_error_message=_DUPLICATE,
            ),
        ),
    ]
