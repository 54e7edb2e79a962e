"""The demo department's accounts: loads the plan of ``people`` (units, employees, families,
accounts, TOTP authenticators and role grants) with a fixed number of bulk inserts in one
transaction, so the number of queries does not grow with the number of employees.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from peersupport.accounts.models import (
    Employee,
    FamilyMember,
    Language,
    Role,
    RoleGrant,
    RoleGrantRequest,
    Unit,
    User,
)
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.tenancy import current_agency_id, current_agency_id_or_none

from .people import (
    DEFAULT_SEED,
    EMPLOYEE_NUMBER_PREFIX,
    LANGUAGES,
    Plan,
    default_supporters,
    demo_department_plan,
)
from .personas import EMAIL_DOMAIN, PERSONA_EMAILS, PERSONAS, DemoRefused, demo_refuse_in_production
from .units import BHS_DIVISION, BUREAU_ORDER, DEFAULT_EMPLOYEES

__all__ = [
    "BHS_DIVISION",
    "BUREAU_ORDER",
    "DEFAULT_EMPLOYEES",
    "DEFAULT_SEED",
    "LANGUAGES",
    "PERSONAS",
    "DemoRefused",
    "DemoResult",
    "default_supporters",
    "demo_department_exists",
    "demo_department_load",
    "demo_department_plan",
]

GRANT_REASON = "demo department"
BATCH_SIZE = 1_000


@dataclass(frozen=True)
class DemoResult:
    created: bool
    units: int
    employees: int
    family_members: int
    accounts: int
    supporters: int
    role_grants: int


def demo_department_exists() -> bool:
    return (
        User.objects.filter(email__in=PERSONA_EMAILS).exists()
        or Employee.objects.filter(employee_number__startswith=EMPLOYEE_NUMBER_PREFIX).exists()
    )


def _existing_result() -> DemoResult:
    employees = Employee.objects.filter(employee_number__startswith=EMPLOYEE_NUMBER_PREFIX)
    seeded = [
        g
        for g in RoleGrant.objects.filter(user__email__endswith=f"@{EMAIL_DOMAIN}", granted_by=None)
        if g.reason == GRANT_REASON
    ]
    return DemoResult(
        created=False,
        units=Unit.objects.filter(members__in=employees).distinct().count(),
        employees=employees.count(),
        family_members=FamilyMember.objects.filter(employee__in=employees).count(),
        accounts=User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").count(),
        # The reason is encrypted (it cannot be searched): the seeded grants are recognised by
        # decrypting it, on the demo accounts only.
        supporters=sum(1 for g in seeded if g.is_current and g.role == Role.PEER_SUPPORTER),
        role_grants=len(seeded),
    )


def demo_department_load(
    *, employees: int = DEFAULT_EMPLOYEES, seed: int = DEFAULT_SEED, supporters: int | None = None
) -> DemoResult:
    """Load the demo department unless it is already there; then change nothing.

    One transaction, a fixed number of bulk inserts, one audit event for the whole load. The
    department is the current agency's, or the default agency's when called outside one (the
    shell, bench/).
    """
    if current_agency_id_or_none() is None:
        from peersupport.accounts.agencies import in_default_agency

        with in_default_agency():
            return demo_department_load(employees=employees, seed=seed, supporters=supporters)
    demo_refuse_in_production()
    if demo_department_exists():
        return _existing_result()
    # Planned outside the transaction, so the write lock is held only while writing.
    plan = demo_department_plan(employees=employees, seed=seed, supporters=supporters)
    try:
        with transaction.atomic():
            # Checked again under the write lock: two loads started together load once.
            if demo_department_exists():
                return _existing_result()
            return _write(plan)
    except IntegrityError:
        # On PostgreSQL a concurrent load can pass the check above; its unique e-mail
        # addresses then collide with ours, and the department is there once either way.
        if demo_department_exists():
            return _existing_result()
        raise


def _bulk(model, objs: list) -> list:
    # bulk_create skips save(): an agency's rows are given the current agency here.
    if any(f.name == "agency" for f in model._meta.concrete_fields):
        agency_id = current_agency_id()
        for obj in objs:
            obj.agency_id = obj.agency_id or agency_id
    return model.objects.bulk_create(objs, batch_size=BATCH_SIZE)


def _languages() -> dict[str, Language]:
    """The demo languages, reusing rows that already exist under the same code or name."""
    codes = [code for code, _ in LANGUAGES]
    names = [name for _, name in LANGUAGES]
    existing = list(Language.objects.filter(Q(code__in=codes) | Q(name__in=names)))
    by_code = {lang.code: lang for lang in existing}
    by_name = {lang.name: lang for lang in existing}
    result: dict[str, Language] = {}
    missing = []
    for code, name in LANGUAGES:
        lang = by_code.get(code) or by_name.get(name)
        if lang is None:
            lang = Language(code=code, name=name)
            missing.append(lang)
        result[code] = lang
    _bulk(Language, missing)
    return result


def _refused_grant_request(plan: Plan, user_rows: list[User], now) -> None:
    """The two-person rule at work: the system administrator asked for an account to be made
    coordinator, and the Chief refused (docs/roles.md). History only: nothing waits."""
    from datetime import timedelta

    def holder(role: Role) -> User | None:
        return next(
            (u for a, u in zip(plan.accounts, user_rows, strict=True) if role in a.roles), None
        )

    asker, approver = holder(Role.SYSADMIN), holder(Role.CHIEF)
    wanted = next((u for a, u in zip(plan.accounts, user_rows, strict=True) if not a.roles), None)
    if asker is None or approver is None or wanted is None:
        return
    asked_at = now - timedelta(days=12)
    RoleGrantRequest.objects.create(
        user=wanted,
        role=Role.COORDINATOR,
        reason="Cover the coordinator's desk during the academy weeks.",
        requested_by=asker,
        requested_at=asked_at,
        lapses_at=asked_at + timedelta(days=RoleGrantRequest.PENDING_DAYS),
        status=RoleGrantRequest.Status.REFUSED,
        decided_by=approver,
        decided_at=asked_at + timedelta(days=1),
    )


def _write(plan: Plan) -> DemoResult:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.utils import encrypt

    now = timezone.now()
    languages = _languages()
    # Rows are built with plain ids (unit_id, user_id...) rather than related objects: it
    # spares Django a check per row and keeps 20,000 employees to a few seconds.

    # Units, one bulk insert per level: a child needs its parent's id.
    unit_rows = [Unit(name=planned.name, kind=planned.kind) for planned in plan.units]
    for kind in Unit.Kind.values:
        level = []
        for planned, row in zip(plan.units, unit_rows, strict=True):
            if planned.kind == kind:
                row.parent_id = None if planned.parent is None else unit_rows[planned.parent].pk
                level.append(row)
        _bulk(Unit, level)

    # One hash for every account: hashing 2,000 Argon2 passwords would take minutes.
    password = make_password(settings.DEMO_PASSWORD)
    user_rows = [
        User(email=a.email.lower(), display_name=a.display_name, password=password, date_joined=now)
        for a in plan.accounts
    ]
    _bulk(User, user_rows)
    user_id_of = {a.employee: u.pk for a, u in zip(plan.accounts, user_rows, strict=True)}

    employee_rows = [
        Employee(
            user_id=user_id_of.get(i),
            employee_number=e.number,
            first_name=e.first_name,
            last_name=e.last_name,
            preferred_name=e.preferred_name,
            work_email=e.work_email.lower(),
            employee_type=e.employee_type,
            rank_title=e.rank_title,
            unit_id=unit_rows[e.unit].pk,
            shift=e.shift,
            status=e.status,
        )
        for i, e in enumerate(plan.employees)
    ]
    _bulk(Employee, employee_rows)
    Speaks = Employee.languages.through
    _bulk(
        Speaks,
        [
            Speaks(employee_id=row.pk, language_id=languages[code].pk)
            for row, e in zip(employee_rows, plan.employees, strict=True)
            for code in e.languages
        ],
    )
    for planned, row in zip(plan.units, unit_rows, strict=True):
        row.supervisor_id = employee_rows[planned.supervisor].pk
    Unit.objects.bulk_update(unit_rows, ["supervisor"], batch_size=BATCH_SIZE)

    _bulk(
        FamilyMember,
        [
            FamilyMember(employee_id=employee_rows[i].pk, relationship=relationship, name=name)
            for i, relationship, name in plan.family
        ],
    )
    _bulk(
        EmailAddress,
        [EmailAddress(user_id=u.pk, email=u.email, verified=True, primary=True) for u in user_rows],
    )
    # The rows TOTP.activate() and RecoveryCodes.activate() would save one at a time.
    secret = encrypt(settings.DEMO_TOTP_SECRET)
    authenticators = []
    supervisors = plan.supervisors()
    for account, user in zip(plan.accounts, user_rows, strict=True):
        if plan.needs_mfa(account, supervisors):
            authenticators += [
                Authenticator(
                    user_id=user.pk,
                    type=Authenticator.Type.TOTP,
                    data={"secret": secret},
                    created_at=now,
                ),
                Authenticator(
                    user_id=user.pk,
                    type=Authenticator.Type.RECOVERY_CODES,
                    data={"seed": encrypt(RecoveryCodes.generate_seed()), "used_mask": 0},
                    created_at=now,
                ),
            ]
    _bulk(Authenticator, authenticators)
    grants = _bulk(
        RoleGrant,
        [
            RoleGrant(
                user_id=user.pk, role=role, reason=GRANT_REASON, granted_by=None, granted_at=now
            )
            for account, user in zip(plan.accounts, user_rows, strict=True)
            for role in account.roles
        ],
    )
    _refused_grant_request(plan, user_rows, now)
    result = DemoResult(
        created=True,
        units=len(unit_rows),
        employees=len(employee_rows),
        family_members=len(plan.family),
        accounts=len(user_rows),
        supporters=sum(1 for g in grants if g.role == Role.PEER_SUPPORTER),
        role_grants=len(grants),
    )
    record(
        actor=None,
        action=AuditAction.DEMO_LOADED,
        target=unit_rows[0],
        details={
            "seed": plan.seed,
            "units": result.units,
            "employees": result.employees,
            "family_members": result.family_members,
            "accounts": result.accounts,
            "role_grants": result.role_grants,
        },
    )
    return result
