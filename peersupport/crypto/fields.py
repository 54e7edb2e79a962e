"""Encrypted model fields: AES-256-GCM, a key id stored with each value.

Stored form: ``<version>:<key id>:<base64url(nonce || ciphertext || tag)>``. The associated
data binds each value to its model and field (``v1``), and in a model with a ``row_id``
(``RowBound``) to its row as well (``v2``: ``app.model.field:<row_id>``), so a ciphertext copied
into another column, or into the same column of another row, does not decrypt. The row id is a
random UUID set when the object is made, so a value is bound to its row before the INSERT that
gives the row its primary key. Values are decrypted when the attribute is first read, so a
failure names the field and the row. Encrypted fields cannot be searched or ordered on (only
``isnull``): that is the point.
"""

import base64
import json
import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import FieldError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from .fingerprints import ensure_writable
from .keyring import keyring

PREFIX = "v1"  # bound to model and field
ROW_PREFIX = "v2"  # bound to model, field and row
PREFIXES = (PREFIX, ROW_PREFIX)


class DecryptionError(ValueError):
    """A stored value that cannot be decrypted. The message names where, never what."""


class Ciphertext(str):
    """A value as stored, not yet decrypted."""

    __slots__ = ()

    @property
    def key_id(self) -> str:
        parts = self.split(":", 2)
        return parts[1] if len(parts) == 3 and parts[0] in PREFIXES else ""

    @property
    def version(self) -> str:
        parts = self.split(":", 2)
        return parts[0] if len(parts) == 3 and parts[0] in PREFIXES else ""


def row_aad(aad: bytes, row) -> bytes:
    # One spelling of the row id, whether it comes from the ORM (a UUID) or from raw SQL (a
    # 32-digit hex string on SQLite).
    return aad + b":" + uuid.UUID(str(row)).hex.encode()


def encrypt(plaintext: str, *, aad: bytes, row=None) -> Ciphertext:
    """``row``: the row id a ``v2`` value is bound to; without it, a ``v1`` value."""
    ring = keyring()
    # Never write under a key that is not the one the other servers hold for this id.
    ensure_writable(ring.current_id, ring.keys[ring.current_id])
    version = PREFIX if row is None else ROW_PREFIX
    if row is not None:
        aad = row_aad(aad, row)
    nonce = os.urandom(12)
    sealed = AESGCM(ring.keys[ring.current_id]).encrypt(nonce, plaintext.encode(), aad)
    token = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return Ciphertext(f"{version}:{ring.current_id}:{token}")


def decrypt(stored: str, *, aad: bytes, where: str, row=None) -> str:
    """``row``: the row id of a row-bound model. There, only ``v2`` values bound to that row
    decrypt: a ``v1`` value (bound to no row) is refused, or it could be moved in from another
    row; elsewhere only ``v1`` values."""
    parts = stored.split(":", 2)
    if len(parts) != 3 or parts[0] not in PREFIXES:
        raise DecryptionError(f"{where}: the stored value is not an encrypted value")
    if parts[0] != (PREFIX if row is None else ROW_PREFIX):
        raise DecryptionError(
            f"{where}: the stored value is a {parts[0]} value, which this field does not hold"
            + (" (not bound to its row)" if row is not None else "")
        )
    if row is not None:
        aad = row_aad(aad, row)
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
            + (" or another row" if row is not None else "")
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


class RowBound(models.Model):
    """For models with encrypted fields: a random id per row, set when the object is made (so
    before the INSERT), to which every encrypted value of the row is bound (``v2``)."""

    row_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True


def is_row_bound(model) -> bool:
    return any(f.name == "row_id" for f in model._meta.concrete_fields)


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

    def row_of(self, instance):
        return instance.row_id if is_row_bound(self.model) else None

    def decrypt_for(self, instance, value: Ciphertext):
        plain = decrypt(
            value, aad=self.aad(), where=self.where(instance.pk), row=self.row_of(instance)
        )
        return self.from_plain(plain)

    def seal_for(self, instance):
        """The value of ``instance`` as stored: an unread value unchanged, a new one encrypted
        (bound to the instance's row where the model has one)."""
        value = instance.__dict__.get(self.attname)
        if value is None or isinstance(value, Ciphertext):
            return value
        return encrypt(self.to_plain(value), aad=self.aad(), row=self.row_of(instance))

    def pre_save(self, model_instance, add):
        return self.seal_for(model_instance)

    def from_db_value(self, value, expression, connection):
        return None if value is None else Ciphertext(value)

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        if isinstance(value, Ciphertext):
            return str(value)  # sealed by pre_save, or not read since it was loaded
        if is_row_bound(self.model):
            # QuerySet.update() and bulk_update() have no row to bind the value to.
            raise FieldError(
                f"{self.model._meta.label}.{self.name} is encrypted and bound to its row: set "
                f"it on the object and save() it."
            )
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
        sealed = self.seal_for(obj)
        return None if sealed is None else str(sealed)


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
