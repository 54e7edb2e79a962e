"""Issue 23, step 3c: each agency has its own outreaches and follow-up plans; a plan's steps are
unique within its agency. Every existing row gets the default agency (accounts 0010): nothing is
lost and nothing is re-encrypted (RowBound binds a value to its row, not its agency)."""

import django.db.models.deletion
from django.db import migrations, models

OWNED = ("planstep", "outreach")


def fill_with_default_agency(apps, schema_editor):
    db = schema_editor.connection.alias
    rows = [apps.get_model("outreach", name).objects.using(db) for name in OWNED]
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
        ("outreach", "0005_responders"),
        ("accounts", "0012_kernel_agency_required"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="planstep", name="planstep_one_per_offset"),
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
