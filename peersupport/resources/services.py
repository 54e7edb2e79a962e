"""Writes to the resource directory. Each one checks the actor, validates the whole entry and
writes its audit event in the same transaction.

``actor=None`` is the system itself (the demo loader, a management command); a person must be a
program coordinator, who keeps the directory (PROGRAM.md).
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from peersupport.accounts.models import Role, User
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record

from .models import EDITABLE_FIELDS, Resource

DUPLICATE_NAME = next(
    c for c in Resource._meta.constraints if c.name == "resource_active_name_unique"
)


def _check_actor(actor: User | None) -> None:
    if actor is not None and not actor.has_role(Role.COORDINATOR):
        raise ValidationError("Only a program coordinator may change the resource directory.")


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not resource fields: {sorted(unknown)}")
    return {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}


def _save(resource: Resource, *, update_fields=None) -> None:
    resource.full_clean()
    try:
        with transaction.atomic():
            resource.save(update_fields=update_fields)
    except IntegrityError:
        # A concurrent write of the same name got past full_clean()'s check first.
        raise ValidationError(DUPLICATE_NAME.violation_error_message) from None


def _why(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why, for the record."})
    return reason[:200]


@transaction.atomic
def resource_create(*, actor: User | None, **fields: Any) -> Resource:
    _check_actor(actor)
    resource = Resource(**_clean_fields(fields))
    _save(resource)
    record(
        actor=actor,
        action=AuditAction.RESOURCE_CREATED,
        target=resource,
        details={"category": resource.category, "internal": resource.is_internal},
    )
    return resource


@transaction.atomic
def resource_update(*, actor: User | None, resource: Resource, **fields: Any) -> Resource:
    """Change the given fields. A retired entry may be corrected too, so that it comes back
    right when it is restored."""
    _check_actor(actor)
    resource = Resource.objects.select_for_update().get(pk=resource.pk)
    changed = []
    for field, value in _clean_fields(fields).items():
        if getattr(resource, field) != value:
            setattr(resource, field, value)
            changed.append(field)
    if changed:
        _save(resource, update_fields=[*changed, "updated_at"])
    record(
        actor=actor,
        action=AuditAction.RESOURCE_UPDATED,
        target=resource,
        details={"fields": changed},
    )
    return resource


@transaction.atomic
def resource_retire(*, actor: User | None, resource: Resource, reason: str) -> Resource:
    """Take an entry out of the directory. It is kept, and can be restored."""
    _check_actor(actor)
    why = _why(reason)
    resource = Resource.objects.select_for_update().get(pk=resource.pk)
    if resource.retired_at is not None:
        raise ValidationError("This resource is already retired.")
    resource.retired_at = timezone.now()
    resource.save(update_fields=["retired_at", "updated_at"])
    record(
        actor=actor,
        action=AuditAction.RESOURCE_RETIRED,
        target=resource,
        details={"why": why},
    )
    return resource


@transaction.atomic
def resource_restore(*, actor: User | None, resource: Resource, reason: str) -> Resource:
    """Put a retired entry back. Refused while another active entry has its name."""
    _check_actor(actor)
    why = _why(reason)
    resource = Resource.objects.select_for_update().get(pk=resource.pk)
    if resource.retired_at is None:
        raise ValidationError("This resource is not retired.")
    resource.retired_at = None
    _save(resource, update_fields=["retired_at", "updated_at"])
    record(
        actor=actor,
        action=AuditAction.RESOURCE_RESTORED,
        target=resource,
        details={"why": why},
    )
    return resource
