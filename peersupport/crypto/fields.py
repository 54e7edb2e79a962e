"""Encrypted model fields: AES-256-GCM, a key id stored with each value.

Stored form: ``v1:<key id>:<base64url(nonce || ciphertext || tag)>``. The associated data binds
each value to its model and field, so a ciphertext copied into another column does not decrypt.
Values are decrypted when the attribute is first read, so a failure names the field and the row.
Encrypted fields cannot be searched or ordered on (only ``isnull``): that is the point.
"""

import base64
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import FieldError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from .fingerprints import ensure_writable
from .keyring import keyring

PREFIX = "v1"


class DecryptionError(ValueError):
    """A stored value that cannot be decrypted. The message names where, never what."""


class Ciphertext(str):
    """A value as stored, not yet decrypted."""

    __slots__ = ()

    @property
    def key_id(self) -> str:
        parts = self.split(":", 2)
        return parts[1] if len(parts) == 3 and parts[0] == PREFIX else ""


def encrypt(plaintext: str, *, aad: bytes) -> Ciphertext:
    ring = keyring()
    # Never write under a key that is not the one the other servers hold for this id.
    ensure_writable(ring.current_id, ring.keys[ring.current_id])
    nonce = os.urandom(12)
    sealed = AESGCM(ring.keys[ring.current_id]).encrypt(nonce, plaintext.encode(), aad)
    token = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return Ciphertext(f"{PREFIX}:{ring.current_id}:{token}")


def decrypt(stored: str, *, aad: bytes, where: str) -> str:
    parts = stored.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise DecryptionError(f"{where}: the stored value is not an encrypted value")
    key_id, token = parts[1], parts[2]
    key = keyring().keys.get(key_id)
    if key is None:
        raise DecryptionError(
            f"{where}: encrypted with key {key_id!r}, which is not in ENCRYPTION_KEYS"
        )
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        raise DecryptionError(f"{where}: the ciphertext is damaged (not base64)") from None
    if len(raw) < 12 + 16:
        raise DecryptionError(f"{where}: the ciphertext is truncated")
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], aad).decode()
    except InvalidTag:
        raise DecryptionError(
            f"{where}: the ciphertext was altered or truncated, or belongs to another field"
        ) from None


class EncryptedDescriptor(DeferredAttribute):
    """A data descriptor (it has __set__), so every read passes through __get__ and a value
    loaded as ciphertext is decrypted on first use."""

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Ciphertext):
            value = self.field.decrypt_for(instance, value)
            instance.__dict__[self.field.attname] = value
        return value


class EncryptedTextField(models.TextField):
    """Text kept encrypted at rest; reads and writes plain ``str`` in Python."""

    descriptor_class = EncryptedDescriptor

    def aad(self) -> bytes:
        return f"{self.model._meta.label_lower}.{self.name}".encode()

    def where(self, pk) -> str:
        return f"{self.model._meta.label}.{self.name} of row {pk}"

    def to_plain(self, value):
        return value

    def from_plain(self, text: str):
        return text

    def decrypt_for(self, instance, value: Ciphertext):
        return self.from_plain(decrypt(value, aad=self.aad(), where=self.where(instance.pk)))

    def pre_save(self, model_instance, add):
        # The value as held, without decrypting it: an unread value is written back unchanged.
        return model_instance.__dict__.get(self.attname)

    def from_db_value(self, value, expression, connection):
        return None if value is None else Ciphertext(value)

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        if isinstance(value, Ciphertext):
            return str(value)  # not read since it was loaded: store it unchanged
        return str(encrypt(self.to_plain(value), aad=self.aad()))

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            raise FieldError(
                f"{self.model._meta.label}.{self.name} is encrypted: it cannot be searched "
                f"with '{lookup_name}'."
            )
        return super().get_lookup(lookup_name)

    def value_to_string(self, obj):
        # Serialisation (dumpdata) writes the ciphertext, never the plaintext.
        raw = obj.__dict__.get(self.attname)
        if raw is None or isinstance(raw, Ciphertext):
            return raw
        return self.get_prep_value(raw)


class EncryptedJSONField(EncryptedTextField):
    """JSON kept encrypted at rest; reads and writes Python values."""

    def to_plain(self, value):
        return json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True)

    def from_plain(self, text: str):
        return json.loads(text)


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every encrypted field of every installed model."""
    from django.apps import apps

    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]
