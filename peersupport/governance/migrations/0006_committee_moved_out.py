"""The advisory committee's models leave governance for their own app, peersupport.committee.

State only: the tables stay as they are, under their names (``governance_<model>``), and
committee/migrations/0001_initial.py takes the same models into its state. Nothing in the
database changes, so a fresh database and an existing one migrate alike.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("governance", "0005_committee_seats")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                # What points to another model first, so no reference dangles in between.
                migrations.DeleteModel(name="Ballot"),
                migrations.DeleteModel(name="Voter"),
                migrations.DeleteModel(name="Candidate"),
                migrations.DeleteModel(name="Membership"),
                migrations.DeleteModel(name="Election"),
                migrations.DeleteModel(name="CommitteeSeat"),
            ],
            database_operations=[],
        )
    ]
