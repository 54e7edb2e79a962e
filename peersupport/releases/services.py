"""Every write to releases of information and their disclosures.

Each function is keyword-only, runs in one transaction and writes its audit event there. Audit
details carry ids, counts and kinds only: never a name, an item, a recipient or a purpose.

A release cannot be saved without every element; the refusal names each one missing and
writes nothing. A disclosure is recorded only under a release in force that covers it; a
refused disclosure writes nothing but a DENIED audit event saying why (by reason code).
rules.TRANSITIONS is the one table of moves a release can make (revoke, end by its event).
"""

import datetime
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from peersupport.accounts.models import Role, User
from peersupport.audit.models import AuditAction, Outcome
from peersupport.audit.services import record
from peersupport.support.models import SupportRequest

from . import signatures
from .models import Disclosure, Release, ReleaseStatus
from .rules import TRANSITIONS, clean_lines

ITEMS_MAX = 20
RECIPIENTS_MAX = 10
LINE_MAX = 300
NAME_MAX = 200
PURPOSE_MAX = 1000

# What a release must say, field by field, in the words shown when it is missing.
MISSING = {
    "person_name": "Give the person's full name, as they sign.",
    "disclosers": "Say who may disclose the information.",
    "items": "List the specific information that may be disclosed, one item per line.",
    "recipients": "Name who may receive it, one recipient per line.",
    "purpose": "Say what the information is for.",
    "right_to_revoke_explained": "Confirm that you told the person they may revoke this "
    "release at any time. A release cannot be saved without it.",
    "expires_on": "Give an expiry date or an expiry event (or both).",
    "signature": "The release must be signed: the person signs in the box, or you upload a "
    "scan of the signed paper form.",
    "signed_on": "Give the date the person signed.",
}
# Descriptions that name no information in particular; a release must say what exactly.
VAGUE_ITEMS = frozenset(
    {
        "all",
        "all information",
        "all my information",
        "all of it",
        "all records",
        "any information",
        "anything",
        "everything",
        "whatever is needed",
    }
)


def _check_list(name: str, values: list[str], *, most: int, errors: dict) -> None:
    if not values:
        errors[name] = MISSING[name]
    elif len(values) > most:
        errors[name] = f"List at most {most}; make a second release for the rest."
    elif any(len(v) > LINE_MAX for v in values):
        errors[name] = f"Keep each line under {LINE_MAX} characters."


@transaction.atomic
def release_create(
    *,
    actor: User,
    request: SupportRequest,
    person_name: str,
    disclosers: str,
    items: list[str],
    recipients: list[str],
    purpose: str,
    right_to_revoke_explained: bool,
    expires_on: datetime.date | None,
    expiry_event: str = "",
    signature_kind: str,
    signature: bytes | None,
    signed_on: datetime.date | None,
) -> Release:
    """Record a signed release for the person of a request the actor holds. Every element is
    required; a refusal lists all that is wrong and writes nothing."""
    if not actor.has_role(Role.PEER_SUPPORTER):
        raise ValidationError("Only peer supporters record releases of information.")
    req = SupportRequest.objects.select_for_update().get(pk=request.pk)
    if req.assigned_supporter_id != actor.pk:
        raise ValidationError("Only the supporter holding this request records its releases.")
    if req.purged_at is not None or req.status not in (
        SupportRequest.Status.ACCEPTED,
        SupportRequest.Status.CLOSED,
    ):
        raise ValidationError("A release is recorded for a request you accepted.")

    today = timezone.localdate()
    errors: dict[str, str] = {}
    person_name = " ".join((person_name or "").split())
    if not person_name:
        errors["person_name"] = MISSING["person_name"]
    elif len(person_name) > NAME_MAX:
        errors["person_name"] = f"Keep the name under {NAME_MAX} characters."
    if disclosers not in Release.Disclosers.values:
        errors["disclosers"] = MISSING["disclosers"]
    items = clean_lines(items)
    _check_list("items", items, most=ITEMS_MAX, errors=errors)
    if "items" not in errors and any(item.casefold().strip(".") in VAGUE_ITEMS for item in items):
        errors["items"] = (
            "Describe each item of information specifically (for example “dates of my "
            "peer support contacts in 2025”); “everything” or “all records” is not specific."
        )
    recipients = clean_lines(recipients)
    _check_list("recipients", recipients, most=RECIPIENTS_MAX, errors=errors)
    purpose = (purpose or "").strip()
    if not purpose:
        errors["purpose"] = MISSING["purpose"]
    elif len(purpose) > PURPOSE_MAX:
        errors["purpose"] = f"Keep the purpose under {PURPOSE_MAX} characters."
    if right_to_revoke_explained is not True:
        errors["right_to_revoke_explained"] = MISSING["right_to_revoke_explained"]
    expiry_event = " ".join((expiry_event or "").split())
    if len(expiry_event) > LINE_MAX:
        errors["expiry_event"] = f"Keep the expiry event under {LINE_MAX} characters."
    if signed_on is None:
        errors["signed_on"] = MISSING["signed_on"]
    elif signed_on > today:
        errors["signed_on"] = "The date signed cannot be in the future."
    if expires_on is None and not expiry_event:
        errors["expires_on"] = MISSING["expires_on"]
    elif expires_on is not None and signed_on is not None and expires_on < signed_on:
        errors["expires_on"] = "The expiry date cannot be before the date signed."
    elif expires_on is not None and expires_on < today:
        errors["expires_on"] = "The expiry date has already passed."
    signature_type = ""
    if signature_kind not in Release.SignatureKind.values or not signature:
        errors["signature"] = MISSING["signature"]
    else:
        try:
            if signature_kind == Release.SignatureKind.DRAWN:
                signature_type = signatures.check_drawing(signature)
            else:
                signature_type = signatures.check_scan(signature)
        except ValidationError as exc:
            errors["signature"] = " ".join(exc.messages)
    if errors:
        raise ValidationError(errors)

    release = Release.objects.create(
        request=req,
        supporter=actor,
        person_name=person_name,
        disclosers=disclosers,
        items=items,
        recipients=recipients,
        purpose=purpose,
        right_to_revoke_explained=True,
        expires_on=expires_on,
        expiry_event=expiry_event or None,
        signature_kind=signature_kind,
        signature_type=signature_type,
        signature=signatures.to_text(signature),
        signed_on=signed_on,
    )
    record(
        actor=actor,
        action=AuditAction.RELEASE_CREATED,
        target=release,
        details={
            "request": req.pk,
            "items": len(items),
            "recipients": len(recipients),
            "disclosers": disclosers,
            "expiry": "both" if expires_on and expiry_event else "date" if expires_on else "event",
            "signature": signature_kind,
        },
    )
    return release


def _locked(release: Release) -> Release:
    return Release.objects.select_for_update().get(pk=release.pk)


def transition_refusal(*, actor: User, release: Release, action: str) -> str | None:
    """Why ``actor`` may not ``revoke`` or ``end`` ``release`` now, or None if they may."""
    if action not in TRANSITIONS:
        return f"Unknown action: {action}."
    if release.supporter_id != actor.pk or not actor.has_role(Role.PEER_SUPPORTER):
        return "Only the peer supporter holding this release may change it."
    status = release.status_on()
    if status not in TRANSITIONS[action][0]:
        return f"This release is already {ReleaseStatus(status).label.lower()}; nothing changed."
    if action == "end" and release.expiry_event is None:
        return "This release has no expiry event; it ends on its date."
    return None


@transaction.atomic
def release_transition(*, actor: User, release: Release, action: str) -> Release:
    """The one function that moves a release: ``revoke`` (the person withdrew consent, through
    their supporter) or ``end`` (its expiry event happened). Only its supporter does either."""
    release = _locked(release)
    refusal = transition_refusal(actor=actor, release=release, action=action)
    if refusal:
        raise ValidationError(refusal)
    now = timezone.now()
    if action == "revoke":
        release.revoked_at, release.revoked_by = now, actor
        release.save(update_fields=["revoked_at", "revoked_by"])
    else:
        release.ended_at, release.ended_by = now, actor
        release.save(update_fields=["ended_at", "ended_by"])
    record(actor=actor, action=TRANSITIONS[action][1], target=release)
    return release


def release_revoke(*, actor: User, release: Release) -> Release:
    return release_transition(actor=actor, release=release, action="revoke")


def release_end(*, actor: User, release: Release) -> Release:
    return release_transition(actor=actor, release=release, action="end")


@transaction.atomic
def release_revoke_by_person(*, release: Release) -> Release:
    """The person withdraws their consent themselves, from their own request page (with their
    account or their codename; the caller found the release through that request). Like a
    withdrawn request, the audit event names no actor: the log must not say who asked."""
    release = _locked(release)
    status = release.status_on()
    if status not in TRANSITIONS["revoke"][0]:
        raise ValidationError(
            f"This release is already {ReleaseStatus(status).label.lower()}; nothing changed."
        )
    release.revoked_at, release.revoked_by = timezone.now(), None
    release.save(update_fields=["revoked_at", "revoked_by"])
    record(
        actor=None,
        action=TRANSITIONS["revoke"][1],
        target=release,
        details={"by": "person"},
    )
    return release


# --- Disclosures ---------------------------------------------------------------------------------


def discloser_role(actor: User, release: Release) -> str | None:
    """In which capacity ``actor`` may disclose under ``release``, or None."""
    if release.supporter_id == actor.pk and actor.has_role(Role.PEER_SUPPORTER):
        return Disclosure.ByRole.SUPPORTER
    if release.bhs_may_disclose and actor.has_role(Role.BHS_MANAGER):
        return Disclosure.ByRole.BHS_MANAGER
    return None


def _refusals(
    *,
    actor: User,
    release: Release,
    disclosed_on: datetime.date | None,
    recipient: str,
    items: list[str],
    purpose: str,
) -> dict[str, ValidationError]:
    """Every reason the disclosure falls outside the release, each with its code."""
    today = timezone.localdate()
    out: dict[str, ValidationError] = {}
    if discloser_role(actor, release) is None:
        out["__all__"] = ValidationError(
            "You may not disclose under this release: it names "
            + (
                "the person's peer supporter and the BHS manager."
                if release.bhs_may_disclose
                else "only the person's peer supporter."
            ),
            code="discloser_not_named",
        )
        return out
    status = release.status_on(today)
    if status != ReleaseStatus.VALID:
        why = {
            ReleaseStatus.REVOKED: "the person revoked it",
            ReleaseStatus.ENDED: "its expiry event has happened",
            ReleaseStatus.EXPIRED: "it expired",
        }[status]
        out["__all__"] = ValidationError(
            f"This release is no longer in force ({why}); nothing may be disclosed under it.",
            code=f"release_{status}",
        )
        return out
    if disclosed_on is None:
        out["disclosed_on"] = ValidationError("Give the date of the disclosure.", code="no_date")
    elif disclosed_on > today:
        out["disclosed_on"] = ValidationError(
            "A disclosure cannot be dated in the future.", code="date_in_future"
        )
    elif disclosed_on < release.signed_on:
        out["disclosed_on"] = ValidationError(
            "The release was signed on "
            f"{release.signed_on:%d %B %Y}; nothing can have been disclosed under it before.",
            code="date_before_signed",
        )
    if recipient not in release.recipients:
        out["recipient"] = ValidationError(
            "The release does not name this recipient; disclose only to someone it names.",
            code="recipient_not_named",
        )
    if not items:
        out["items"] = ValidationError(
            "Choose which of the release's items were disclosed.", code="no_items"
        )
    elif not set(items) <= set(release.items):
        out["items"] = ValidationError(
            "The release does not cover all of this information; disclose only the items it lists.",
            code="items_not_covered",
        )
    if " ".join(purpose.split()) != " ".join(release.purpose.split()):
        out["purpose"] = ValidationError(
            "Information is disclosed only for the purpose the person consented to.",
            code="purpose_differs",
        )
    return out


@transaction.atomic
def _disclosure_write(
    *,
    actor: User,
    release: Release,
    disclosed_on: datetime.date | None,
    recipient: str,
    items: list[str],
    purpose: str,
) -> Disclosure:
    release = _locked(release)  # a revocation at the same moment waits, or this one does
    refusals = _refusals(
        actor=actor,
        release=release,
        disclosed_on=disclosed_on,
        recipient=recipient,
        items=items,
        purpose=purpose,
    )
    if refusals:
        raise ValidationError(refusals)
    disclosure = Disclosure.objects.create(
        release=release,
        disclosed_on=disclosed_on,
        recipient=recipient,
        items=[item for item in release.items if item in set(items)],
        purpose=release.purpose,
        by=actor,
        by_role=discloser_role(actor, release),
    )
    record(
        actor=actor,
        action=AuditAction.DISCLOSURE_RECORDED,
        target=release,
        details={
            "disclosure": disclosure.pk,
            "items": len(disclosure.items),
            "recipient_index": release.recipients.index(recipient),
            "by_role": disclosure.by_role,
        },
    )
    return disclosure


def disclosure_record(
    *,
    actor: User,
    release: Release,
    disclosed_on: datetime.date | None,
    recipient: str,
    items: list[str],
    purpose: str,
) -> Disclosure:
    """Record a disclosure under ``release``: only while it is in force, to a recipient it
    names, of items it lists, for its purpose, dated between its signing and today, by its
    supporter or (when the person allowed it) the BHS manager.

    A refusal raises ValidationError with every reason and writes nothing except one audit
    event with outcome DENIED and the reasons' codes, in its own transaction, so the refused
    attempt stays on record."""
    items = clean_lines(items)
    recipient = " ".join((recipient or "").split())
    try:
        return _disclosure_write(
            actor=actor,
            release=release,
            disclosed_on=disclosed_on,
            recipient=recipient,
            items=items,
            purpose=purpose or "",
        )
    except ValidationError as exc:
        codes = sorted(
            {error.code or "invalid" for errors in exc.error_dict.values() for error in errors}
            if hasattr(exc, "error_dict")
            else {error.code or "invalid" for error in exc.error_list}
        )
        with transaction.atomic():
            record(
                actor=actor,
                action=AuditAction.DISCLOSURE_REFUSED,
                target=release,
                outcome=Outcome.DENIED,
                details={"reasons": codes, "items": len(items)},
            )
        raise


# --- Retention -----------------------------------------------------------------------------------


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@transaction.atomic
def releases_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete the releases, with their disclosures, that ended (revoked, ended by their event
    or expired) more than RELEASE_RETENTION_YEARS ago and under which nothing was disclosed
    since. A release still in force is never deleted. Returns how many were deleted.

    For the worker: call it once a day or so (it is idempotent and cheap)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    cutoff = _years_before(today, settings.RELEASE_RETENTION_YEARS)
    cutoff_at = now - timedelta(days=(today - cutoff).days)
    # A first cut in the database; Release.ended_on and the last disclosure decide.
    candidates = list(
        Release.objects.filter(
            Q(revoked_at__lt=cutoff_at) | Q(ended_at__lt=cutoff_at) | Q(expires_on__lt=cutoff)
        ).only("pk", "revoked_at", "ended_at", "expires_on", "signed_on")
    )
    last_disclosed = dict(
        Disclosure.objects.filter(release__in=candidates)
        .values("release")
        .annotate(last=Max("disclosed_on"))
        .values_list("release", "last")
    )
    doomed = []
    for release in candidates:
        end = release.ended_on(today)
        if end is not None and max(end, last_disclosed.get(release.pk, end)) < cutoff:
            doomed.append(release.pk)
    if not doomed:
        return 0
    disclosures = Disclosure.objects.filter(release_id__in=doomed).count()
    Release.objects.filter(pk__in=doomed).delete()
    record(
        actor=None,
        action=AuditAction.RELEASES_PURGED,
        details={
            "releases": len(doomed),
            "disclosures": disclosures,
            "retention_years": settings.RELEASE_RETENTION_YEARS,
        },
    )
    return len(doomed)
