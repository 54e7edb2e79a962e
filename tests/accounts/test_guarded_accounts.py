"""Accounts that hold or wait for a confidential role are guarded (docs/roles.md): the Django
admin cannot change their e-mail addresses or sign-in links, and every change to their
addresses or second factor alerts the holder and the BHS manager.

The insider: the system administrator who adds a verified address of their own to the real
BHS manager's account, then resets its password through that address (issue 18, item 1).
"""

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.urls import reverse

from peersupport.accounts import selectors, services
from peersupport.accounts.admin import GUARDED
from peersupport.accounts.models import Role
from peersupport.notifications.models import Notification

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def _alerts(user, change):
    return Notification.objects.filter(key__startswith=f"accounts:{change}:{user.pk}:")


def test_who_is_guarded(personas):
    for name in ("supporter", "coordinator", "bhs_manager", "advocacy_supervisor", "chief"):
        assert selectors.user_is_guarded(personas[name]), name
    for name in ("employee", "panelist", "committee_member", "sysadmin", "supervisor"):
        assert not selectors.user_is_guarded(personas[name]), name
    # Waiting for a confidential role is enough.
    newcomer = UserFactory()
    services.role_request(
        actor=personas["sysadmin"], user=newcomer, role=Role.COORDINATOR, reason="Hired"
    )
    assert selectors.user_is_guarded(newcomer)


def test_admin_cannot_add_an_address_to_the_bhs_managers_account(client_for, personas):
    admin = client_for("sysadmin")
    bhs = personas["bhs_manager"]
    resp = admin.post(
        reverse("admin:account_emailaddress_add"),
        {"user": bhs.pk, "email": "attacker@evil.example", "verified": "on", "primary": "on"},
    )
    assert resp.status_code == 200  # the form again, with the reason
    assert "holds or waits for a role that reads confidential content" in resp.content.decode()
    assert not EmailAddress.objects.filter(email="attacker@evil.example").exists()
    # An account that reads nothing confidential is still the administrator's to manage.
    resp = admin.post(
        reverse("admin:account_emailaddress_add"),
        {"user": personas["employee"].pk, "email": "second@pd.example.org", "verified": "on"},
    )
    assert resp.status_code == 302
    assert EmailAddress.objects.filter(email="second@pd.example.org").exists()


def test_admin_cannot_change_or_verify_a_guarded_address(client_for, personas):
    admin = client_for("sysadmin")
    supporter = personas["supporter"]
    address = EmailAddress.objects.create(
        user=supporter, email="home@pd.example.org", verified=False, primary=False
    )
    url = reverse("admin:account_emailaddress_change", args=[address.pk])
    page = admin.get(url)
    assert page.status_code == 200 and GUARDED[:40] in page.content.decode()
    admin.post(url, {"user": supporter.pk, "email": "attacker@evil.example", "verified": "on"})
    address.refresh_from_db()
    assert address.email == "home@pd.example.org" and not address.verified
    # Nor by the bulk action.
    admin.post(
        reverse("admin:account_emailaddress_changelist"),
        {"action": "make_verified", "_selected_action": [address.pk]},
    )
    address.refresh_from_db()
    assert not address.verified
    # Nor delete it.
    resp = admin.post(
        reverse("admin:account_emailaddress_delete", args=[address.pk]), {"post": "yes"}
    )
    assert resp.status_code == 403
    assert EmailAddress.objects.filter(pk=address.pk).exists()


def test_admin_shows_a_guarded_users_email_read_only_with_the_reason(client_for, personas):
    admin = client_for("sysadmin")
    bhs = personas["bhs_manager"]
    url = reverse("admin:accounts_user_change", args=[bhs.pk])
    page = admin.get(url).content.decode()
    assert GUARDED in page
    assert 'name="email"' not in page
    admin.post(url, {"email": "attacker@evil.example", "display_name": "Still BHS"})
    bhs.refresh_from_db()
    assert bhs.email == "bhs_manager@pd.example.org"
    # An unguarded account's address stays editable.
    page = admin.get(reverse("admin:accounts_user_change", args=[personas["employee"].pk]))
    assert 'name="email"' in page.content.decode()


def test_admin_cannot_link_a_sign_in_identity_to_a_guarded_account(client_for, personas):
    from allauth.socialaccount.models import SocialAccount

    resp = client_for("sysadmin").post(
        reverse("admin:socialaccount_socialaccount_add"),
        {"user": personas["chief"].pk, "provider": "oidc", "uid": "attacker", "extra_data": "{}"},
    )
    assert resp.status_code == 200
    assert "holds or waits for a role that reads confidential content" in resp.content.decode()
    assert not SocialAccount.objects.filter(uid="attacker").exists()


def test_an_added_address_alerts_the_holder_and_the_bhs_manager(personas):
    supporter, bhs = personas["supporter"], personas["bhs_manager"]
    EmailAddress.objects.create(user=supporter, email="new@pd.example.org", verified=True)
    told = _alerts(supporter, "email_changed")
    assert {n.user for n in told} == {supporter, bhs}
    for note in told:
        assert "new@pd.example.org" not in note.body + note.subject
        assert "Supporter" not in note.body + note.subject


def test_a_changed_account_address_also_tells_the_old_address(personas):
    supporter = personas["supporter"]
    supporter.email = "taken@evil.example"
    supporter.save()
    told = _alerts(supporter, "email_changed")
    assert "supporter@pd.example.org" in {n.address for n in told}


def test_unguarded_accounts_raise_no_alert(personas):
    employee = personas["employee"]
    EmailAddress.objects.create(user=employee, email="other@pd.example.org")
    employee.email = "renamed@pd.example.org"
    employee.save()
    assert not Notification.objects.filter(key__startswith="accounts:").exists()


def test_a_removed_second_factor_alerts(personas):
    chief, bhs = personas["chief"], personas["bhs_manager"]
    Authenticator.objects.filter(user=chief).delete()
    assert {n.user for n in _alerts(chief, "mfa_changed")} == {chief, bhs}


def test_admin_hides_grant_requests_reasons(client_for, personas):
    newcomer = UserFactory()
    req = services.role_request(
        actor=personas["bhs_manager"], user=newcomer, role=Role.COORDINATOR, reason="Secret why"
    )
    admin = client_for("sysadmin")
    page = admin.get(reverse("admin:accounts_rolegrantrequest_change", args=[req.pk]))
    assert page.status_code == 200 and "Secret why" not in page.content.decode()
    resp = admin.post(
        reverse("admin:accounts_rolegrantrequest_delete", args=[req.pk]), {"post": "yes"}
    )
    assert resp.status_code == 403


def test_a_password_reset_alerts(personas):
    from allauth.account.signals import password_reset

    supporter = personas["supporter"]
    password_reset.send(sender=type(supporter), request=None, user=supporter)
    assert {n.user for n in _alerts(supporter, "password_changed")} == {
        supporter,
        personas["bhs_manager"],
    }
