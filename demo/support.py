"""Demo support activity: a year of de-identified contacts, follow-ups, and a handful of
requests in every state, so that every page has something believable to show.

Deterministic from ``random.Random(seed)`` (dates relative to today), idempotent (nothing is
added when any contact exists), bulk-written, and refused in production. Requester names and
contact details are fictional and encrypted like real ones.
"""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.governance.notice import current_notice
from peersupport.resources.models import Resource
from peersupport.roster.models import SupporterProfile
from peersupport.support.models import (
    Contact,
    ContactMethod,
    DebriefRequest,
    FollowUp,
    Message,
    Offer,
    RequesterKind,
    SupportRequest,
)
from peersupport.tenancy import current_agency_id

from . import tables
from .personas import demo_refuse_in_production

_TEXTS = tables.load("support")
FIRST = _TEXTS["requester_first_names"]
LAST = _TEXTS["requester_last_names"]
REPLIES = tuple(_TEXTS["replies"])


def load_demo(*, seed: int = 2026, contacts: int = 400) -> str:
    demo_refuse_in_production()
    with transaction.atomic():
        if Contact.objects.exists():
            return (
                f"Support activity already loaded ({Contact.objects.count()} contacts, "
                f"{SupportRequest.objects.count()} requests); nothing added."
            )
        supporters = list(
            SupporterProfile.objects.filter(status=SupporterProfile.Status.ACTIVE)
            .select_related("user")
            .order_by("pk")
        )
        if not supporters:
            return "No active supporters: no support activity added."
        rng = random.Random(seed)  # noqa: S311  (deterministic demo data, not secrets)
        today = timezone.localdate()
        now = timezone.now()
        version = current_notice().version
        resources = list(Resource.objects.active().order_by("pk"))

        made = _contacts(rng, supporters, resources, today, version, contacts)
        requests = _requests(rng, supporters, now, version)
        debriefs = DebriefRequest.objects.bulk_create(
            DebriefRequest(
                agency_id=current_agency_id(),  # bulk_create skips save(), which would fill it
                supporter=p.user,
                created_at=now - timedelta(hours=rng.randint(2, 48)),
            )
            for p in rng.sample(supporters, k=min(2, len(supporters)))
        )
        record(
            actor=None,
            action=AuditAction.DEMO_LOADED,
            details={
                "support_contacts": made,
                "support_requests": requests,
                "debriefs": len(debriefs),
            },
        )
    return (
        f"Support activity: {made} contacts over the past year, {requests} requests, "
        f"{len(debriefs)} debrief requests."
    )


def _contacts(rng, supporters, resources, today, version, count) -> int:
    topics = list(Contact.Topic.values)
    types = (
        [Contact.RequesterType.SWORN] * 6
        + [Contact.RequesterType.CIVILIAN] * 3
        + [Contact.RequesterType.CORRECTIONS] * 2
        + [Contact.RequesterType.FAMILY] * 2
        + [Contact.RequesterType.RETIREE, Contact.RequesterType.UNKNOWN]
    )
    modes = (
        [Contact.Mode.IN_PERSON] * 4
        + [Contact.Mode.PHONE] * 3
        + [
            Contact.Mode.VIDEO,
            Contact.Mode.TEXT,
        ]
    )
    rows = []
    agency_id = current_agency_id()  # bulk_create skips save(), which would fill it
    for _ in range(count):
        profile = rng.choice(supporters)
        rows.append(
            Contact(
                agency_id=agency_id,
                supporter=profile.user,
                date=today - timedelta(days=rng.randint(0, 364)),
                duration_minutes=rng.choice([10, 15, 20, 30, 30, 45, 60, 90]),
                mode=rng.choice(modes),
                requester_type=rng.choice(types),
                topics=sorted(set(rng.sample(topics, k=rng.choice([1, 1, 2, 3])))),
                limits_explained=True,
                notice_version=version,
                follow_up_planned=rng.random() < 0.35,
            )
        )
    contacts = Contact.objects.bulk_create(rows, batch_size=500)
    through = Contact.referrals.through
    links = [
        through(contact_id=c.pk, resource_id=rng.choice(resources).pk)
        for c in contacts
        if resources and rng.random() < 0.25
    ]
    through.objects.bulk_create(links, batch_size=500, ignore_conflicts=True)
    followups = []
    for c in contacts:
        if not c.follow_up_planned:
            continue
        due = c.date + timedelta(days=rng.choice([1, 7, 7, 14, 30]))
        done = due < today - timedelta(days=3) or rng.random() < 0.3
        followups.append(
            FollowUp(
                agency_id=c.agency_id,
                supporter_id=c.supporter_id,
                contact=c,
                due=due,
                done_at=timezone.now() if done else None,
            )
        )
    FollowUp.objects.bulk_create(followups, batch_size=500)
    return len(contacts)


def _requests(rng, supporters, now, version) -> int:
    """A few requests in each state: waiting, offered, accepted with messages, closed."""
    states = (
        [SupportRequest.Status.OFFERED] * 3
        + [SupportRequest.Status.ACCEPTED] * 5
        + [SupportRequest.Status.CLOSED] * 4
        + [SupportRequest.Status.WAITING]
    )
    made = 0
    for i, state in enumerate(states):
        profile = supporters[i % len(supporters)]
        kind = [RequesterKind.FAMILY, RequesterKind.ANONYMOUS][i % 2]
        # Open offers are recent (they lapse after SUPPORT_OFFER_MINUTES); the rest older.
        recent = state in (SupportRequest.Status.OFFERED, SupportRequest.Status.WAITING)
        created = now - timedelta(
            minutes=rng.randint(2, 10) if recent else rng.randint(60, 60 * 24 * 6)
        )
        req = SupportRequest.objects.create(
            kind=kind,
            identity={
                "name": ""
                if kind == RequesterKind.ANONYMOUS
                else f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "contact_method": ContactMethod.PHONE,
                "contact_detail": f"555-01{rng.randint(10, 99)}",
                "best_times": rng.choice(["evenings", "weekday mornings", "any time"]),
            },
            # No codename: demo requests are there for the supporter's and coordinator's side.
            wanted_areas=[],
            notice_version=version,
            status=state,
            created_at=created,
            assigned_supporter=profile.user
            if state in (SupportRequest.Status.ACCEPTED, SupportRequest.Status.CLOSED)
            else None,
            accepted_at=created + timedelta(minutes=12)
            if state in (SupportRequest.Status.ACCEPTED, SupportRequest.Status.CLOSED)
            else None,
            closed_at=created + timedelta(days=2)
            if state == SupportRequest.Status.CLOSED
            else None,
        )
        if state != SupportRequest.Status.WAITING:
            answer = (
                Offer.Answer.PENDING
                if state == SupportRequest.Status.OFFERED
                else Offer.Answer.ACCEPTED
            )
            Offer.objects.create(
                request=req, supporter=profile.user, offered_at=created, answer=answer
            )
        if state == SupportRequest.Status.ACCEPTED:
            for j, sender in enumerate(["supporter", "requester"]):
                Message.objects.create(
                    request=req,
                    sender=sender,
                    body=REPLIES[(i + j) % len(REPLIES)],
                    sent_at=created + timedelta(minutes=15 + j * 30),
                )
        made += 1
    return made
