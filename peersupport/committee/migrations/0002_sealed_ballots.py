"""Sealed ballots (committee/ballotbox.py): the election keeps the public key its ballots are
sealed to, and a ballot holds sealed bytes instead of the candidate ids in plain.

The plaintext ballots of an existing database cannot be sealed (nobody would hold the count
code), so they are deleted: published and voided elections keep their results (the votes per
candidate and the turnout are on the election and its candidates). An election still open has
no count code, so it is voided, with the reason saying why; the coordinator runs it again
(*Run it again*), and its voters vote again."""

from django.db import migrations, models
from django.utils import timezone

UPGRADE_REASON = (
    "Voided by the upgrade to sealed ballots: an election opened before it has no count code. "
    "Run it again."
)


def _drop_plaintext_ballots(apps, schema_editor):
    Election = apps.get_model("committee", "Election")  # noqa: N806
    Ballot = apps.get_model("committee", "Ballot")  # noqa: N806
    Ballot.objects.all().delete()
    Election.objects.filter(status="open").update(
        status="voided", voided_at=timezone.now(), void_reason=UPGRADE_REASON
    )


class Migration(migrations.Migration):
    dependencies = [("committee", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="election",
            name="ballot_key",
            field=models.BinaryField(blank=True, editable=False, max_length=32, null=True),
        ),
        migrations.RunPython(_drop_plaintext_ballots, migrations.RunPython.noop),
        migrations.RemoveField(model_name="ballot", name="choices"),
        migrations.AddField(
            model_name="ballot",
            name="sealed",
            field=models.BinaryField(default=b"", editable=False),
            preserve_default=False,
        ),
    ]
