"""Lock counts name their account by an opaque tag (accounts/axes.py ``lock_tag``), not by its
e-mail address: rows kept from before are re-keyed, so a lock in force stays in force."""

from django.db import migrations

from peersupport.accounts.axes import lock_tag


def rekey(apps, schema_editor):
    AccessAttempt = apps.get_model("axes", "AccessAttempt")
    for row in AccessAttempt.objects.exclude(username__startswith="lock-").exclude(username=""):
        row.username = lock_tag(row.username.strip().lower())
        row.save(update_fields=["username"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_role_grant_two_person")]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
