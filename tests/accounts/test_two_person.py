"""The two-person rule for confidential roles (docs/roles.md).

The insider played here is the system administrator who, alone, sets up an account and gives it
the roles that read requests, escalations and the audit log (issue 18, item 1).
"""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts import selectors, services
from peersupport.accounts.models import CONFIDENTIAL_ROLES, Role, RoleGrant, RoleGrantRequest
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.notifications.models import Notification

from ..factories import EmployeeFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(dept):
    user = UserFactory(email="newcomer@pd.example.org", display_name="Newcomer Name")
    EmployeeFactory(user=user, unit=dept.squad, work_email=user.email)
    return user


def _ask(personas, newcomer, role=Role.BHS_MANAGER, by="sysadmin"):
    return services.role_request(
        actor=personas[by], user=newcomer, role=role, reason="Covering the manager's leave"
    )


def _roles(user):
    return type(user).objects.get(pk=user.pk).roles


# --- The insider alone ------------------------------------------------------------------------


def test_sysadmin_alone_cannot_give_an_account_confidential_roles(client_for, personas, newcomer):
    """Issue 18: the administrator asks for BHS manager, advocacy and supporter roles for an
    account they set up, then tries to approve them. Nothing is granted."""
    admin = client_for("sysadmin")
    for role in (Role.BHS_MANAGER, Role.ADVOCACY_SUPERVISOR, Role.PEER_SUPPORTER):
        resp = admin.post(
            reverse("accounts:role_list"),
            {"email": newcomer.email, "role": role, "reason": "Needed"},
        )
        assert resp.status_code == 302
    assert not _roles(newcomer) & CONFIDENTIAL_ROLES
    assert not RoleGrant.objects.filter(user=newcomer).exists()
    assert RoleGrantRequest.objects.filter(user=newcomer, status="pending").count() == 3
    # The administrator cannot open the approvals, nor decide one.
    req = RoleGrantRequest.objects.filter(user=newcomer).first()
    assert admin.get(reverse("accounts:role_requests")).status_code == 403
    resp = admin.post(
        reverse("accounts:role_request_decide", args=[req.pk]),
        {"decision": "approve", "confirm": "on"},
    )
    assert resp.status_code == 403
    with pytest.raises(ValidationError, match="BHS manager or the Chief"):
        services.role_request_decide(actor=personas["sysadmin"], grant_request=req, approve=True)
    assert not _roles(newcomer) & CONFIDENTIAL_ROLES


def test_role_grant_refuses_a_confidential_role(personas, newcomer):
    for role in CONFIDENTIAL_ROLES:
        with pytest.raises(ValidationError, match="second person"):
            services.role_grant(actor=personas["sysadmin"], user=newcomer, role=role, reason="x")
    assert not RoleGrant.objects.filter(user=newcomer).exists()


def test_the_requester_never_approves_their_own_request(personas, newcomer):
    req = _ask(personas, newcomer, role=Role.COORDINATOR, by="bhs_manager")
    with pytest.raises(ValidationError, match="second person"):
        services.role_request_decide(actor=personas["bhs_manager"], grant_request=req, approve=True)
    assert Role.COORDINATOR not in _roles(newcomer)


def test_the_recipient_never_approves_their_own_grant(personas, client_for):
    chief = personas["chief"]
    req = services.role_request(
        actor=personas["sysadmin"], user=chief, role=Role.BHS_MANAGER, reason="Acting"
    )
    # Not listed for them, 404 on its page, refused by the service.
    assert req not in client_for("chief").get(reverse("accounts:role_requests")).context["waiting"]
    resp = client_for("chief").get(reverse("accounts:role_request_decide", args=[req.pk]))
    assert resp.status_code == 404
    with pytest.raises(ValidationError, match="second person"):
        services.role_request_decide(actor=chief, grant_request=req, approve=True)
    # The BHS manager can.
    services.role_request_decide(actor=personas["bhs_manager"], grant_request=req, approve=True)
    assert Role.BHS_MANAGER in _roles(chief)


@pytest.mark.parametrize("persona", ["coordinator", "supporter", "advocacy_supervisor"])
def test_other_confidential_roles_do_not_approve(personas, newcomer, persona):
    req = _ask(personas, newcomer)
    with pytest.raises(ValidationError, match="BHS manager or the Chief"):
        services.role_request_decide(actor=personas[persona], grant_request=req, approve=True)


def test_a_puppet_approver_needs_approving_too(personas, newcomer):
    """The administrator cannot make a Chief of their own to approve the rest: Chief is itself
    a confidential role."""
    _ask(personas, newcomer, role=Role.CHIEF)
    assert Role.CHIEF not in _roles(newcomer)


def test_an_administrator_cannot_be_asked_for_a_confidential_role(personas):
    other_admin = UserFactory()
    grant(other_admin, Role.SYSADMIN)
    with pytest.raises(ValidationError, match="system administrator"):
        _ask(personas, other_admin, by="bhs_manager")
    # ...nor become one while a confidential role waits for them.
    newcomer = UserFactory()
    _ask(personas, newcomer, by="bhs_manager")
    with pytest.raises(ValidationError, match="system administrator"):
        services.role_grant(
            actor=personas["sysadmin"], user=newcomer, role=Role.SYSADMIN, reason="x"
        )


# --- The approver's side ---------------------------------------------------------------------


def test_request_is_audited_and_approvers_get_a_content_free_alert(personas, newcomer):
    req = _ask(personas, newcomer, role=Role.ADVOCACY_SUPERVISOR)
    event = AuditEvent.objects.get(action="role.grant_requested")
    assert event.actor_id == personas["sysadmin"].pk and event.target_id == str(req.pk)
    assert "Covering" not in str(event.details)  # the reason stays out of the audit log
    waiting = Notification.objects.filter(key__startswith=f"accounts:grant_waiting:{req.pk}:")
    assert {n.user for n in waiting} == {personas["bhs_manager"], personas["chief"]}
    told = Notification.objects.filter(user=newcomer)
    assert told.exists()
    for note in [*waiting, *told]:
        text = note.subject + note.body
        for secret in ("Newcomer", newcomer.email, "dvocacy", "Covering", "sysadmin"):
            assert secret not in text, (secret, text)
    assert reverse("accounts:role_requests") in waiting[0].body


def test_approver_sees_what_waits_confirms_and_approves(client_for, personas, newcomer):
    req = _ask(personas, newcomer)
    chief = client_for("chief")
    listed = chief.get(reverse("accounts:role_requests"))
    assert listed.status_code == 200 and newcomer.email in listed.content.decode()
    url = reverse("accounts:role_request_decide", args=[req.pk])
    page = chief.get(url).content.decode()
    assert "Covering the manager" in page and newcomer.email in page
    # Without the confirmation box nothing happens.
    resp = chief.post(url, {"decision": "approve"})
    assert resp.status_code == 400
    assert Role.BHS_MANAGER not in _roles(newcomer)
    resp = chief.post(url, {"decision": "approve", "confirm": "on"})
    assert resp.status_code == 302
    req.refresh_from_db()
    assert req.status == "approved" and req.decided_by == personas["chief"]
    assert req.grant.granted_by == personas["sysadmin"]
    assert Role.BHS_MANAGER in _roles(newcomer)
    # The grant on a guarded account alerts the holder and the BHS manager.
    assert Notification.objects.filter(
        key__startswith=f"accounts:role_granted:{newcomer.pk}:", user=personas["bhs_manager"]
    ).exists()
    # Decided: no longer waiting, and its page is gone.
    assert chief.get(url).status_code == 404


def test_refusal_grants_nothing_and_is_audited(client_for, personas, newcomer):
    req = _ask(personas, newcomer)
    url = reverse("accounts:role_request_decide", args=[req.pk])
    resp = client_for("bhs_manager").post(url, {"decision": "refuse", "confirm": "on"})
    assert resp.status_code == 302
    req.refresh_from_db()
    assert req.status == "refused" and req.grant is None
    assert Role.BHS_MANAGER not in _roles(newcomer)
    assert AuditEvent.objects.filter(action="role.grant_refused", actor_id=req.decided_by_id)
    with pytest.raises(ValidationError, match="already decided"):
        services.role_request_decide(actor=personas["chief"], grant_request=req, approve=True)


@pytest.mark.parametrize(
    "data",
    [{}, {"decision": "grant-everything", "confirm": "on"}, {"decision": "", "confirm": "on"}],
)
def test_bad_decisions_change_nothing(client_for, personas, newcomer, data):
    req = _ask(personas, newcomer)
    url = reverse("accounts:role_request_decide", args=[req.pk])
    assert client_for("chief").post(url, data).status_code == 400
    req.refresh_from_db()
    assert req.status == "pending"


def test_a_request_lapses_after_a_few_days(personas, newcomer):
    req = _ask(personas, newcomer)
    later = timezone.now() + timedelta(days=RoleGrantRequest.PENDING_DAYS, minutes=1)
    with time_machine.travel(later):
        # Gone from the approver's list...
        assert not selectors.role_requests_waiting_for(personas["chief"]).exists()
        # ...and closed as lapsed if decided anyway (a page left open), granting nothing.
        decided = services.role_request_decide(
            actor=personas["chief"], grant_request=req, approve=True
        )
        assert decided.status == "lapsed"
        req.refresh_from_db()
        assert req.status == "lapsed" and req.grant is None
        assert Role.BHS_MANAGER not in _roles(newcomer)
        assert AuditEvent.objects.filter(action="role.grant_lapsed").count() == 1
        # It may be asked again.
        again = _ask(personas, newcomer)
        assert again.status == "pending"


def test_a_second_request_for_the_same_role_is_refused(personas, newcomer):
    _ask(personas, newcomer)
    with pytest.raises(ValidationError, match="already waiting"):
        _ask(personas, newcomer, by="bhs_manager")


def test_the_account_may_change_between_ask_and_approve(personas, newcomer):
    req = _ask(personas, newcomer)
    services.user_set_active(actor=personas["sysadmin"], user=newcomer, active=False, reason="left")
    newcomer.refresh_from_db()
    with pytest.raises(ValidationError, match="disabled"):
        services.role_request_decide(actor=personas["chief"], grant_request=req, approve=True)
    assert not RoleGrant.objects.filter(user=newcomer).exists()


def test_program_decisions_stay_one_step(personas, newcomer):
    grant_ = services.role_grant_by_program(
        actor=personas["chief"], user=newcomer, role=Role.PEER_SUPPORTER, reason="Appointed"
    )
    assert grant_ is not None and Role.PEER_SUPPORTER in _roles(newcomer)


# --- Bootstrap --------------------------------------------------------------------------------


def test_without_a_second_person_the_site_refuses_and_points_to_bootstrap(db):
    admin, first = UserFactory(), UserFactory(email="first-bhs@pd.example.org")
    grant(admin, Role.SYSADMIN)
    with pytest.raises(ValidationError, match="Bootstrap"):
        services.role_request(actor=admin, user=first, role=Role.BHS_MANAGER, reason="Install")
    assert not RoleGrantRequest.objects.exists()


def test_bootstrap_command_grants_the_first_holder_and_is_audited(db):
    first = UserFactory(email="first-bhs@pd.example.org")
    call_command(
        "grant_role", first.email, "bhs_manager", reason="Install", operator="ops on host-1"
    )
    assert Role.BHS_MANAGER in _roles(first)
    event = AuditEvent.objects.get(action=AuditAction.ROLE_GRANTED)
    assert event.actor_id is None
    assert event.details["via"] == "command" and event.details["operator"] == "ops on host-1"
    # Once somebody can approve on the site, the command refuses.
    second = UserFactory()
    with pytest.raises(CommandError, match="Roles page"):
        call_command("grant_role", second.email, "chief", reason="Install", operator="ops")
    assert Role.CHIEF not in _roles(second)


def test_bootstrap_command_refuses_unknown_accounts_and_roles(db):
    with pytest.raises(CommandError, match="No account"):
        call_command("grant_role", "nobody@pd.example.org", "chief", reason="x")
    user = UserFactory()
    with pytest.raises(CommandError):
        call_command("grant_role", user.email, "panelist", reason="x")
    assert not RoleGrant.objects.exists()


# --- Reasons at rest --------------------------------------------------------------------------


def test_grant_reasons_are_encrypted_at_rest(personas, newcomer):
    """Someone with a copy of the database reads no reason."""
    g = services.role_grant(
        actor=personas["sysadmin"], user=newcomer, role=Role.PANELIST, reason="Sick leave cover"
    )
    services.role_revoke(actor=personas["sysadmin"], grant=g, reason="Back from leave")
    req = _ask(personas, newcomer)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason, revoke_reason FROM accounts_rolegrant WHERE id = %s", [g.pk])
        reason, revoke_reason = cursor.fetchone()
        cursor.execute("SELECT reason FROM accounts_rolegrantrequest WHERE id = %s", [req.pk])
        (asked,) = cursor.fetchone()
    for stored in (reason, revoke_reason, asked):
        assert stored.startswith("v2:")  # bound to its row too
    assert "Sick" not in reason and "Back" not in revoke_reason and "Covering" not in asked
    g.refresh_from_db()
    assert g.reason == "Sick leave cover" and g.revoke_reason == "Back from leave"


# The migrations that encrypt grant reasons (0005) and bind them to their rows (0007) are
# tested from a database as it was before them: tests/accounts/test_migrations.py.


def test_approvers_find_the_waiting_page_from_home(client_for):
    waiting = reverse("accounts:role_requests")
    for persona in ("chief", "bhs_manager"):
        assert waiting in client_for(persona).get(reverse("web:home")).content.decode(), persona
    for persona in ("sysadmin", "coordinator"):
        assert waiting not in client_for(persona).get(reverse("web:home")).content.decode()
