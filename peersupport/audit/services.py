"""The one way to write to the audit log."""

import json
from functools import partial
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from peersupport.tenancy import current_agency_id_or_none

from . import checkpoints, signals
from .chain import GENESIS, event_mac, head_mac
from .models import READ_ACTIONS, AuditAction, AuditChainHead, AuditEvent, Outcome


def _locked_head() -> AuditChainHead:
    """The chain head, locked for this transaction (a row lock on PostgreSQL; SQLite's
    IMMEDIATE transactions already let one writer in at a time)."""
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        try:
            with transaction.atomic():
                AuditChainHead.objects.create(pk=1, seq=0, last_mac=GENESIS)
        except IntegrityError:
            pass  # created by a concurrent writer
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def record(
    *,
    actor,
    action: AuditAction,
    target: models.Model | None = None,
    outcome: Outcome = Outcome.SUCCESS,
    details: dict[str, Any] | None = None,
    agency_id: int | None = None,
) -> AuditEvent:
    """Append one event to the chain. Call it inside the transaction of the change it
    describes, so that neither commits without the other.

    ``details`` must hold identifiers and kinds only, never protected content.

    A successful action that is not a read (``READ_ACTIONS``) also bumps the head's
    ``data_version``, in the same transaction as the change it describes, and sends
    ``signals.data_changed`` there.

    The event belongs to ``agency_id``, by default the current agency (none for install-wide
    work); the MAC covers it.

    Once the outermost transaction commits, the new head is checkpointed outside the database
    (``checkpoints.after_commit``); a transaction that rolls back checkpoints nothing.
    """
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    # No actor: the system itself (a command, the worker, a sign-in not yet tied to anyone).
    actor_label = "system" if actor is None else (getattr(actor, "email", "") or str(actor))
    if getattr(actor, "is_anonymous", False):
        actor_id, actor_label = None, "anonymous"
    if agency_id is None:
        agency_id = current_agency_id_or_none()
    with transaction.atomic():
        head = _locked_head()
        event = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            actor_id=actor_id,
            actor_label=actor_label[:254],
            action=action,
            outcome=outcome,
            target_type=target._meta.label_lower if target is not None else "",
            target_id=str(target.pk) if target is not None else "",
            # As the database will give it back, so that the MAC computed now verifies later.
            details=json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder)),
            prev_mac=head.last_mac or GENESIS,
            agency_id=agency_id,
        )
        event.mac = event_mac(event, prev_mac=event.prev_mac)
        event.save(force_insert=True)
        head.seq, head.last_mac = event.seq, event.mac
        head.head_mac = head_mac(seq=head.seq, last_mac=head.last_mac)
        fields = ["seq", "last_mac", "head_mac"]
        if outcome == Outcome.SUCCESS and action not in READ_ACTIONS:
            head.data_version += 1
            fields.append("data_version")
        head.save(update_fields=fields)
        if "data_version" in fields:
            signals.data_changed.send(sender=AuditEvent, version=head.data_version, action=action)
        transaction.on_commit(partial(checkpoints.after_commit, event.seq, event.mac), robust=True)
    return event
