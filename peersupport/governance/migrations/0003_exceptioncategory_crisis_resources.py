"""Exception categories say whether raising them shows the crisis resources; "danger to self"
does."""

from django.db import migrations, models

# Frozen here (not read from governance.defaults, which may change): a migration means the same
# thing for ever.
CRISIS_CATEGORIES = frozenset({"danger-to-self"})


def flag_crisis(apps, schema_editor):
    ExceptionCategory = apps.get_model("governance", "ExceptionCategory")  # noqa: N806
    ExceptionCategory.objects.filter(code__in=CRISIS_CATEGORIES).update(crisis_resources=True)


class Migration(migrations.Migration):
    dependencies = [("governance", "0002_defaults")]

    operations = [
        migrations.AddField(
            model_name="exceptioncategory",
            name="crisis_resources",
            field=models.BooleanField(
                default=False, verbose_name="show crisis resources when raised"
            ),
        ),
        migrations.RunPython(flag_crisis, migrations.RunPython.noop),
    ]
