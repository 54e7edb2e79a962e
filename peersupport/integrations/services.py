"""Making, revoking and checking integration tokens. Every view that serves another system
(the API, SCIM) finds its caller through ``authenticate`` and nothing else."""

import hmac
import re
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from peersupport.audit.models import AuditAction
from peersupport.audit.services import record

from . import alerts
from .models import ApiToken, secret_hash
from .registry import scope_names

PREFIX = "psk_"
_TOKEN = re.compile(r"^psk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
# last_used_at is written at most this often, so a busy integration does not write per call.
_USED_EVERY = timedelta(minutes=1)


def tokens() -> list[ApiToken]:
    return list(ApiToken.objects.select_related("created_by"))


def token(token_id: int) -> ApiToken:
    found = ApiToken.objects.filter(pk=token_id).first()
    if found is None:
        raise Http404("No such token.")
    return found


def check_scopes(names) -> list[str]:
    chosen = sorted(set(names or ()))
    if not chosen:
        raise ValidationError({"scopes": "Choose at least one scope."})
    unknown = set(chosen) - scope_names()
    if unknown:
        raise ValidationError({"scopes": f"Unknown scope: {', '.join(sorted(unknown))}."})
    return chosen


def token_create(*, actor, label: str, scopes, expires_at=None) -> tuple[ApiToken, str]:
    """Make a token; returns it and the whole token string, which is never kept and so can
    only be shown now."""
    label = (label or "").strip()
    if not label:
        raise ValidationError({"label": "Give the token a name (the system that will use it)."})
    chosen = check_scopes(scopes)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    key = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        made = ApiToken.objects.create(
            label=label,
            key=key,
            secret_hash=secret_hash(secret),
            scopes=chosen,
            created_by=actor,
            expires_at=expires_at,
        )
        record(
            actor=actor,
            action=AuditAction.API_TOKEN_CREATED,
            target=made,
            details={"key": key, "scopes": chosen},
        )
        # A token that names people is told to the BHS managers with it, or not made.
        alerts.people_token_made(made)
    return made, f"{PREFIX}{key}_{secret}"


def token_revoke(*, actor, token_id: int) -> ApiToken:
    with transaction.atomic():
        found = ApiToken.objects.select_for_update().filter(pk=token_id).first()
        if found is None:
            raise Http404("No such token.")
        if found.revoked_at is None:
            found.revoked_at = timezone.now()
            found.save(update_fields=["revoked_at"])
            record(
                actor=actor,
                action=AuditAction.API_TOKEN_REVOKED,
                target=found,
                details={"key": found.key},
            )
    return found


def bearer(request) -> str:
    """The token of ``Authorization: Bearer …``, or ""."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    kind, _, value = header.partition(" ")
    return value.strip() if kind.lower() == "bearer" else ""


def authenticate(raw: str, scope: str) -> ApiToken | None:
    """The active token ``raw`` names if it holds ``scope``, else None. The secret is compared
    in constant time; a token that is unknown, revoked, expired or without the scope is refused
    the same way, so a caller learns nothing about which."""
    match = _TOKEN.match(raw or "")
    if match is None:
        return None
    key, secret = match.groups()
    # Every agency's tokens: the token says which agency the caller acts for (api.py, scim.py).
    found = ApiToken.everywhere.filter(key=key).first()
    if found is None or not hmac.compare_digest(found.secret_hash, secret_hash(secret)):
        return None
    if not found.active or scope not in found.scopes:
        return None
    now = timezone.now()
    if found.last_used_at is None or now - found.last_used_at >= _USED_EVERY:
        ApiToken.everywhere.filter(pk=found.pk).update(last_used_at=now)
        found.last_used_at = now
    return found


def throttled(found: ApiToken) -> int:
    """Seconds to wait when ``found`` has made more than ``API_RATE_LIMIT`` calls in the
    current minute, else 0. Counted in the shared cache, so every web server counts together.
    The count is approximate: the database cache's ``incr`` reads then writes, so calls at the
    same moment may be counted once; the limit holds to about ``API_RATE_LIMIT`` (docs/api.md)."""
    limit = settings.API_RATE_LIMIT
    if not limit:
        return 0
    window = int(time.time() // 60)
    name = f"api-rate:{found.pk}:{window}"
    cache.add(name, 0, timeout=120)
    try:
        count = cache.incr(name)
    except ValueError:  # evicted between add and incr
        cache.set(name, 1, timeout=120)
        count = 1
    if count > limit:
        return 60 - int(time.time()) % 60 or 1
    return 0
