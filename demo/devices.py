"""A device on the peer supporter persona's devices page, so the page and the canary test
(every encrypted field has data) have something to show.

It is one the push service has since forgotten ("no longer reachable"): a demo never pushes
to an address that is not a real browser. Its address is under .test, which never resolves,
and its keys are made here.
"""

import base64
import os
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import transaction
from django.utils import timezone

from peersupport.accounts.models import User
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.notifications.models import AlertPhone, PushSubscription
from peersupport.notifications.push import endpoint_digest

from .personas import EMAIL_DOMAIN, demo_refuse_in_production


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def load_demo() -> str:
    demo_refuse_in_production()
    with transaction.atomic():
        supporter = User.objects.filter(email=f"supporter@{EMAIL_DOMAIN}").first()
        if supporter is None:
            return "No peer supporter persona: no demo device added."
        if PushSubscription.objects.filter(user=supporter).exists():
            return "Demo device already there; nothing added."
        point = (
            ec.generate_private_key(ec.SECP256R1())
            .public_key()
            .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        )
        endpoint = f"https://push.example.test/demo/{_b64url(os.urandom(16))}"
        now = timezone.now()
        device = PushSubscription.objects.create(
            user=supporter,
            label="Old phone",
            endpoint=endpoint,
            p256dh=_b64url(point),
            auth=_b64url(os.urandom(16)),
            endpoint_digest=endpoint_digest(endpoint),
            active=False,
            created_at=now - timedelta(days=200),
            gone_at=now - timedelta(days=30),
        )
        # A number for text alerts (a fictional 555 number): used only with an SMS gateway.
        AlertPhone.objects.create(user=supporter, phone="+1 555 0100 123")
        record(actor=None, action=AuditAction.DEMO_LOADED, target=device, details={"devices": 1})
    return (
        "Devices: one old phone, no longer reachable, and a number for text alerts, for the "
        "peer supporter persona."
    )
