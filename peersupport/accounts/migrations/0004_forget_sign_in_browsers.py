"""Forget what axes kept about browsers before it stopped keeping it: the access logs of sign-ins
(with address and user agent) go, and lock counts keep only the account, time and count."""

from django.db import migrations


def forget(apps, schema_editor):
    apps.get_model("axes", "AccessLog").objects.all().delete()
    apps.get_model("axes", "AccessFailureLog").objects.all().delete()
    AccessAttempt = apps.get_model("axes", "AccessAttempt")
    # Rows of one account from several browsers become one, with their failures added up.
    for username in set(AccessAttempt.objects.values_list("username", flat=True)):
        rows = list(AccessAttempt.objects.filter(username=username).order_by("-attempt_time"))
        keep, rest = rows[0], rows[1:]
        keep.failures_since_start = sum(r.failures_since_start for r in rows)
        AccessAttempt.objects.filter(pk__in=[r.pk for r in rest]).delete()
        keep.ip_address = None
        keep.user_agent = keep.http_accept = keep.get_data = keep.post_data = ""
        keep.save()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_user_session_epoch"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(forget, migrations.RunPython.noop)]
