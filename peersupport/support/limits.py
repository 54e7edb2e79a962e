"""Limits on wrong codenames: per client, and a generous ceiling for everyone together.

A client is counted under a tag of its address (allauth's address, behind TRUSTED_PROXY_COUNT
proxies, an IPv6 address by its /64), an HMAC under a key that changes every
CODENAME_LIMIT_WINDOW_SECONDS and is made from a random secret of this process: the tag names
nobody, cannot be recomputed by anyone, and means nothing once its window is over. The counters
live in the ``codename-limits`` cache, which is this process's memory (never the database cache,
a file or a backup), and expire with their window.

Each web server process counts on its own: with N processes a client may try up to N times
CODENAME_CHECKS_PER_CLIENT per window, which stays hopeless against a 90-bit codename. One
client's wrong guesses lock out only that client; the ceiling (CODENAME_CHECKS_PER_MINUTE) needs
at least CODENAME_CHECKS_PER_MINUTE / CODENAME_CHECKS_PER_CLIENT clients to reach.
"""

import hashlib
import hmac
import secrets

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.utils import timezone

_PROCESS_SECRET = secrets.token_bytes(32)  # never written anywhere; a new one at each start


def _counters():
    return caches["codename-limits"]


def _window() -> int:
    return int(timezone.now().timestamp() // settings.CODENAME_LIMIT_WINDOW_SECONDS)


def _minute() -> int:
    return int(timezone.now().timestamp() // 60)


def _client_key(request) -> str:
    try:
        address = get_adapter(request).get_client_ip(request)
    except PermissionDenied:  # no address at all: such clients share one counter
        address = "unknown"
    window = _window()
    window_key = hmac.new(_PROCESS_SECRET, f"window:{window}".encode(), hashlib.sha256).digest()
    tag = hmac.new(window_key, address.encode(), hashlib.sha256).hexdigest()[:32]
    return f"client:{window}:{tag}"


def _global_key() -> str:
    return f"everyone:{_minute()}"


def checks_left(request) -> bool:
    """Whether this client, and everyone together, may still try a codename."""
    cache = _counters()
    return (cache.get(_client_key(request)) or 0) < settings.CODENAME_CHECKS_PER_CLIENT and (
        cache.get(_global_key()) or 0
    ) < settings.CODENAME_CHECKS_PER_MINUTE


def count_failure(request) -> None:
    """Count one wrong codename against this client and against the ceiling."""
    cache = _counters()
    for key, timeout in (
        (_client_key(request), settings.CODENAME_LIMIT_WINDOW_SECONDS),
        (_global_key(), 60),
    ):
        if not cache.add(key, 1, timeout=timeout):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=timeout)
