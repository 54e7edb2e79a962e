"""Single sign-on through OpenID Connect, against a provider that runs inside the test.

The fake provider is a small HTTP server on 127.0.0.1 with the endpoints allauth's
openid_connect provider uses: discovery, token (authorization code with PKCE), userinfo and a
JWKS. The browser's visit to the provider's authorize page is skipped: the test reads the
``state`` and PKCE challenge from allauth's redirect, has the provider issue a code for them,
and calls the callback as the provider's redirect would.
"""

import base64
import hashlib
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from peersupport.accounts.forms import NO_MATCH
from peersupport.accounts.models import Employee, Role, User
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.settings import oidc_providers

from ..factories import EmployeeFactory, UserFactory, grant

CLIENT_ID = "peersupport-test"
CLIENT_SECRET = "fake-provider-client-secret"
PROVIDER_ID = "department"
BASE_DIR = Path(__file__).resolve().parents[2]


class FakeProvider:
    """An OpenID Connect provider that knows one client and issues codes on request."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.requests: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    # --- what the test asks of it

    def issue_code(self, authorize_url: str, claims: dict) -> str:
        """What the provider does after the person signs in on its authorize page."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        assert query["client_id"] == CLIENT_ID
        assert query["response_type"] == "code"
        assert "openid" in query["scope"].split()
        assert query["code_challenge_method"] == "S256"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "claims": {"sub": secrets.token_hex(8), **claims},
            "redirect_uri": query["redirect_uri"],
            "code_challenge": query["code_challenge"],
            "nonce": query.get("nonce"),
        }
        return code

    # --- what it serves

    def discovery(self) -> dict:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": "test-key", "alg": "RS256", "use": "sig"}]}

    def token(self, form: dict, authorization: str | None) -> tuple[int, dict]:
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, client_secret = decoded.partition(":")
        if (client_id, client_secret) != (CLIENT_ID, CLIENT_SECRET):
            return 401, {"error": "invalid_client"}
        grant_ = self.codes.pop(form.get("code", ""), None)  # a code works once
        if form.get("grant_type") != "authorization_code" or grant_ is None:
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != grant_["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        verifier = form.get("code_verifier", "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if challenge != grant_["code_challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        now = int(time.time())
        id_token = jwt.encode(
            {
                "iss": self.url,
                "aud": CLIENT_ID,
                "iat": now,
                "exp": now + 300,
                **({"nonce": grant_["nonce"]} if grant_["nonce"] else {}),
                **grant_["claims"],
            },
            self.key,
            algorithm="RS256",
            headers={"kid": "test-key"},
        )
        access_token = secrets.token_urlsafe(16)
        self.tokens[access_token] = grant_["claims"]
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        }

    def userinfo(self, authorization: str | None) -> tuple[int, dict]:
        token = (authorization or "").removeprefix("Bearer ")
        if token not in self.tokens:
            return 401, {"error": "invalid_token"}
        return 200, self.tokens[token]

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                provider.requests.append(f"GET {self.path}")
                path = urlsplit(self.path).path
                if path == "/.well-known/openid-configuration":
                    self._send(200, provider.discovery())
                elif path == "/jwks":
                    self._send(200, provider.jwks())
                elif path == "/userinfo":
                    self._send(*provider.userinfo(self.headers.get("Authorization")))
                else:
                    self._send(404, {"error": "not_found"})

            def do_POST(self):
                provider.requests.append(f"POST {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlsplit(self.path).path == "/token":
                    self._send(*provider.token(form, self.headers.get("Authorization")))
                else:
                    self._send(404, {"error": "not_found"})

            def _send(self, status: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format, *args):
                pass

        return Handler


@pytest.fixture
def idp():
    with FakeProvider() as provider:
        yield provider


@pytest.fixture
def sso(idp, settings):
    """Single sign-on configured from the environment, as settings.py does it."""
    settings.SOCIALACCOUNT_PROVIDERS = oidc_providers(
        {
            "OIDC_SERVER_URL": idp.url,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_PROVIDER_ID": PROVIDER_ID,
            "OIDC_PROVIDER_NAME": "Demo City sign-on",
        }
    )
    return idp


def sign_on(client, idp, claims: dict, *, state: str | None = None):
    """The whole round trip: our sign-on button, the provider, and back to our callback."""
    login_url = reverse("openid_connect_login", kwargs={"provider_id": PROVIDER_ID})
    # A GET only shows a button (no sign-in started by a link someone else sent); it posts.
    assert client.get(login_url).status_code == 200
    resp = client.post(login_url)
    assert resp.status_code == 302
    authorize = resp["Location"]
    assert authorize.startswith(f"{idp.url}/authorize?")
    query = parse_qs(urlsplit(authorize).query)
    code = idp.issue_code(authorize, claims)
    callback = reverse("openid_connect_callback", kwargs={"provider_id": PROVIDER_ID})
    assert query["redirect_uri"] == [f"http://testserver{callback}"]
    return client.get(callback, {"code": code, "state": state or query["state"][0]})


def signed_in_as(client):
    return client.session.get(SESSION_KEY)


def verified(email: str) -> dict:
    return {"email": email, "email_verified": True, "name": "Someone"}


@pytest.fixture
def recruit(dept):
    return EmployeeFactory(work_email="sam.recruit@pd.example.org", unit=dept.squad)


@pytest.mark.django_db
def test_existing_account_is_signed_in_and_connected(personas, sso, client):
    employee = personas["employee"]
    users = User.objects.count()

    resp = sign_on(client, sso, verified(employee.email))

    assert resp.status_code == 302
    assert resp["Location"] == reverse("web:home")
    assert signed_in_as(client) == str(employee.pk)
    assert User.objects.count() == users
    account = SocialAccount.objects.get(user=employee)
    assert account.provider == PROVIDER_ID
    # A plain employee's sign-in is not recorded (the chief's below is).
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()
    # allauth fetched what it needed from the provider, with PKCE (the fake insists on it).
    assert "POST /token" in sso.requests
    assert "GET /userinfo" in sso.requests
    # Her password still works: the address was verified, so nothing was wiped.
    employee.refresh_from_db()
    assert employee.has_usable_password()


@pytest.mark.django_db
def test_returning_user_is_recognised_by_the_provider_subject(personas, sso, client):
    employee = personas["employee"]
    sign_on(client, sso, {**verified(employee.email), "sub": "abc-123"})
    client.post(reverse("account_logout"))

    # The provider now reports another address for the same person.
    resp = sign_on(client, sso, {**verified("renamed@pd.example.org"), "sub": "abc-123"})

    assert resp.status_code == 302
    assert signed_in_as(client) == str(employee.pk)


@pytest.mark.django_db
def test_unclaimed_employee_gets_a_linked_account(recruit, sso, client):
    users = User.objects.count()

    resp = sign_on(client, sso, {**verified("Sam.Recruit@PD.example.org"), "name": "Sam R."})

    assert resp.status_code == 302
    assert resp["Location"] == reverse("web:home")
    assert User.objects.count() == users + 1
    recruit.refresh_from_db()
    user = recruit.user
    assert user is not None
    assert user.email == "sam.recruit@pd.example.org"
    assert signed_in_as(client) == str(user.pk)
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    assert SocialAccount.objects.filter(user=user, provider=PROVIDER_ID).exists()
    linked = AuditEvent.objects.get(action=AuditAction.ACCOUNT_LINKED)
    assert (linked.actor_id, linked.target_id) == (user.pk, str(recruit.pk))
    assert client.get(reverse("web:home")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Employee.Status.RETIRED, Employee.Status.SEPARATED])
def test_a_record_no_longer_in_service_is_not_claimed_by_the_work_address(
    recruit, sso, client, status
):
    """A separated employee may not sign in at all. A retiree may, but their work mailbox is
    usually closed or handed on: whoever holds the address now must not get their record
    through single sign-on. They register with their employee number instead
    (tests/accounts/test_registration.py)."""
    recruit.status = status
    recruit.save(update_fields=["status"])
    users = User.objects.count()

    resp = sign_on(client, sso, verified(recruit.work_email))

    assert_refused(resp, client, users)
    recruit.refresh_from_db()
    assert recruit.user is None


@pytest.mark.django_db
def test_separated_employees_account_is_not_signed_in(personas, sso, client):
    """The provider's directory may learn of a separation after the roster does."""
    employee = personas["employee"]
    record = employee.employee
    record.status = Employee.Status.SEPARATED
    record.save(update_fields=["status"])

    resp = sign_on(client, sso, verified(employee.email))

    assert resp.status_code == 200
    assert "account/signup_closed.html" in [t.name for t in resp.templates]
    assert signed_in_as(client) is None
    assert not SocialAccount.objects.exists()


def assert_refused(resp, client, users_before: int):
    assert resp.status_code == 200
    assert "account/signup_closed.html" in [t.name for t in resp.templates]
    assert signed_in_as(client) is None
    assert User.objects.count() == users_before
    assert not SocialAccount.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.ACCOUNT_LINKED).exists()


@pytest.mark.django_db
def test_email_of_no_employee_is_refused(personas, sso, client):
    users = User.objects.count()

    resp = sign_on(client, sso, verified("stranger@elsewhere.example.com"))

    assert_refused(resp, client, users)


@pytest.mark.django_db
def test_unverified_email_is_not_trusted(personas, recruit, sso, client):
    users = User.objects.count()

    for email in (recruit.work_email, personas["employee"].email):
        client.post(reverse("account_logout"))
        resp = sign_on(client, sso, {"email": email, "email_verified": False})
        assert_refused(resp, client, users)

    recruit.refresh_from_db()
    assert recruit.user is None


@pytest.mark.django_db
def test_trusted_domain_counts_as_verified(recruit, idp, settings, client):
    settings.SOCIALACCOUNT_PROVIDERS = oidc_providers(
        {
            "OIDC_SERVER_URL": idp.url,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_TRUSTED_EMAIL_DOMAINS": "PD.example.org, other.example.org",
        }
    )
    users = User.objects.count()

    # This provider never sends email_verified.
    resp = sign_on(client, idp, {"email": "stranger@elsewhere.example.com"})
    assert_refused(resp, client, users)
    resp = sign_on(client, idp, {"email": recruit.work_email})

    assert resp.status_code == 302
    recruit.refresh_from_db()
    assert signed_in_as(client) == str(recruit.user_id)


@pytest.mark.django_db
def test_signup_form_asks_for_the_employee_number(recruit, dept, sso, settings, client):
    # With automatic sign-up off, allauth shows its form: the same rule as registration.
    settings.SOCIALACCOUNT_AUTO_SIGNUP = False
    other = EmployeeFactory(work_email="other.recruit@pd.example.org", unit=dept.squad)
    users = User.objects.count()
    resp = sign_on(client, sso, verified(recruit.work_email))
    assert resp["Location"] == reverse("socialaccount_signup")
    form = reverse("socialaccount_signup")

    resp = client.post(
        form, {"email": other.work_email, "employee_number": recruit.employee_number}
    )

    assert resp.status_code == 200
    assert NO_MATCH.encode() in resp.content
    assert User.objects.count() == users

    resp = client.post(
        form, {"email": recruit.work_email, "employee_number": recruit.employee_number}
    )

    assert resp.status_code == 302
    recruit.refresh_from_db()
    other.refresh_from_db()
    assert other.user is None
    assert signed_in_as(client) == str(recruit.user_id)
    assert AuditEvent.objects.filter(action=AuditAction.ACCOUNT_LINKED).count() == 1


@pytest.mark.django_db
def test_forged_state_is_refused(personas, sso, client):
    resp = sign_on(client, sso, verified(personas["employee"].email), state="forged-state")

    assert signed_in_as(client) is None
    assert resp.status_code == 401
    assert "socialaccount/authentication_error.html" in [t.name for t in resp.templates]
    # The code was never exchanged.
    assert "POST /token" not in sso.requests
    assert not SocialAccount.objects.exists()


@pytest.mark.django_db
def test_privileged_user_still_gives_the_totp_code(personas, sso, client):
    chief = personas["chief"]
    # A stopped clock, so that the code cannot expire between computing and typing it.
    with time_machine.travel(datetime.now(UTC), tick=False):
        resp = sign_on(client, sso, verified(chief.email))

        assert resp["Location"] == reverse("mfa_authenticate")
        assert signed_in_as(client) is None
        counter = int(time.time()) // 30
        code = format_hotp_value(hotp_value(django_settings.DEMO_TOTP_SECRET, counter))
        resp = client.post(reverse("mfa_authenticate"), {"code": code})

        assert resp.status_code == 302
        assert signed_in_as(client) == str(chief.pk)
    event = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert event.details == {"methods": ["socialaccount", "mfa"]}


@pytest.mark.django_db
def test_privileged_user_without_mfa_is_sent_to_set_it_up(dept, sso, client):
    user = UserFactory(email="new.manager@pd.example.org")
    EmployeeFactory(user=user, unit=dept.squad, work_email=user.email)
    grant(user, Role.BHS_MANAGER)

    resp = sign_on(client, sso, verified(user.email))
    assert signed_in_as(client) == str(user.pk)

    setup = f"{reverse('mfa_activate_totp')}?required=1"
    for page in (resp["Location"], reverse("accounts:profile"), "/admin/"):
        assert client.get(page)["Location"] == setup


@pytest.mark.django_db
def test_new_sso_account_of_a_privileged_record_must_set_up_mfa(recruit, sso, client):
    # A role can be granted to the record's account only once it exists; until then the new
    # account is a plain employee. Grant one and the requirement follows at once.
    sign_on(client, sso, verified(recruit.work_email))
    recruit.refresh_from_db()
    assert client.get(reverse("web:home")).status_code == 200

    grant(recruit.user, Role.PEER_SUPPORTER)

    assert client.get(reverse("web:home"))["Location"].startswith(reverse("mfa_activate_totp"))


# --- Configuration from the environment ------------------------------------------------------


def test_no_server_url_means_no_single_sign_on():
    assert oidc_providers({}) == {}
    assert oidc_providers({"OIDC_CLIENT_ID": "x", "OIDC_CLIENT_SECRET": "y"}) == {}


def test_provider_settings_from_the_environment(tmp_path):
    secret_file = tmp_path / "oidc-secret"
    secret_file.write_text("from-a-file\n")

    providers = oidc_providers(
        {
            "OIDC_SERVER_URL": "https://login.example.org/realms/pd",
            "OIDC_CLIENT_ID": "peersupport",
            "OIDC_CLIENT_SECRET_FILE": str(secret_file),
        }
    )

    assert providers == {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "department",
                    "name": "Department sign-on",
                    "client_id": "peersupport",
                    "secret": "from-a-file",
                    "settings": {
                        "server_url": "https://login.example.org/realms/pd",
                        "fetch_userinfo": True,
                    },
                }
            ],
            "OAUTH_PKCE_ENABLED": True,
        }
    }


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"OIDC_CLIENT_SECRET": "s"}, "OIDC_CLIENT_ID"),
        ({"OIDC_CLIENT_ID": "c"}, "OIDC_CLIENT_SECRET"),
        (
            {"OIDC_CLIENT_ID": "c", "OIDC_CLIENT_SECRET": "s", "OIDC_PROVIDER_ID": "a/b"},
            "OIDC_PROVIDER_ID",
        ),
    ],
)
def test_incomplete_configuration_is_refused(variables, named):
    with pytest.raises(ImproperlyConfigured, match=named):
        oidc_providers({"OIDC_SERVER_URL": "https://login.example.org", **variables})


def run_settings(**variables) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OIDC_", "SAML_", "SOCIALACCOUNT_"))
    }
    env.update(PEERSUPPORT_ENV="test", DJANGO_SETTINGS_MODULE="peersupport.settings", **variables)
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(sorted(p for p, c in settings.SOCIALACCOUNT_PROVIDERS.items() if 'APPS' in c))"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_settings_fail_loudly_without_client_id():
    result = run_settings(OIDC_SERVER_URL="https://login.example.org", OIDC_CLIENT_SECRET="s")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "OIDC_CLIENT_ID" in result.stderr


def test_settings_load_with_complete_configuration():
    result = run_settings(
        OIDC_SERVER_URL="https://login.example.org",
        OIDC_CLIENT_ID="peersupport",
        OIDC_CLIENT_SECRET="s",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['openid_connect']"
