"""django-axes locks an account, never an address, after repeated failed sign-ins."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse

from peersupport.audit.models import AuditAction, AuditEvent, Outcome

from ..factories import PASSWORD, EmployeeFactory, UserFactory

LOGIN = reverse("account_login")
LOCKED_STATUS = 429  # what axes answers a locked account with (AXES_HTTP_RESPONSE_CODE)
BAD_PASSWORD = "definitely-not-the-password"


@pytest.fixture
def clock():
    with time_machine.travel(datetime.now(UTC), tick=False) as t:
        yield t


def attempt(email: str, password: str, ip: str):
    """One sign-in from its own browser at ``ip``."""
    client = Client(REMOTE_ADDR=ip)
    resp = client.post(LOGIN, {"login": email, "password": password})
    return resp, client


def is_locked_page(resp) -> bool:
    names = [t.name for t in resp.templates]
    return resp.status_code == LOCKED_STATUS and settings.AXES_LOCKOUT_TEMPLATE in names


def signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def fail_until_locked(email: str, *, first_ip: int = 1):
    """AXES_FAILURE_LIMIT failures, each from a different address; returns the responses."""
    return [
        attempt(email, BAD_PASSWORD, f"198.51.100.{first_ip + n}")[0]
        for n in range(settings.AXES_FAILURE_LIMIT)
    ]


@pytest.fixture
def employee(personas):
    return personas["employee"]


@pytest.fixture
def colleague(dept):
    user = UserFactory(email="colleague@pd.example.org")
    EmployeeFactory(user=user, unit=dept.squad, work_email=user.email)
    return user


@pytest.mark.django_db
def test_failures_from_many_addresses_lock_the_account(employee, clock):
    responses = fail_until_locked(employee.email)

    # Each failure before the limit is an ordinary "wrong password"...
    for resp in responses[:-1]:
        assert resp.status_code == 200
        assert resp.context["form"].non_field_errors()
    # ...and the one that reaches it shows the lockout page.
    assert is_locked_page(responses[-1])

    # The right password, from an address never used before, is refused too.
    resp, client = attempt(employee.email, PASSWORD, "203.0.113.77")
    assert is_locked_page(resp)
    assert b"Too many failed sign-ins" in resp.content
    assert not signed_in(client)

    lockouts = AuditEvent.objects.filter(action=AuditAction.LOCKOUT)
    assert lockouts.count() == 2  # when it locked, and the refused attempt
    assert {(e.target_id, e.outcome) for e in lockouts} == {(str(employee.pk), Outcome.DENIED)}
    failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED)
    assert failed.count() == settings.AXES_FAILURE_LIMIT + 1
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()


@pytest.mark.django_db
def test_spelling_of_the_address_does_not_matter(employee, clock):
    spellings = ["EMPLOYEE@pd.example.org", "Employee@PD.example.org", " employee@pd.example.org"]
    for n in range(settings.AXES_FAILURE_LIMIT):
        resp, _ = attempt(spellings[n % len(spellings)], BAD_PASSWORD, f"198.51.100.{n}")

    assert is_locked_page(resp)
    assert is_locked_page(attempt(employee.email, PASSWORD, "203.0.113.1")[0])


@pytest.mark.django_db
def test_failures_on_each_address_of_one_account_add_up(employee, clock):
    EmailAddress.objects.create(user=employee, email="e.mployee@pd.example.org", verified=True)
    # The second address signs in to the same account.
    resp, client = attempt("e.mployee@pd.example.org", PASSWORD, "203.0.113.1")
    assert resp.status_code == 302
    assert signed_in(client)

    half = settings.AXES_FAILURE_LIMIT // 2
    for n in range(settings.AXES_FAILURE_LIMIT):
        email = employee.email if n < half else "e.mployee@pd.example.org"
        resp, _ = attempt(email, BAD_PASSWORD, f"198.51.100.{n}")

    assert is_locked_page(resp)
    assert is_locked_page(attempt("e.mployee@pd.example.org", PASSWORD, "203.0.113.2")[0])
    assert is_locked_page(attempt(employee.email, PASSWORD, "203.0.113.3")[0])


@pytest.mark.django_db
def test_a_locked_account_does_not_lock_others_at_the_same_address(employee, colleague, clock):
    shared_gateway = "192.0.2.10"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        resp, _ = attempt(employee.email, BAD_PASSWORD, shared_gateway)
    assert is_locked_page(resp)

    # Everyone else behind the same gateway signs in, even after failures of their own that
    # take the address far past the limit.
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        resp, _ = attempt(colleague.email, BAD_PASSWORD, shared_gateway)
        assert resp.status_code == 200
    resp, client = attempt(colleague.email, PASSWORD, shared_gateway)
    assert resp.status_code == 302
    assert signed_in(client)


@pytest.mark.django_db
def test_failures_below_the_limit_are_forgotten_after_a_sign_in(employee, clock):
    for round_ in range(2):
        for n in range(settings.AXES_FAILURE_LIMIT - 1):
            resp, _ = attempt(employee.email, BAD_PASSWORD, f"198.51.100.{n}")
            assert resp.status_code == 200, round_
        resp, client = attempt(employee.email, PASSWORD, "203.0.113.1")
        assert resp.status_code == 302, round_
        assert signed_in(client)


@pytest.mark.django_db
def test_lock_ends_after_the_cool_off_even_if_retried_meanwhile(employee, clock):
    own_browser = "203.0.113.1"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(employee.email, BAD_PASSWORD, own_browser)

    clock.shift(settings.AXES_COOLOFF_TIME - timedelta(minutes=1))
    resp, client = attempt(employee.email, PASSWORD, own_browser)
    assert is_locked_page(resp)
    assert not signed_in(client)

    # Measured from the lock, not from the refused retry.
    clock.shift(timedelta(minutes=2))
    resp, client = attempt(employee.email, PASSWORD, own_browser)
    assert resp.status_code == 302
    assert signed_in(client)


@pytest.mark.django_db
def test_password_reset_by_email_unlocks_the_account(employee, clock):
    fail_until_locked(employee.email)
    new_password = "a-brand-new-passphrase-for-2026"

    client = Client()
    client.post(reverse("account_reset_password"), {"email": employee.email})
    link = re.search(r"https?://testserver(/\S+/)", mail.outbox[-1].body).group(1)
    set_password_url = client.get(link)["Location"]
    resp = client.post(set_password_url, {"password1": new_password, "password2": new_password})
    assert resp.status_code == 302

    resp, client = attempt(employee.email, new_password, "203.0.113.1")
    assert resp.status_code == 302
    assert signed_in(client)


@pytest.mark.django_db
def test_failures_on_an_unknown_address_lock_nobody(employee, clock):
    for n in range(settings.AXES_FAILURE_LIMIT + 2):
        attempt("nobody@pd.example.org", BAD_PASSWORD, f"198.51.100.{n}")

    resp, client = attempt(employee.email, PASSWORD, "198.51.100.1")
    assert resp.status_code == 302
    assert signed_in(client)
