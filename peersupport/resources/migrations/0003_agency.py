"""Issue 23, step 3a: each agency keeps its own resource directory. Existing entries get the
default agency (accounts 0010)."""

import django.db.models.deletion
from django.db import migrations, models


def fill_with_default_agency(apps, schema_editor):
    db = schema_editor.connection.alias
    rows = apps.get_model("resources", "Resource").objects.using(db)
    if not rows.exists():
        return
    Agency = apps.get_model("accounts", "Agency")
    default = Agency.objects.using(db).filter(is_default=True).values_list("pk", flat=True).first()
    if default is None:
        raise RuntimeError("no default agency to give the existing rows (accounts 0010)")
    rows.filter(agency__isnull=True).update(agency_id=default)


class Migration(migrations.Migration):
    dependencies = [
        ("resources", "0002_resource_phone_then"),
        ("accounts", "0012_kernel_agency_required"),
    ]

    operations = [
        migrations.AddField(
            model_name="resource",
            name="agency",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.agency",
            ),
        ),
        migrations.RunPython(fill_with_default_agency, migrations.RunPython.noop, elidable=False),
    ]
