"""A webhook endpoint on the system administrator's webhooks page, so the page and the canary
test (every encrypted field has data) have something to show.

It is disabled and its address is under .test, which never resolves: a demo never sends events
anywhere. Its secret is made here and shown nowhere (the page shows a secret only once, when it
is made or rotated).
"""

from django.db import transaction

from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.notifications import webhooks
from peersupport.notifications.models import WebhookEndpoint

from .personas import demo_refuse_in_production


def load_demo() -> str:
    demo_refuse_in_production()
    with transaction.atomic():
        if WebhookEndpoint.objects.exists():
            return "Demo webhook endpoint already there; nothing added."
        endpoint = WebhookEndpoint.objects.create(
            label="Training unit records (example)",
            url="https://training-records.example.test/peersupport/events",
            events=[e.name for e in webhooks.events() if e.name.startswith("training.")],
            secret=webhooks.new_secret(),
            active=False,
        )
        record(actor=None, action=AuditAction.DEMO_LOADED, target=endpoint, details={"webhooks": 1})
    return "Webhooks: one example endpoint, disabled, on the system administrator's page."
