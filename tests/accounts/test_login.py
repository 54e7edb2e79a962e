"""Password sign-in through allauth's own views, the MFA step, and MFA enforcement by role."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peersupport.accounts.models import Role
from peersupport.audit.models import AuditAction, AuditEvent, Outcome

from ..factories import PASSWORD, EmployeeFactory, UserFactory, grant

LOGIN = reverse("account_login")
MFA = reverse("mfa_authenticate")
TOTP_SETUP = reverse("mfa_activate_totp")


@pytest.fixture
def clock():
    """A stopped clock, so that a TOTP code cannot expire between computing and typing it."""
    with time_machine.travel(datetime.now(UTC), tick=False) as t:
        yield t


def totp(secret: str) -> str:
    """The code an authenticator app shows now."""
    counter = int(datetime.now(UTC).timestamp()) // 30
    return format_hotp_value(hotp_value(secret, counter))


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def signed_in_as(client: Client):
    return client.session.get(SESSION_KEY)


def password_login(client: Client, email: str, password: str = PASSWORD):
    return client.post(LOGIN, {"login": email, "password": password})


def login_events(action: AuditAction):
    return AuditEvent.objects.filter(action=action).order_by("id")


@pytest.mark.django_db
def test_employee_signs_in_with_password_alone(personas, client):
    employee = personas["employee"]

    resp = password_login(client, employee.email)

    assert resp.status_code == 302
    assert resp["Location"] == reverse(settings.LOGIN_REDIRECT_URL)
    assert signed_in_as(client) == str(employee.pk)
    assert client.get(reverse("web:home")).status_code == 200
    # A plain employee's sign-in and sign-out are not recorded: next to the time a request was
    # made, they would name who asked (tests/system/test_audit_unlinkable.py).
    client.post(reverse("account_logout"))
    assert not login_events(AuditAction.LOGIN).exists()
    assert not login_events(AuditAction.LOGOUT).exists()


@pytest.mark.django_db
def test_sign_in_and_out_of_a_program_role_holder_are_recorded(personas, client):
    committee_member = personas["committee_member"]
    committee_member.authenticator_set.all().delete()  # password alone, to reach the signal

    password_login(client, committee_member.email)
    client.post(reverse("account_logout"))

    event = login_events(AuditAction.LOGIN).get()
    assert (event.actor_id, event.target_id) == (committee_member.pk, str(committee_member.pk))
    assert event.details == {"methods": ["password"]}
    assert login_events(AuditAction.LOGOUT).get().actor_id == committee_member.pk


@pytest.mark.django_db
def test_login_is_case_insensitive_on_the_email(personas, client):
    resp = password_login(client, "  Employee@PD.Example.org ")

    assert resp.status_code == 302
    assert signed_in_as(client) == str(personas["employee"].pk)


@pytest.mark.django_db
def test_wrong_password_is_refused_and_audited(personas, client):
    employee = personas["employee"]

    resp = password_login(client, employee.email, "not-the-right-password-at-all")

    assert resp.status_code == 200
    assert resp.context["form"].non_field_errors()
    assert signed_in_as(client) is None
    event = login_events(AuditAction.LOGIN_FAILED).get()
    assert event.outcome == Outcome.FAILURE
    assert event.target_id == str(employee.pk)
    assert event.actor_id is None
    assert not login_events(AuditAction.LOGIN).exists()


@pytest.mark.django_db
def test_failed_login_audit_holds_neither_password_nor_typed_login(personas, client):
    typed = [
        ("Coordinator@PD.example.org", "Tr0ub4dor&3-typed-by-mistake"),
        ("nobody-here@pd.example.org", "another-secret-passphrase-99"),
    ]
    for login, password in typed:
        password_login(client, login, password)

    events = list(AuditEvent.objects.all())
    assert [e.action for e in events] == [AuditAction.LOGIN_FAILED] * 2
    # The account is named by id only, and only when it exists.
    assert [e.target_id for e in events] == [str(personas["coordinator"].pk), ""]
    stored = repr([(e.actor_label, e.target_type, e.target_id, e.details) for e in events])
    for login, password in typed:
        assert password not in stored
        assert login.lower() not in stored.lower()
        assert login.split("@")[0].lower() not in stored.lower()


@pytest.mark.django_db
def test_totp_persona_must_give_the_code(personas, client, clock):
    coordinator = personas["coordinator"]
    secret = settings.DEMO_TOTP_SECRET

    resp = password_login(client, coordinator.email)
    assert resp.status_code == 302
    assert resp["Location"] == MFA
    # The password alone signs nobody in.
    assert signed_in_as(client) is None
    assert client.get(reverse("web:home"))["Location"].startswith(LOGIN)

    resp = client.post(MFA, {"code": wrong(totp(secret))})
    assert resp.status_code == 200
    assert resp.context["form"].errors["code"]
    assert signed_in_as(client) is None
    failed = login_events(AuditAction.LOGIN_FAILED).get()
    assert (failed.target_id, failed.details) == (str(coordinator.pk), {"step": "mfa"})

    resp = client.post(MFA, {"code": totp(secret)})
    assert resp.status_code == 302
    assert resp["Location"] == reverse(settings.LOGIN_REDIRECT_URL)
    assert signed_in_as(client) == str(coordinator.pk)
    assert client.get(reverse("web:home")).status_code == 200
    event = login_events(AuditAction.LOGIN).get()
    assert event.target_id == str(coordinator.pk)
    assert event.details == {"methods": ["password", "mfa"]}


@pytest.mark.django_db
def test_a_totp_code_works_once(personas, client, clock):
    chief = personas["chief"]
    secret = settings.DEMO_TOTP_SECRET
    code = totp(secret)
    password_login(client, chief.email)
    assert client.post(MFA, {"code": code}).status_code == 302
    client.post(reverse("account_logout"))
    assert signed_in_as(client) is None

    # Someone who saw the code type it again within its 30 seconds.
    password_login(client, chief.email)
    resp = client.post(MFA, {"code": code})
    assert resp.status_code == 200
    assert signed_in_as(client) is None

    # The next code the app shows works.
    clock.shift(timedelta(seconds=30))
    assert client.post(MFA, {"code": totp(secret)}).status_code == 302
    assert signed_in_as(client) == str(chief.pk)


@pytest.mark.django_db
def test_recovery_code_signs_in_once(personas, client):
    supporter = personas["supporter"]
    codes = RecoveryCodes.activate(supporter).get_unused_codes()

    password_login(client, supporter.email)
    resp = client.post(MFA, {"code": codes[0]})
    assert resp.status_code == 302
    assert signed_in_as(client) == str(supporter.pk)

    client.post(reverse("account_logout"))
    password_login(client, supporter.email)
    assert client.post(MFA, {"code": codes[0]}).status_code == 200
    assert signed_in_as(client) is None
    assert client.post(MFA, {"code": codes[1]}).status_code == 302
    assert signed_in_as(client) == str(supporter.pk)


@pytest.fixture
def new_coordinator(dept):
    """A coordinator who has not set up MFA yet."""
    user = UserFactory(email="new.coordinator@pd.example.org")
    EmployeeFactory(user=user, unit=dept.squad, work_email=user.email)
    grant(user, Role.COORDINATOR)
    return user


@pytest.mark.django_db
def test_privileged_account_without_mfa_is_sent_to_set_it_up(
    new_coordinator, client, clock, django_capture_on_commit_callbacks
):
    resp = password_login(client, new_coordinator.email)
    # No authenticator, so allauth has nothing to ask: the password signs in...
    assert resp.status_code == 302
    assert signed_in_as(client) == str(new_coordinator.pk)

    # ...but every page sends them to set up an authenticator app,
    pages = [
        reverse("web:home"),
        reverse("accounts:profile"),
        reverse("accounts:role_list"),
        reverse("accounts:employee_list"),
        "/admin/",
    ]
    for page in pages:
        resp = client.get(page)
        assert resp.status_code == 302, page
        assert resp["Location"] == f"{TOTP_SETUP}?required=1", page
        assert client.post(page, {}).status_code == 302, page

    # which they can reach (after confirming their password, as for any change to MFA), and
    # where a code from their new app switches it on.
    resp = client.get(TOTP_SETUP)
    assert resp["Location"].startswith(reverse("account_reauthenticate"))
    resp = client.post(resp["Location"], {"password": PASSWORD})
    assert resp["Location"] == TOTP_SETUP
    resp = client.get(TOTP_SETUP)
    assert resp.status_code == 200
    secret = client.session["mfa.totp.secret"]
    # allauth announces the new authenticator once the transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(TOTP_SETUP, {"code": totp(secret)})
    assert resp.status_code == 302
    assert Authenticator.objects.filter(user=new_coordinator, type=Authenticator.Type.TOTP).exists()
    changed = login_events(AuditAction.MFA_CHANGED).filter(target_id=str(new_coordinator.pk))
    assert changed.filter(details={"type": Authenticator.Type.TOTP}).exists()

    assert client.get(reverse("web:home")).status_code == 200
    assert client.get(reverse("accounts:profile")).status_code == 200
    for page in pages:
        # From now on only the role rules decide (a coordinator may not manage roles).
        assert TOTP_SETUP not in client.get(page).get("Location", ""), page


@pytest.mark.django_db
def test_recovery_codes_alone_do_not_count_as_mfa(new_coordinator, client):
    RecoveryCodes.activate(new_coordinator)
    password_login(client, new_coordinator.email)

    assert client.get(reverse("web:home"))["Location"] == f"{TOTP_SETUP}?required=1"


@pytest.mark.django_db
def test_role_granted_after_sign_in_brings_the_mfa_requirement(personas, client):
    employee = personas["employee"]
    password_login(client, employee.email)
    assert client.get(reverse("web:home")).status_code == 200

    grant(employee, Role.PANELIST)

    assert client.get(reverse("web:home"))["Location"] == f"{TOTP_SETUP}?required=1"


@pytest.mark.django_db
def test_authenticator_is_looked_up_once_per_renewal_and_its_removal_is_enforced(personas, clock):
    """The session remembers the renewal at which it last saw an authenticator, so pages do
    not ask again on every request; removing the last one sends the person to set one up
    again at the next renewal, within SESSION_RENEW_SECONDS."""
    from peersupport.accounts.middleware import MFA_SEEN_KEY

    coordinator = personas["coordinator"]
    client = Client()
    client.force_login(coordinator, backend="allauth.account.auth_backends.AuthenticationBackend")
    home = reverse("web:home")
    assert client.get(home).status_code == 200
    assert client.session[MFA_SEEN_KEY] is not None
    with CaptureQueriesContext(connection) as first:
        assert client.get(home).status_code == 200
    assert not [q for q in first.captured_queries if "mfa_authenticator" in q["sql"]]

    Authenticator.objects.filter(user=coordinator).delete()
    # Within the same renewal the page still answers...
    clock.shift(timedelta(seconds=settings.SESSION_RENEW_SECONDS - 5))
    assert client.get(home).status_code == 200
    # ...and once the session is renewed, the missing authenticator is noticed.
    clock.shift(timedelta(seconds=10))
    with CaptureQueriesContext(connection) as renewed:
        assert client.get(home)["Location"] == f"{TOTP_SETUP}?required=1"
    assert [q for q in renewed.captured_queries if "mfa_authenticator" in q["sql"]]
    assert MFA_SEEN_KEY not in client.session
