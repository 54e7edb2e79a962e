"""Issue 23, step 2: a webhook endpoint is told of one agency's events, and a notification remembers the agency it was queued for (a number, for its link: the outbox stays install-wide). Existing rows get the default agency (accounts 0010); existing notifications keep none."""

import django.db.models.deletion
from django.db import migrations, models


def fill_with_default_agency(apps, schema_editor):
    db = schema_editor.connection.alias
    rows = apps.get_model("notifications", "WebhookEndpoint").objects.using(db)
    if not rows.exists():
        return
    Agency = apps.get_model("accounts", "Agency")
    default = Agency.objects.using(db).filter(is_default=True).values_list("pk", flat=True).first()
    if default is None:
        raise RuntimeError("no default agency to give the existing rows (accounts 0010)")
    rows.filter(agency__isnull=True).update(agency_id=default)


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0007_webhooks"),
        ("accounts", "0012_kernel_agency_required"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookendpoint",
            name="agency",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.agency",
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="agency_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(fill_with_default_agency, migrations.RunPython.noop, elidable=False),
    ]
