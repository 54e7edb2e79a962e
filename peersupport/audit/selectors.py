"""Reads of the audit log (for the BHS manager's viewer)."""

from datetime import date, datetime, time

from django.db.models import QuerySet
from django.utils import timezone

from .models import AuditEvent


def audit_events(
    *,
    actor: str = "",
    action: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.order_by("-seq")
    if actor:
        qs = qs.filter(actor_label__icontains=actor.strip())
    if action:
        qs = qs.filter(action=action)
    if since:
        qs = qs.filter(at__gte=timezone.make_aware(datetime.combine(since, time.min)))
    if until:
        qs = qs.filter(at__lt=timezone.make_aware(datetime.combine(until, time.max)))
    return qs
