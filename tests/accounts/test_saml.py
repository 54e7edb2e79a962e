"""Single sign-on through SAML 2.0, against an identity provider that lives inside the test.

The identity provider is a key and certificate made here (cryptography) and a function that
answers an AuthnRequest with a Response whose assertion it signs with python-xmlsec, the same
library python3-saml checks it with: real signatures, no network. The browser's visit to the
provider is skipped: the test reads the AuthnRequest from allauth's redirect and posts the
provider's answer to the assertion consumer service, as the provider's auto-submitting form
would.
"""

import base64
import os
import secrets
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
import xmlsec
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.socialaccount.models import SocialAccount
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from lxml import etree

from peersupport.accounts.models import Employee, Role, User
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.settings import saml_providers

from ..factories import EmployeeFactory, UserFactory, grant

SLUG = "department"
IDP_ENTITY_ID = "https://idp.pd.example.org/saml"
SSO_URL = "https://idp.pd.example.org/saml/sso"
EMAIL_ATTRIBUTE = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
BASE_DIR = Path(__file__).resolve().parents[2]


def make_key_and_cert(common_name: str) -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


def instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class AuthnRequest:
    id: str
    acs_url: str
    issuer: str
    relay_state: str


@dataclass
class LocalIdP:
    """A SAML identity provider: reads AuthnRequests, writes signed Responses."""

    key: str
    cert: str
    other_key: str
    other_cert: str
    issued: list = field(default_factory=list)

    def read_request(self, location: str) -> AuthnRequest:
        """The HTTP-Redirect binding: base64 of raw DEFLATE of the XML, in the query string."""
        assert location.startswith(f"{SSO_URL}?")
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        xml = zlib.decompress(base64.b64decode(query["SAMLRequest"]), -15)
        root = etree.fromstring(xml)
        assert root.tag == f"{{{SAMLP}}}AuthnRequest"
        return AuthnRequest(
            id=root.get("ID"),
            acs_url=root.get("AssertionConsumerServiceURL"),
            issuer=root.findtext(f"{{{SAML}}}Issuer"),
            relay_state=query.get("RelayState", ""),
        )

    def response(
        self,
        request: AuthnRequest,
        email: str,
        *,
        uid: str | None = None,
        audience: str | None = None,
        destination: str | None = None,
        recipient: str | None = None,
        lifetime: timedelta = timedelta(minutes=5),
        signed_by: str = "idp",
        response_id: str | None = None,
        assertion_id: str | None = None,
        attributes: dict | None = None,
    ) -> str:
        """A Response to ``request`` for the person with ``email``, base64 as it is posted."""
        now = datetime.now(UTC)
        response_id = response_id or f"_r{secrets.token_hex(16)}"
        assertion_id = assertion_id or f"_a{secrets.token_hex(16)}"
        acs = request.acs_url
        attributes = {EMAIL_ATTRIBUTE: email, **(attributes or {})}
        # A response to no request (IdP-initiated) answers nothing.
        answers = f'InResponseTo="{request.id}"' if request.id else ""
        root = etree.fromstring(
            f"""<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="{response_id}"
              Version="2.0" IssueInstant="{instant(now)}" Destination="{destination or acs}"
              {answers}>
            <saml:Issuer>{IDP_ENTITY_ID}</saml:Issuer>
            <samlp:Status>
              <samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>
            </samlp:Status>
            <saml:Assertion ID="{assertion_id}" Version="2.0" IssueInstant="{instant(now)}">
              <saml:Issuer>{IDP_ENTITY_ID}</saml:Issuer>
              <saml:Subject>
                <saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
                  >{uid or secrets.token_hex(8)}</saml:NameID>
                <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
                  <saml:SubjectConfirmationData NotOnOrAfter="{instant(now + lifetime)}"
                    Recipient="{recipient or acs}" {answers}/>
                </saml:SubjectConfirmation>
              </saml:Subject>
              <saml:Conditions NotBefore="{instant(now - timedelta(minutes=1))}"
                NotOnOrAfter="{instant(now + lifetime)}">
                <saml:AudienceRestriction>
                  <saml:Audience>{audience or request.issuer}</saml:Audience>
                </saml:AudienceRestriction>
              </saml:Conditions>
              <saml:AuthnStatement AuthnInstant="{instant(now)}" SessionIndex="_s1">
                <saml:AuthnContext>
                  <saml:AuthnContextClassRef
                  >urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>
                </saml:AuthnContext>
              </saml:AuthnStatement>
              <saml:AttributeStatement>{
                "".join(
                    f'<saml:Attribute Name="{name}"><saml:AttributeValue>{value}'
                    "</saml:AttributeValue></saml:Attribute>"
                    for name, value in attributes.items()
                )
            }</saml:AttributeStatement>
            </saml:Assertion>
          </samlp:Response>"""
        )
        if signed_by != "nobody":
            key, cert = (
                (self.key, self.cert) if signed_by == "idp" else (self.other_key, self.other_cert)
            )
            sign(root.find(f"{{{SAML}}}Assertion"), key, cert)
        self.issued.append(response_id)
        return base64.b64encode(etree.tostring(root)).decode()


def sign(element, key_pem: str, cert_pem: str) -> None:
    """An enveloped RSA-SHA256 signature of ``element``, placed after its Issuer."""
    signature = xmlsec.template.create(
        element, xmlsec.Transform.EXCL_C14N, xmlsec.Transform.RSA_SHA256, ns="ds"
    )
    element.insert(1, signature)
    ref = xmlsec.template.add_reference(
        signature, xmlsec.Transform.SHA256, uri=f"#{element.get('ID')}"
    )
    xmlsec.template.add_transform(ref, xmlsec.Transform.ENVELOPED)
    xmlsec.template.add_transform(ref, xmlsec.Transform.EXCL_C14N)
    xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
    ctx = xmlsec.SignatureContext()
    ctx.register_id(element, "ID")
    ctx.key = xmlsec.Key.from_memory(key_pem.encode(), xmlsec.KeyFormat.PEM)
    ctx.key.load_cert_from_memory(cert_pem.encode(), xmlsec.KeyFormat.PEM)
    ctx.sign(signature)


@pytest.fixture(scope="module")
def keys():
    return make_key_and_cert("idp.pd.example.org"), make_key_and_cert("impostor.example.com")


@pytest.fixture
def idp(keys):
    (key, cert), (other_key, other_cert) = keys
    return LocalIdP(key=key, cert=cert, other_key=other_key, other_cert=other_cert)


def configuration(idp, **extra) -> dict:
    return {
        "SAML_IDP_ENTITY_ID": IDP_ENTITY_ID,
        "SAML_IDP_SSO_URL": SSO_URL,
        "SAML_IDP_X509_CERT": idp.cert,
        "SAML_PROVIDER_NAME": "Demo City SAML sign-on",
        "SAML_TRUSTED_EMAIL_DOMAINS": "pd.example.org",
        **extra,
    }


@pytest.fixture
def saml(idp, settings):
    """SAML sign-on configured from the environment, as settings.py does it."""
    settings.SOCIALACCOUNT_PROVIDERS = saml_providers(configuration(idp))
    return idp


@pytest.fixture
def client(client):
    # Browsers always send a Host header, and allauth's SAML views read it as it came.
    client.defaults["HTTP_HOST"] = "testserver"
    return client


def acs_url(name="saml_acs") -> str:
    return reverse(name, kwargs={"organization_slug": SLUG})


def start(client, idp) -> AuthnRequest:
    """Our sign-on button: a GET shows it, a POST sends the browser to the provider."""
    login_url = reverse("saml_login", kwargs={"organization_slug": SLUG})
    assert client.get(login_url).status_code == 200
    resp = client.post(login_url)
    assert resp.status_code == 302
    return idp.read_request(resp["Location"])


def post_response(client, saml_response: str):
    """The provider's page posts the response to the ACS, which hands it on to a second step
    (allauth's, so that the session cookie, SameSite=Lax, comes along)."""
    resp = client.post(acs_url(), {"SAMLResponse": saml_response})
    assert resp.status_code == 302
    assert resp["Location"] == acs_url("saml_finish_acs")
    return client.get(resp["Location"])


def sign_on(client, idp, email: str, **response_options):
    request = start(client, idp)
    return post_response(client, idp.response(request, email, **response_options))


def signed_in_as(client):
    return client.session.get(SESSION_KEY)


def assert_not_signed_in(resp, client, users_before: int):
    assert resp.status_code in (200, 401, 403)
    assert signed_in_as(client) is None
    assert User.objects.count() == users_before
    assert not SocialAccount.objects.exists()


@pytest.fixture
def recruit(dept):
    return EmployeeFactory(work_email="sam.recruit@pd.example.org", unit=dept.squad)


# --- The round trip --------------------------------------------------------------------------


@pytest.mark.django_db
def test_existing_account_is_signed_in_and_connected(personas, saml, client):
    employee = personas["employee"]
    users = User.objects.count()
    request = start(client, saml)
    # The request names this service and where to answer; allauth does not sign it by default.
    assert request.issuer == f"http://testserver{acs_url('saml_metadata')}"
    assert request.acs_url == f"http://testserver{acs_url()}"

    resp = post_response(client, saml.response(request, employee.email.upper(), uid="emp-1"))

    assert resp.status_code == 302
    assert resp["Location"] == reverse("web:home")
    assert signed_in_as(client) == str(employee.pk)
    assert User.objects.count() == users
    account = SocialAccount.objects.get(user=employee)
    assert (account.provider, account.uid) == ("saml", "emp-1")
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()
    assert client.get(reverse("web:home")).status_code == 200


@pytest.mark.django_db
def test_returning_user_is_recognised_by_the_subject(personas, saml, client):
    employee = personas["employee"]
    sign_on(client, saml, employee.email, uid="emp-1")
    client.post(reverse("account_logout"))

    resp = sign_on(client, saml, "renamed@pd.example.org", uid="emp-1")

    assert resp.status_code == 302
    assert signed_in_as(client) == str(employee.pk)


@pytest.mark.django_db
def test_unclaimed_employee_gets_a_linked_account(recruit, saml, client):
    users = User.objects.count()

    resp = sign_on(client, saml, "Sam.Recruit@PD.example.org")

    assert resp.status_code == 302
    assert User.objects.count() == users + 1
    recruit.refresh_from_db()
    assert recruit.user is not None
    assert signed_in_as(client) == str(recruit.user_id)
    assert not recruit.user.has_usable_password()
    linked = AuditEvent.objects.get(action=AuditAction.ACCOUNT_LINKED)
    assert linked.target_id == str(recruit.pk)


@pytest.mark.django_db
def test_privileged_user_still_gives_the_totp_code(personas, saml, client):
    chief = personas["chief"]
    with time_machine.travel(datetime.now(UTC), tick=False):
        resp = sign_on(client, saml, chief.email)

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
def test_privileged_user_without_mfa_is_sent_to_set_it_up(dept, saml, client):
    user = UserFactory(email="new.manager@pd.example.org")
    EmployeeFactory(user=user, unit=dept.squad, work_email=user.email)
    grant(user, Role.BHS_MANAGER)

    sign_on(client, saml, user.email)

    assert signed_in_as(client) == str(user.pk)
    setup = f"{reverse('mfa_activate_totp')}?required=1"
    assert client.get(reverse("web:home"))["Location"] == setup


@pytest.mark.django_db
def test_sign_in_page_shows_the_saml_button(saml, client):
    page = client.get(reverse("account_login")).content.decode()

    assert "Demo City SAML sign-on" in page
    assert reverse("saml_login", kwargs={"organization_slug": SLUG}) in page


@pytest.mark.django_db
def test_oidc_and_saml_side_by_side(saml, settings, client):
    from peersupport.settings import oidc_providers

    settings.SOCIALACCOUNT_PROVIDERS = {
        **oidc_providers(
            {
                "OIDC_SERVER_URL": "https://login.example.org/realms/pd",
                "OIDC_CLIENT_ID": "c",
                "OIDC_CLIENT_SECRET": "s",
            }
        ),
        **saml_providers(configuration(saml)),
    }

    page = client.get(reverse("account_login")).content.decode()

    assert "Department sign-on" in page
    assert "Demo City SAML sign-on" in page


@pytest.mark.django_db
def test_service_provider_metadata(saml, client):
    resp = client.get(acs_url("saml_metadata"))

    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/xml")
    root = etree.fromstring(resp.content)
    assert root.get("entityID") == f"http://testserver{acs_url('saml_metadata')}"
    md = "urn:oasis:names:tc:SAML:2.0:metadata"
    sp = root.find(f"{{{md}}}SPSSODescriptor")
    assert sp.get("WantAssertionsSigned") == "true"
    acs = sp.find(f"{{{md}}}AssertionConsumerService")
    assert acs.get("Location") == f"http://testserver{acs_url()}"
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


@pytest.mark.django_db
def test_signed_requests_and_metadata_certificate_with_an_sp_key(idp, settings, client):
    key, cert = make_key_and_cert("peersupport.pd.example.org")
    settings.SOCIALACCOUNT_PROVIDERS = saml_providers(
        configuration(idp, SAML_SP_PRIVATE_KEY=key, SAML_SP_X509_CERT=cert)
    )
    login_url = reverse("saml_login", kwargs={"organization_slug": SLUG})

    location = client.post(login_url)["Location"]
    metadata = client.get(acs_url("saml_metadata")).content.decode()

    query = parse_qs(urlsplit(location).query)
    assert query["SigAlg"] == ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"]
    assert query["Signature"]
    body = "".join(cert.strip().splitlines()[1:-1])
    assert body in metadata.replace("\n", "")


# --- Refusals: nobody signed in, nothing created, never a 500 --------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"signed_by": "nobody"}, id="unsigned"),
        pytest.param({"signed_by": "impostor"}, id="signed-by-another-key"),
        pytest.param({"audience": "https://other-service.example.org/saml"}, id="wrong-audience"),
        pytest.param(
            {"destination": "https://other-service.example.org/acs"}, id="wrong-destination"
        ),
        pytest.param({"recipient": "https://other-service.example.org/acs"}, id="wrong-recipient"),
        pytest.param({"lifetime": timedelta(minutes=-10)}, id="expired"),
    ],
)
def test_invalid_response_is_refused(personas, saml, client, options):
    users = User.objects.count()

    resp = sign_on(client, saml, personas["employee"].email, **options)

    assert resp.status_code == 401
    assert "socialaccount/authentication_error.html" in [t.name for t in resp.templates]
    assert_not_signed_in(resp, client, users)


@pytest.mark.django_db
def test_tampered_assertion_is_refused(personas, saml, client):
    users = User.objects.count()
    request = start(client, saml)
    good = base64.b64decode(saml.response(request, "stranger@pd.example.org")).decode()
    # The signed e-mail swapped for a colleague's after signing.
    forged = good.replace("stranger@pd.example.org", personas["employee"].email)

    resp = post_response(client, base64.b64encode(forged.encode()).decode())

    assert resp.status_code == 401
    assert_not_signed_in(resp, client, users)


@pytest.mark.django_db
def test_replayed_response_is_refused(personas, saml, client):
    employee = personas["employee"]
    request = start(client, saml)
    saml_response = saml.response(request, employee.email)
    assert post_response(client, saml_response).status_code == 302
    client.post(reverse("account_logout"))

    # The very same response again,
    resp = post_response(client, saml_response)
    assert resp.status_code == 401
    assert signed_in_as(client) is None

    # and one answering a new request but carrying the used response's ids.
    response_id = saml.issued[0]
    again = saml.response(start(client, saml), employee.email, response_id=response_id)
    resp = post_response(client, again)
    assert resp.status_code == 401
    assert signed_in_as(client) is None


@pytest.mark.django_db
def test_an_assertion_valid_for_millennia_still_signs_in(personas, saml, client):
    # Its ids are remembered a day at most: its own end (year 9000 and more) overflowed the
    # cache's expiry date, a 500.
    employee = personas["employee"]
    request = start(client, saml)
    saml_response = saml.response(request, employee.email, lifetime=timedelta(days=365 * 7500))
    assert post_response(client, saml_response).status_code == 302
    assert signed_in_as(client) == str(employee.pk)


@pytest.mark.django_db
def test_response_to_a_request_this_browser_did_not_make_is_refused(personas, saml, client):
    users = User.objects.count()
    request = start(client, saml)
    request.id = "_someone-elses-request"

    resp = post_response(client, saml.response(request, personas["employee"].email))

    assert resp.status_code == 401
    assert_not_signed_in(resp, client, users)


@pytest.mark.django_db
def test_unsolicited_response_is_refused(personas, saml, client):
    """IdP-initiated sign-on is off: a response no request of ours asked for is refused."""
    users = User.objects.count()
    request = AuthnRequest(
        id="",
        acs_url=f"http://testserver{acs_url()}",
        issuer=f"http://testserver{acs_url('saml_metadata')}",
        relay_state="",
    )

    resp = post_response(client, saml.response(request, personas["employee"].email))

    assert resp.status_code == 401
    assert_not_signed_in(resp, client, users)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "junk",
    [
        "",
        "not base64!",
        base64.b64encode(b"not xml").decode(),
        base64.b64encode(b"<not-saml/>").decode(),
        base64.b64encode(b'<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>').decode(),
    ],
)
def test_junk_is_refused(saml, client, junk):
    start(client, saml)

    resp = post_response(client, junk)

    assert resp.status_code == 401
    assert signed_in_as(client) is None


@pytest.mark.django_db
def test_finish_without_a_posted_response_is_refused(saml, client):
    resp = client.get(acs_url("saml_finish_acs"))

    assert resp.status_code == 401
    assert signed_in_as(client) is None


@pytest.mark.django_db
def test_email_of_no_employee_is_refused(personas, saml, client):
    users = User.objects.count()

    resp = sign_on(client, saml, "stranger@pd.example.org")

    assert "account/signup_closed.html" in [t.name for t in resp.templates]
    assert_not_signed_in(resp, client, users)


@pytest.mark.django_db
def test_email_outside_the_trusted_domains_is_refused(personas, recruit, saml, client):
    """The department's identity provider may know guests from elsewhere: their e-mail is not
    the department's to vouch for, even when it equals an account's."""
    users = User.objects.count()
    employee = personas["employee"]
    employee.emailaddress_set.create(email="employee@elsewhere.example.com", verified=True)

    resp = sign_on(client, saml, "employee@elsewhere.example.com")

    assert_not_signed_in(resp, client, users)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Employee.Status.RETIRED, Employee.Status.SEPARATED])
def test_a_record_no_longer_in_service_is_not_claimed(recruit, saml, client, status):
    recruit.status = status
    recruit.save(update_fields=["status"])
    users = User.objects.count()

    resp = sign_on(client, saml, recruit.work_email)

    assert "account/signup_closed.html" in [t.name for t in resp.templates]
    assert_not_signed_in(resp, client, users)
    recruit.refresh_from_db()
    assert recruit.user is None


@pytest.mark.django_db
def test_inactive_account_is_not_signed_in(personas, saml, client):
    employee = personas["employee"]
    employee.is_active = False
    employee.save(update_fields=["is_active"])

    resp = sign_on(client, saml, employee.email)

    assert resp["Location"] == reverse("account_inactive")
    assert signed_in_as(client) is None


@pytest.mark.django_db
def test_separated_employees_account_is_not_signed_in(personas, saml, client):
    """The identity provider may learn of a separation after the roster does."""
    employee = personas["employee"]
    sign_on(client, saml, employee.email, uid="emp-1")
    client.post(reverse("account_logout"))
    record = employee.employee
    record.status = Employee.Status.SEPARATED
    record.save(update_fields=["status"])

    for email in (employee.email, "renamed@pd.example.org"):  # by e-mail, by subject
        resp = sign_on(client, saml, email, uid="emp-1")

        assert resp.status_code == 200
        assert "account/signup_closed.html" in [t.name for t in resp.templates]
        assert signed_in_as(client) is None


@pytest.mark.django_db
def test_single_logout_without_a_message_is_a_bad_request(saml, client):
    resp = client.get(acs_url("saml_sls"))

    assert resp.status_code == 400


@pytest.mark.django_db
def test_unknown_provider_slug_is_not_found(saml, client):
    for name in ("saml_login", "saml_metadata", "saml_finish_acs"):
        assert client.get(reverse(name, kwargs={"organization_slug": "other"})).status_code == 404


@pytest.mark.django_db
def test_unreachable_metadata_is_an_error_page(idp, settings, client):
    settings.SOCIALACCOUNT_PROVIDERS = saml_providers(
        {
            "SAML_IDP_ENTITY_ID": IDP_ENTITY_ID,
            "SAML_IDP_METADATA_URL": "http://127.0.0.1:9/metadata",
            "SAML_TRUSTED_EMAIL_DOMAINS": "pd.example.org",
        }
    )

    resp = client.post(reverse("saml_login", kwargs={"organization_slug": SLUG}))

    assert resp.status_code == 401
    assert signed_in_as(client) is None
    # Nor is any other SAML page a 500 while the metadata cannot be had.
    finish = client.post(acs_url("saml_finish_acs"), {"SAMLResponse": "x"})
    assert finish.status_code == 401 and signed_in_as(client) is None
    assert client.get(acs_url("saml_metadata")).status_code == 503
    assert client.get(acs_url("saml_sls")).status_code == 503


# --- Configuration from the environment ------------------------------------------------------


def test_no_saml_variables_means_no_saml():
    assert saml_providers({}) == {}
    assert saml_providers({"SAML_PROVIDER_NAME": "x", "SAML_TRUSTED_EMAIL_DOMAINS": "a.b"}) == {}


def test_settings_from_the_environment(idp, tmp_path):
    cert_file = tmp_path / "idp.pem"
    cert_file.write_text(idp.cert + "\n")

    app = saml_providers(
        {
            "SAML_IDP_ENTITY_ID": IDP_ENTITY_ID,
            "SAML_IDP_SSO_URL": SSO_URL,
            "SAML_IDP_X509_CERT_FILE": str(cert_file),
            "SAML_TRUSTED_EMAIL_DOMAINS": "PD.example.org, other.example.org",
            "SAML_ATTRIBUTE_EMAIL": "mail",
        }
    )["saml"]["APPS"][0]

    assert (app["name"], app["client_id"]) == ("Department sign-on", "department")
    config = app["settings"]
    assert config["idp"] == {
        "entity_id": IDP_ENTITY_ID,
        "sso_url": SSO_URL,
        "x509cert": idp.cert.strip(),
    }
    assert config["verified_email"] == ["pd.example.org", "other.example.org"]
    assert config["attribute_mapping"]["email"] == ["mail"]
    assert config["advanced"]["want_assertion_signed"] is True
    assert config["advanced"]["strict"] is True
    assert "private_key" not in config["advanced"]


def test_metadata_url_instead_of_certificate():
    app = saml_providers(
        {
            "SAML_IDP_ENTITY_ID": IDP_ENTITY_ID,
            "SAML_IDP_METADATA_URL": "https://idp.pd.example.org/metadata.xml",
            "SAML_TRUSTED_EMAIL_DOMAINS": "pd.example.org",
        }
    )["saml"]["APPS"][0]

    assert app["settings"]["idp"] == {
        "entity_id": IDP_ENTITY_ID,
        "metadata_url": "https://idp.pd.example.org/metadata.xml",
    }


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"SAML_IDP_SSO_URL": SSO_URL}, "SAML_IDP_ENTITY_ID"),
        ({"SAML_IDP_ENTITY_ID": IDP_ENTITY_ID}, "SAML_IDP_SSO_URL"),
        ({"SAML_IDP_ENTITY_ID": IDP_ENTITY_ID, "SAML_IDP_SSO_URL": SSO_URL}, "SAML_IDP_X509_CERT"),
        (
            {
                "SAML_IDP_ENTITY_ID": IDP_ENTITY_ID,
                "SAML_IDP_SSO_URL": SSO_URL,
                "SAML_IDP_X509_CERT": "not a certificate",
            },
            "SAML_IDP_X509_CERT",
        ),
        (
            {"SAML_IDP_ENTITY_ID": IDP_ENTITY_ID, "SAML_IDP_METADATA_URL": "ftp://x/y"},
            "SAML_IDP_METADATA_URL",
        ),
    ],
)
def test_incomplete_idp_configuration_is_refused(variables, named):
    with pytest.raises(ImproperlyConfigured, match=named):
        saml_providers({"SAML_TRUSTED_EMAIL_DOMAINS": "pd.example.org", **variables})


@pytest.mark.parametrize(
    "variables",
    [
        {"SAML_IDP_SSO_URL": "http://idp.pd.example.org/sso"},
        {"SAML_IDP_METADATA_URL": "http://idp.pd.example.org/metadata"},
        {"SAML_IDP_SLO_URL": "http://idp.pd.example.org/slo"},
    ],
)
def test_production_needs_https(idp, monkeypatch, variables):
    monkeypatch.setattr("peersupport.settings.PRODUCTION", True)
    assert saml_providers(configuration(idp))  # https:// throughout

    with pytest.raises(ImproperlyConfigured, match=f"{next(iter(variables))} must use https"):
        saml_providers(configuration(idp, **variables))


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"SAML_TRUSTED_EMAIL_DOMAINS": ""}, "SAML_TRUSTED_EMAIL_DOMAINS"),
        ({"SAML_PROVIDER_ID": "a/b"}, "SAML_PROVIDER_ID"),
        ({"SAML_SP_PRIVATE_KEY": "x"}, "SAML_SP_X509_CERT"),
        ({"SAML_SP_PRIVATE_KEY": "x", "SAML_SP_X509_CERT": "y"}, "SAML_SP_PRIVATE_KEY"),
    ],
)
def test_incomplete_service_configuration_is_refused(idp, variables, named):
    with pytest.raises(ImproperlyConfigured, match=named):
        saml_providers(configuration(idp, **variables))


def run_settings(code: str, **variables) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OIDC_", "SAML_", "SOCIALACCOUNT_")) and k != "DATABASE_URL"
    }
    env.update(PEERSUPPORT_ENV="test", DJANGO_SETTINGS_MODULE="peersupport.settings", **variables)
    setup = "import django; django.setup(); from django.conf import settings; "
    return subprocess.run(
        [sys.executable, "-c", setup + code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_settings_fail_loudly_when_half_configured():
    result = run_settings("", SAML_IDP_ENTITY_ID=IDP_ENTITY_ID, SAML_IDP_SSO_URL=SSO_URL)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SAML_IDP_X509_CERT" in result.stderr


def test_single_sign_on_alone_is_refused_with_the_reason():
    # allauth's SOCIALACCOUNT_ONLY cannot work beside its MFA (its own checks stop start-up).
    result = run_settings("", SOCIALACCOUNT_ONLY="true")

    assert result.returncode != 0
    assert "SOCIALACCOUNT_ONLY is not supported" in result.stderr


def test_settings_load_with_saml_alone_and_beside_oidc(idp, tmp_path):
    cert_file = tmp_path / "idp.pem"
    cert_file.write_text(idp.cert)
    saml_only = {
        "SAML_IDP_ENTITY_ID": IDP_ENTITY_ID,
        "SAML_IDP_SSO_URL": SSO_URL,
        "SAML_IDP_X509_CERT_FILE": str(cert_file),
        "SAML_TRUSTED_EMAIL_DOMAINS": "pd.example.org",
    }
    code = (
        "print(sorted(p for p, c in settings.SOCIALACCOUNT_PROVIDERS.items() if 'APPS' in c));"
        "print(' '.join(settings.SECURE_CSP['form-action']))"
    )

    result = run_settings(code, **saml_only)

    assert result.returncode == 0, result.stderr
    providers, form_action = result.stdout.splitlines()
    assert providers == "['saml']"
    # The sign-in button's POST is redirected to the identity provider.
    assert form_action.split() == ["'self'", "https://idp.pd.example.org"]

    oidc = {"OIDC_SERVER_URL": "https://login.example.org", "OIDC_CLIENT_ID": "c"}
    result = run_settings(code, **saml_only, **oidc, OIDC_CLIENT_SECRET="s")
    assert result.returncode != 0
    assert "SAML_PROVIDER_NAME" in result.stderr

    result = run_settings(
        code, **saml_only, **oidc, OIDC_CLIENT_SECRET="s", SAML_PROVIDER_NAME="SAML"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "['openid_connect', 'saml']"


def test_lxml_and_xmlsec_share_one_libxml2():
    """xmlsec signs and checks the very trees lxml parsed: the two wheels must bundle the same
    libxml2 (pyproject.toml pins them together). xmlsec refuses to load otherwise."""
    assert xmlsec.get_libxml_version() == etree.LIBXML_VERSION


def logout_request() -> dict:
    """A provider's LogoutRequest, in the HTTP-Redirect binding."""
    now = datetime.now(UTC)
    xml = f"""<samlp:LogoutRequest xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}"
      ID="_l{secrets.token_hex(8)}" Version="2.0" IssueInstant="{instant(now)}"
      Destination="http://testserver{acs_url("saml_sls")}">
      <saml:Issuer>{IDP_ENTITY_ID}</saml:Issuer><saml:NameID>x</saml:NameID>
    </samlp:LogoutRequest>"""
    deflate = zlib.compressobj(wbits=-15)
    return {"SAMLRequest": base64.b64encode(deflate.compress(xml.encode()) + deflate.flush())}


@pytest.mark.django_db
def test_logout_request_from_the_provider_ends_the_session(personas, idp, settings, client):
    slo = "https://idp.pd.example.org/saml/slo"
    settings.SOCIALACCOUNT_PROVIDERS = saml_providers(configuration(idp, SAML_IDP_SLO_URL=slo))
    sign_on(client, idp, personas["employee"].email)
    assert signed_in_as(client)

    resp = client.get(acs_url("saml_sls"), logout_request())

    assert resp.status_code == 302
    assert resp["Location"].startswith(f"{slo}?SAMLResponse=")
    assert signed_in_as(client) is None


@pytest.mark.django_db
def test_logout_request_without_a_provider_logout_url_is_refused(personas, saml, client):
    sign_on(client, saml, personas["employee"].email)

    resp = client.get(acs_url("saml_sls"), logout_request())

    assert resp.status_code == 400
    assert signed_in_as(client) == str(personas["employee"].pk)


@pytest.fixture
def metadata_server(idp):
    """The identity provider's metadata document, served on 127.0.0.1."""
    body = "".join(idp.cert.strip().splitlines()[1:-1])
    document = f"""<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
      xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{IDP_ENTITY_ID}">
      <md:IDPSSODescriptor protocolSupportEnumeration="{SAMLP}">
        <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>
          <ds:X509Certificate>{body}</ds:X509Certificate>
        </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
        <md:SingleSignOnService Location="{SSO_URL}"
          Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"/>
      </md:IDPSSODescriptor>
    </md:EntityDescriptor>""".encode()
    fetched = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            fetched.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/samlmetadata+xml")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/metadata.xml", fetched
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.django_db
def test_round_trip_with_the_providers_metadata(personas, idp, metadata_server, settings, client):
    url, fetched = metadata_server
    settings.SOCIALACCOUNT_PROVIDERS = saml_providers(
        {
            "SAML_IDP_ENTITY_ID": IDP_ENTITY_ID,
            "SAML_IDP_METADATA_URL": url,
            "SAML_TRUSTED_EMAIL_DOMAINS": "pd.example.org",
        }
    )
    employee = personas["employee"]

    resp = sign_on(client, idp, employee.email)

    assert resp.status_code == 302
    assert signed_in_as(client) == str(employee.pk)
    # Fetched once, then kept in the cache.
    assert fetched == ["/metadata.xml"]
    client.post(reverse("account_logout"))
    resp = sign_on(client, idp, employee.email, signed_by="impostor")
    assert resp.status_code == 401
    assert signed_in_as(client) is None


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.one_of(
        st.text(max_size=200),
        st.binary(max_size=400).map(lambda b: base64.b64encode(b).decode()),
        st.text(max_size=400).map(lambda t: base64.b64encode(t.encode()).decode()),
    ),
    relay_state=st.text(max_size=100),
)
def test_hostile_posts_to_the_acs_never_break(personas, saml, client, body, relay_state):
    resp = client.post(acs_url(), {"SAMLResponse": body, "RelayState": relay_state})
    assert resp.status_code == 302
    resp = client.get(resp["Location"])

    assert resp.status_code == 401
    assert signed_in_as(client) is None
