"""The one way to write to the audit log."""

from typing import Any

from django.db import models

from .models import AuditAction, AuditEvent, Outcome


def record(
    *,
    actor,
    action: AuditAction,
    target: models.Model | None = None,
    outcome: Outcome = Outcome.SUCCESS,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event. Call it inside the transaction of the change it describes.

    ``details`` must hold identifiers and kinds only, never protected content.
    """
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    # No actor: the system itself (a command, the worker, a sign-in not yet tied to anyone).
    actor_label = "system" if actor is None else (getattr(actor, "email", "") or str(actor))
    if getattr(actor, "is_anonymous", False):
        actor_id, actor_label = None, "anonymous"
    return AuditEvent.objects.create(
        actor_id=actor_id,
        actor_label=actor_label[:254],
        action=action,
        outcome=outcome,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        details=details or {},
    )
