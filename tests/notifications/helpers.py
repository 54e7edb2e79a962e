"""Helpers of the notification tests (and the browser test of the installed app)."""

import json

import http_ece

from peersupport.notifications import push
from peersupport.notifications.models import PushSubscription

from ..matrix.devices import b64url, browser_keys


class Browser:
    """What a browser holds for one push subscription."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.private_key, self.p256dh, self.auth = browser_keys()

    def subscribe(self, user, label="Work phone") -> PushSubscription:
        return push.device_add(
            actor=user,
            label=label,
            endpoint=self.endpoint,
            p256dh=self.p256dh,
            auth=b64url(self.auth),
        )

    def read(self, request: dict) -> dict:
        assert request["headers"]["content-encoding"] == "aes128gcm"
        plain = http_ece.decrypt(
            request["body"],
            private_key=self.private_key,
            auth_secret=self.auth,
            version="aes128gcm",
        )
        return json.loads(plain)
