"""Writes about people, units and roles. Each one writes its audit event in its own transaction."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.tenancy import current_agency_id

from . import alerts
from .models import (
    CONFIDENTIAL_ROLES,
    GRANT_APPROVERS,
    GRANTABLE_ROLES,
    Employee,
    Language,
    Role,
    RoleGrant,
    RoleGrantRequest,
    Unit,
    User,
)
from .selectors import (
    grant_approvers,
    pending_roles,
    role_rows,
    roles_anywhere,
    roles_of,
    user_is_guarded,
)

GRANTERS = frozenset({Role.SYSADMIN, Role.BHS_MANAGER})
# Audit actions of the two-person rule.
GRANT_REQUESTED = AuditAction.ROLE_GRANT_REQUESTED
GRANT_REFUSED = AuditAction.ROLE_GRANT_REFUSED
GRANT_LAPSED = AuditAction.ROLE_GRANT_LAPSED


# --- Roles ----------------------------------------------------------------------------------


def _close_lapsed_grants(*, user: User, role: str, now: datetime) -> None:
    """An expired grant is no longer held; close it so a new one can be opened."""
    # Saved one by one: the reason is encrypted and bound to its row.
    for grant in RoleGrant.objects.filter(
        user=user, role=role, revoked_at__isnull=True, expires_at__lte=now
    ):
        grant.revoked_at, grant.revoke_reason = now, "expired"
        grant.save(update_fields=["revoked_at", "revoke_reason"])


def _grant(
    *,
    actor: User | None,
    user: User,
    role: str,
    reason: str,
    expires_at: datetime | None,
    granted_by: User | None = None,
    details: dict | None = None,
) -> RoleGrant:
    """The one place a role is granted: opens the grant, audits it, forgets cached roles, and
    tells the layers above when the account is now guarded (alerts.account_changed).
    The caller has checked who may grant and why; this refuses a second open grant.
    ``granted_by`` is who asked when it is not ``actor`` (a grant approved by a second person)."""
    now = timezone.now()
    _close_lapsed_grants(user=user, role=role, now=now)
    if RoleGrant.objects.filter(user=user, role=role, revoked_at__isnull=True).exists():
        raise ValidationError({"role": "This person already holds this role."})
    try:
        with transaction.atomic():
            grant = RoleGrant.objects.create(
                user=user,
                role=role,
                reason=reason.strip()[:300],
                granted_by=granted_by or actor,
                granted_at=now,
                expires_at=expires_at,
            )
    except IntegrityError:
        # Two grants of the same role at once: the second loses cleanly.
        raise ValidationError({"role": "This person already holds this role."}) from None
    record(
        actor=actor,
        action=AuditAction.ROLE_GRANTED,
        target=grant,
        details={
            "role": role,
            "user_id": user.pk,
            "expires_at": _iso(expires_at),
            **(details or {}),
        },
    )
    user.forget_roles()
    if user_is_guarded(user):
        alerts.send_account_changed(user=user, change=alerts.ROLE_GRANTED, ref=f"grant{grant.pk}")
    return grant


def _revoke(*, actor: User | None, grant: RoleGrant, reason: str) -> RoleGrant | None:
    """The one place a role is revoked: locks the grant, closes it, audits it, forgets cached
    roles. Returns None when the grant was already closed."""
    grant = RoleGrant.objects.select_for_update().select_related("user").get(pk=grant.pk)
    if grant.revoked_at is not None:
        return None
    grant.revoked_at = timezone.now()
    grant.revoked_by = actor
    grant.revoke_reason = reason.strip()[:300]
    grant.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    record(
        actor=actor,
        action=AuditAction.ROLE_REVOKED,
        target=grant,
        details={"role": grant.role, "user_id": grant.user_id},
    )
    grant.user.forget_roles()
    return grant


def _check_grant(
    *, actor: User, user: User, role: str, reason: str, expires_at: datetime | None
) -> None:
    """The rules every grant by hand follows, asked or approved."""
    if role not in GRANTABLE_ROLES:
        raise ValidationError({"role": "This role cannot be granted."})
    if user.pk == actor.pk:
        raise ValidationError({"user": "Nobody may grant a role to themselves."})
    if not user.is_active:
        raise ValidationError({"user": "This account is disabled."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the role is granted."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The end date must be in the future."})
    # Separation of duties looks at every agency (a system administrator of one may not read
    # confidential content in another); "already holds" at the current one. One query.
    rows = role_rows(user)
    held, anywhere = roles_of(rows, current_agency_id()), roles_of(rows, None)
    if role == Role.SYSADMIN and (anywhere | pending_roles(user)) & CONFIDENTIAL_ROLES:
        raise ValidationError(
            {
                "role": "A system administrator may not also hold a role that reads confidential "
                "content; revoke that role first."
            }
        )
    if role in CONFIDENTIAL_ROLES and Role.SYSADMIN in anywhere:
        raise ValidationError(
            {
                "role": "This account is a system administrator, who may not read confidential "
                "content; revoke that role first."
            }
        )
    if role in held:
        raise ValidationError({"role": "This person already holds this role."})


@transaction.atomic
def role_grant(
    *,
    actor: User,
    user: User,
    role: str,
    reason: str,
    expires_at: datetime | None = None,
) -> RoleGrant:
    """Grant a role that reads no confidential content (panelist, committee member, system
    administrator) in one step. Refuses self-grants, unknown roles, a second open grant of the
    same role, an expiry in the past, and a system administrator holding a confidential role.
    A confidential role goes through ``role_request`` (two-person rule)."""
    if not actor.has_role(*GRANTERS):
        raise ValidationError("You may not grant roles.")
    _check_grant(actor=actor, user=user, role=role, reason=reason, expires_at=expires_at)
    if role in CONFIDENTIAL_ROLES:
        raise ValidationError(
            {"role": "This role reads confidential content: a second person must approve it."}
        )
    return _grant(actor=actor, user=user, role=role, reason=reason, expires_at=expires_at)


# --- Two-person rule ------------------------------------------------------------------------


def _lapse_requests(*, user: User | None = None, now: datetime) -> None:
    """Requests nobody decided within PENDING_DAYS lapse; each lapse is audited."""
    lapsed = RoleGrantRequest.objects.select_for_update().filter(
        status=RoleGrantRequest.Status.PENDING, lapses_at__lte=now
    )
    if user is not None:
        lapsed = lapsed.filter(user=user)
    for req in lapsed:
        req.status = RoleGrantRequest.Status.LAPSED
        req.decided_at = now
        req.save(update_fields=["status", "decided_at"])
        record(
            actor=None,
            action=GRANT_LAPSED,
            target=req,
            details={"role": req.role, "user_id": req.user_id},
        )


def role_requests_lapse(*, now: datetime | None = None) -> int:
    """Let every request past its time lapse now (the worker's kernel tick), so the lists, the
    request's status and the audit log agree without waiting for the next decision."""
    now = now or timezone.now()
    with transaction.atomic():
        due = RoleGrantRequest.objects.filter(
            status=RoleGrantRequest.Status.PENDING, lapses_at__lte=now
        ).count()
        if due:
            _lapse_requests(now=now)
    return due


@transaction.atomic
def role_request(
    *,
    actor: User,
    user: User,
    role: str,
    reason: str,
    expires_at: datetime | None = None,
) -> RoleGrantRequest:
    """Ask for a confidential role to be granted to ``user``. Nothing is granted until a second
    person holding one of GRANT_APPROVERS (not ``actor``, not ``user``) approves it within
    RoleGrantRequest.PENDING_DAYS. The approvers are alerted, and so is ``user``."""
    if not actor.has_role(*GRANTERS):
        raise ValidationError("You may not grant roles.")
    if role not in CONFIDENTIAL_ROLES:
        raise ValidationError({"role": "This role is granted in one step."})
    _check_grant(actor=actor, user=user, role=role, reason=reason, expires_at=expires_at)
    now = timezone.now()
    _lapse_requests(user=user, now=now)
    if RoleGrantRequest.objects.filter(
        user=user, role=role, status=RoleGrantRequest.Status.PENDING
    ).exists():
        raise ValidationError({"role": "This grant is already waiting for approval."})
    approvers = grant_approvers(requested_by=actor, user=user)
    if not approvers:
        raise ValidationError(
            "Nobody else can approve this grant (a BHS manager or the Chief). The first holder "
            "is set up on the server: see docs/roles.md, “Bootstrap”."
        )
    try:
        with transaction.atomic():
            req = RoleGrantRequest.objects.create(
                user=user,
                role=role,
                reason=reason.strip()[:300],
                expires_at=expires_at,
                requested_by=actor,
                requested_at=now,
                lapses_at=now + timedelta(days=RoleGrantRequest.PENDING_DAYS),
            )
    except IntegrityError:
        raise ValidationError({"role": "This grant is already waiting for approval."}) from None
    record(
        actor=actor,
        action=GRANT_REQUESTED,
        target=req,
        details={"role": role, "user_id": user.pk, "expires_at": _iso(expires_at)},
    )
    alerts.grant_waiting.send(sender=RoleGrantRequest, grant_request=req, approvers=approvers)
    alerts.send_account_changed(user=user, change=alerts.ROLE_REQUESTED, ref=f"request{req.pk}")
    return req


@transaction.atomic
def role_request_decide(
    *, actor: User, grant_request: RoleGrantRequest, approve: bool
) -> RoleGrantRequest:
    """Approve (the role is granted now) or refuse a waiting request. Only a holder of one of
    GRANT_APPROVERS who neither asked for it nor would receive it decides. A request past its
    ``lapses_at`` is closed as lapsed instead, and returned with that status."""
    now = timezone.now()
    req = (
        # Only the request row is locked (requested_by may be NULL: PostgreSQL refuses to lock
        # the nullable side of an outer join).
        RoleGrantRequest.objects.select_for_update(of=("self",))
        .select_related("user", "requested_by")
        .get(pk=grant_request.pk)
    )
    if not actor.has_role(*GRANT_APPROVERS):
        raise ValidationError("Only a BHS manager or the Chief may approve a grant.")
    if actor.pk in (req.requested_by_id, req.user_id):
        raise ValidationError(
            "A second person must decide: not the one who asked, not the one who would receive it."
        )
    if req.status != RoleGrantRequest.Status.PENDING:
        raise ValidationError("This request was already decided.")
    if req.lapses_at <= now:
        # Returned, not raised, so that the lapse and its audit event are kept.
        _lapse_requests(user=req.user, now=now)
        req.refresh_from_db()
        return req
    req.decided_by, req.decided_at = actor, now
    if approve:
        # The rules again: the account may have changed since it was asked.
        _check_grant(
            actor=req.requested_by or actor,
            user=req.user,
            role=req.role,
            reason=req.reason,
            expires_at=req.expires_at,
        )
        req.grant = _grant(
            actor=actor,
            user=req.user,
            role=req.role,
            reason=req.reason,
            expires_at=req.expires_at,
            granted_by=req.requested_by,
            details={"request_id": req.pk, "requested_by": req.requested_by_id},
        )
        req.status = RoleGrantRequest.Status.APPROVED
    else:
        req.status = RoleGrantRequest.Status.REFUSED
        record(
            actor=actor,
            action=GRANT_REFUSED,
            target=req,
            details={"role": req.role, "user_id": req.user_id},
        )
    req.save(update_fields=["status", "decided_by", "decided_at", "grant"])
    return req


@transaction.atomic
def role_grant_bootstrap(*, user: User, role: str, reason: str, operator: str) -> RoleGrant:
    """Grant a confidential role from the server (manage.py grant_role) when nobody exists who
    could approve it: the first BHS manager or Chief at install. Refused as soon as somebody
    could approve it through the site. Audited with no actor and the operator's name."""
    if role not in CONFIDENTIAL_ROLES:
        raise ValidationError({"role": "Only a confidential role needs the bootstrap path."})
    if not user.is_active:
        raise ValidationError({"user": "This account is disabled."})
    if not reason.strip() or not operator.strip():
        raise ValidationError("Say why, and who runs the command.")
    if Role.SYSADMIN in roles_anywhere(user):
        raise ValidationError(
            {
                "role": "This account is a system administrator, who may not read confidential "
                "content."
            }
        )
    if grant_approvers(requested_by=None, user=user):
        raise ValidationError(
            "A BHS manager or the Chief can approve this grant on the Roles page: ask them."
        )
    return _grant(
        actor=None,
        user=user,
        role=role,
        reason=reason,
        expires_at=None,
        details={"via": "command", "operator": operator.strip()[:80]},
    )


@transaction.atomic
def role_revoke(*, actor: User, grant: RoleGrant, reason: str) -> RoleGrant:
    if not actor.has_role(*GRANTERS):
        raise ValidationError("You may not revoke roles.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the role is revoked."})
    revoked = _revoke(actor=actor, grant=grant, reason=reason)
    if revoked is None:
        raise ValidationError("This role was already revoked.")
    return revoked


# The program's own decisions (the Chief's appointment, an election, a supporter retired or
# removed, a committee term ended) are the authority for these, not the system administrator or
# the BHS manager who grant by hand; the caller's service has already checked that decision.
# They keep the same audit shape and the same rule against a second open grant.
PROGRAM_ROLES = frozenset({Role.PEER_SUPPORTER, Role.COMMITTEE_MEMBER})


@transaction.atomic
def role_grant_by_program(
    *, actor: User | None, user: User, role: str, reason: str, expires_at: datetime | None = None
) -> RoleGrant | None:
    """Grant ``role`` as the outcome of a program decision. Returns None when ``user`` already
    holds it (the decision then changes nothing about roles)."""
    if role not in PROGRAM_ROLES:
        raise ValueError(f"{role} is not granted by the program's decisions")
    if RoleGrant.objects.current().filter(user=user, role=role).exists():
        return None
    return _grant(actor=actor, user=user, role=role, reason=reason, expires_at=expires_at)


@transaction.atomic
def role_revoke_by_program(
    *,
    actor: User | None,
    user: User,
    role: str,
    reason: str,
    grant: RoleGrant | None = None,
) -> list[RoleGrant]:
    """End ``user``'s current grants of ``role`` (or only ``grant``) as the outcome of a program
    decision; returns the grants it closed."""
    if role not in PROGRAM_ROLES:
        raise ValueError(f"{role} is not revoked by the program's decisions")
    if grant is None:
        grants = list(RoleGrant.objects.current().filter(user=user, role=role))
    else:
        grants = [grant]
    closed = [g for g in (_revoke(actor=actor, grant=g, reason=reason) for g in grants) if g]
    user.forget_roles()
    return closed


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- Accounts and sessions -----------------------------------------------------------------


@transaction.atomic
def user_end_sessions(*, actor: User | None, user: User, reason: str, request=None) -> User:
    """End every session of ``user``. With ``request`` (the user's own), that one session is
    kept, as when they change their own MFA."""
    from django.contrib.auth import HASH_SESSION_KEY

    user = User.objects.select_for_update().get(pk=user.pk)
    user.session_epoch += 1
    user.save(update_fields=["session_epoch"])
    record(actor=actor, action=AuditAction.SESSIONS_ENDED, target=user, details={"why": reason})
    if request is not None and request.user.is_authenticated and request.user.pk == user.pk:
        # Saved now: allauth sends its MFA signals when the transaction commits, which may be
        # after the response has already saved the session.
        request.session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        request.session.save()
    return user


@transaction.atomic
def user_set_active(*, actor: User, user: User, active: bool, reason: str) -> User:
    """Disable or re-enable an account. Disabling ends its sessions at once."""
    if not actor.has_role(Role.SYSADMIN):
        raise ValidationError("Only a system administrator may disable or enable accounts.")
    if user.pk == actor.pk and not active:
        raise ValidationError("You cannot disable your own account.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why."})
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active == active:
        return user
    user.is_active = active
    user.session_epoch += 1
    user.save(update_fields=["is_active", "session_epoch"])
    record(
        actor=actor,
        action=AuditAction.ACCOUNT_ENABLED if active else AuditAction.ACCOUNT_DISABLED,
        target=user,
        details={"why": reason.strip()[:200]},
    )
    return user


# --- Units ----------------------------------------------------------------------------------


def _check_unit_parent(unit: Unit | None, parent: Unit | None) -> None:
    """Refuse a parent that would make the tree loop (the unit itself or one of its descendants)."""
    if unit is None or unit.pk is None or parent is None:
        return
    seen = set()
    node: Unit | None = parent
    while node is not None:
        if node.pk == unit.pk:
            raise ValidationError(
                {"parent": "A unit cannot sit under itself or under one of its own sub-units."}
            )
        if node.pk in seen:  # an existing loop in the data: refuse rather than spin
            raise ValidationError({"parent": "The unit tree above this parent loops."})
        seen.add(node.pk)
        node = Unit.objects.filter(pk=node.parent_id).first() if node.parent_id else None


def _check_unit_root(parent: Unit | None, kind: str) -> None:
    if parent is None and kind != Unit.Kind.DEPARTMENT:
        raise ValidationError({"parent": "Only a department may have no parent unit."})


@transaction.atomic
def unit_create(
    *,
    actor: User,
    name: str,
    kind: str,
    parent: Unit | None,
    supervisor: Employee | None,
    details: dict | None = None,
) -> Unit:
    """``details``: identifiers the caller adds to the audit event (SCIM's token key)."""
    _check_unit_root(parent, kind)
    unit = Unit(name=name.strip(), kind=kind, parent=parent, supervisor=supervisor)
    unit.full_clean()
    unit.save()
    record(actor=actor, action=AuditAction.UNIT_CREATED, target=unit, details=details)
    return unit


@transaction.atomic
def unit_update(
    *,
    actor: User,
    unit: Unit,
    name: str,
    kind: str,
    parent: Unit | None,
    supervisor: Employee | None,
    details: dict | None = None,
) -> Unit:
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    _check_unit_root(parent, kind)
    _check_unit_parent(unit, parent)
    changed = [
        field
        for field, value in (
            ("name", name.strip()),
            ("kind", kind),
            ("parent", parent),
            ("supervisor", supervisor),
        )
        if getattr(unit, field) != value
    ]
    unit.name, unit.kind, unit.parent, unit.supervisor = name.strip(), kind, parent, supervisor
    unit.full_clean()
    unit.save(update_fields=changed or ["name"])
    record(
        actor=actor,
        action=AuditAction.UNIT_UPDATED,
        target=unit,
        details={"fields": changed, **(details or {})},
    )
    return unit


# --- Employees ------------------------------------------------------------------------------

EMPLOYEE_FIELDS = (
    "employee_number",
    "first_name",
    "last_name",
    "preferred_name",
    "work_email",
    "employee_type",
    "rank_title",
    "unit",
    "shift",
    "status",
    "hire_date",
    "separation_date",
)


def _save_employee(employee: Employee, *, update_fields=None) -> None:
    employee.full_clean()
    try:
        with transaction.atomic():
            employee.save(update_fields=update_fields)
    except IntegrityError:
        # A concurrent insert beat full_clean()'s uniqueness check.
        raise ValidationError(
            "Another employee record already has this employee number or e-mail address."
        ) from None


# What leaving the department ends (docs/hr-import.md, "What separation does").
SEPARATION_REASON = "Separated from the department"


def employee_separation_effects(*, actor: User | None, employee: Employee) -> None:
    """The one path for an employee who has just become separated, whether by the employee page
    or by the HR roster import: the layers above apply their own rules first (``alerts.
    employee_separated``: the roster retires a serving supporter, which ends the peer-supporter
    role and re-offers their requests), then every role still granted to the account ends, and
    its sessions end. The account is kept (never deleted), as are its history and its grants'
    rows. Call it inside the change's transaction, after the status is saved."""
    user = User.objects.filter(pk=employee.user_id).first() if employee.user_id else None
    alerts.employee_separated.send(sender=Employee, employee=employee, user=user, actor=actor)
    if user is None:
        return
    for grant in RoleGrant.objects.current().filter(user=user):
        _revoke(actor=actor, grant=grant, reason=SEPARATION_REASON)
    for req in RoleGrantRequest.objects.filter(
        user=user, status=RoleGrantRequest.Status.PENDING
    ).select_for_update():
        req.status, req.decided_at = RoleGrantRequest.Status.REFUSED, timezone.now()
        req.save(update_fields=["status", "decided_at"])
        record(
            actor=actor,
            action=GRANT_REFUSED,
            target=req,
            details={"role": req.role, "user_id": req.user_id, "why": "separated"},
        )
    user.forget_roles()
    user_end_sessions(actor=actor, user=user, reason="separated")


def _became_separated(before: str, after: str) -> bool:
    return before != Employee.Status.SEPARATED and after == Employee.Status.SEPARATED


@transaction.atomic
def employee_create(*, actor: User, languages=(), **fields) -> Employee:
    employee = Employee(**{k: v for k, v in fields.items() if k in EMPLOYEE_FIELDS})
    _save_employee(employee)
    employee.languages.set(languages)
    record(actor=actor, action=AuditAction.EMPLOYEE_CREATED, target=employee)
    return employee


@transaction.atomic
def employee_update(*, actor: User, employee: Employee, languages=None, **fields) -> Employee:
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    status_before = employee.status
    changed = []
    for field, value in fields.items():
        if field not in EMPLOYEE_FIELDS:
            raise ValueError(f"{field} is not an employee field")
        if getattr(employee, field) != value:
            setattr(employee, field, value)
            changed.append(field)
    if changed:
        _save_employee(employee, update_fields=changed)
    if languages is not None:
        before = set(employee.languages.values_list("pk", flat=True))
        after = {lang.pk for lang in languages}
        if before != after:
            employee.languages.set(languages)
            changed.append("languages")
    record(
        actor=actor,
        action=AuditAction.EMPLOYEE_UPDATED,
        target=employee,
        details={"fields": changed},
    )
    if _became_separated(status_before, employee.status):
        employee_separation_effects(actor=actor, employee=employee)
    return employee


@transaction.atomic
def profile_update(
    *, actor: User, preferred_name: str, languages: list[Language], display_name: str
) -> User:
    """What a person may change about themselves: how they are called and the languages they
    speak. Rank, unit and status come from the department's records."""
    employee = Employee.objects.select_for_update().filter(user=actor).first()
    changed = []
    if employee is not None:
        if employee.preferred_name != preferred_name.strip():
            employee.preferred_name = preferred_name.strip()
            employee.save(update_fields=["preferred_name"])
            changed.append("preferred_name")
        if set(employee.languages.values_list("pk", flat=True)) != {x.pk for x in languages}:
            employee.languages.set(languages)
            changed.append("languages")
    if actor.display_name != display_name.strip():
        actor.display_name = display_name.strip()
        actor.save(update_fields=["display_name"])
        changed.append("display_name")
    record(
        actor=actor, action=AuditAction.PROFILE_UPDATED, target=actor, details={"fields": changed}
    )
    return actor


@transaction.atomic
def account_link_employee(*, user: User, employee: Employee) -> Employee:
    """Attach a new account to the employee record it claimed at registration."""
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    if employee.user_id is not None:
        raise ValidationError("This employee record already has an account.")
    employee.user = user
    employee.save(update_fields=["user"])
    if not user.display_name:
        user.display_name = employee.full_name
        user.save(update_fields=["display_name"])
    record(actor=user, action=AuditAction.ACCOUNT_LINKED, target=employee)
    return employee
