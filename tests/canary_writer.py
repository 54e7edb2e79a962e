"""Run by tests/system/test_canary.py in its own process against a real database file or server.

Writes a canary string into every encrypted field, a plaintext control into an unprotected
column, and a plaintext value that is then deleted; then searches the raw database files (SQLite:
the database and its -wal file; PostgreSQL: a pg_dump) and prints what it found as JSON.
"""

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersupport.settings")
django.setup()

from peersupport.accounts.agencies import work_for_default_agency  # noqa: E402

work_for_default_agency()  # the rows this process makes are the default agency's (issue 23)

from django.core.exceptions import ValidationError  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from peersupport.accounts.models import Employee, Unit  # noqa: E402
from peersupport.crypto.fields import encrypted_fields  # noqa: E402


def raw_files() -> dict[str, bytes]:
    if connection.vendor == "sqlite":
        path = Path(connection.settings_dict["NAME"])
        files = {"db": path.read_bytes()}
        wal = Path(f"{path}-wal")
        files["wal"] = wal.read_bytes() if wal.exists() else b""
        return files
    # pg_dump takes the same connection URL the application uses.
    url = os.environ["DATABASE_URL"]
    dump = subprocess.run(["pg_dump", url], capture_output=True, check=True, timeout=300).stdout
    return {"pg_dump": dump}


def hits(needles: list[str]) -> dict[str, list[str]]:
    files = raw_files()
    return {
        where: [n for n in needles if n.encode() in blob or n.encode("utf-16-le") in blob]
        for where, blob in files.items()
    }


def checkpoint() -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def release_through_the_services() -> list[str]:
    """A release and its disclosures written the way the pages write them, with a canary in every
    protected value, so that a copy into any other column (an audit event's details, a plain
    field) is found too, not only the encrypted columns themselves."""
    from django.utils import timezone

    from peersupport.releases import services
    from peersupport.releases.models import Release
    from peersupport.support.models import SupportRequest
    from tests.matrix.releases import signature_png

    req = SupportRequest.objects.filter(
        status=SupportRequest.Status.ACCEPTED, assigned_supporter__isnull=False
    ).first()
    values = {
        name: f"CANARYRELEASE{name.upper()}QZX"
        for name in ("person", "item", "recipient", "purpose", "event", "refused")
    }
    release = services.release_create(
        actor=req.assigned_supporter,
        request=req,
        person_name=values["person"],
        disclosers=Release.Disclosers.SUPPORTER,
        items=[values["item"]],
        recipients=[values["recipient"]],
        purpose=values["purpose"],
        right_to_revoke_explained=True,
        expires_on=None,
        expiry_event=values["event"],
        signature_kind=Release.SignatureKind.DRAWN,
        signature=signature_png(),
        signed_on=timezone.localdate(),
    )
    disclose = {
        "actor": req.assigned_supporter,
        "release": release,
        "disclosed_on": timezone.localdate(),
        "items": [values["item"]],
        "purpose": values["purpose"],
    }
    services.disclosure_record(recipient=values["recipient"], **disclose)
    # Refused, and audited: the refusal must not write what was asked either.
    with contextlib.suppress(ValidationError):
        services.disclosure_record(recipient=values["refused"], **disclose)
    return list(values.values())


def roster_status_through_the_services() -> list[str]:
    """A supporter's status changed the way the coordinator's page changes it, with a canary
    reason: the reason must not be copied into the audit log or the notification."""
    from peersupport.roster import services
    from peersupport.roster.models import SupporterProfile

    profile = SupporterProfile.objects.filter(status=SupporterProfile.Status.ACTIVE).first()
    reason = "CANARYSTATUSREASONQZX"
    services.supporter_set_status(
        actor=None,
        profile=profile,
        status=SupporterProfile.Status.INACTIVE,
        reason=reason,
        inactive_reason=SupporterProfile.InactiveReason.OWN_REQUEST,
    )
    return [reason]


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("demo_department", "--employees", "100", stdout=open(os.devnull, "w"))  # noqa: SIM115

    canaries, empty = [], []
    for model, field in encrypted_fields():
        rows = list(model._base_manager.all()[:3])
        if not rows:
            empty.append(f"{model._meta.label}.{field.name}")
        for i, row in enumerate(rows):
            canary = f"CANARY{model._meta.model_name}{field.name}{i}QZX"
            setattr(row, field.attname, canary)
            with transaction.atomic():
                row.save(update_fields=[field.name])
            canaries.append(canary)

    canaries += release_through_the_services()
    canaries += roster_status_through_the_services()

    unit = Unit.objects.first()
    control = "PLAINCONTROLQZX"
    Employee.objects.create(
        employee_number="CTRL1",
        first_name="C",
        last_name="C",
        rank_title=control,
        employee_type="civilian",
        unit=unit,
    )
    found_while_running = hits(canaries + [control])

    deleted = "DELETEDVALUEQZX"
    doomed = Employee.objects.create(
        employee_number="DEL1",
        first_name="D",
        last_name=deleted,
        rank_title="x",
        employee_type="civilian",
        unit=unit,
    )
    checkpoint()
    deleted_before = hits([deleted])
    doomed.delete()
    checkpoint()
    deleted_after = hits([deleted])

    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "canaries": canaries,
                "empty_fields": empty,
                "control": control,
                "found_while_running": found_while_running,
                "deleted_before": deleted_before,
                "deleted_after": deleted_after,
            }
        )
    )


if __name__ == "__main__":
    main()
