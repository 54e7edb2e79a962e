"""Helpers shared by the audit tests."""

from io import StringIO

from django.core.management import call_command
from django.db import connection

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.audit.services import record


def fill(n: int, actor=None) -> list[AuditEvent]:
    return [
        record(actor=actor, action=AuditAction.UNIT_UPDATED, details={"i": i, "fields": ["name"]})
        for i in range(n)
    ]


def verify(*args) -> str:
    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def drop_triggers():
    """What an attacker holding the database can do; the chain must still show the change."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER audit_auditevent_no_update")
            cursor.execute("DROP TRIGGER audit_auditevent_no_delete")
        else:
            cursor.execute("DROP TRIGGER audit_auditevent_no_change ON audit_auditevent")
