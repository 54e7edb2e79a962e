"""Who may use the installable app's URLs and the devices page (web/pwa.py).

The manifest, the service worker and the offline page are public (a browser fetches them
before anyone signs in). The devices page is every signed-in person's own: a device id of
another account answers 404 (tests/system/test_object_access.py, tests/web/test_pwa.py).
"""

import base64
import os
import uuid

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from peersupport.accounts.permissions import PUBLIC, SIGNED_IN

_PUBLIC = frozenset({PUBLIC})
_ALL = frozenset({SIGNED_IN})

MATRIX = {
    "web:manifest": {"GET": _PUBLIC},
    "web:service_worker": {"GET": _PUBLIC},
    "web:offline": {"GET": _PUBLIC},
    "web:devices": {"GET": _ALL, "POST": _ALL},
    "web:device_remove": {"GET": _ALL, "POST": _ALL},
    "web:device_test": {"GET": _ALL, "POST": _ALL},
}
OBJECT_SCOPED = {"web:device_remove", "web:device_test"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def browser_keys() -> tuple[ec.EllipticCurvePrivateKey, str, bytes]:
    """What a browser makes when it subscribes: an ECDH key pair (its public point is
    ``p256dh``) and a 16-byte auth secret."""
    private = ec.generate_private_key(ec.SECP256R1())
    point = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return private, b64url(point), os.urandom(16)


def device(user, *, endpoint: str | None = None, label: str = "Work phone"):
    """A device of ``user``, added through the service as the devices page does."""
    from peersupport.notifications import push

    _, p256dh, auth = browser_keys()
    return push.device_add(
        actor=user,
        label=label,
        endpoint=endpoint or f"https://push.example.test/{uuid.uuid4().hex}",
        p256dh=p256dh,
        auth=b64url(auth),
    )


def _employees_device(dept) -> dict:
    return {"device_id": device(dept.users["employee"]).pk}


URL_KWARGS = {
    "web:device_remove": _employees_device,
    "web:device_test": _employees_device,
}

# tests/system/test_object_access.py
OWNED = {
    "web:device_remove": (device, "device_id"),
    "web:device_test": (device, "device_id"),
}
