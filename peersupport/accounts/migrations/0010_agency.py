"""The agencies of the install (issue 23, step 1): the department this install has served so
far becomes agency 1, the default one, named by DEPARTMENT_NAME. Nothing points at it yet."""

import secrets

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.utils.text import slugify

import peersupport.accounts.models


def create_agency_1(apps, schema_editor):
    Agency = apps.get_model("accounts", "Agency")
    db = schema_editor.connection.alias
    if Agency.objects.using(db).filter(is_default=True).exists():
        return
    name = settings.DEPARTMENT_NAME
    Agency.objects.using(db).create(
        slug=slugify(name)[:50].strip("-") or "agency-1",
        name=name,
        time_zone=settings.TIME_ZONE,
        is_default=True,
        link_code=secrets.token_urlsafe(9),
    )


def delete_agency_1(apps, schema_editor):
    Agency = apps.get_model("accounts", "Agency")
    Agency.objects.using(schema_editor.connection.alias).filter(is_default=True).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0009_employee_numbers_in_capitals'),
    ]

    operations = [
        migrations.CreateModel(
            name='Agency',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.SlugField(unique=True)),
                ('name', models.CharField(max_length=200)),
                ('kind', models.CharField(choices=[('department', 'Department'), ('regional_team', 'Regional team')], default='department', max_length=20)),
                ('link_code', models.CharField(default=peersupport.accounts.models.new_link_code, max_length=24, unique=True)),
                ('mail_domains', models.JSONField(blank=True, default=list)),
                ('saml_organization', models.CharField(blank=True, max_length=100)),
                ('time_zone', models.CharField(max_length=64)),
                ('is_default', models.BooleanField(default=False)),
                ('active', models.BooleanField(default=True)),
                ('settings', models.JSONField(blank=True, default=dict)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'verbose_name_plural': 'agencies',
                'ordering': ['name'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('is_default', True)), fields=('is_default',), name='agency_one_default')],
            },
        ),
        migrations.RunPython(create_agency_1, delete_agency_1),
    ]
