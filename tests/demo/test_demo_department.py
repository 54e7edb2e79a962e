"""The demo department: its shape, its personas and their sign-ins, idempotence, determinism,
refusal in production, and a query count that does not grow with the department."""

import base64
import hashlib
import hmac
import io
import struct
from datetime import UTC, datetime

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demo import accounts as demo
from peersupport.accounts.models import (
    CONFIDENTIAL_ROLES,
    Employee,
    FamilyMember,
    Language,
    Role,
    RoleGrant,
    Unit,
    User,
)
from peersupport.accounts.selectors import chain_of_command, user_needs_mfa
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.committee.models import Membership

SMALL = 300

# persona key -> every role the account holds. The chief, the BHS manager and the advocacy
# supervisor also lead a unit, so they are chain-of-command supervisors as well.
EXPECTED_ROLES = {
    "employee": {Role.EMPLOYEE},
    "supporter": {Role.EMPLOYEE, Role.PEER_SUPPORTER},
    "coordinator": {Role.EMPLOYEE, Role.COORDINATOR},
    "bhs_manager": {Role.EMPLOYEE, Role.BHS_MANAGER, Role.SUPERVISOR},
    "advocacy_supervisor": {Role.EMPLOYEE, Role.ADVOCACY_SUPERVISOR, Role.SUPERVISOR},
    "chief": {Role.EMPLOYEE, Role.CHIEF, Role.SUPERVISOR},
    "supervisor": {Role.EMPLOYEE, Role.SUPERVISOR},
    "panelist": {Role.EMPLOYEE, Role.PANELIST},
    "committee_member": {Role.EMPLOYEE, Role.COMMITTEE_MEMBER},
    "sysadmin": {Role.SYSADMIN},
}
MODELS = (Unit, Employee, FamilyMember, Language, User, EmailAddress, Authenticator, RoleGrant)


def load(*args: str) -> str:
    out = io.StringIO()
    call_command("demo_department", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (*MODELS, AuditEvent)} | {
        "speaks": Employee.languages.through.objects.count()
    }


def persona(key: str) -> User:
    email = next(p.email for p in demo.PERSONAS if p.key == key)
    return User.objects.get(email=email)


def totp_code(secret: str, at: datetime) -> str:
    """RFC 6238 written out here, so the test does not check allauth against itself."""
    counter = int(at.timestamp()) // 30
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), "sha1").digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def digest() -> str:
    """Everything that makes up the department, by name (ids differ from load to load)."""
    units = {u.pk: u for u in Unit.objects.select_related("supervisor")}

    def path(unit_id: int) -> str:
        names = []
        while unit_id is not None:
            names.append(units[unit_id].name)
            unit_id = units[unit_id].parent_id
        return " / ".join(reversed(names))

    rows = sorted(
        (path(u.pk), u.kind, u.supervisor.employee_number if u.supervisor else "")
        for u in units.values()
    )
    speaks: dict[int, list[str]] = {}
    for employee_id, code in Employee.languages.through.objects.values_list(
        "employee_id", "language__code"
    ):
        speaks.setdefault(employee_id, []).append(code)
    rows += sorted(
        (
            e.employee_number,
            e.first_name,
            e.last_name,
            e.preferred_name,
            e.work_email,
            e.employee_type,
            e.rank_title,
            path(e.unit_id),
            e.shift,
            e.status,
            ",".join(sorted(speaks.get(e.pk, []))),
            e.user.email if e.user else "",
        )
        for e in Employee.objects.select_related("user")
    )
    # Read through the model: the name is encrypted at rest (values_list gives ciphertext).
    rows += sorted(
        (f.employee.employee_number, f.relationship, f.name)
        for f in FamilyMember.objects.select_related("employee")
    )
    rows += sorted(RoleGrant.objects.values_list("user__email", "role"))
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.fixture
def small(db):
    load("--employees", str(SMALL))


@pytest.mark.django_db
def test_small_run_creates_the_department(small):
    plan = demo.demo_department_plan(employees=SMALL)
    assert Employee.objects.count() == SMALL
    assert Unit.objects.count() == len(plan.units)
    assert User.objects.count() == len(plan.accounts)
    assert FamilyMember.objects.count() == len(plan.family) > 0

    kinds = set(Unit.objects.values_list("kind", flat=True))
    assert kinds == set(Unit.Kind.values)
    assert set(Unit.objects.filter(kind=Unit.Kind.BUREAU).values_list("name", flat=True)) == set(
        demo.BUREAU_ORDER
    )
    assert not Unit.objects.filter(supervisor=None).exists()

    assert set(Employee.objects.values_list("employee_type", flat=True)) == set(
        Employee.Type.values
    )
    statuses = list(Employee.objects.values_list("status", flat=True))
    assert statuses.count(Employee.Status.ACTIVE) > 0.85 * SMALL
    assert Employee.Status.ON_LEAVE in statuses
    assert {Employee.Shift.DAY, Employee.Shift.EVENING, Employee.Shift.NIGHT} <= set(
        Employee.objects.values_list("shift", flat=True)
    )
    spoken = set(Language.objects.filter(speakers__isnull=False).values_list("name", flat=True))
    assert {"English", "Spanish"} <= spoken
    assert len(spoken) >= 6
    assert set(Language.objects.values_list("name", flat=True)) >= {
        "English",
        "Spanish",
        "Vietnamese",
        "Mandarin",
        "Tagalog",
        "Arabic",
        "American Sign Language",
        "French",
    }
    # Most employees have no account yet.
    assert Employee.objects.filter(user__isnull=False).count() < 0.2 * SMALL

    # Every account signs in with the demo password and a verified primary address.
    assert EmailAddress.objects.filter(verified=True, primary=True).count() == User.objects.count()
    assert all(u.check_password(settings.DEMO_PASSWORD) for u in User.objects.all()[:5])

    grants = RoleGrant.objects.all()
    # The committee seats a few more people, each with the role their seat grants.
    seated = Membership.objects.exclude(role_grant=None).count()
    assert grants.count() == len(demo.PERSONAS) - 2 + demo.default_supporters(SMALL) - 1 + seated
    assert set(grants.values_list("granted_by", flat=True)) == {None}
    assert {g.reason for g in grants} == {"demo department"}  # encrypted: read, not queried

    # One audit event per loader (department, supporters, resources, support activity, releases
    # of information, escalations, training, selection, outreach, CISM, committee, devices for
    # push alerts, a webhook endpoint), not one per row.
    events = AuditEvent.objects.all()
    assert [e.action for e in events] == [AuditAction.DEMO_LOADED] * 13
    assert events[0].details["employees"] == SMALL


@pytest.mark.django_db
def test_rows_pass_model_validation(small):
    # Bulk inserts skip full_clean(); the rows must pass it all the same.
    for unit in Unit.objects.all():
        unit.full_clean()
    for employee in Employee.objects.all():
        employee.full_clean()
        assert employee.work_email == employee.work_email.lower()
    for relative in FamilyMember.objects.all()[:20]:
        relative.full_clean()
    for user in User.objects.all()[:20]:
        user.full_clean()


@pytest.mark.django_db
def test_one_persona_per_role(small):
    for p in demo.PERSONAS:
        user = persona(p.key)
        assert user.roles == EXPECTED_ROLES[p.key], p.key
        assert p.role in user.roles
        assert user.check_password(settings.DEMO_PASSWORD)
        assert EmailAddress.objects.filter(
            user=user, email=p.email, verified=True, primary=True
        ).exists()
    # Each granted role other than peer supporter is held by its persona alone; the committee
    # member role is held by whoever holds a seat (the persona among them).
    shared = {Role.EMPLOYEE, Role.SUPERVISOR, Role.PEER_SUPPORTER, Role.COMMITTEE_MEMBER}
    for role in set(Role) - shared:
        holders = RoleGrant.objects.current().filter(role=role)
        assert [g.user.email for g in holders] == [persona(role_key(role)).email]
    members = RoleGrant.objects.current().filter(role=Role.COMMITTEE_MEMBER)
    assert persona("committee_member").email in {g.user.email for g in members}

    chief = persona("chief").employee
    root = Unit.objects.get(kind=Unit.Kind.DEPARTMENT)
    assert root.supervisor == chief and chief.rank_title == "Chief of Police"
    bhs = Unit.objects.get(name=demo.BHS_DIVISION)
    assert bhs.supervisor == persona("bhs_manager").employee
    # The employee persona works in the supervisor persona's unit.
    assert persona("employee").employee.unit.supervisor == persona("supervisor").employee

    sysadmin = persona("sysadmin")
    assert not Employee.objects.filter(user=sysadmin).exists()
    assert not sysadmin.roles & CONFIDENTIAL_ROLES


def role_key(role: Role) -> str:
    return next(p.key for p in demo.PERSONAS if p.role == role)


@pytest.mark.django_db
def test_every_persona_but_employee_has_totp(small):
    for p in demo.PERSONAS:
        types = set(
            Authenticator.objects.filter(user=persona(p.key)).values_list("type", flat=True)
        )
        if p.key == "employee":
            assert types == set()
        else:
            assert types == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}, p.key
    # Nobody is left to set up MFA at first sign-in: every account that needs it has it.
    with_totp = set(
        Authenticator.objects.filter(type=Authenticator.Type.TOTP).values_list("user", flat=True)
    )
    for user in User.objects.all():
        assert user_needs_mfa(user) == (user.pk in with_totp), user.email


@pytest.mark.django_db
def test_totp_code_from_the_published_secret_validates(small):
    now = datetime(2026, 3, 2, 14, 15, 7, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        code = totp_code(settings.DEMO_TOTP_SECRET, now)
        for key in ("chief", "sysadmin", "supporter"):
            authenticator = Authenticator.objects.get(
                user=persona(key), type=Authenticator.Type.TOTP
            )
            assert TOTP(authenticator).validate_code(code), key
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        authenticator = Authenticator.objects.get(
            user=persona("coordinator"), type=Authenticator.Type.TOTP
        )
        assert not TOTP(authenticator).validate_code(wrong)
    recovery = Authenticator.objects.get(
        user=persona("chief"), type=Authenticator.Type.RECOVERY_CODES
    ).wrap()
    assert len(recovery.get_unused_codes()) == 10


@pytest.mark.django_db
def test_persona_signs_in_with_password_and_totp(small, client):
    now = datetime(2026, 3, 2, 9, 0, 12, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        resp = client.post(
            reverse("account_login"),
            {"login": "chief@demo.peersupport.test", "password": settings.DEMO_PASSWORD},
        )
        assert resp.status_code == 302
        assert resp["Location"] == reverse("mfa_authenticate")
        resp = client.post(
            reverse("mfa_authenticate"), {"code": totp_code(settings.DEMO_TOTP_SECRET, now)}
        )
        assert resp.status_code == 302
        assert client.session["_auth_user_id"] == str(persona("chief").pk)


@pytest.mark.django_db
def test_second_run_changes_nothing(small):
    before = counts()
    out = load("--employees", str(SMALL))
    assert "already loaded" in out and "nothing changed" in out
    # A different size or seed does not load a second department either.
    load("--employees", "500", "--seed", "7")
    assert counts() == before


@pytest.mark.django_db
def test_same_seed_gives_the_same_department(db):
    def load_and_digest(*args: str) -> str:
        with transaction.atomic():
            load("--employees", "150", *args)
            result = digest()
            transaction.set_rollback(True)
        return result

    first = load_and_digest("--seed", "11")
    assert Employee.objects.count() == 0  # rolled back
    assert load_and_digest("--seed", "11") == first
    assert load_and_digest("--seed", "12") != first


def test_plan_is_deterministic():
    a = demo.demo_department_plan(employees=1_000, seed=5)
    b = demo.demo_department_plan(employees=1_000, seed=5)
    assert a.employees == b.employees and a.units == b.units and a.family == b.family


@pytest.mark.django_db
def test_unit_tree_has_no_loop_and_every_chain_ends_at_the_chief(small):
    parents = dict(Unit.objects.values_list("pk", "parent_id"))
    roots = [pk for pk, parent in parents.items() if parent is None]
    assert len(roots) == 1
    for pk in parents:
        seen = set()
        while pk is not None:
            assert pk not in seen, "the unit tree loops"
            seen.add(pk)
            pk = parents[pk]
        assert len(seen) <= 5

    chief = persona("chief").employee
    for employee in Employee.objects.exclude(pk=chief.pk):
        chain = chain_of_command(employee)
        assert chain and chain[-1] == chief, employee.employee_number
        assert employee not in chain


@pytest.mark.django_db
def test_forty_supporters_by_default_span_every_bureau_shift_and_language(db):
    load()
    supporters = Employee.objects.filter(
        user__role_grants__role=Role.PEER_SUPPORTER, user__role_grants__revoked_at=None
    ).select_related("unit__parent__parent__parent")
    assert supporters.count() == 40
    assert Employee.objects.count() == demo.DEFAULT_EMPLOYEES

    def bureau(unit: Unit) -> str:
        while unit.kind != Unit.Kind.BUREAU:
            unit = unit.parent
        return unit.name

    assert {bureau(e.unit) for e in supporters} == set(demo.BUREAU_ORDER)
    assert {e.shift for e in supporters} >= {
        Employee.Shift.DAY,
        Employee.Shift.EVENING,
        Employee.Shift.NIGHT,
        Employee.Shift.ROTATING,
    }
    assert {e.employee_type for e in supporters} == set(Employee.Type.values)
    languages = set(Language.objects.filter(speakers__in=supporters).values_list("code", flat=True))
    assert languages == {code for code, _ in demo.LANGUAGES}
    assert all(e.status == Employee.Status.ACTIVE for e in supporters)
    assert not supporters.filter(unit__name__in=["Peer Support Program"]).exists()


@pytest.mark.django_db
def test_refused_in_production(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        load("--employees", str(SMALL))
    with pytest.raises(CommandError, match="production"):
        call_command("demo_logins", stdout=io.StringIO())
    assert Employee.objects.count() == 0 and User.objects.count() == 0


@pytest.mark.django_db
def test_too_few_employees_is_refused(db):
    with pytest.raises(CommandError, match="between"):
        load("--employees", "20")


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_department(db):
    def queries(employees: int) -> int:
        with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
            demo.demo_department_load(employees=employees)
            transaction.set_rollback(True)
        return len(ctx.captured_queries)

    small, big = queries(100), queries(400)
    assert big - small <= 2, (small, big)
    assert big < 40


@pytest.mark.django_db
def test_demo_logins_prints_every_persona(small):
    out = io.StringIO()
    call_command("demo_logins", "--url", "http://demo.example:8000/", stdout=out)
    text = out.getvalue()
    assert "http://demo.example:8000/accounts/login/" in text
    for p in demo.PERSONAS:
        line = next(line for line in text.splitlines() if p.email in line)
        assert settings.DEMO_PASSWORD in line
        assert line.rstrip().endswith("not needed" if p.key == "employee" else "TOTP code")
    assert f"oathtool --totp -b {settings.DEMO_TOTP_SECRET}" in text


@pytest.mark.django_db
def test_demo_logins_without_the_demo_department(db):
    with pytest.raises(CommandError, match="not loaded"):
        call_command("demo_logins", stdout=io.StringIO())
