"""The advisory committee moves here from governance: the same tables, not a row copied.

The models left governance's state in governance/migrations/0006_committee_moved_out.py and
come into this app's state here; both are state only (SeparateDatabaseAndState with no database
operations), because the tables keep their names (``Meta.db_table = "governance_<model>"``) and
nothing in the database changes. On a fresh database governance/migrations/0004_committee.py
creates the tables and 0005 installs the default seats; on an existing one they are already
there. Either way this migration then only tells Django whose models they are.

The content types of the six models, if any (an existing database), are renamed from the
governance app to this one, so that what points to them (permissions, the admin's log) follows.
"""

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


MODELS = ("committeeseat", "membership", "election", "candidate", "voter", "ballot")


def _relabel(apps, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(
        ContentType.objects.filter(app_label=new, model__in=MODELS).values_list("model", flat=True)
    )
    ContentType.objects.filter(app_label=old, model__in=set(MODELS) - taken).update(app_label=new)


def move_content_types(apps, schema_editor):
    _relabel(apps, "governance", "committee")


def move_content_types_back(apps, schema_editor):
    _relabel(apps, "committee", "governance")


# The models as governance/migrations/0004_committee.py made them, now this app's.
STATE = [
    migrations.CreateModel(
        name='CommitteeSeat',
        fields=[
            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ('kind', models.CharField(choices=[('elected', 'Elected by the peer supporters'), ('appointed', 'Appointed by an organisation'), ('ex_officio', 'Ex officio')], max_length=16)),
            ('name', models.CharField(max_length=120, unique=True)),
            ('appointed_by', models.CharField(blank=True, max_length=200, verbose_name='organisation or office')),
            ('term_months', models.PositiveSmallIntegerField(default=24)),
            ('order', models.PositiveSmallIntegerField(default=0)),
            ('active', models.BooleanField(default=True)),
        ],
        options={
            'db_table': 'governance_committeeseat',
            'ordering': ['order', 'pk'],
            'constraints': [models.CheckConstraint(condition=models.Q(('term_months__gte', 1)), name='committeeseat_term_positive'), models.CheckConstraint(condition=models.Q(models.Q(('appointed_by', ''), ('kind', 'elected')), models.Q(models.Q(('kind', 'elected'), _negated=True), models.Q(('appointed_by', ''), _negated=True)), _connector='OR'), name='committeeseat_appointer_matches_kind')],
        },
    ),
    migrations.CreateModel(
        name='Election',
        fields=[
            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ('seats', models.PositiveSmallIntegerField(verbose_name='seats to fill')),
            ('method', models.CharField(choices=[('plurality', 'Plurality: one vote for each seat to fill')], default='plurality', max_length=16)),
            ('tie_rule', models.CharField(choices=[('lots', 'A drawing of lots, recorded with the result'), ('vacant', 'Tied seats stay vacant for another election')], default='lots', max_length=16)),
            ('nominations_open_at', models.DateTimeField()),
            ('nominations_close_at', models.DateTimeField()),
            ('voting_open_at', models.DateTimeField()),
            ('voting_close_at', models.DateTimeField()),
            ('status', models.CharField(choices=[('open', 'Open'), ('published', 'Results published'), ('voided', 'Voided')], default='open', max_length=16)),
            ('opened_at', models.DateTimeField(default=django.utils.timezone.now)),
            ('tallied_at', models.DateTimeField(blank=True, null=True)),
            ('ballots_cast', models.PositiveIntegerField(blank=True, null=True)),
            ('electorate', models.PositiveIntegerField(blank=True, null=True)),
            ('tie_draw', models.JSONField(blank=True, default=dict)),
            ('voided_at', models.DateTimeField(blank=True, null=True)),
            ('void_reason', models.CharField(blank=True, max_length=500)),
            ('opened_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('rerun_of', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rerun', to='committee.election')),
            ('voided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
        ],
        options={
            'db_table': 'governance_election',
            'ordering': ['-voting_close_at', '-pk'],
        },
    ),
    migrations.CreateModel(
        name='Candidate',
        fields=[
            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ('status', models.CharField(choices=[('nominated', 'Nominated, yet to accept'), ('standing', 'Standing'), ('declined', 'Declined')], max_length=16)),
            ('statement', models.CharField(blank=True, max_length=600)),
            ('answered_at', models.DateTimeField(blank=True, null=True)),
            ('votes', models.PositiveIntegerField(blank=True, null=True)),
            ('elected', models.BooleanField(default=False)),
            ('nominated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='committee_candidacies', to=settings.AUTH_USER_MODEL)),
            ('election', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='candidates', to='committee.election')),
        ],
        options={
            'db_table': 'governance_candidate',
            'ordering': ['election', 'pk'],
        },
    ),
    migrations.CreateModel(
        name='Ballot',
        fields=[
            ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
            ('choices', models.JSONField(default=list)),
            ('election', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='ballots', to='committee.election')),
        ],
        options={
            'db_table': 'governance_ballot',
        },
    ),
    migrations.CreateModel(
        name='Membership',
        fields=[
            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ('term_start', models.DateField()),
            ('term_end', models.DateField(blank=True, null=True)),
            ('ended_on', models.DateField(blank=True, null=True)),
            ('end_reason', models.CharField(blank=True, choices=[('resigned', 'Resigned'), ('removed', 'Removed'), ('voided', 'Election voided')], max_length=16)),
            ('end_note', models.CharField(blank=True, max_length=300)),
            ('recorded_at', models.DateTimeField(default=django.utils.timezone.now)),
            ('election', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='memberships', to='committee.election')),
            ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('role_grant', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.rolegrant')),
            ('seat', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='memberships', to='committee.committeeseat')),
            ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='committee_memberships', to=settings.AUTH_USER_MODEL)),
        ],
        options={
            'db_table': 'governance_membership',
            'ordering': ['seat', '-term_start', '-pk'],
        },
    ),
    migrations.CreateModel(
        name='Voter',
        fields=[
            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ('election', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='voters', to='committee.election')),
            ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
        ],
        options={
            'db_table': 'governance_voter',
        },
    ),
    migrations.AddConstraint(
        model_name='election',
        constraint=models.CheckConstraint(condition=models.Q(('seats__gte', 1)), name='election_seats_positive'),
    ),
    migrations.AddConstraint(
        model_name='election',
        constraint=models.CheckConstraint(condition=models.Q(('nominations_close_at__gt', models.F('nominations_open_at')), ('voting_open_at__gte', models.F('nominations_close_at')), ('voting_close_at__gt', models.F('voting_open_at'))), name='election_windows_in_order'),
    ),
    migrations.AddConstraint(
        model_name='election',
        constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'voided'), _negated=True), models.Q(('void_reason', ''), _negated=True), _connector='OR'), name='election_void_has_reason'),
    ),
    migrations.AddConstraint(
        model_name='candidate',
        constraint=models.UniqueConstraint(fields=('election', 'user'), name='candidate_once'),
    ),
    migrations.AddConstraint(
        model_name='membership',
        constraint=models.CheckConstraint(condition=models.Q(('term_end__isnull', True), ('term_end__gt', models.F('term_start')), _connector='OR'), name='membership_term_end_after_start'),
    ),
    migrations.AddConstraint(
        model_name='membership',
        constraint=models.CheckConstraint(condition=models.Q(models.Q(('end_reason', ''), ('ended_on__isnull', True)), models.Q(('ended_on__isnull', False), models.Q(('end_reason', ''), _negated=True)), _connector='OR'), name='membership_end_has_reason'),
    ),
    migrations.AddConstraint(
        model_name='voter',
        constraint=models.UniqueConstraint(fields=('election', 'user'), name='voter_once'),
    ),
]


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0003_user_session_epoch'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('governance', '0006_committee_moved_out'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=STATE, database_operations=[]),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
