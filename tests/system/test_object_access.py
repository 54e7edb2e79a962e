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

from ..factories import PASSWORD, UserFactory, enable_totp
from .test_authorization_matrix import ALL_URLS

ID_PARAM = re.compile(r"<(?:int|path|str|slug|uuid):(\w*(?:id|pk))>|\(\?P<(\w*(?:id|pk|key))>")

# URL name -> why any holder of the allowed roles may reach any object of it.
SHARED = {
    "roster:detail": "every employee may see every listed supporter; an unlisted profile is "
    "seen only by its owner (tests/roster/test_profiles.py)",
    "roster:photo": "every employee may see every listed supporter's photo; an unlisted one "
    "only its owner",
    "resources:detail": "the directory is public; the coordinator, who keeps it, also opens "
    "retired entries",
    "resources:public_detail": "the directory is public to everyone, signed in or not",
    "resources:edit": "the coordinator keeps the whole resource directory",
    "resources:retire": "the coordinator keeps the whole resource directory",
    "resources:restore": "the coordinator keeps the whole resource directory",
    "governance:version": "policy documents are the program's, not any one person's: every "
    "policy reader (BHS manager, Chief, coordinator) reads every version; a supporter only "
    "approved program policy, the rest 404 (tests/governance/test_policy_versions.py)",
    "governance:edit": "the BHS manager owns every policy document",
    "governance:submit": "the BHS manager owns every policy document",
    "governance:approve": "the Chief decides on every policy version",
    "governance:return": "the Chief decides on every policy version",
    "governance:version_pdf": "the same readers and the same selector as governance:version",
    "governance:category_edit": "the BHS manager keeps every exception category (program data)",
    "governance:category_retire": "the BHS manager keeps every exception category",
    "governance:category_restore": "the BHS manager keeps every exception category",
    "confidentiality:duty_end": "the BHS manager keeps the whole on-duty roster",
    "outreach:detail": "the coordinator and the BHS manager run every outreach",
    "outreach:person_add": "the coordinator and the BHS manager run every outreach",
    "outreach:session_add": "the coordinator and the BHS manager run every outreach",
    "outreach:close": "the coordinator and the BHS manager run every outreach",
    "outreach:assign": "the coordinator and the BHS manager run every outreach",
    "outreach:task_add": "the coordinator and the BHS manager run every outreach",
    "outreach:person_resume": "the coordinator and the BHS manager run every outreach",
    "outreach:attendance": "the coordinator and the BHS manager run every outreach",
    "outreach:responder_add": "the coordinator and the BHS manager run every outreach",
    "outreach:responder_remove": "the coordinator and the BHS manager run every outreach",
    "outreach:plan_step_remove": "the coordinator keeps the department's follow-up plans",
    "support:debrief_handled": "the coordinator handles every supporter's debrief request",
    "accounts:role_revoke": "granters (sysadmin, BHS manager) manage every grant",
    "accounts:role_request_decide": "every approver (BHS manager, Chief) decides every waiting "
    "grant except one they asked for or would receive: 404 (tests/accounts/test_two_person.py)",
    "accounts:unit_edit": "the organisation is maintained by the system administrator",
    "accounts:employee_edit": "employee records are maintained by the system administrator",
    "account_confirm_email": "a secret key mailed to the address, not an object id",
    "account_reset_password_from_key": "a secret key mailed to the address, not an object id",
    "openid_connect_login": "the provider's id, public configuration",
    "openid_connect_callback": "the provider's id, public configuration",
}
SHARED["releases:codename_pdf"] = (
    "no account: only a release of the request this browser opened with its codename, any "
    "other 404 (tests/releases/test_person.py)"
)
SHARED["releases:codename_revoke"] = SHARED["releases:codename_pdf"]
SHARED_PREFIXES = {
    "admin:": "the admin site is the system administrator's, all of it",
    "scim:": "the identity provider's SCIM token provisions every employee record and unit "
    "(docs/scim.md); no person reaches it (tests/matrix/scim.py)",
}


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
    # Two peer supporters, each with an offer, a request they hold and a follow-up.
    "support:offer_answer": (lambda user: _support_offer(user), "offer_id"),
    "support:held": (lambda user: _support_held(user), "request_id"),
    "support:held_close": (lambda user: _support_held(user), "request_id"),
    "support:contact_for_request": (lambda user: _support_held(user), "request_id"),
    "support:followup_done": (lambda user: _support_followup(user), "followup_id"),
    # Two peer supporters, each raising from their own request or contact; each one's
    # escalation is theirs (neither is alerted about the other's, nor an overseer).
    "confidentiality:raise_for_request": (lambda user: _support_held(user), "request_id"),
    "confidentiality:raise_for_contact": (lambda user: _support_contact(user), "contact_id"),
    "confidentiality:escalation": (lambda user: _escalation(user), "public_id", "public_id"),
    "confidentiality:acknowledge": (lambda user: _escalation(user), "public_id", "public_id"),
    "confidentiality:resolve": (lambda user: _escalation(user), "public_id", "public_id"),
    # Two peer supporters, each assigned to reach out to someone.
    "outreach:assignment": (lambda user: _outreach_assignment(user), "assignment_id"),
    "outreach:assignment_answer": (
        lambda user: _outreach_assignment(user, accept=False),
        "assignment_id",
    ),
    "outreach:attempt": (lambda user: _outreach_assignment(user).person.tasks.first(), "task_id"),
    # Two peer supporters, each with an on-call shift.
    "roster:remove_shift": (lambda user: _on_call_shift(user), "shift_id"),
    # Two employees, each with their own request (found by its public id).
    "support:my_request": (lambda user: _own_request(user), "public_id", "public_id"),
    # Two employees, each with a release of information for a request of their own.
    "releases:mine_pdf": (lambda user: _own_release(user), "release_id"),
    "releases:mine_revoke": (lambda user: _own_release(user), "release_id"),
}

# Releases of information: two peer supporters, each holding a request and a release for it.
from ..matrix.releases import OWNED as _RELEASES  # noqa: E402

OWNED.update(
    {
        name: (lambda u, make=make: make(_as_supporter(u)), kw)
        for name, (make, kw) in _RELEASES.items()
    }
)

# Training: each owner's completed session (certificate) and the day of a session they teach.
from ..matrix.training import OWNED as _TRAINING_OWNED  # noqa: E402
from ..matrix.training import SHARED as _TRAINING_SHARED  # noqa: E402

OWNED.update(_TRAINING_OWNED)
SHARED.update(_TRAINING_SHARED)


# Selection: a panelist scores only their own panel's interview, a supervisor answers only a
# request in their own chain; everything else there is the coordinator's, BHS manager's and
# Chief's whole pipeline (tests/matrix/selection.py).
from ..matrix.selection import OWNED as _SELECTION  # noqa: E402

OWNED.update(_SELECTION)
SHARED.update(
    {
        name: "the coordinator, the BHS manager and the Chief run the whole selection pipeline"
        for name in (
            "selection:candidacy",
            "selection:schedule",
            "selection:decide",
            "selection:skip",
            "selection:withdraw",
            "selection:override",
            "selection:recommend",
            "selection:approve",
        )
    }
)
SHARED["roster:set_status"] = "the coordinator keeps the whole supporter roster"
SHARED["roster:activate"] = "the coordinator keeps the whole supporter roster"
SHARED["outreach:remind"] = "the coordinator runs every outreach and chases every overdue follow-up"

# The advisory committee: a nomination is answered only by its nominee; the rest is the
# coordinator's or every supporter's (tests/matrix/committee.py).
from ..matrix.committee import OWNED as _COMMITTEE_OWNED  # noqa: E402
from ..matrix.committee import SHARED as _COMMITTEE_SHARED  # noqa: E402

OWNED.update(_COMMITTEE_OWNED)
SHARED.update(_COMMITTEE_SHARED)

# Webhook endpoints: the system administrator's, every one (tests/matrix/webhooks.py).
from ..matrix.webhooks import SHARED as _WEBHOOKS_SHARED  # noqa: E402

SHARED.update(_WEBHOOKS_SHARED)

# Integration tokens and the API (tests/matrix/integrations.py).
from ..matrix.integrations import SHARED as _INTEGRATIONS_SHARED  # noqa: E402

SHARED.update(_INTEGRATIONS_SHARED)

# Devices for push alerts: each person's own (tests/matrix/devices.py).
from ..matrix.devices import OWNED as _DEVICES_OWNED  # noqa: E402

OWNED.update(_DEVICES_OWNED)

# CISM call-outs: a call-out is its member's; activations are the staff's (tests/matrix/cism.py).
from ..matrix.cism import OWNED as _CISM_OWNED  # noqa: E402
from ..matrix.cism import SHARED as _CISM_SHARED  # noqa: E402

OWNED.update(_CISM_OWNED)
SHARED.update(_CISM_SHARED)


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
    from ..conftest import signed_in_client

    make, kwarg, *key = OWNED[name]
    key = key[0] if key else "pk"
    a, b = two_of_a_kind
    obj_a, obj_b = make(a), make(b)
    for owner, other_obj, own_obj in ((a, obj_b, obj_a), (b, obj_a, obj_b)):
        client = signed_in_client(owner)
        # Security pages ask for the password again first; give it, so the answer below is
        # about the object and not about the reauthentication.
        reauth = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        assert reauth.status_code == 302
        before = type(other_obj).objects.filter(pk=other_obj.pk).values().get()
        other_url = reverse(name, kwargs={kwarg: getattr(other_obj, key)})
        assert client.get(other_url).status_code == 404, (name, owner)
        posted = client.post(other_url, {"name": "taken over"}).status_code
        own_url = reverse(name, kwargs={kwarg: getattr(own_obj, key)})
        if posted == 405:
            # A page that takes no POST at all refuses it before looking at the object (the
            # same answer for the owner's own URL, so it says nothing about the other's).
            assert client.post(own_url, {}).status_code == 405, (name, owner)
        else:
            assert posted == 404, (name, owner, posted)
        after = type(other_obj).objects.filter(pk=other_obj.pk).values().first()
        assert after == before, f"{name}: {owner} changed the other account's object"
        # The owner's own object is reachable: the 404 above is the rule, not a broken page.
        own = client.get(reverse(name, kwargs={kwarg: getattr(own_obj, key)}))
        assert own.status_code in (200, 302), (name, own.status_code)
        assert "/accounts/login/" not in own.get("Location", "")


# --- Support (the supporter's side) ---------------------------------------------------------


def _as_supporter(user):
    """Make an owner a peer supporter with an employee record (matching needs one)."""
    from peersupport.accounts.models import Role

    from ..factories import EmployeeFactory, grant

    if not user.role_grants.filter(role=Role.PEER_SUPPORTER).exists():
        grant(user, Role.PEER_SUPPORTER)
        EmployeeFactory(user=user, work_email=user.email)
        user.forget_roles()
    return user


def _support_offer(user):
    from ..matrix.support_supporter import pending_offer

    return pending_offer(_as_supporter(user))


def _support_held(user):
    from ..matrix.support_supporter import held_request

    return held_request(_as_supporter(user))


def _support_followup(user):
    from ..matrix.support_supporter import open_followup

    return open_followup(_as_supporter(user))


def _outreach_assignment(user, *, accept=True):
    from ..matrix.outreach import assigned

    supporter = _as_supporter(user)
    return assigned(supporter, supporter, accept=accept)


def _support_contact(user):
    from ..matrix.confidentiality import logged_contact

    return logged_contact(_as_supporter(user))


def _escalation(user):
    from ..matrix.confidentiality import raised_escalation

    return raised_escalation(_as_supporter(user))


def _own_release(user):
    from ..matrix.releases import own_release

    _own_request(user)  # gives the owner an employee record
    return own_release(user)


def _own_request(user):
    """A request the owner made while signed in as an employee."""
    from peersupport.accounts.models import Unit
    from peersupport.governance.notice import current_notice
    from peersupport.support.models import ContactMethod, RequesterKind
    from peersupport.support.services import request_create

    from ..factories import EmployeeFactory

    if not hasattr(user, "employee"):
        unit = Unit.objects.first() or Unit.objects.create(name="HQ", kind=Unit.Kind.DEPARTMENT)
        EmployeeFactory(user=user, unit=unit, work_email=user.email)
        user.forget_roles()
    return request_create(
        requester=user,
        kind=RequesterKind.EMPLOYEE,
        contact_method=ContactMethod.MESSAGES,
        notice_version=current_notice().version,
    ).request


def _on_call_shift(user):
    from datetime import timedelta

    from django.utils import timezone

    from peersupport.accounts.models import Role
    from peersupport.roster.models import OnCallShift, SupporterProfile

    from ..factories import EmployeeFactory, grant

    EmployeeFactory(user=user, work_email=user.email)
    grant(user, Role.PEER_SUPPORTER)
    profile = SupporterProfile.objects.create(user=user, status=SupporterProfile.Status.ACTIVE)
    start = timezone.now() + timedelta(days=1)
    return OnCallShift.objects.create(profile=profile, start=start, end=start + timedelta(hours=8))
