"""Writes for support requests, offers, messages, contacts, follow-ups and debriefs.

Each function is keyword-only, runs in one transaction and writes its audit event there. Audit
details carry ids and kinds only: never a name, a contact detail, a message or a codename.
"""

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from peersupport.accounts.models import Role, User
from peersupport.accounts.selectors import role_holders
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.governance.notice import current_notice
from peersupport.notifications.channels import is_configured
from peersupport.notifications.messages import notify_message, render_message, site_link
from peersupport.notifications.models import Channel
from peersupport.notifications.services import notification_queue
from peersupport.roster.rules import NOT_SERVING
from peersupport.roster.selectors import home_agency_id, matching_supporters, serves
from peersupport.tenancy import current_agency_id, using_agency

from .codenames import ARGON2_PREFIX, codename_hash, lookup_id, needs_refresh, new_codename
from .models import (
    Contact,
    ContactMethod,
    DebriefRequest,
    FollowUp,
    Message,
    Offer,
    RequesterKind,
    SupportRequest,
)
from .rules import ALERTABLE, requester_tag, requester_tags

Status = SupportRequest.Status


class DuplicateSubmission(Exception):
    """The same form was sent twice; the first one made the request."""


def submission_key(token: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"submission:{token}".encode(), hashlib.sha256
    ).hexdigest()


@dataclass(frozen=True)
class Created:
    request: SupportRequest
    codename: str | None  # shown once to a requester without an account, never stored


# --- Asking --------------------------------------------------------------------------------


@transaction.atomic
def request_create(
    *,
    requester: User | None,
    kind: str,
    name: str = "",
    contact_method: str,
    contact_detail: str = "",
    best_times: str = "",
    supporter: User | None = None,
    languages: list[int] | None = None,
    areas: list[str] | None = None,
    employee_type: str = "",
    exclude_chain: bool = False,
    wait_for_supporter: bool = False,
    alert_on_reply: bool = False,
    notice_version: str,
    submission_token: str = "",
) -> Created:
    """Create a request and offer it at once. ``requester`` is the signed-in employee, or None
    for the public page (then a codename is made). Nothing about the browser is stored."""
    if kind not in RequesterKind.values:
        raise ValidationError({"kind": "Choose who is asking."})
    if (requester is None) == (kind == RequesterKind.EMPLOYEE):
        raise ValidationError("A signed-in request is an employee's; a public one is not.")
    if contact_method not in ContactMethod.values:
        raise ValidationError({"contact_method": "Choose how to be reached."})
    if contact_method not in (ContactMethod.MESSAGES, ContactMethod.IN_PERSON) and not (
        contact_detail.strip()
    ):
        raise ValidationError({"contact_detail": "Say where to reach you, or choose messages."})
    if notice_version != current_notice().version:
        raise ValidationError("The limits of confidentiality changed; read them again.")
    identity = {
        "name": name.strip(),
        "contact_method": contact_method,
        "contact_detail": contact_detail.strip(),
        "best_times": best_times.strip(),
    }
    if requester is not None:
        identity["user_id"] = requester.pk
    if alert_on_reply:
        # A family member who left a contact detail asked to be told of a reply; the address
        # stays here, in the encrypted identity, and nowhere else (notifications.recipients).
        if kind != RequesterKind.FAMILY or contact_method not in ALERTABLE:
            raise ValidationError(
                {"alert_on_reply": "Only a family member who leaves a contact can be told."}
            )
        identity["alert_on_reply"] = True
    key = submission_key(submission_token) if submission_token else None
    if key and SupportRequest.objects.filter(submission_key=key).exists():
        raise DuplicateSubmission
    codename = None if requester is not None else new_codename()
    try:
        with transaction.atomic():
            req = SupportRequest.objects.create(
                kind=kind,
                identity=identity,
                requester_tag=requester_tag(requester) if requester is not None else "",
                codename_hash=codename_hash(codename) if codename else "",
                codename_lookup=lookup_id(codename) if codename else "",
                requested_supporter=supporter,
                wait_for_requested=bool(supporter and wait_for_supporter),
                wanted_languages=sorted(set(languages or [])),
                wanted_areas=sorted(set(areas or [])),
                wanted_employee_type=employee_type,
                exclude_chain=exclude_chain,
                notice_version=notice_version,
                submission_key=key,
            )
    except IntegrityError:
        raise DuplicateSubmission from None
    record(
        actor=None,  # who asked is exactly what the audit log must not say
        action=AuditAction.REQUEST_CREATED,
        target=req,
        details={"kind": kind, "named_supporter": supporter is not None},
    )
    _offer_next(req)
    return Created(request=req, codename=codename)


def _requester_user_id(req: SupportRequest) -> int | None:
    return req.identity.get("user_id")


def _offer_next(req: SupportRequest) -> Offer | None:
    """Offer the request to the next supporter who fits and has not had it yet. The named
    supporter first (if still available); then the best match. None when nobody is left: the
    request waits, and the coordinator hears of it after SUPPORT_ESCALATE_MINUTES."""
    already = set(req.offers.values_list("supporter_id", flat=True))
    requester_id = _requester_user_id(req)
    exclude = already | ({requester_id} if requester_id else set())
    chain_of = User.objects.filter(pk=requester_id).first() if req.exclude_chain else None
    candidates = []
    if req.requested_supporter_id and req.requested_supporter_id not in exclude:
        candidates = matching_supporters(
            exclude_user_ids=exclude, exclude_chain_of=chain_of, available_now=True
        )
        candidates = [p for p in candidates if p.user_id == req.requested_supporter_id]
        if not candidates and req.wait_for_requested:
            # They chose to wait for this supporter: nobody else until that one has had it.
            if req.status != Status.WAITING:
                req.status = Status.WAITING
                req.save(update_fields=["status"])
            return None
    if not candidates:
        candidates = matching_supporters(
            languages=req.wanted_languages,
            areas=req.wanted_areas,
            employee_type=req.wanted_employee_type or None,
            exclude_user_ids=exclude,
            exclude_chain_of=chain_of,
            # A request asking for critical-incident experience is not offered to a supporter
            # who was affected by, or responded to, such an incident now (an open outreach).
            # Worked out when offering; nothing links the request to the incident.
            leave_out_involved=True,
            available_now=True,
        )
    if not candidates:
        if req.status != Status.WAITING:
            req.status = Status.WAITING
            req.save(update_fields=["status"])
        return None
    offer = Offer.objects.create(request=req, supporter_id=candidates[0].user_id)
    req.status = Status.OFFERED
    req.save(update_fields=["status"])
    record(
        actor=None,
        action=AuditAction.REQUEST_OFFERED,
        target=req,
        details={"offer": offer.pk, "supporter_id": offer.supporter_id},
    )
    # Whoever is offered it hears at once: that one waits and until when, never who asked,
    # about what, or whether they were named.
    notify_message(
        key=f"support:offered:{offer.pk}:{offer.supporter_id}",
        user=offer.supporter,
        message="support/offered",
        lapses_at=offer.offered_at + timedelta(minutes=settings.SUPPORT_OFFER_MINUTES),
        link=site_link("support:inbox"),
    )
    return offer


def _locked_request(public_id) -> SupportRequest:
    return SupportRequest.objects.select_for_update().get(public_id=public_id)


@transaction.atomic
def offer_answer(*, actor: User, offer: Offer, accept: bool) -> SupportRequest:
    """The supporter accepts, or passes (then the next supporter gets it)."""
    req = _locked_request(offer.request.public_id)
    offer = Offer.objects.select_for_update(of=("self",)).get(pk=offer.pk)
    if offer.supporter_id != actor.pk:
        raise ValidationError("This offer is not yours.")
    if offer.answer != Offer.Answer.PENDING:
        raise ValidationError("This offer was already answered or has lapsed.")
    if not req.is_open:
        raise ValidationError("This request is no longer open.")
    now = timezone.now()
    offer.answer = Offer.Answer.ACCEPTED if accept else Offer.Answer.PASSED
    offer.answered_at = now
    offer.save(update_fields=["answer", "answered_at"])
    if accept:
        req.status = Status.ACCEPTED
        req.assigned_supporter = actor
        req.accepted_at = now
        req.save(update_fields=["status", "assigned_supporter", "accepted_at"])
        # A request re-offered after its supporter left active status brings its open
        # follow-ups along: otherwise they would stay with someone who no longer does them.
        taken_over = (
            FollowUp.objects.filter(request=req, done_at__isnull=True)
            .exclude(supporter=actor)
            .update(supporter=actor)
        )
        record(
            actor=actor,
            action=AuditAction.REQUEST_ACCEPTED,
            target=req,
            details={"followups_taken_over": taken_over} if taken_over else None,
        )
    else:
        record(actor=actor, action=AuditAction.REQUEST_PASSED, target=req)
        _offer_next(req)
    return req


@transaction.atomic
def offers_lapse(*, now=None) -> dict[str, int]:
    """Worker: offers left unanswered for SUPPORT_OFFER_MINUTES go to the next supporter;
    waiting requests are offered again when someone has become available; requests unaccepted
    for SUPPORT_ESCALATE_MINUTES are raised to the coordinator (counted, never identified)."""
    now = now or timezone.now()
    lapsed = reoffered = escalated = 0
    stale = Offer.objects.select_for_update(of=("self",)).filter(
        answer=Offer.Answer.PENDING,
        offered_at__lte=now - timedelta(minutes=settings.SUPPORT_OFFER_MINUTES),
    )
    for offer in stale.select_related("request"):
        offer.answer, offer.answered_at = Offer.Answer.LAPSED, now
        offer.save(update_fields=["answer", "answered_at"])
        lapsed += 1
        if _offer_next(offer.request):
            reoffered += 1
    for req in SupportRequest.objects.select_for_update().filter(status=Status.WAITING):
        if _offer_next(req):
            reoffered += 1
    overdue = SupportRequest.objects.select_for_update().filter(
        status__in=[Status.WAITING, Status.OFFERED],
        escalated_at__isnull=True,
        created_at__lte=now - timedelta(minutes=settings.SUPPORT_ESCALATE_MINUTES),
    )
    for req in overdue:
        req.escalated_at = now
        req.save(update_fields=["escalated_at"])
        record(actor=None, action=AuditAction.REQUEST_WAITING_RAISED, target=req)
        escalated += 1
    return {"lapsed": lapsed, "reoffered": reoffered, "escalated": escalated}


@transaction.atomic
def requests_reoffer_from(*, supporter: User) -> dict[str, int]:
    """``supporter`` has left active status (the roster's ``supporter_left_active`` signal).
    Their pending offers lapse and the requests they held go back to matching, each offered to
    the next supporter who fits (never to them again). Nothing is lost: messages, contacts and
    follow-ups stay with the request; who asked stays encrypted on it. Counts only, like the
    audit event."""
    now = timezone.now()
    offers = reoffered = 0
    pending = Offer.objects.select_for_update(of=("self",)).filter(
        supporter=supporter, answer=Offer.Answer.PENDING
    )
    for offer in pending.select_related("request"):
        offer.answer, offer.answered_at = Offer.Answer.LAPSED, now
        offer.save(update_fields=["answer", "answered_at"])
        offers += 1
        if _offer_next(offer.request):
            reoffered += 1
    held = SupportRequest.objects.select_for_update().filter(
        assigned_supporter=supporter, status=Status.ACCEPTED
    )
    released = 0
    for req in held:
        req.assigned_supporter, req.accepted_at = None, None
        req.status = Status.WAITING
        req.save(update_fields=["assigned_supporter", "accepted_at", "status"])
        released += 1
        if _offer_next(req):
            reoffered += 1
    if offers or released:
        record(
            actor=None,
            action=AuditAction.ROSTER_REQUESTS_REOFFERED,
            target=supporter,
            details={"offers_lapsed": offers, "held_released": released, "reoffered": reoffered},
        )
    return {"offers_lapsed": offers, "held_released": released, "reoffered": reoffered}


@transaction.atomic
def request_withdraw(*, request: SupportRequest, by_requester: bool = True) -> SupportRequest:
    req = _locked_request(request.public_id)
    if not req.is_open:
        raise ValidationError("This request is already closed.")
    now = timezone.now()
    pending = req.offers.filter(answer=Offer.Answer.PENDING)
    told = [req.assigned_supporter_id, *pending.values_list("supporter_id", flat=True)]
    pending.update(answer=Offer.Answer.WITHDRAWN, answered_at=now)
    req.status, req.closed_at = Status.WITHDRAWN, now
    req.save(update_fields=["status", "closed_at"])
    record(actor=None, action=AuditAction.REQUEST_WITHDRAWN, target=req)
    # The supporter who held it, or had it on offer, stops waiting for it.
    for supporter in User.objects.filter(pk__in=[pk for pk in told if pk]):
        notify_message(
            key=f"support:withdrawn:{req.pk}:{supporter.pk}",
            user=supporter,
            message="support/withdrawn",
            link=site_link("support:inbox"),
        )
    return req


@transaction.atomic
def request_close(*, actor: User, request: SupportRequest) -> SupportRequest:
    req = _locked_request(request.public_id)
    if req.assigned_supporter_id != actor.pk:
        raise ValidationError("Only the supporter who holds this request may close it.")
    if req.status != Status.ACCEPTED:
        raise ValidationError("Only an accepted request can be closed.")
    req.status, req.closed_at = Status.CLOSED, timezone.now()
    req.save(update_fields=["status", "closed_at"])
    record(actor=actor, action=AuditAction.REQUEST_CLOSED, target=req)
    return req


# --- Messages ------------------------------------------------------------------------------

MESSAGE_MAX = 4000


@transaction.atomic
def message_send(*, request: SupportRequest, sender: str, body: str, actor: User | None = None):
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write a message first."})
    if len(body) > MESSAGE_MAX:
        raise ValidationError({"body": f"Keep a message under {MESSAGE_MAX} characters."})
    req = _locked_request(request.public_id)
    if not req.is_open:
        raise ValidationError("This request is closed; messages can no longer be sent.")
    if sender == Message.Sender.SUPPORTER and (
        actor is None or req.assigned_supporter_id != actor.pk
    ):
        raise ValidationError("Only the supporter who holds this request may write here.")
    msg = Message.objects.create(request=req, sender=sender, body=body)
    record(
        actor=actor if sender == Message.Sender.SUPPORTER else None,
        action=AuditAction.MESSAGE_SENT,
        target=req,
        details={"sender": sender, "message": msg.pk},
    )
    _tell_of_message(req, msg, actor=actor)
    return msg


FAMILY_ADDRESS_PREFIX = "support-request:"


def family_alert_address(request_pk: str) -> str:
    """Where to tell a family member of a reply (notifications.recipients): their contact
    detail, read from the encrypted identity at the moment of sending; "" once the request is
    purged or if they did not ask."""
    req = SupportRequest.objects.filter(pk=request_pk, purged_at__isnull=True).first()
    if req is None or not req.identity or not req.identity.get("alert_on_reply"):
        return ""
    return req.identity.get("contact_detail", "")


def _tell_family_of_reply(req: SupportRequest, msg: Message) -> None:
    """A family member who asked to be told (and only they: anonymous requesters never are)
    gets a content-free alert by e-mail, or by text when they gave a phone and a gateway is
    configured. It goes through the outbox like any other (never twice, retried, not lost),
    but the row holds a reference to the request, never the address; no link, no codename, no
    department or program name, so it gives away nothing to whoever reads their phone. It is
    not sent with notify_message: there is no account whose choices to apply."""
    identity = req.identity or {}
    if req.kind != RequesterKind.FAMILY or not identity.get("alert_on_reply"):
        return
    method = identity.get("contact_method")
    if method == ContactMethod.EMAIL:
        channel = Channel.EMAIL
    elif method in (ContactMethod.PHONE, ContactMethod.TEXT) and is_configured(Channel.SMS):
        channel = Channel.SMS
    else:
        return
    subject, body = render_message("support/family_reply")
    notification_queue(
        key=f"support:family_reply:{msg.pk}",
        user=None,
        channel=channel,
        address=f"{FAMILY_ADDRESS_PREFIX}{req.pk}",
        subject=subject,
        body=body,
        kind="support/family_reply",
        topic="support",
        urgent=True,
    )


def _tell_of_message(req: SupportRequest, msg: Message, *, actor: User | None) -> None:
    """One alert per message to the other side, never to whoever wrote it: the supporter
    holding the request hears of the requester's message; a requester with an account hears
    of the supporter's reply (one without an account has nowhere to be told, and checks back
    with their codename). Neither alert says what was written."""
    if msg.sender == Message.Sender.REQUESTER:
        supporter = req.assigned_supporter
        if supporter is None or (actor is not None and actor.pk == supporter.pk):
            return  # offered, not held: the offer alert already says it waits
        notify_message(
            key=f"support:message:{msg.pk}:{supporter.pk}",
            user=supporter,
            message="support/new_message",
            link=site_link("support:held", request_id=req.pk),
        )
        return
    requester = User.objects.filter(pk=_requester_user_id(req)).first()
    if requester is None:
        _tell_family_of_reply(req, msg)
        return
    if actor is not None and actor.pk == requester.pk:
        return
    notify_message(
        key=f"support:reply:{msg.pk}:{requester.pk}",
        user=requester,
        message="support/reply",
        link=site_link("support:my_request", public_id=req.public_id),
    )


# --- Contacts, follow-ups, debriefs ---------------------------------------------------------


@transaction.atomic
def contact_log(
    *,
    actor: User,
    date: date,
    duration_minutes: int,
    mode: str,
    requester_type: str,
    topics: list[str],
    limits_explained: bool,
    notice_version: str,
    referrals=(),
    follow_up_on: date | None = None,
    request: SupportRequest | None = None,
) -> Contact:
    if not actor.has_role(Role.PEER_SUPPORTER):
        raise ValidationError("Only peer supporters log contacts.")
    if not serves(actor):
        raise ValidationError(NOT_SERVING)
    if not limits_explained:
        raise ValidationError(
            {"limits_explained": "Explain the limits of confidentiality before the discussion."}
        )
    if duration_minutes is None or not 1 <= duration_minutes <= 24 * 60:
        raise ValidationError(
            {"duration_minutes": "A contact lasts from 1 minute to 1440 minutes (a full day)."}
        )
    if request is not None and request.assigned_supporter_id != actor.pk:
        raise ValidationError("This request is not yours.")
    today = timezone.localdate()
    if date > today:
        raise ValidationError({"date": "A contact cannot be in the future."})
    if follow_up_on is not None and follow_up_on < today:
        raise ValidationError({"follow_up_on": "A follow-up date cannot be in the past."})
    contact = Contact(
        supporter=actor,
        request=request,
        date=date,
        duration_minutes=duration_minutes,
        mode=mode,
        requester_type=requester_type,
        topics=sorted(set(topics)),
        limits_explained=True,
        notice_version=notice_version,
        follow_up_planned=follow_up_on is not None,
    )
    # Both of the table's check constraints are checked above, in Python: Django would check
    # them again with a query and a savepoint each.
    contact.full_clean(validate_constraints=False)
    contact.save()
    referrals = list(referrals)
    if referrals:  # a new contact has none to compare with (``set`` would read them first)
        contact.referrals.add(*referrals)
    if follow_up_on is not None:
        FollowUp.objects.create(supporter=actor, contact=contact, request=request, due=follow_up_on)
    record(
        actor=actor,
        action=AuditAction.CONTACT_LOGGED,
        target=contact,
        details={"referrals": len(referrals), "follow_up": follow_up_on is not None},
    )
    return contact


@transaction.atomic
def followup_done(*, actor: User, followup: FollowUp) -> FollowUp:
    followup = FollowUp.objects.select_for_update().get(pk=followup.pk)
    if followup.supporter_id != actor.pk:
        raise ValidationError("This follow-up is not yours.")
    if followup.done_at is None:
        followup.done_at = timezone.now()
        followup.save(update_fields=["done_at"])
        record(actor=actor, action=AuditAction.FOLLOWUP_DONE, target=followup)
    return followup


@transaction.atomic
def debrief_request(*, actor: User) -> DebriefRequest:
    """A supporter asks their own program for a debrief: it is filed in, and told to the
    coordinators of, the supporter's home agency, also while they serve another (a loan: the
    agency they helped learns nothing of it)."""
    if not actor.has_role(Role.PEER_SUPPORTER):
        raise ValidationError("Only peer supporters ask for a debrief.")
    with using_agency(home_agency_id(actor) or current_agency_id()):
        if DebriefRequest.objects.filter(supporter=actor, handled_at__isnull=True).exists():
            raise ValidationError("You already asked; the coordinator will be in touch.")
        debrief = DebriefRequest.objects.create(supporter=actor)
        record(actor=actor, action=AuditAction.DEBRIEF_REQUESTED, target=debrief)
        # Every coordinator; the alert does not say which supporter asked (the overview does).
        for coordinator in role_holders(Role.COORDINATOR):
            if coordinator.pk == actor.pk:
                continue
            notify_message(
                key=f"support:debrief:{debrief.pk}:{coordinator.pk}",
                user=coordinator,
                message="support/debrief_requested",
                link=site_link("support:overview"),
            )
    return debrief


@transaction.atomic
def debrief_handled(*, actor: User, debrief: DebriefRequest) -> DebriefRequest:
    if not actor.has_role(Role.COORDINATOR):
        raise ValidationError("Only the coordinator handles debrief requests.")
    debrief = DebriefRequest.objects.select_for_update().get(pk=debrief.pk)
    if debrief.handled_at is None:
        debrief.handled_at, debrief.handled_by = timezone.now(), actor
        debrief.save(update_fields=["handled_at", "handled_by"])
        record(actor=actor, action=AuditAction.DEBRIEF_HANDLED, target=debrief)
    return debrief


# --- Retention -----------------------------------------------------------------------------


@transaction.atomic
def purge_expired(*, now=None) -> dict[str, int]:
    """Forget who asked: for requests closed or withdrawn more than SUPPORT_RETENTION_DAYS ago
    whose follow-ups are all done, the identity, the codename hash, the requester tag and the
    messages are deleted. The de-identified contacts stay for program reporting."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SUPPORT_RETENTION_DAYS)
    due = (
        SupportRequest.objects.select_for_update()
        .filter(
            status__in=[Status.CLOSED, Status.WITHDRAWN],
            closed_at__lte=cutoff,
            purged_at__isnull=True,
        )
        .exclude(followups__done_at__isnull=True, followups__isnull=False)
    )
    requests = messages = 0
    for req in due:
        messages += req.messages.all().delete()[0]
        req.identity = {}
        req.codename_hash = req.codename_lookup = ""
        req.requester_tag = ""
        req.purged_at = now
        req.save(
            update_fields=[
                "identity",
                "codename_hash",
                "codename_lookup",
                "requester_tag",
                "purged_at",
            ]
        )
        requests += 1
    if requests:
        record(
            actor=None,
            action=AuditAction.REQUESTS_PURGED,
            details={"requests": requests, "messages": messages},
        )
    return {"requests": requests, "messages": messages}


# Other apps' purges past their own retention, run with ``purge_expired`` by
# ``manage.py purge_expired`` (releases registers its own in AppConfig.ready(); the worker runs
# each on its own tick). Each returns how many records it purged.
_other_purges: dict[str, Callable[[], int]] = {}


def register_purge(label: str, purge: Callable[[], int]) -> None:
    """``label`` names what is counted, e.g. "release(s) of information"."""
    _other_purges[label] = purge


def purge_others() -> dict[str, int]:
    return {label: purge() for label, purge in _other_purges.items()}


# --- Reminders -----------------------------------------------------------------------------


@transaction.atomic
def followups_remind(*, today: date | None = None) -> int:
    """Tell each supporter once, through the outbox on the channels they chose, about
    follow-ups that are due. The message says only that something is due and where to look:
    no name, no request, no detail. The follow-ups are marked reminded in the transaction that
    queues the message, so it goes out once (the outbox retries until it does)."""

    today = today or timezone.localdate()
    due = (
        FollowUp.objects.select_for_update()
        .filter(done_at__isnull=True, reminded_at__isnull=True, due__lte=today)
        .select_related("supporter")
        .order_by("supporter_id", "due", "pk")
    )
    by_supporter: dict[int, list[FollowUp]] = {}
    for followup in due:
        by_supporter.setdefault(followup.supporter_id, []).append(followup)
    inbox = site_link("support:inbox")
    for followups in by_supporter.values():
        supporter = followups[0].supporter
        notify_message(
            key=f"followups:{supporter.pk}:{followups[0].pk}:{today.isoformat()}",
            user=supporter,
            message="support/followups_due",
            topic="followups",
            n=len(followups),
            link=inbox,
        )
        FollowUp.objects.filter(pk__in=[f.pk for f in followups]).update(reminded_at=timezone.now())
    return len(by_supporter)


@transaction.atomic
def waiting_tell_coordinators(*, now=None) -> int:
    """Tell every coordinator, through the outbox on the channels they chose, about requests
    raised as waiting, once per request. The message says how many and how long, never who
    or what."""

    now = now or timezone.now()
    raised = list(
        SupportRequest.objects.select_for_update()
        .filter(
            escalated_at__isnull=False,
            coordinators_told_at__isnull=True,
            status__in=[Status.WAITING, Status.OFFERED],
        )
        .values_list("pk", "created_at")
    )
    if not raised:
        return 0
    longest = max(int((now - created).total_seconds() // 60) for _, created in raised)
    batch = hashlib.sha256(",".join(str(pk) for pk, _ in sorted(raised)).encode()).hexdigest()[:16]
    for coordinator in role_holders(Role.COORDINATOR):
        notify_message(
            key=f"waiting:{batch}:{coordinator.pk}",
            user=coordinator,
            message="support/requests_waiting",
            topic="waiting",
            n=len(raised),
            minutes=longest,
            link=site_link("support:overview"),
        )
    SupportRequest.objects.filter(pk__in=[pk for pk, _ in raised]).update(coordinators_told_at=now)
    return len(raised)


# --- Codename keys ---------------------------------------------------------------------------
# Neither refresh is audited: the row's meaning does not change, and an event per codename use
# would record when an anonymous requester came back, which no page of the service records.


@transaction.atomic
def codename_refresh(*, request: SupportRequest, codename: str) -> None:
    """After ``codename`` opened ``request``: give it a lookup under the newest codename key,
    and a per-request salted Argon2id hash if it still has the old SECRET_KEY-salted digest
    (rows made before ``codename_lookup`` existed). Then it depends on SECRET_KEY no more."""
    if not needs_refresh(request.codename_hash, request.codename_lookup, codename):
        return
    fields = ["codename_lookup"]
    request.codename_lookup = lookup_id(codename)
    if not request.codename_hash.startswith(ARGON2_PREFIX):
        request.codename_hash = codename_hash(codename)
        fields.append("codename_hash")
    request.save(update_fields=fields)


def requester_tags_refresh(*, user: User) -> int:
    """Move ``user``'s requests still tagged under an older codename key or a SECRET_KEY onto
    the newest codename key, so that the older key can be retired. Returns how many moved."""
    current, *older = requester_tags(user)
    if not older:
        return 0
    return SupportRequest.objects.filter(requester_tag__in=older).update(requester_tag=current)
