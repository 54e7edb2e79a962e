"""Writes of calendar feeds: making (or replacing) a person's secret address for one source,
and stopping it. Each writes its audit event in the same transaction. The token is returned to
be shown once and is never stored."""

import secrets

from django.db import transaction
from django.utils import timezone

from peersupport.accounts.models import User
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record

from .models import Feed, token_hash
from .registry import Source


@transaction.atomic
def feed_reset(*, actor: User, source: Source) -> str:
    """A new secret address of ``source`` for ``actor``; an old one stops working at once."""
    token = secrets.token_urlsafe(32)
    feed, _ = Feed.objects.update_or_create(
        user=actor,
        kind=source.kind,
        defaults={"token_hash": token_hash(token), "created_at": timezone.now()},
    )
    record(
        actor=actor,
        action=AuditAction.CALENDAR_FEED_RESET,
        target=feed,
        details={"kind": source.kind},
    )
    return token


@transaction.atomic
def feed_revoke(*, actor: User, source: Source) -> bool:
    """Stop ``actor``'s address of ``source``. False (and nothing written) if there was none."""
    feed = Feed.objects.filter(user=actor, kind=source.kind).first()
    if feed is None:
        return False
    record(
        actor=actor,
        action=AuditAction.CALENDAR_FEED_REVOKED,
        target=feed,
        details={"kind": source.kind},
    )
    feed.delete()
    return True
