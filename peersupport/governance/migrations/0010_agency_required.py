"""Issue 23, step 3a: every exception category and policy document belongs to an agency; a
category's code and a document's kind are unique within their agency. Apart from 0009_agency
because PostgreSQL does not alter a table in the transaction that has just updated its rows'
foreign keys."""

import django.db.models.deletion
from django.db import migrations, models


def _agency():
    return models.ForeignKey(
        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="accounts.agency"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0009_agency"),
    ]

    operations = [
        migrations.AlterField(model_name="exceptioncategory", name="agency", field=_agency()),
        migrations.AlterField(model_name="policydocument", name="agency", field=_agency()),
        migrations.AlterField(
            model_name="exceptioncategory",
            name="code",
            field=models.SlugField(max_length=64),
        ),
        migrations.AlterField(
            model_name="policydocument",
            name="kind",
            field=models.CharField(
                choices=[
                    ("program_policy", "Program policy"),
                    ("confidentiality_notice", "Confidentiality notice"),
                ],
                max_length=32,
            ),
        ),
        migrations.AddConstraint(
            model_name="exceptioncategory",
            constraint=models.UniqueConstraint(
                fields=("agency", "code"), name="exceptioncategory_code_unique_in_agency"
            ),
        ),
        migrations.AddConstraint(
            model_name="policydocument",
            constraint=models.UniqueConstraint(
                fields=("agency", "kind"), name="policydocument_kind_unique_in_agency"
            ),
        ),
    ]
