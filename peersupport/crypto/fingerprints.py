"""A fingerprint per key id, kept in the database, so a wrong key under a known id is caught.

Without it a server given the wrong key for ``k2026`` starts, fails every read, and writes new
values under a key that no other server holds. The fingerprint is an HMAC of a fixed label
under the key: it tells keys apart and reveals nothing about them.
"""

import hashlib
import hmac

from django.core.exceptions import ImproperlyConfigured
from django.db import connection

LABEL = b"peersupport key fingerprint v1"

# (key id, fingerprint) pairs this process found in the database, or recorded there.
_verified: set[tuple[str, str]] = set()
_table_exists = False


class KeyMismatch(ImproperlyConfigured):
    """A configured key whose fingerprint differs from the one stored for its id."""


def fingerprint(key: bytes) -> str:
    return hmac.new(key, LABEL, hashlib.sha256).hexdigest()


def mismatch_message(key_ids: list[str]) -> str:
    ids = ", ".join(key_ids)
    return (
        f"ENCRYPTION_KEYS holds a different key under id(s) {ids} than the one that encrypted "
        f"the stored values (its fingerprint differs). Restore the right key for {ids}; a new "
        f"key needs a new id."
    )


def _table_ready() -> bool:
    global _table_exists
    if not _table_exists:
        from .models import KeyFingerprint

        _table_exists = KeyFingerprint._meta.db_table in connection.introspection.table_names()
    return _table_exists


def mismatched_key_ids(keys: dict[str, bytes]) -> list[str]:
    """Configured key ids whose stored fingerprint differs (ids never recorded are not)."""
    from .models import KeyFingerprint

    if not _table_ready():
        return []
    stored = dict(
        KeyFingerprint.objects.filter(key_id__in=list(keys)).values_list("key_id", "fingerprint")
    )
    return sorted(
        key_id
        for key_id, key in keys.items()
        if key_id in stored and not hmac.compare_digest(stored[key_id], fingerprint(key))
    )


def ensure_writable(key_id: str, key: bytes) -> None:
    """Refuse to write under a key whose fingerprint differs from the stored one; record the
    fingerprint of a key id used for the first time."""
    from .models import KeyFingerprint

    mark = fingerprint(key)
    if (key_id, mark) in _verified or not _table_ready():
        return
    row, created = KeyFingerprint.objects.get_or_create(
        key_id=key_id, defaults={"fingerprint": mark}
    )
    if not hmac.compare_digest(row.fingerprint, mark):
        raise KeyMismatch(mismatch_message([key_id]))
    # Remembered at once, so a transaction writing many values asks once (bulk_create of a
    # thousand rows is not a thousand more queries). If the transaction that recorded a new id
    # rolls back, this process goes on without asking; the next process to write records it.
    _verified.add((key_id, mark))


def forget() -> None:
    """For tests that rewrite the table underneath."""
    global _table_exists
    _verified.clear()
    _table_exists = False
