"""Issue 23, step 3a: each agency has its own exception categories and policy documents (their
versions and acknowledgements follow the document's agency). Existing rows get the default
agency (accounts 0010)."""

import django.db.models.deletion
from django.db import migrations, models


def fill_with_default_agency(apps, schema_editor):
    db = schema_editor.connection.alias
    Agency = apps.get_model("accounts", "Agency")
    default = None
    for name in ("ExceptionCategory", "PolicyDocument"):
        rows = apps.get_model("governance", name).objects.using(db)
        if not rows.exists():
            continue
        if default is None:
            default = (
                Agency.objects.using(db)
                .filter(is_default=True)
                .values_list("pk", flat=True)
                .first()
            )
            if default is None:
                raise RuntimeError("no default agency to give the existing rows (accounts 0010)")
        rows.filter(agency__isnull=True).update(agency_id=default)


def _agency():
    return models.ForeignKey(
        blank=True,
        null=True,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="accounts.agency",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0008_notice_privilege"),
        ("accounts", "0012_kernel_agency_required"),
    ]

    operations = [
        migrations.AddField(model_name="exceptioncategory", name="agency", field=_agency()),
        migrations.AddField(model_name="policydocument", name="agency", field=_agency()),
        migrations.RunPython(fill_with_default_agency, migrations.RunPython.noop, elidable=False),
    ]
