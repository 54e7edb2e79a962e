"""Every write to policy documents: drafting, editing, the approval state machine,
acknowledgements, and the exception categories the notice lists. Each writes its audit event in
the same transaction.

rules.TRANSITIONS is the one table of moves. The BHS manager drafts, edits and submits; only the
Chief approves or returns. A refusal raises ValidationError and changes nothing.
"""

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from peersupport.accounts.models import Role, User
from peersupport.accounts.selectors import role_holders
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.notifications.messages import notify_message, site_link

from .models import ExceptionCategory, PolicyAcknowledgement, PolicyDocument, PolicyVersion
from .rules import OPEN_STATES, TRANSITIONS, PrivilegeProfile, privilege_errors
from .selectors import active_exception_snapshot, current_version, supporters_not_acknowledged

S = PolicyVersion.Status

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


def _require_role(actor: User, role: str) -> None:
    if not actor.has_role(role):
        raise ValidationError(_ROLE_REFUSAL[role])


def _check_effective_date(effective_date: datetime.date | None) -> None:
    if effective_date is None:
        raise ValidationError({"effective_date": "Give the date the version takes effect."})
    if effective_date < timezone.localdate():
        raise ValidationError({"effective_date": "The effective date cannot be in the past."})


def _check_content(
    document: PolicyDocument,
    *,
    body: str,
    intro: str,
    closing: str,
    privilege: PrivilegeProfile | None = None,
) -> None:
    if document.is_notice:
        errors = {}
        if not intro.strip():
            errors["intro"] = "Write the introduction shown before the exceptions."
        if not closing.strip():
            errors["closing"] = "Write the closing text shown after the exceptions."
        if privilege is not None:
            errors |= privilege_errors(privilege)
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
    privilege: PrivilegeProfile | None = None,
) -> PolicyVersion:
    """A new draft. A notice's draft copies the active exception categories as they are now,
    and keeps the privilege profile given (None: it states none)."""
    _require_role(actor, Role.BHS_MANAGER)
    document = PolicyDocument.objects.select_for_update().get(pk=document.pk)
    if document.versions.filter(status__in=OPEN_STATES).exists():
        raise ValidationError(
            f"{document} already has a version in progress; edit or finish that one first."
        )
    _check_effective_date(effective_date)
    _check_content(document, body=body, intro=intro, closing=closing, privilege=privilege)
    number = (document.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = PolicyVersion.objects.create(
        document=document,
        number=number,
        label=PolicyVersion.label_for(document, number),
        body=body if not document.is_notice else "",
        intro=intro if document.is_notice else "",
        closing=closing if document.is_notice else "",
        exceptions=active_exception_snapshot() if document.is_notice else [],
        privilege=_privilege_json(document, privilege),
        effective_date=effective_date,
        status=S.DRAFT,
        drafted_by=actor,
        drafted_at=timezone.now(),
    )
    record(
        actor=actor,
        action=AuditAction.POLICY_DRAFTED,
        target=version,
        details={"document": document.kind, "number": number, **_privilege_detail(version)},
    )
    return version


def _privilege_json(document: PolicyDocument, privilege: PrivilegeProfile | None) -> dict:
    return privilege.to_json() if document.is_notice and privilege is not None else {}


def _privilege_detail(version: PolicyVersion) -> dict:
    """For the audit event: the privilege rules a notice version states (public law, no
    person), so the log shows when and by whom the department's profile changed."""
    return {"privilege": version.privilege} if version.document.is_notice else {}


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
    privilege: PrivilegeProfile | None = None,
) -> PolicyVersion:
    """Change a draft or a returned version. A notice's exceptions are copied again, and its
    privilege profile replaced by the one given."""
    _require_role(actor, Role.BHS_MANAGER)
    version = _locked(version)
    if not version.is_editable:
        raise ValidationError(
            f"A version that is {version.get_status_display().lower()} cannot be edited."
        )
    _check_effective_date(effective_date)
    _check_content(version.document, body=body, intro=intro, closing=closing, privilege=privilege)
    version.effective_date = effective_date
    if version.document.is_notice:
        version.intro, version.closing = intro, closing
        version.exceptions = active_exception_snapshot()
        version.privilege = _privilege_json(version.document, privilege)
    else:
        version.body = body
    version.save(
        update_fields=["effective_date", "body", "intro", "closing", "exceptions", "privilege"]
    )
    record(
        actor=actor,
        action=AuditAction.POLICY_DRAFTED,
        target=version,
        details={
            "document": version.document.kind,
            "number": version.number,
            "edit": True,
            **_privilege_detail(version),
        },
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
    _tell_of_move(version, action=action, actor=actor, at=now)
    if action == "approve":
        policy_announce(version=version)
    return version


def _tell(people, *, key: str, message: str, **context) -> int:
    """Tell each of ``people`` once, with the template ``message``."""
    told = set()
    for person in people:
        if person is None or person.pk in told:
            continue
        told.add(person.pk)
        notify_message(key=f"{key}:{person.pk}", user=person, message=message, **context)
    return len(told)


def _tell_of_move(version: PolicyVersion, *, action: str, actor: User, at) -> None:
    """Whoever must act next: a submitted version waits for every Chief; a returned or an
    approved one goes back to whoever drafted and submitted it. Never to the one who moved it,
    and never the text or the Chief's comments: the link shows them to those allowed."""
    stamp = int(at.timestamp() * 1_000_000)  # a version may be submitted and returned often
    key = f"governance:version:{version.pk}:{action}:{stamp}"
    link = site_link("governance:version", version_id=version.pk)
    authors = [p for p in (version.drafted_by, version.submitted_by) if p and p.pk != actor.pk]
    if action == "submit":
        _tell(
            [chief for chief in role_holders(Role.CHIEF) if chief.pk != actor.pk],
            key=key,
            message="governance/submitted",
            link=link,
        )
    elif action == "approve":
        _tell(authors, key=key, message="governance/approved", link=link)
    else:
        _tell(authors, key=key, message="governance/returned", link=link)


def policy_announce(*, version: PolicyVersion) -> int:
    """Tell every supporter who has not acknowledged it that the program policy ``version``
    waits for their acknowledgement, once, when it is in force (the day it is approved, or the
    governance tick on its effective date). Returns how many were told."""
    if version.document.kind != PolicyDocument.Kind.PROGRAM_POLICY:
        return 0
    version = _locked(version)
    current = current_version(PolicyDocument.Kind.PROGRAM_POLICY)
    if version.supporters_told_at is not None or current is None or current.pk != version.pk:
        return 0
    version.supporters_told_at = timezone.now()
    version.save(update_fields=["supporters_told_at"])
    return _tell(
        supporters_not_acknowledged(version),
        key=f"governance:policy:{version.pk}:new",
        message="governance/acknowledge",
        link=site_link("governance:current"),
    )


@transaction.atomic
def policies_announce() -> int:
    """The governance tick: a program policy approved earlier with a later effective date is
    announced on the day it takes effect."""
    current = current_version(PolicyDocument.Kind.PROGRAM_POLICY)
    if current is None or current.supporters_told_at is not None:
        return 0
    return policy_announce(version=current)


@transaction.atomic
def policy_acknowledgements_remind(*, actor: User, version: PolicyVersion) -> int:
    """Remind the supporters who have not acknowledged the program policy in force, at most
    once a day per version. The audit event says how many, never who."""
    if not actor.has_role(Role.COORDINATOR, Role.BHS_MANAGER):
        raise ValidationError("Only the coordinator or the BHS manager sends these reminders.")
    version = _locked(version)
    current = current_version(PolicyDocument.Kind.PROGRAM_POLICY)
    if current is None or current.pk != version.pk:
        raise ValidationError("Only the program policy in force can be reminded of.")
    today = timezone.localdate()
    if version.reminded_on == today:
        raise ValidationError(
            "Those who have not acknowledged were already reminded today. You can remind them "
            "again tomorrow."
        )
    if not supporters_not_acknowledged(version).exists():
        raise ValidationError("Every supporter has acknowledged this version; nobody to remind.")
    version.reminded_on = today
    version.save(update_fields=["reminded_on"])
    count = _tell(
        supporters_not_acknowledged(version),
        key=f"governance:policy:{version.pk}:remind:{today.isoformat()}",
        message="governance/remind",
        link=site_link("governance:current"),
    )
    record(
        actor=actor,
        action=AuditAction.POLICY_ACK_REMINDED,
        target=version,
        details={"number": version.number, "reminded": count},
    )
    return count


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


# --- Exception categories (PROGRAM.md rule 4) -----------------------------------------------
#
# The BHS manager keeps them. A notice version copies the active ones when it is drafted or
# edited, so nothing here changes a notice already approved; a retired category is no longer
# offered for new escalations but stays, for the escalations that name it. The code is fixed at
# creation: escalations refer to it.

# What the BHS manager may change after creation (the code is set once).
CATEGORY_FIELDS = ("name", "explanation", "action", "crisis_resources", "order")


def _require_category_keeper(actor: User) -> None:
    if not actor.has_role(Role.BHS_MANAGER):
        raise ValidationError("Only the BHS manager keeps the exception categories.")


def _lock_categories() -> None:
    """Category writes are rare: taking every row in turn makes the name check below hold
    against a concurrent write too (there is no constraint on the name to fall back on)."""
    list(ExceptionCategory.objects.select_for_update().order_by("pk").values_list("pk"))


def _category_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(CATEGORY_FIELDS)
    if unknown:
        raise ValueError(f"not exception category fields: {sorted(unknown)}")
    cleaned = {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}
    if "name" in cleaned:
        cleaned["name"] = " ".join(cleaned["name"].split())
    return cleaned


def _check_name_free(name: str, *, exclude_pk: int | None = None) -> None:
    taken = ExceptionCategory.objects.filter(name__iexact=name).exclude(pk=exclude_pk).first()
    if taken is None:
        return
    if taken.active:
        message = "There is already a category with this name. Give this one another name."
    else:
        message = (
            "A retired category has this name. Restore that one instead, or give this one "
            "another name."
        )
    raise ValidationError({"name": message})


def _check_code_free(code: str) -> None:
    taken = ExceptionCategory.objects.filter(code__iexact=code).first()
    if taken is None:
        return
    if taken.active:
        message = f"The code is taken by “{taken.name}”. Choose another code."
    else:
        message = (
            f"The code is taken by the retired category “{taken.name}”. Restore that one "
            "instead, or choose another code."
        )
    raise ValidationError({"code": message})


def _save_category(category: ExceptionCategory, *, update_fields=None) -> None:
    category.full_clean(validate_unique=False)  # the checks above say it better
    try:
        with transaction.atomic():
            category.save(update_fields=update_fields)
    except IntegrityError:
        # A concurrent create with the same code got past the check first.
        raise ValidationError({"code": "The code is taken. Choose another code."}) from None


@transaction.atomic
def exception_category_create(
    *,
    actor: User,
    code: str,
    name: str,
    action: str,
    explanation: str = "",
    crisis_resources: bool = False,
    order: int = 0,
) -> ExceptionCategory:
    """A new, active category. It reaches the notice with the next notice version drafted."""
    _require_category_keeper(actor)
    fields = _category_fields(
        {
            "name": name,
            "action": action,
            "explanation": explanation,
            "crisis_resources": crisis_resources,
            "order": order,
        }
    )
    code = code.strip().lower()
    _lock_categories()
    if code:
        _check_code_free(code)
    if fields.get("name"):
        _check_name_free(fields["name"])
    category = ExceptionCategory(code=code, active=True, **fields)
    _save_category(category)
    record(
        actor=actor,
        action=AuditAction.CATEGORY_CREATED,
        target=category,
        details={"code": category.code},
    )
    return category


@transaction.atomic
def exception_category_update(
    *, actor: User, category: ExceptionCategory, **fields: Any
) -> ExceptionCategory:
    """Change the given fields (never the code). A retired category may be corrected too, so
    that it comes back right when it is restored."""
    _require_category_keeper(actor)
    fields = _category_fields(fields)
    _lock_categories()
    category = ExceptionCategory.objects.get(pk=category.pk)
    if fields.get("name"):
        _check_name_free(fields["name"], exclude_pk=category.pk)
    changed = []
    for field, value in fields.items():
        if getattr(category, field) != value:
            setattr(category, field, value)
            changed.append(field)
    if changed:
        _save_category(category, update_fields=changed)
    record(
        actor=actor,
        action=AuditAction.CATEGORY_UPDATED,
        target=category,
        details={"code": category.code, "fields": changed},
    )
    return category


def _set_active(
    *, actor: User, category: ExceptionCategory, active: bool, audit: AuditAction
) -> ExceptionCategory:
    _require_category_keeper(actor)
    _lock_categories()  # the last active one is checked against concurrent retirements too
    category = ExceptionCategory.objects.get(pk=category.pk)
    if category.active == active:
        raise ValidationError(
            f"“{category.name}” is {'already active' if active else 'already retired'}."
        )
    if (
        not active
        and not ExceptionCategory.objects.filter(active=True).exclude(pk=category.pk).exists()
    ):
        # A supporter raising an escalation must always have a category to choose.
        raise ValidationError(
            "This is the last active category. Add or restore another before retiring it."
        )
    category.active = active
    category.save(update_fields=["active"])
    record(actor=actor, action=audit, target=category, details={"code": category.code})
    return category


@transaction.atomic
def exception_category_retire(*, actor: User, category: ExceptionCategory) -> ExceptionCategory:
    """No longer offered for new escalations, nor copied into new notice versions. Kept, for
    the escalations and notice versions that name it, and can be restored."""
    return _set_active(
        actor=actor, category=category, active=False, audit=AuditAction.CATEGORY_RETIRED
    )


@transaction.atomic
def exception_category_restore(*, actor: User, category: ExceptionCategory) -> ExceptionCategory:
    return _set_active(
        actor=actor, category=category, active=True, audit=AuditAction.CATEGORY_RESTORED
    )
