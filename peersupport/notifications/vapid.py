"""The server's VAPID key (RFC 8292): the P-256 key that signs every push request, so that a
push service delivers to a browser only what this server sent.

Only the ``cryptography`` package here: settings.py reads the key through this module before
Django is set up. The key is given as base64url of its 32-byte secret (what
``manage.py generate_vapid_key`` prints); the public key browsers subscribe with is derived
from it, never configured separately, so the two cannot disagree.
"""

import base64
import binascii
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


class VapidKeyError(ValueError):
    pass


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_decode(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def private_key(text: str) -> ec.EllipticCurvePrivateKey:
    try:
        raw = b64url_decode(text)
    except (binascii.Error, ValueError):
        raise VapidKeyError("not base64url text") from None
    if len(raw) != 32:
        raise VapidKeyError(f"{len(raw)} bytes where a P-256 secret has 32")
    try:
        return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except ValueError:
        raise VapidKeyError("not a valid P-256 secret") from None


def public_key_of(text: str) -> str:
    """The application server key a browser subscribes with: base64url of the uncompressed
    public point (65 bytes)."""
    point = (
        private_key(text)
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return b64url(point)


def generate() -> str:
    """A new key, as the settings read it."""
    while True:
        raw = os.urandom(32)
        try:
            private_key(b64url(raw))
        except VapidKeyError:  # zero or above the curve order: vanishingly rare
            continue
        return b64url(raw)
