"""The reports' writes: the audit event of an export, and the coordinator closing reporting
periods (periods.py)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from peersupport.accounts.models import Role
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record

from . import builds, selectors
from .models import PeriodClosure
from .periods import Period, is_closed


@transaction.atomic
def export_record(*, actor, action: AuditAction, period: str, table: str = "") -> None:
    details = {"period": period}
    if table:
        details["table"] = table
    record(actor=actor, action=action, details=details)


@transaction.atomic
def period_close(*, actor, period: Period) -> list[Period]:
    """Close ``period`` (a month, a quarter or a year that is over) and every month before it
    still open: their figures are published the next time the reports are built and never
    change; records dated in them that come later count as late entries of the next open
    month. Returns the months closed now."""
    if not actor.has_role(Role.COORDINATOR):
        raise ValidationError("Only the program coordinator closes reporting periods.")
    today = timezone.localdate()
    if not period.is_over(today):
        raise ValidationError({"period": f"{period} is not over yet: it cannot be closed."})
    closed = selectors.closed_through(today)
    last = period.months()[-1]
    if is_closed(last, closed):
        raise ValidationError({"period": f"{period} is already closed."})
    months = selectors.months_to_close(last, closed)
    try:
        with transaction.atomic():
            PeriodClosure.objects.create(through=last.key, closed_by=actor)
    except IntegrityError:  # another coordinator closed it a moment ago
        raise ValidationError({"period": f"{period} is already closed."}) from None
    record(
        actor=actor,
        action=AuditAction.REPORTS_PERIOD_CLOSED,
        details={"period": period.key, "months": [m.key for m in months]},
    )
    # Publish them now, in this transaction: from the moment the closure commits, a record
    # dated in them is a late entry, as the supporter logging it is told. That build is the
    # readers' figures from now on (builds.py): the coordinator sees the closed months at once.
    builds.land(selectors.cube(today=today))
    return months
