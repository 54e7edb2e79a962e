"""Issue 23, step 3a: a supporter's profile belongs to their home agency (their areas and
on-call shifts follow it). Existing profiles get the default agency (accounts 0010)."""

import django.db.models.deletion
from django.db import migrations, models


def fill_with_default_agency(apps, schema_editor):
    db = schema_editor.connection.alias
    rows = apps.get_model("roster", "SupporterProfile").objects.using(db)
    if not rows.exists():
        return
    Agency = apps.get_model("accounts", "Agency")
    default = Agency.objects.using(db).filter(is_default=True).values_list("pk", flat=True).first()
    if default is None:
        raise RuntimeError("no default agency to give the existing rows (accounts 0010)")
    rows.filter(agency__isnull=True).update(agency_id=default)


class Migration(migrations.Migration):

    dependencies = [
        ("roster", "0005_rowbound_ciphertext"),
        ("accounts", "0012_kernel_agency_required"),
    ]

    operations = [
        migrations.AddField(
            model_name="supporterprofile",
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
