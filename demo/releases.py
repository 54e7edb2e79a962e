"""Demo releases of information: one in force with disclosures, one that ends on an event, one
revoked and one expired, so that every release page and the accounting have something to show.

Deterministic from ``random.Random(seed)`` (dates relative to today), idempotent (nothing is
added when any release exists) and refused in production. Names are fictional and encrypted
like real ones. Written straight to the models, as the other demos are: the services refuse
dates in the past, and the demo needs a release that has already expired.
"""

import io
import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from peersupport.accounts.models import Role
from peersupport.accounts.selectors import role_holders
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.releases import signatures
from peersupport.releases.models import Disclosure, Release
from peersupport.support.models import SupportRequest

from . import tables
from .personas import PERSONAS, demo_refuse_in_production

D = Release.Disclosers
ByRole = Disclosure.ByRole
_TEXTS = tables.load("releases")
PEOPLE = _TEXTS["people"]
RECIPIENTS = _TEXTS["recipients"]
ITEMS = _TEXTS["items"]
PURPOSES = _TEXTS["purposes"]


def _signature(rng: random.Random) -> bytes:
    """A scribble that looks like a signature: a transparent PNG, as the pad makes."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    x, y = 40, 120
    points = [(x, y)]
    for _ in range(14):
        x += rng.randint(20, 45)
        y = max(30, min(170, y + rng.randint(-60, 60)))
        points.append((x, y))
    draw.line(points, fill=(17, 17, 17, 255), width=4, joint="curve")
    draw.line([(40, 165), (x, 160)], fill=(17, 17, 17, 255), width=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def load_demo(*, seed: int = 2026) -> str:
    demo_refuse_in_production()
    with transaction.atomic():
        if Release.objects.exists():
            return (
                f"Releases of information already loaded ({Release.objects.count()} releases, "
                f"{Disclosure.objects.count()} disclosures); nothing added."
            )
        persona = next(p.email for p in PERSONAS if p.key == "supporter")
        held = list(
            SupportRequest.objects.filter(
                assigned_supporter__isnull=False,
                purged_at__isnull=True,
                status__in=[SupportRequest.Status.ACCEPTED, SupportRequest.Status.CLOSED],
            )
            .select_related("assigned_supporter")
            .order_by("pk")
        )
        if not held:
            return "No request held by a supporter: no releases of information added."
        # The demo supporter's own requests first, so signing in as them shows releases.
        held.sort(key=lambda req: req.assigned_supporter.email != persona)
        bhs = next(iter(role_holders(Role.BHS_MANAGER)), None)
        rng = random.Random(seed)  # noqa: S311  (deterministic demo data, not secrets)
        today = timezone.localdate()
        now = timezone.now()
        plans = [
            # (signed days ago, expires in days or None, event, disclosers, state)
            (20, 160, "", D.SUPPORTER_AND_BHS, "valid"),
            (8, None, "my return to full duty", D.SUPPORTER, "valid"),
            (60, 120, "", D.SUPPORTER, "revoked"),
            (200, -20, "", D.SUPPORTER_AND_BHS, "expired"),
        ]
        releases = disclosures = 0
        for i, (signed_ago, expires_in, event, disclosers, state) in enumerate(plans):
            req = held[i % len(held)]
            supporter = req.assigned_supporter
            signed_on = today - timedelta(days=signed_ago)
            items = rng.sample(ITEMS, k=2)
            recipients = rng.sample(RECIPIENTS, k=2)
            release = Release.objects.create(
                request=req,
                supporter=supporter,
                person_name=(req.identity or {}).get("name") or rng.choice(PEOPLE),
                disclosers=disclosers,
                items=items,
                recipients=recipients,
                purpose=rng.choice(PURPOSES),
                right_to_revoke_explained=True,
                expires_on=today + timedelta(days=expires_in) if expires_in is not None else None,
                expiry_event=event or None,
                signature_kind=Release.SignatureKind.DRAWN,
                signature_type=Release.SignatureType.PNG,
                signature=signatures.to_text(_signature(rng)),
                signed_on=signed_on,
                created_at=now - timedelta(days=signed_ago),
            )
            releases += 1
            if state == "revoked":
                release.revoked_at = now - timedelta(days=10)
                release.revoked_by = supporter
                release.save(update_fields=["revoked_at", "revoked_by"])
            made = 0 if event else (2 if i == 0 else 1)
            for j in range(made):
                by_bhs = disclosers == D.SUPPORTER_AND_BHS and bhs is not None and j == 1
                Disclosure.objects.create(
                    release=release,
                    disclosed_on=signed_on + timedelta(days=2 + j * 5),
                    recipient=recipients[j % len(recipients)],
                    items=items[: j + 1],
                    purpose=release.purpose,
                    by=bhs if by_bhs else supporter,
                    by_role=ByRole.BHS_MANAGER if by_bhs else ByRole.SUPPORTER,
                    recorded_at=now - timedelta(days=signed_ago - 2 - j * 5),
                )
                disclosures += 1
        record(
            actor=None,
            action=AuditAction.DEMO_LOADED,
            details={"releases": releases, "disclosures": disclosures},
        )
    return (
        f"Releases of information: {releases} releases (in force, ending on an event, revoked, "
        f"expired) with {disclosures} disclosures."
    )
