"""Issue 23, step 3b: courses and compliance records belong to an agency (sessions, days,
enrolments, attendance and course feeds follow their course's). Every existing row gets the
default agency (accounts 0010); nothing is lost."""

import django.db.models.deletion
from django.db import migrations, models

OWNED = ("course", "compliancerecord")


def fill_with_default_agency(apps, schema_editor):
    db = schema_editor.connection.alias
    if not any(apps.get_model("training", name).objects.using(db).exists() for name in OWNED):
        return  # a new, empty install: nothing to fill
    Agency = apps.get_model("accounts", "Agency")
    default = Agency.objects.using(db).filter(is_default=True).values_list("pk", flat=True).first()
    if default is None:
        raise RuntimeError("no default agency to give the existing rows (accounts 0010)")
    for name in OWNED:
        apps.get_model("training", name).objects.using(db).filter(agency__isnull=True).update(
            agency_id=default
        )


class Migration(migrations.Migration):

    dependencies = [
        ("training", "0005_compliance_stored"),
        ("accounts", "0012_kernel_agency_required"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="compliancerecord", name="compliancerecord_unique"),
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
