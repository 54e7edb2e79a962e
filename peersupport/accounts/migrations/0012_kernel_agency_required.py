"""Issue 23, step 2, second half: once 0011 has given every row the default agency, the
agency is required (except on an install system administrator's grant) and the uniqueness rules
hold within an agency. Apart from 0011 because PostgreSQL does not alter a table in the
transaction that has just updated its rows' foreign keys."""

import django.db.models.deletion
from django.db import migrations, models


def _agency():
    return models.ForeignKey(
        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="accounts.agency"
    )


_SYSADMIN_OR_AGENCY = models.Q(("agency__isnull", False), ("role", "sysadmin"), _connector="OR")


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0011_kernel_agency"),
    ]

    operations = [
        migrations.AlterField(model_name="unit", name="agency", field=_agency()),
        migrations.AlterField(model_name="employee", name="agency", field=_agency()),
        migrations.AlterField(
            model_name="employee",
            name="employee_number",
            field=models.CharField(max_length=32),
        ),
        migrations.AddConstraint(
            model_name="employee",
            constraint=models.UniqueConstraint(
                fields=("agency", "employee_number"),
                name="employee_number_unique_in_agency",
                violation_error_message="Another employee already has this employee number.",
            ),
        ),
        migrations.AddConstraint(
            model_name="unit",
            constraint=models.UniqueConstraint(
                condition=models.Q(("parent__isnull", True)),
                fields=("agency", "name"),
                name="unit_top_name_unique_in_agency",
                violation_error_message="Another top unit already has this name.",
            ),
        ),
        migrations.AddConstraint(
            model_name="rolegrant",
            constraint=models.UniqueConstraint(
                condition=models.Q(("revoked_at__isnull", True)),
                fields=("user", "role", "agency"),
                name="rolegrant_one_open_grant_per_role",
            ),
        ),
        migrations.AddConstraint(
            model_name="rolegrant",
            constraint=models.UniqueConstraint(
                condition=models.Q(("agency__isnull", True), ("revoked_at__isnull", True)),
                fields=("user", "role"),
                name="rolegrant_one_open_install_grant_per_role",
            ),
        ),
        migrations.AddConstraint(
            model_name="rolegrant",
            constraint=models.CheckConstraint(
                condition=_SYSADMIN_OR_AGENCY, name="rolegrant_agency_or_install_sysadmin"
            ),
        ),
        migrations.AddConstraint(
            model_name="rolegrantrequest",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "pending")),
                fields=("user", "role", "agency"),
                name="rolegrantrequest_one_pending_per_role",
            ),
        ),
        migrations.AddConstraint(
            model_name="rolegrantrequest",
            constraint=models.UniqueConstraint(
                condition=models.Q(("agency__isnull", True), ("status", "pending")),
                fields=("user", "role"),
                name="rolegrantrequest_one_pending_install_per_role",
            ),
        ),
        migrations.AddConstraint(
            model_name="rolegrantrequest",
            constraint=models.CheckConstraint(
                condition=_SYSADMIN_OR_AGENCY, name="rolegrantrequest_agency_or_install_sysadmin"
            ),
        ),
    ]
