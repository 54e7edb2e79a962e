"""The reports read only; their one write is the audit event of an export."""

from django.db import transaction

from peersupport.audit.models import AuditAction
from peersupport.audit.services import record


@transaction.atomic
def export_record(*, actor, action: AuditAction, period: str, table: str = "") -> None:
    details = {"period": period}
    if table:
        details["table"] = table
    record(actor=actor, action=action, details=details)
