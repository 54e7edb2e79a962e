"""Issue 23, step 3c: a release belongs to an agency (its own: its request is purged long before
it). Every existing row gets the default agency (accounts 0010): nothing is lost and nothing is re-
encrypted (RowBound binds a value to its row, not its agency)."""

import django.db.models.deletion
from django.db import migrations, models

OWNED = ("release",)


def fill_with_default_agency(apps, schema_editor):
    db = schema_editor.connection.alias
    rows = [apps.get_model("releases", name).objects.using(db) for name in OWNED]
    if not any(r.exists() for r in rows):
        return  # a new, empty install: nothing to fill
    Agency = apps.get_model("accounts", "Agency")
    default = Agency.objects.using(db).filter(is_default=True).values_list("pk", flat=True).first()
    if default is None:
        raise RuntimeError("no default agency to give the existing rows (accounts 0010)")
    for r in rows:
        r.filter(agency__isnull=True).update(agency_id=default)


class Migration(migrations.Migration):
    dependencies = [
        ("releases", "0002_rowbound_ciphertext"),
        ("accounts", "0012_kernel_agency_required"),
    ]

    operations = [
        *(
            migrations.AddField(
                model_name=name,
                name="agency",
                field=models.ForeignKey(
                    blank=True,
                    null=True,
                    on_delete=django.db.models.deletion.PROTECT,
                    related_name="+",
                    to="accounts.agency",
                ),
            )
            for name in OWNED
        ),
        migrations.RunPython(fill_with_default_agency, migrations.RunPython.noop, elidable=False),
    ]
