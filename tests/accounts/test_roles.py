from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts import services
from peersupport.accounts.models import Role, RoleGrant
from peersupport.audit.models import AuditAction, AuditEvent

from ..factories import EmployeeFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(dept):
    user = UserFactory(email="newcomer@pd.example.org")
    EmployeeFactory(user=user, unit=dept.squad, work_email=user.email)
    return user


def test_grant_records_who_when_why_and_audits(personas, newcomer):
    """A confidential role by hand: asked by one person, granted when a second approves."""
    bhs, chief = personas["bhs_manager"], personas["chief"]
    req = services.role_request(
        actor=bhs, user=newcomer, role=Role.PEER_SUPPORTER, reason="Appointed by the Chief"
    )
    services.role_request_decide(actor=chief, grant_request=req, approve=True)
    g = RoleGrant.objects.get(user=newcomer, role=Role.PEER_SUPPORTER)
    assert g.granted_by == bhs and g.reason == "Appointed by the Chief"
    assert Role.PEER_SUPPORTER in type(newcomer).objects.get(pk=newcomer.pk).roles
    event = AuditEvent.objects.get(action=AuditAction.ROLE_GRANTED)
    assert event.actor_id == chief.pk
    assert event.target_id == str(g.pk)
    assert event.details["role"] == Role.PEER_SUPPORTER
    assert event.details["requested_by"] == bhs.pk


def test_a_role_reading_no_confidential_content_is_granted_at_once(personas, newcomer):
    g = services.role_grant(
        actor=personas["bhs_manager"], user=newcomer, role=Role.PANELIST, reason="Round 3"
    )
    assert g.granted_by == personas["bhs_manager"]
    assert Role.PANELIST in type(newcomer).objects.get(pk=newcomer.pk).roles


def test_revoke_ends_the_role_and_audits(personas, newcomer):
    admin = personas["sysadmin"]
    g = services.role_grant(actor=admin, user=newcomer, role=Role.PANELIST, reason="Round 3")
    services.role_revoke(actor=admin, grant=g, reason="Round closed")
    fresh = type(newcomer).objects.get(pk=newcomer.pk)
    assert Role.PANELIST not in fresh.roles
    assert AuditEvent.objects.filter(action=AuditAction.ROLE_REVOKED).count() == 1
    with pytest.raises(ValidationError):
        services.role_revoke(actor=admin, grant=g, reason="again")


@pytest.mark.parametrize(
    ("actor", "role", "message"),
    [
        ("coordinator", Role.PANELIST, "may not grant"),
        ("employee", Role.PANELIST, "may not grant"),
        ("sysadmin", Role.EMPLOYEE, "cannot be granted"),
        ("sysadmin", Role.SUPERVISOR, "cannot be granted"),
    ],
)
def test_refused_grants_change_nothing(personas, newcomer, actor, role, message):
    before = RoleGrant.objects.count()
    with pytest.raises(ValidationError, match=message):
        services.role_grant(actor=personas[actor], user=newcomer, role=role, reason="x")
    assert RoleGrant.objects.count() == before
    assert not AuditEvent.objects.filter(action=AuditAction.ROLE_GRANTED).exists()


def test_nobody_grants_themselves_a_role(personas):
    bhs = personas["bhs_manager"]
    with pytest.raises(ValidationError, match="themselves"):
        services.role_grant(actor=bhs, user=bhs, role=Role.CHIEF, reason="x")


def test_second_open_grant_of_a_role_is_refused(personas):
    with pytest.raises(ValidationError, match="already holds"):
        services.role_grant(
            actor=personas["sysadmin"],
            user=personas["supporter"],
            role=Role.PEER_SUPPORTER,
            reason="again",
        )


def test_sysadmin_cannot_hold_a_confidential_role(personas, newcomer):
    admin, bhs = personas["sysadmin"], personas["bhs_manager"]
    # An administrator may not be given a role that reads confidential content...
    other_admin = UserFactory()
    grant(other_admin, Role.SYSADMIN)
    for role in (Role.PEER_SUPPORTER, Role.BHS_MANAGER, Role.COORDINATOR):
        with pytest.raises(ValidationError, match="system administrator"):
            services.role_grant(actor=bhs, user=other_admin, role=role, reason="x")
    # ...and a supporter may not be made an administrator.
    with pytest.raises(ValidationError, match="system administrator"):
        services.role_grant(actor=admin, user=personas["supporter"], role=Role.SYSADMIN, reason="x")


def test_expiry_must_be_future_and_ends_the_role(personas, newcomer):
    admin = personas["sysadmin"]
    with pytest.raises(ValidationError, match="future"):
        services.role_grant(
            actor=admin,
            user=newcomer,
            role=Role.PANELIST,
            reason="x",
            expires_at=timezone.now() - timedelta(minutes=1),
        )
    services.role_grant(
        actor=admin,
        user=newcomer,
        role=Role.PANELIST,
        reason="round",
        expires_at=timezone.now() + timedelta(days=7),
    )
    assert Role.PANELIST in type(newcomer).objects.get(pk=newcomer.pk).roles
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert Role.PANELIST not in type(newcomer).objects.get(pk=newcomer.pk).roles
        # An expired grant does not block a new one.
        services.role_grant(actor=admin, user=newcomer, role=Role.PANELIST, reason="next round")
        assert Role.PANELIST in type(newcomer).objects.get(pk=newcomer.pk).roles


def test_derived_roles(dept, personas):
    assert Role.SUPERVISOR in personas["supervisor"].roles
    assert Role.SUPERVISOR not in personas["employee"].roles
    assert personas["employee"].roles == {Role.EMPLOYEE}
    # A separated employee is no longer an employee, nor a supervisor.
    sup = personas["supervisor"].employee
    sup.status = sup.Status.SEPARATED
    sup.save(update_fields=["status"])
    fresh = type(personas["supervisor"]).objects.get(pk=personas["supervisor"].pk)
    assert Role.EMPLOYEE not in fresh.roles and Role.SUPERVISOR not in fresh.roles


@pytest.mark.parametrize(
    ("status", "roles"),
    [
        ("active", {Role.EMPLOYEE, Role.SUPERVISOR}),
        ("on_leave", {Role.EMPLOYEE}),
        # A retiree keeps the employee role (sign in, ask for support, find a supporter), but
        # supervises nobody, whatever unit still names them.
        ("retired", {Role.EMPLOYEE}),
        ("separated", set()),
    ],
)
def test_the_employee_role_follows_the_record_status(personas, status, roles):
    sup = personas["supervisor"].employee
    sup.status = status
    sup.save(update_fields=["status"])
    fresh = type(personas["supervisor"]).objects.get(pk=personas["supervisor"].pk)
    assert set(fresh.roles) == roles


# --- The Roles page --------------------------------------------------------------------------


def test_roles_page_grants(client_for, newcomer):
    c = client_for("bhs_manager")
    resp = c.post(
        reverse("accounts:role_list"),
        {"email": newcomer.email.upper(), "role": Role.COMMITTEE_MEMBER, "reason": "Elected"},
    )
    assert resp.status_code == 302
    assert RoleGrant.objects.filter(user=newcomer, role=Role.COMMITTEE_MEMBER).exists()
    page = c.get(reverse("accounts:role_list")).content.decode()
    assert newcomer.email in page


def test_roles_page_finds_the_person_by_name(client_for, newcomer):
    c = client_for("sysadmin")
    name = newcomer.employee.last_name
    found = c.post(reverse("accounts:role_list"), {"email": name, "email_search": "1"})
    assert found.status_code == 400 and f'value="{newcomer.pk}"' in found.content.decode()
    assert not RoleGrant.objects.filter(user=newcomer).exists()
    resp = c.post(
        reverse("accounts:role_list"),
        {"email": name, "email_id": newcomer.pk, "role": Role.PANELIST, "reason": "Panel"},
    )
    assert resp.status_code == 302
    assert RoleGrant.objects.filter(user=newcomer, role=Role.PANELIST).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "nobody@pd.example.org", "role": "panelist", "reason": "x"}, "Nobody matches"),
        ({"email": "not-an-email", "role": "panelist", "reason": "x"}, "Nobody matches"),
        ({"email": "newcomer@pd.example.org", "role": "emperor", "reason": "x"}, "valid choice"),
        ({"email": "newcomer@pd.example.org", "role": "employee", "reason": "x"}, "valid choice"),
        ({"email": "newcomer@pd.example.org", "role": "panelist", "reason": ""}, "required"),
        (
            {
                "email": "newcomer@pd.example.org",
                "role": "panelist",
                "reason": "x",
                "expires_at": "2001-01-01",
            },
            "after today",
        ),
        (
            {
                "email": "newcomer@pd.example.org",
                "role": "panelist",
                "reason": "x",
                "expires_at": "31/31/2099",
            },
            "valid date",
        ),
        ({"email": "bhs_manager@pd.example.org", "role": "chief", "reason": "x"}, "themselves"),
    ],
)
def test_roles_page_bad_input_rerenders_and_changes_nothing(client_for, newcomer, data, message):
    before = RoleGrant.objects.count()
    resp = client_for("bhs_manager").post(reverse("accounts:role_list"), data)
    assert resp.status_code == 400
    assert message in resp.content.decode()
    assert RoleGrant.objects.count() == before


def test_revoke_needs_a_reason(client_for, personas):
    g = personas["panelist"].role_grants.get()
    c = client_for("sysadmin")
    c.post(reverse("accounts:role_revoke", args=[g.pk]), {"reason": ""})
    g.refresh_from_db()
    assert g.revoked_at is None
    c.post(reverse("accounts:role_revoke", args=[g.pk]), {"reason": "Panel finished"})
    g.refresh_from_db()
    assert g.revoked_at is not None and g.revoked_by == personas["sysadmin"]


def test_revoke_unknown_grant_is_404(client_for):
    resp = client_for("sysadmin").post(
        reverse("accounts:role_revoke", args=[999999]), {"reason": "x"}
    )
    assert resp.status_code == 404


def test_denied_access_is_audited(client_for, personas):
    resp = client_for("coordinator").get(reverse("accounts:role_list"))
    assert resp.status_code == 403
    event = AuditEvent.objects.get(action=AuditAction.ACCESS_DENIED)
    assert event.actor_id == personas["coordinator"].pk
    assert event.details == {"view": "accounts:role_list"}


def test_roles_are_granted_in_one_place():
    """Every grant and revocation goes through accounts.services (role_grant / role_revoke, or
    the *_by_program variants for the program's own decisions): no other product module makes a
    RoleGrant row or closes one by hand."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "peersupport"
    makers = {"create", "bulk_create", "get_or_create", "update_or_create"}
    wrong = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts or path == root / "accounts" / "services.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = ast.unparse(node.func)
            made = func == "RoleGrant" or (
                isinstance(node.func, ast.Attribute)
                and node.func.attr in makers
                and "RoleGrant" in func
            )
            closed = func.endswith(".update") and any(
                k.arg in ("revoked_at", "revoked_by") for k in node.keywords
            )
            if made or closed:
                wrong.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not wrong, "RoleGrant rows made or closed outside accounts.services:\n" + "\n".join(
        wrong
    )
