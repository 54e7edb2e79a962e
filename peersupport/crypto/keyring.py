"""The encryption keys, from ENCRYPTION_KEYS (never from the database).

Format: ``id:base64key`` entries separated by commas or new lines; each key is 32 random bytes
(AES-256). The first entry is the current key, used for every new value; the others can still
decrypt until ``manage.py rotate_keys`` has re-encrypted everything under the current key.
"""

import base64
import binascii
import re
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class Keyring:
    current_id: str
    keys: dict[str, bytes]


def parse_keys(spec: str, *, name: str = "ENCRYPTION_KEYS") -> Keyring:
    entries = [e.strip() for e in re.split(r"[,\s]+", spec or "") if e.strip()]
    if not entries:
        raise ImproperlyConfigured(f"{name} holds no key.")
    keys: dict[str, bytes] = {}
    for entry in entries:
        key_id, sep, encoded = entry.partition(":")
        if not sep or not KEY_ID.match(key_id):
            raise ImproperlyConfigured(
                f"{name}: each entry is id:base64key with an id of letters, digits, - or _ "
                f"(got an entry starting {entry[:8]!r})."
            )
        try:
            key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), altchars=b"-_")
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 32:
            raise ImproperlyConfigured(f"{name}: key {key_id!r} is not 32 bytes of base64.")
        if key_id in keys:
            raise ImproperlyConfigured(f"{name}: key id {key_id!r} appears twice.")
        keys[key_id] = key
    return Keyring(current_id=entries[0].partition(":")[0], keys=keys)


@cache
def keyring() -> Keyring:
    return parse_keys(settings.ENCRYPTION_KEYS)


@receiver(setting_changed)
def _reset(sender, setting, **kwargs):
    if setting == "ENCRYPTION_KEYS":
        keyring.cache_clear()
