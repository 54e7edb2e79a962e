"""Issue 23, step 3b, second half: a course and a compliance record always have an agency;
course titles are unique within an agency, and a person has one record a year in each. Apart
from 0006 because PostgreSQL does not alter a table in the transaction that has just updated its
rows' foreign keys."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _agency():
    return models.ForeignKey(
        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="accounts.agency"
    )


class Migration(migrations.Migration):

    dependencies = [
        ("training", "0006_agency"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(model_name="course", name="agency", field=_agency()),
        migrations.AlterField(model_name="compliancerecord", name="agency", field=_agency()),
        migrations.AlterField(
            model_name="course", name="title", field=models.CharField(max_length=200)
        ),
        migrations.AddConstraint(
            model_name="course",
            constraint=models.UniqueConstraint(
                fields=("agency", "title"),
                name="course_title_unique_in_agency",
                violation_error_message="Another course already has this title.",
            ),
        ),
        migrations.AddConstraint(
            model_name="compliancerecord",
            constraint=models.UniqueConstraint(
                fields=("agency", "user", "year"), name="compliancerecord_unique_in_agency"
            ),
        ),
    ]
