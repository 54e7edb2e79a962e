"""Object-level access: one account can never see or change another's object by putting the
other's id in a URL.

Every URL that takes an object id is listed here, either as OWNED (two accounts of the same
role each get an object; each asks for the other's, by GET and by POST, and must get 404 with
the object unchanged) or as SHARED with the reason every holder of the role may reach every
such object. A URL with an id that is in neither list fails the suite, so a new feature cannot
forget to decide.
"""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from .factories import PASSWORD, UserFactory, enable_totp
from .test_authorization_matrix import ALL_URLS

ID_PARAM = re.compile(r"<(?:int|path|str|slug|uuid):(\w*(?:id|pk))>|\(\?P<(\w*(?:id|pk|key))>")

# URL name -> why any holder of the allowed roles may reach any object of it.
SHARED = {
    "accounts:role_revoke": "granters (sysadmin, BHS manager) manage every grant",
    "accounts:unit_edit": "the organisation is maintained by the system administrator",
    "accounts:employee_edit": "employee records are maintained by the system administrator",
    "account_confirm_email": "a secret key mailed to the address, not an object id",
    "account_reset_password_from_key": "a secret key mailed to the address, not an object id",
    "openid_connect_login": "the provider's id, public configuration",
    "openid_connect_callback": "the provider's id, public configuration",
}
SHARED_PREFIXES = {"admin:": "the admin site is the system administrator's, all of it"}


def _webauthn(user, name: str) -> Authenticator:
    return Authenticator.objects.create(
        user=user,
        type=Authenticator.Type.WEBAUTHN,
        data={"name": name, "credential": {"id": f"cred-{user.pk}", "type": "public-key"}},
    )


# URL name -> (make an object owned by a user, URL kwarg, how to tell it is unchanged)
OWNED = {
    "mfa_edit_webauthn": (lambda user: _webauthn(user, f"key of {user.pk}"), "pk"),
    "mfa_remove_webauthn": (lambda user: _webauthn(user, f"key of {user.pk}"), "pk"),
}


def _id_urls():
    for route, name, _ in ALL_URLS:
        if ID_PARAM.search(route):
            yield route, name


def test_every_url_with_an_id_is_decided():
    undecided = [
        (route, name)
        for route, name in _id_urls()
        if name not in OWNED
        and name not in SHARED
        and not any((name or "").startswith(p) for p in SHARED_PREFIXES)
        and not route.startswith("admin/")
    ]
    assert not undecided, f"URLs taking an id with no object-level decision: {undecided}"


@pytest.fixture
def two_of_a_kind(db):
    """Two accounts of the same standing, each with MFA, as the object owners."""
    a = UserFactory(email="owner.a@pd.example.org")
    b = UserFactory(email="owner.b@pd.example.org")
    for user in (a, b):
        enable_totp(user)
    return a, b


@pytest.mark.parametrize("name", sorted(OWNED))
def test_swapped_ids_never_reach_the_other_account(name, two_of_a_kind):
    from .conftest import signed_in_client

    make, kwarg = OWNED[name]
    a, b = two_of_a_kind
    obj_a, obj_b = make(a), make(b)
    for owner, other_obj, own_obj in ((a, obj_b, obj_a), (b, obj_a, obj_b)):
        client = signed_in_client(owner)
        # Security pages ask for the password again first; give it, so the answer below is
        # about the object and not about the reauthentication.
        reauth = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        assert reauth.status_code == 302
        before = type(other_obj).objects.filter(pk=other_obj.pk).values().get()
        other_url = reverse(name, kwargs={kwarg: other_obj.pk})
        assert client.get(other_url).status_code == 404, (name, owner)
        assert client.post(other_url, {"name": "taken over"}).status_code == 404, (name, owner)
        after = type(other_obj).objects.filter(pk=other_obj.pk).values().first()
        assert after == before, f"{name}: {owner} changed the other account's object"
        # The owner's own object is reachable: the 404 above is the rule, not a broken page.
        own = client.get(reverse(name, kwargs={kwarg: own_obj.pk}))
        assert own.status_code in (200, 302), (name, own.status_code)
        assert "/accounts/login/" not in own.get("Location", "")
