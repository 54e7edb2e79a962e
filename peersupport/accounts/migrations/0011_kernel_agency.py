"""Issue 23, step 2: units, employee records, role grants and grant requests belong to an agency.
Every existing row is filled with the default agency (agency 1 of 0010): nothing is lost and
nothing is re-encrypted (RowBound binds a value to its row, not to its agency). Employee numbers
and open grants become unique within an agency."""

import django.db.models.deletion
from django.db import migrations, models

OWNED = ("unit", "employee", "rolegrant", "rolegrantrequest")


def fill_with_default_agency(apps, schema_editor):
    db = schema_editor.connection.alias
    Agency = apps.get_model("accounts", "Agency")
    default = Agency.objects.using(db).filter(is_default=True).values_list("pk", flat=True).first()
    if default is None:
        if not any(apps.get_model("accounts", name).objects.using(db).exists() for name in OWNED):
            return  # a new, empty install: nothing to fill
        raise RuntimeError("no default agency to give the existing rows (accounts 0010)")
    for name in OWNED:
        apps.get_model("accounts", name).objects.using(db).filter(agency__isnull=True).update(
            agency_id=default
        )


def _agency(null=True):
    return models.ForeignKey(
        blank=null,
        null=null,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="accounts.agency",
    )





class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0010_agency"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="rolegrant", name="rolegrant_one_open_grant_per_role"),
        migrations.RemoveConstraint(
            model_name="rolegrantrequest", name="rolegrantrequest_one_pending_per_role"
        ),
        *(migrations.AddField(model_name=name, name="agency", field=_agency()) for name in OWNED),
        migrations.RunPython(fill_with_default_agency, migrations.RunPython.noop, elidable=False),
    ]
