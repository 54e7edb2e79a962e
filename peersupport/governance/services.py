"""Every write to policy documents: drafting, editing, the approval state machine and
acknowledgements. Each writes its audit event in the same transaction.

TRANSITIONS is the one table of moves. The BHS manager drafts, edits and submits; only the
Chief approves or returns. A refusal raises ValidationError and changes nothing.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from peersupport.accounts.models import Role, User
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record

from .models import PolicyAcknowledgement, PolicyDocument, PolicyVersion
from .selectors import active_exception_snapshot, current_version

S = PolicyVersion.Status

# action -> (states it may start from, state it leads to, the role that may take it, audit)
TRANSITIONS = {
    "submit": (frozenset({S.DRAFT, S.RETURNED}), S.SUBMITTED, Role.BHS_MANAGER),
    "approve": (frozenset({S.SUBMITTED}), S.APPROVED, Role.CHIEF),
    "return": (frozenset({S.SUBMITTED}), S.RETURNED, Role.CHIEF),
}
_AUDIT = {
    "submit": AuditAction.POLICY_SUBMITTED,
    "approve": AuditAction.POLICY_APPROVED,
    "return": AuditAction.POLICY_RETURNED,
}
_DONE = {"submit": "submitted", "approve": "approved", "return": "returned"}
_ROLE_REFUSAL = {
    Role.BHS_MANAGER: "Only the BHS manager drafts, edits and submits policy versions.",
    Role.CHIEF: "Only the Chief of Police approves or returns a policy version.",
}
OPEN_STATES = frozenset({S.DRAFT, S.SUBMITTED, S.RETURNED})


def _require_role(actor: User, role: str) -> None:
    if not actor.has_role(role):
        raise ValidationError(_ROLE_REFUSAL[role])


def _check_effective_date(effective_date: datetime.date | None) -> None:
    if effective_date is None:
        raise ValidationError({"effective_date": "Give the date the version takes effect."})
    if effective_date < timezone.localdate():
        raise ValidationError({"effective_date": "The effective date cannot be in the past."})


def _check_content(document: PolicyDocument, *, body: str, intro: str, closing: str) -> None:
    if document.is_notice:
        errors = {}
        if not intro.strip():
            errors["intro"] = "Write the introduction shown before the exceptions."
        if not closing.strip():
            errors["closing"] = "Write the closing text shown after the exceptions."
        if errors:
            raise ValidationError(errors)
    elif not body.strip():
        raise ValidationError({"body": "Write the text of the policy."})


@transaction.atomic
def policy_version_draft(
    *,
    actor: User,
    document: PolicyDocument,
    effective_date: datetime.date | None,
    body: str = "",
    intro: str = "",
    closing: str = "",
) -> PolicyVersion:
    """A new draft. A notice's draft copies the active exception categories as they are now."""
    _require_role(actor, Role.BHS_MANAGER)
    document = PolicyDocument.objects.select_for_update().get(pk=document.pk)
    if document.versions.filter(status__in=OPEN_STATES).exists():
        raise ValidationError(
            f"{document} already has a version in progress; edit or finish that one first."
        )
    _check_effective_date(effective_date)
    _check_content(document, body=body, intro=intro, closing=closing)
    number = (document.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = PolicyVersion.objects.create(
        document=document,
        number=number,
        label=PolicyVersion.label_for(document, number),
        body=body if not document.is_notice else "",
        intro=intro if document.is_notice else "",
        closing=closing if document.is_notice else "",
        exceptions=active_exception_snapshot() if document.is_notice else [],
        effective_date=effective_date,
        status=S.DRAFT,
        drafted_by=actor,
        drafted_at=timezone.now(),
    )
    record(
        actor=actor,
        action=AuditAction.POLICY_DRAFTED,
        target=version,
        details={"document": document.kind, "number": number},
    )
    return version


def _locked(version: PolicyVersion) -> PolicyVersion:
    return PolicyVersion.objects.select_for_update().select_related("document").get(pk=version.pk)


@transaction.atomic
def policy_version_edit(
    *,
    actor: User,
    version: PolicyVersion,
    effective_date: datetime.date | None,
    body: str = "",
    intro: str = "",
    closing: str = "",
) -> PolicyVersion:
    """Change a draft or a returned version. A notice's exceptions are copied again."""
    _require_role(actor, Role.BHS_MANAGER)
    version = _locked(version)
    if not version.is_editable:
        raise ValidationError(
            f"A version that is {version.get_status_display().lower()} cannot be edited."
        )
    _check_effective_date(effective_date)
    _check_content(version.document, body=body, intro=intro, closing=closing)
    version.effective_date = effective_date
    if version.document.is_notice:
        version.intro, version.closing = intro, closing
        version.exceptions = active_exception_snapshot()
    else:
        version.body = body
    version.save(update_fields=["effective_date", "body", "intro", "closing", "exceptions"])
    record(
        actor=actor,
        action=AuditAction.POLICY_DRAFTED,
        target=version,
        details={"document": version.document.kind, "number": version.number, "edit": True},
    )
    return version


@transaction.atomic
def policy_version_transition(
    *, actor: User, version: PolicyVersion, action: str, comment: str = ""
) -> PolicyVersion:
    """The one function that moves a version through TRANSITIONS."""
    if action not in TRANSITIONS:
        raise ValidationError(f"Unknown action: {action}.")
    sources, target, role = TRANSITIONS[action]
    _require_role(actor, role)
    version = _locked(version)
    if version.status not in sources:
        raise ValidationError(
            f"A version that is {version.get_status_display().lower()} cannot be {_DONE[action]}."
        )
    comment = comment.strip()
    if action == "return" and not comment:
        raise ValidationError({"comment": "Say what needs to change before returning it."})
    if action in ("submit", "approve"):
        # Approval must not put in force a date already gone by; the draft may have sat a while.
        _check_effective_date(version.effective_date)
    now = timezone.now()
    fields = ["status"]
    version.status = target
    if action == "submit":
        version.submitted_by, version.submitted_at = actor, now
        fields += ["submitted_by", "submitted_at"]
    else:
        version.decided_by, version.decided_at = actor, now
        version.chief_comment = comment
        fields += ["decided_by", "decided_at", "chief_comment"]
    version.save(update_fields=fields)
    record(
        actor=actor,
        action=_AUDIT[action],
        target=version,
        details={"document": version.document.kind, "number": version.number},
    )
    return version


def policy_version_submit(*, actor: User, version: PolicyVersion) -> PolicyVersion:
    return policy_version_transition(actor=actor, version=version, action="submit")


def policy_version_approve(*, actor: User, version: PolicyVersion) -> PolicyVersion:
    return policy_version_transition(actor=actor, version=version, action="approve")


def policy_version_return(*, actor: User, version: PolicyVersion, comment: str) -> PolicyVersion:
    return policy_version_transition(actor=actor, version=version, action="return", comment=comment)


@transaction.atomic
def policy_acknowledge(*, actor: User, version: PolicyVersion) -> PolicyAcknowledgement:
    """A peer supporter acknowledges the program policy in force (and only that version)."""
    if not actor.has_role(Role.PEER_SUPPORTER):
        raise ValidationError("Only peer supporters acknowledge the program policy.")
    current = current_version(PolicyDocument.Kind.PROGRAM_POLICY)
    if current is None or current.pk != version.pk:
        raise ValidationError("Only the program policy in force can be acknowledged.")
    ack, created = PolicyAcknowledgement.objects.get_or_create(version=version, user=actor)
    if created:
        record(
            actor=actor,
            action=AuditAction.POLICY_ACKNOWLEDGED,
            target=version,
            details={"number": version.number},
        )
    return ack
