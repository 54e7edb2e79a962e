"""Every URL the resolver knows is declared here, with who may use it. A URL missing from the
matrix fails the suite, so no feature can add a page without deciding who sees it.

For the project's own views, each declared URL is requested by every persona and by an
anonymous visitor, with every method it accepts: the allowed roles get through, everyone else
gets 403, 404, 405 or a redirect to sign in, and never the page. For the admin site every URL
is for the system administrator only. allauth's own pages (sign-in, MFA, passwords) are
declared as public or signed-in flows and are exercised by tests/accounts/test_login.py and friends.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import MACHINE, PUBLIC, SIGNED_IN

from ..conftest import PERSONAS

R = Role
ALL_ROLES = frozenset(Role)

# url name -> {method: allowed roles}. PUBLIC: anyone, signed in or not. SIGNED_IN: any account.
MATRIX: dict[str, dict[str, frozenset[str]]] = {
    "web:home": {"GET": frozenset({SIGNED_IN})},
    "web:healthz": {"GET": frozenset({PUBLIC})},
    "accounts:profile": {"GET": frozenset({SIGNED_IN}), "POST": frozenset({SIGNED_IN})},
    "accounts:role_list": {
        "GET": frozenset({R.SYSADMIN, R.BHS_MANAGER}),
        "POST": frozenset({R.SYSADMIN, R.BHS_MANAGER}),
    },
    "accounts:role_revoke": {"POST": frozenset({R.SYSADMIN, R.BHS_MANAGER})},
    "accounts:unit_list": {"GET": frozenset({R.SYSADMIN})},
    "accounts:unit_create": {"GET": frozenset({R.SYSADMIN}), "POST": frozenset({R.SYSADMIN})},
    "accounts:unit_edit": {"GET": frozenset({R.SYSADMIN}), "POST": frozenset({R.SYSADMIN})},
    "accounts:employee_list": {"GET": frozenset({R.SYSADMIN})},
    "accounts:employee_create": {
        "GET": frozenset({R.SYSADMIN}),
        "POST": frozenset({R.SYSADMIN}),
    },
    "accounts:employee_edit": {"GET": frozenset({R.SYSADMIN}), "POST": frozenset({R.SYSADMIN})},
    "audit:event_list": {"GET": frozenset({R.BHS_MANAGER})},
    "audit:by_day": {"GET": frozenset({R.BHS_MANAGER})},
}


# Each feature app declares its URLs in tests/matrix/<app>.py as a MATRIX dict of the same shape.
def _feature_matrices() -> dict[str, dict[str, frozenset[str]]]:
    import importlib
    import pkgutil

    from .. import matrix

    merged: dict[str, dict[str, frozenset[str]]] = {}
    for info in pkgutil.iter_modules(matrix.__path__):
        module = importlib.import_module(f"{matrix.__name__}.{info.name}")
        clash = set(module.MATRIX) & (set(merged) | set(MATRIX))
        assert not clash, f"declared twice: {clash}"
        merged.update(module.MATRIX)
        # Optional: URL_KWARGS = {"app:name": lambda dept: {...}} for URLs that take arguments.
        URL_KWARGS.update(getattr(module, "URL_KWARGS", {}))
        # Optional: OBJECT_SCOPED = {"app:name", ...}: past the role check, the object decides
        # (its owner gets it, everyone else 404); tests/system/test_object_access.py proves it.
        OBJECT_SCOPED.update(getattr(module, "OBJECT_SCOPED", set()))
    return merged


URL_KWARGS: dict = {}
OBJECT_SCOPED: set = set()
MATRIX.update(_feature_matrices())

# allauth's pages: the sign-in flow (public) and account security pages (signed in).
ALLAUTH_PUBLIC = {
    "account_login",
    "account_logout",
    "account_inactive",
    "account_signup",
    "account_email_verification_sent",
    "account_confirm_email",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    "account_confirm_login_code",
    "mfa_authenticate",
    "mfa_login_webauthn",
    "openid_connect_login",
    "openid_connect_callback",
    # SAML: the button, the assertion consumer service and its second step, single logout and
    # this service's metadata; 404 unless SAML is configured (tests/accounts/test_saml.py).
    "saml_login",
    "saml_acs",
    "saml_finish_acs",
    "saml_sls",
    "saml_metadata",
    "socialaccount_login_cancelled",
    "socialaccount_login_error",
    "socialaccount_signup",
}
ALLAUTH_SIGNED_IN = {
    "account_reauthenticate",
    "account_request_reauthentication_code",
    "account_confirm_reauthentication_code",
    "account_email",
    "account_change_password",
    "account_set_password",
    "mfa_index",
    "mfa_reauthenticate",
    "mfa_activate_totp",
    "mfa_deactivate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
    "mfa_list_webauthn",
    "mfa_add_webauthn",
    "mfa_reauthenticate_webauthn",
    "mfa_remove_webauthn",
    "mfa_edit_webauthn",
    "socialaccount_connections",
}
# allauth's unnamed legacy redirects from /accounts/social/... to /accounts/3rdparty/...
ALLAUTH_LEGACY_ROUTES = {
    "accounts/social/login/cancelled/",
    "accounts/social/login/error/",
    "accounts/social/signup/",
    "accounts/social/connections/",
}


def _walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield prefix + str(p.pattern), name, p.callback


ALL_URLS = list(_walk(get_resolver().url_patterns))


def _classify(route: str, name: str | None) -> str | None:
    if name in MATRIX:
        return "own"
    if name in ALLAUTH_PUBLIC or name in ALLAUTH_SIGNED_IN:
        return "allauth"
    if route in ALLAUTH_LEGACY_ROUTES:
        return "allauth"
    if route.startswith("admin/"):
        return "admin"
    return None


def test_every_url_is_declared():
    undeclared = [(route, name) for route, name, _ in ALL_URLS if _classify(route, name) is None]
    assert not undeclared, f"URLs missing from the authorization matrix: {undeclared}"


def test_matrix_names_exist():
    names = {name for _, name, _ in ALL_URLS}
    stale = (set(MATRIX) | ALLAUTH_PUBLIC | ALLAUTH_SIGNED_IN) - names
    assert not stale, f"matrix entries for URLs that no longer exist: {stale}"


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_view_declares_the_roles_of_the_matrix(name):
    """The decorator on the view and the matrix agree, so neither can drift alone."""
    callbacks = [cb for _, n, cb in ALL_URLS if n == name]
    assert callbacks
    declared = getattr(callbacks[0], "allowed_roles", None)
    assert declared is not None, f"{name} declares no roles (use roles_required/signed_in/public)"
    expected = frozenset().union(*MATRIX[name].values())
    assert declared == expected


def _url_for(name: str, dept) -> str:
    if name in URL_KWARGS:
        return reverse(name, kwargs=URL_KWARGS[name](dept))
    kwargs = {}
    route = next(route for route, n, _ in ALL_URLS if n == name)
    if "<int:grant_id>" in route:
        kwargs["grant_id"] = dept.users["supporter"].role_grants.get().pk
    if "<int:unit_id>" in route:
        kwargs["unit_id"] = dept.squad.pk
    if "<int:employee_id>" in route:
        kwargs["employee_id"] = dept.users["employee"].employee.pk
    return reverse(name, kwargs=kwargs)


def _allowed(persona: str | None, allowed: frozenset[str], roles: frozenset[str]) -> bool:
    if PUBLIC in allowed:
        return True
    if persona is None:
        return False
    return SIGNED_IN in allowed or bool(roles & allowed)


def _assert_error_summary(resp, where) -> None:
    """A page shown again after a refused POST says so where everyone finds it: "Error:" at
    the start of its title, and the error summary (templates/web/_error_summary.html) first in
    the main content, taking focus, each field's error linked to the field."""
    if not resp["Content-Type"].startswith("text/html"):
        return
    page = resp.content.decode()
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title and title.group(1).strip().startswith("Error: "), where
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', page, re.S)
    assert summary, where
    assert "autofocus" in summary.group(0) and 'role="alert"' in summary.group(0), where
    for target in re.findall(r'href="#([^"]+)"', summary.group(1)):
        assert f'id="{target}"' in page, (where, target)


CASES = [(name, method) for name, methods in sorted(MATRIX.items()) for method in methods]


@pytest.mark.parametrize(("name", "method"), CASES)
def test_own_urls_as_every_persona(name, method, dept, client_for, client):
    url = _url_for(name, dept)
    allowed = MATRIX[name][method]
    for persona in [None, *PERSONAS]:
        c = client if persona is None else client_for(persona)
        roles = frozenset() if persona is None else dept.users[persona].roles
        # An empty POST: enough to get past the door, never enough to change anything.
        if method in ("GET", "POST"):
            resp = c.get(url) if method == "GET" else c.post(url, {})
        else:  # another system's methods (SCIM)
            resp = c.generic(method, url)
        if _allowed(persona, allowed, roles):
            through = (200, 302, 400, 404) if name in OBJECT_SCOPED else (200, 302, 400)
            assert resp.status_code in through, (name, method, persona, resp.status_code)
            if resp.status_code == 302:
                assert "/accounts/login/" not in resp["Location"], (name, persona)
            if method == "POST" and resp.status_code == 400:
                _assert_error_summary(resp, (name, persona))
        else:
            # 401: an endpoint for another system (API, SCIM) wants a bearer token, never a session.
            refused = (302, 401, 403, 404) if MACHINE in allowed else (302, 403, 404)
            assert resp.status_code in refused, (name, method, persona, resp.status_code)
            if resp.status_code == 302:
                assert resp["Location"].startswith(reverse("account_login")), (name, persona)


@pytest.mark.parametrize(("name", "method"), CASES)
def test_undeclared_methods_are_refused(name, method, dept, client_for):
    url = _url_for(name, dept)
    sysadmin = client_for("sysadmin")
    for other in sorted({"PUT", "PATCH", "DELETE"} - set(MATRIX[name])):
        resp = sysadmin.generic(other, url)
        assert resp.status_code in (403, 405), (name, other, resp.status_code)


def _admin_url(route: str, dept) -> str | None:
    path = "/" + route
    path = path.replace("^", "").replace("$", "")
    obj_id = str(dept.users["employee"].pk)
    path = path.replace("<path:object_id>", obj_id).replace("<path:content_type_id>", "1")
    path = re.sub(r"\(\?P<app_label>[^)]*\)", "accounts", path)
    if "(?P<url>" in path:
        return "/admin/does-not-exist/"
    return path


ADMIN_ROUTES = sorted({route for route, name, _ in ALL_URLS if route.startswith("admin/")})


def test_admin_is_for_the_system_administrator_only(dept, client_for, client):
    for route in ADMIN_ROUTES:
        url = _admin_url(route, dept)
        anon = client.get(url)
        assert anon.status_code in (302, 404), (route, anon.status_code)
        if anon.status_code == 302:
            assert "login" in anon["Location"], route
        for persona in PERSONAS:
            if persona == "sysadmin":
                continue
            resp = client_for(persona).get(url)
            assert resp.status_code in (302, 403, 404), (route, persona, resp.status_code)
            if resp.status_code == 302:
                # Out of the admin, or to its index or sign-in (checked here), never into it.
                location = resp["Location"]
                assert (
                    not location.startswith("/admin/")
                    or location == "/admin/"
                    or location.startswith("/admin/login/")
                ), (
                    route,
                    persona,
                    location,
                )
    # The admin's sign-in sends a signed-in non-administrator home.
    assert client_for("employee").get(reverse("admin:login"))["Location"] == reverse("web:home")
    # And the system administrator gets in.
    assert client_for("sysadmin").get(reverse("admin:index")).status_code == 200
    assert client_for("sysadmin").get(reverse("admin:accounts_unit_changelist")).status_code == 200


def test_admin_hides_protected_and_secret_models(client_for):
    page = client_for("sysadmin").get(reverse("admin:index")).content.decode()
    assert "/admin/accounts/employee/" in page
    for hidden in ("/admin/mfa/", "/admin/socialaccount/socialtoken/", "/admin/auth/group/"):
        assert hidden not in page


def test_admin_login_goes_through_the_sites_sign_in_with_mfa(client):
    resp = client.get(reverse("admin:login"))
    assert resp.status_code == 302
    assert resp["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    "name", sorted(ALLAUTH_SIGNED_IN - {"mfa_remove_webauthn", "mfa_edit_webauthn"})
)
def test_allauth_account_pages_need_sign_in(name, client):
    resp = client.get(reverse(name))
    assert resp.status_code == 302
    assert resp["Location"].startswith(reverse("account_login"))


def test_every_persona_holds_the_role_it_stands_for(dept):
    from ..conftest import PERSONA_ROLE

    for persona, role in PERSONA_ROLE.items():
        assert role in dept.users[persona].roles, persona
    assert set(PERSONA_ROLE.values()) == ALL_ROLES
