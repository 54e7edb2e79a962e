"""Registration claims an existing employee record: work e-mail and employee number must match
a record that has no account yet."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from peersupport.accounts.forms import NO_MATCH
from peersupport.accounts.models import Employee, User
from peersupport.audit.models import AuditAction, AuditEvent

from ..factories import EmployeeFactory, UserFactory

SIGNUP = reverse("account_signup")
GOOD_PASSWORD = "violet-harbour-lantern-1987"


@pytest.fixture
def recruit(dept):
    """An employee record that nobody has claimed yet."""
    return EmployeeFactory(
        employee_number="P4711", work_email="dana.recruit@pd.example.org", unit=dept.squad
    )


def signup(client, *, email, number, password=GOOD_PASSWORD, password2=None):
    return client.post(
        SIGNUP,
        {
            "email": email,
            "employee_number": number,
            "password1": password,
            "password2": password if password2 is None else password2,
        },
    )


class Nothing:
    """What the database and the outbox hold before an attempt, to check it created nothing."""

    def __init__(self):
        self.users = User.objects.count()
        self.addresses = EmailAddress.objects.count()
        self.claimed = Employee.objects.filter(user__isnull=False).count()
        self.linked = AuditEvent.objects.filter(action=AuditAction.ACCOUNT_LINKED).count()
        self.mails = len(mail.outbox)

    def changed(self) -> bool:
        return (
            self.users != User.objects.count()
            or self.addresses != EmailAddress.objects.count()
            or self.claimed != Employee.objects.filter(user__isnull=False).count()
            or self.linked != AuditEvent.objects.filter(action=AuditAction.ACCOUNT_LINKED).count()
            or self.mails != len(mail.outbox)
        )


def refused_with(resp, message: str) -> bool:
    if resp.status_code != 200:
        return False
    form = resp.context["form"]
    errors = [e for field_errors in form.errors.values() for e in field_errors]
    return any(message in e for e in errors) and message.encode() in resp.content


@pytest.mark.django_db
def test_signup_claims_the_matching_record_once_the_email_is_confirmed(recruit, client):
    resp = signup(client, email="Dana.Recruit@pd.example.org", number="P4711")

    assert resp.status_code == 302
    assert resp["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="dana.recruit@pd.example.org")
    assert user.check_password(GOOD_PASSWORD)
    # The e-mail must be confirmed before the account can sign in, and before it claims the
    # record: until then someone who knows a colleague's e-mail and number could block it.
    assert SESSION_KEY not in client.session
    assert not EmailAddress.objects.get(user=user).verified
    recruit.refresh_from_db()
    assert recruit.user is None
    assert not AuditEvent.objects.filter(action=AuditAction.ACCOUNT_LINKED).exists()

    link = re.search(r"https?://testserver(/\S+/)", mail.outbox[-1].body).group(1)
    client.post(link)

    recruit.refresh_from_db()
    assert recruit.user == user
    user.refresh_from_db()
    assert user.display_name == recruit.full_name
    event = AuditEvent.objects.get(action=AuditAction.ACCOUNT_LINKED)
    assert (event.actor_id, event.target_type, event.target_id) == (
        user.pk,
        "accounts.employee",
        str(recruit.pk),
    )


@pytest.mark.django_db
def test_signup_links_at_once_when_verification_is_off(recruit, client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "none"
    signup(client, email=recruit.work_email, number=recruit.employee_number)
    recruit.refresh_from_db()
    assert recruit.user is not None


@pytest.mark.django_db
def test_confirmed_registration_signs_in(recruit, client):
    signup(client, email=recruit.work_email, number=recruit.employee_number)
    resp = client.post(
        reverse("account_login"), {"login": recruit.work_email, "password": GOOD_PASSWORD}
    )
    assert resp["Location"] == reverse("account_email_verification_sent")
    assert SESSION_KEY not in client.session

    link = re.search(r"https?://testserver(/\S+/)", mail.outbox[-1].body).group(1)
    client.post(link)
    resp = client.post(
        reverse("account_login"), {"login": recruit.work_email, "password": GOOD_PASSWORD}
    )

    assert resp.status_code == 302
    recruit.refresh_from_db()
    assert client.session[SESSION_KEY] == str(recruit.user_id)
    assert client.get(reverse("web:home")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Employee.Status.ON_LEAVE, Employee.Status.RETIRED])
def test_an_employee_on_leave_or_retired_may_register(recruit, client, status):
    recruit.status = status
    recruit.save(update_fields=["status"])

    assert signup(client, email=recruit.work_email, number="P4711").status_code == 302
    link = re.search(r"https?://testserver(/\S+/)", mail.outbox[-1].body).group(1)
    client.post(link)
    recruit.refresh_from_db()
    assert recruit.user is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "number"),
    [
        ("dana.recruit@pd.example.org", "P4712"),  # the wrong number
        ("dana.other@pd.example.org", "P4711"),  # the wrong e-mail
        ("dana.recruit@pd.example.org", "p 4711"),  # close is not enough
    ],
)
def test_mismatch_creates_nothing(recruit, client, email, number):
    before = Nothing()

    resp = signup(client, email=email, number=number)

    assert refused_with(resp, NO_MATCH)
    assert not before.changed()


@pytest.mark.django_db
def test_a_separated_employee_cannot_register(recruit, client):
    recruit.status = Employee.Status.SEPARATED
    recruit.save(update_fields=["status"])
    before = Nothing()

    resp = signup(client, email=recruit.work_email, number="P4711")

    assert refused_with(resp, NO_MATCH)
    assert not before.changed()


@pytest.mark.django_db
def test_claimed_record_cannot_be_claimed_again(personas, client):
    record = personas["employee"].employee
    before = Nothing()

    for email in (record.work_email, record.work_email.upper()):
        resp = signup(client, email=email, number=record.employee_number)
        assert refused_with(resp, NO_MATCH)

    assert not before.changed()
    record.refresh_from_db()
    assert record.user == personas["employee"]


@pytest.mark.django_db
def test_record_claimed_under_another_address_cannot_be_claimed(dept, client):
    owner = UserFactory(email="private.address@pd.example.org")
    record = EmployeeFactory(
        user=owner, unit=dept.squad, work_email="official@pd.example.org", employee_number="Q1"
    )
    before = Nothing()

    resp = signup(client, email="official@pd.example.org", number="Q1")

    assert refused_with(resp, NO_MATCH)
    assert not before.changed()
    record.refresh_from_db()
    assert record.user == owner


@pytest.mark.django_db
def test_submitting_the_same_signup_twice_is_no_error(recruit, client):
    assert signup(client, email=recruit.work_email, number="P4711").status_code == 302
    users = User.objects.count()

    # The record is not claimed until the e-mail is confirmed, so the second submission passes
    # the match; allauth then answers as for a new address (no enumeration) and writes nothing.
    resp = signup(client, email=recruit.work_email, number="P4711")

    assert resp.status_code == 302
    assert User.objects.count() == users
    recruit.refresh_from_db()
    assert recruit.user is None
    assert not AuditEvent.objects.filter(action=AuditAction.ACCOUNT_LINKED).exists()


@pytest.mark.django_db
def test_email_already_used_by_an_account_is_no_error(personas, dept, client):
    # The system administrator has an account but no employee record; a record with the same
    # work e-mail is added later.
    sysadmin = personas["sysadmin"]
    record = EmployeeFactory(work_email=sysadmin.email, employee_number="S1", unit=dept.squad)
    users = User.objects.count()

    resp = signup(client, email=sysadmin.email, number="S1")

    # allauth does not reveal that the address has an account: it answers as for a new one,
    # and tells the mailbox's owner instead.
    assert resp.status_code == 302
    assert User.objects.count() == users
    record.refresh_from_db()
    assert record.user is None
    assert [m.to for m in mail.outbox] == [[sysadmin.email]]
    assert not AuditEvent.objects.filter(action=AuditAction.ACCOUNT_LINKED).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Sh0rt-but-ok", "at least 15 characters"),
        ("14-characters!", "at least 15 characters"),
        ("1q2w3e4r5t6y7u8i9o0p", "too common"),
        ("748392017465839201", "entirely numeric"),
        ("dana.recruit-pd.example.org", "too similar"),
    ],
)
def test_weak_password_is_refused(recruit, client, password, message):
    before = Nothing()

    resp = signup(client, email=recruit.work_email, number="P4711", password=password)

    assert resp.status_code == 200
    assert any(message in e for e in resp.context["form"].errors["password1"])
    assert message.encode() in resp.content
    assert not before.changed()


@pytest.mark.django_db
def test_fifteen_characters_are_enough(recruit, client):
    password = "15-chars-exact!"
    assert len(password) == 15

    resp = signup(client, email=recruit.work_email, number="P4711", password=password)

    assert resp.status_code == 302
    assert User.objects.get(email=recruit.work_email).check_password(password)


@pytest.mark.django_db
def test_mistyped_repeat_password_is_refused(recruit, client):
    before = Nothing()

    resp = signup(client, email=recruit.work_email, number="P4711", password2=GOOD_PASSWORD + "x")

    assert resp.status_code == 200
    assert resp.context["form"].errors["password2"]
    assert not before.changed()


@pytest.mark.django_db
def test_registration_can_be_closed(recruit, client, settings):
    settings.ACCOUNT_ALLOW_REGISTRATION = False
    before = Nothing()

    resp = signup(client, email=recruit.work_email, number="P4711")

    assert resp.status_code == 200
    assert "account/signup_closed.html" in [t.name for t in resp.templates]
    assert not before.changed()


def test_the_number_may_be_typed_in_small_letters(recruit, client, settings):
    """Numbers are kept in capitals (docs/hr-import.md); a card read aloud or typed on a phone
    often is not."""
    settings.ACCOUNT_EMAIL_VERIFICATION = "none"
    signup(client, email=recruit.work_email, number=recruit.employee_number.lower())
    recruit.refresh_from_db()
    assert recruit.user is not None
