"""Health check, security headers, error pages and settings that must fail loudly."""

import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection
from django.db.utils import OperationalError
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_ok_without_login(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}
    assert "no-cache" in resp["Cache-Control"] or "no-store" in resp["Cache-Control"]


@pytest.mark.django_db
def test_healthz_503_when_database_fails(client):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("down")):
        resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.json() == {"status": "unavailable"}
    assert b"down" not in resp.content


@pytest.mark.django_db
def test_healthz_refuses_post(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(client):
    resp = client.get(reverse("web:home"))
    assert resp.status_code == 302
    assert resp["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_security_headers_on_a_signed_in_page(client_for):
    resp = client_for("employee").get(reverse("web:home"))
    assert resp.status_code == 200
    csp = resp["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert resp["Referrer-Policy"] == "same-origin"
    assert "no-store" in resp["Cache-Control"]
    assert resp["X-Frame-Options"] == "DENY"
    assert resp["X-Content-Type-Options"] == "nosniff"
    html = resp.content.decode()
    # Every script tag carries the nonce of this response; no inline handlers.
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert html.count("<script") == html.count(f'nonce="{nonce}"')
    assert "onclick=" not in html and "style=" not in html


def _denied_features(header: str) -> dict[str, str]:
    return dict(item.strip().split("=", 1) for item in header.split(","))


@pytest.mark.django_db
@pytest.mark.parametrize("who", [None, "employee"])
def test_permissions_policy_denies_every_browser_feature_not_used(client, client_for, who):
    """Camera, microphone, location, payment, USB and the rest are refused to the page and to
    anything it could embed; only passkeys (WebAuthn) are allowed, on this site alone."""
    browser = client if who is None else client_for(who)
    url = reverse("support:public_ask") if who is None else reverse("web:home")
    resp = browser.get(url)
    assert resp.status_code == 200
    features = _denied_features(resp["Permissions-Policy"])
    for feature in (
        "camera",
        "microphone",
        "geolocation",
        "payment",
        "usb",
        "serial",
        "hid",
        "display-capture",
        "clipboard-read",
        "fullscreen",
    ):
        assert features[feature] == "()", feature
    assert features["publickey-credentials-get"] == "(self)"
    assert features["publickey-credentials-create"] == "(self)"
    assert set(features.values()) == {"()", "(self)"}


@pytest.mark.django_db
def test_permissions_policy_on_redirects_and_the_health_check(client):
    assert "camera=()" in client.get("/no/such/page/")["Permissions-Policy"]
    assert "camera=()" in client.get("/healthz")["Permissions-Policy"]


@pytest.mark.django_db
def test_login_page_is_public_and_has_csp(client):
    resp = client.get(reverse("account_login"))
    assert resp.status_code == 200
    assert "Content-Security-Policy" in resp


@pytest.mark.django_db
def test_404_page_leaks_nothing(client_for, settings):
    settings.DEBUG = False
    resp = client_for("employee").get("/no/such/page/")
    assert resp.status_code == 404
    body = resp.content.decode()
    assert "Page not found" in body
    assert "Traceback" not in body and "urlpatterns" not in body


@pytest.mark.django_db
def test_500_page_leaks_nothing(dept, personas):
    from django.test.utils import override_settings
    from django.urls import path

    from peersupport import urls as root_urls

    def boom(request):
        raise RuntimeError("secret detail 12345")

    class Urls:
        urlpatterns = [path("boom/", boom), *root_urls.urlpatterns]
        handler500 = root_urls.handler500

    with override_settings(ROOT_URLCONF=Urls, DEBUG=False):
        c = Client(raise_request_exception=False)
        c.force_login(personas["employee"])
        resp = c.get("/boom/")
    assert resp.status_code == 500
    body = resp.content.decode()
    assert "Something went wrong" in body
    assert "secret detail" not in body and "Traceback" not in body


def _run_settings(env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    base.pop("PEERSUPPORT_ENV", None)
    base.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "peersupport.settings", **base},
        capture_output=True,
        text=True,
        timeout=60,
    )


GOOD_PROD = {
    "PEERSUPPORT_ENV": "production",
    "SECRET_KEY": "test-only-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ",
    "ALLOWED_HOSTS": "peersupport.example.org",
    "AUDIT_HMAC_KEY": "prod-test-audit-key-0123456789abcdefghijklmnop",
    "ENCRYPTION_KEYS": "k1:cHJvZC10ZXN0LWtleS0wMDAwMDAwMDAwMDAwMDAwMDA=",
}


def test_production_starts_with_proper_settings():
    result = _run_settings(GOOD_PROD)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        (
            {"SECRET_KEY": "insecure-development-key-never-use-in-production-0123456789abcdef"},
            "SECRET_KEY",
        ),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"DEBUG": "true"}, "DEBUG"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"SESSION_IDLE_MINUTES": "soon"}, "SESSION_IDLE_MINUTES"),
        ({"PASSWORD_MIN_LENGTH": "8"}, "PASSWORD_MIN_LENGTH"),
        ({"PEERSUPPORT_ENV": "staging"}, "PEERSUPPORT_ENV"),
        ({"DATABASE_URL": "mysql://db/x"}, "DATABASE_URL"),
        ({"AUDIT_HMAC_KEY": ""}, "AUDIT_HMAC_KEY"),
        ({"AUDIT_HMAC_KEY": "short"}, "AUDIT_HMAC_KEY"),
        ({"ENCRYPTION_KEYS": ""}, "ENCRYPTION_KEYS"),
        # At 1 a hidden count is 1 by definition (docs/operations.md, Reports).
        ({"REPORTS_SUPPRESSION_THRESHOLD": "1"}, "REPORTS_SUPPRESSION_THRESHOLD"),
    ],
)
def test_bad_settings_fail_loudly(env, named):
    result = _run_settings({**GOOD_PROD, **env})
    assert result.returncode != 0
    assert named in result.stderr


def test_secret_key_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("file-secret-0123456789-abcdefghijklmnopqrstuvwxyz-KLMNOP\n")
    env = {**GOOD_PROD, "SECRET_KEY_FILE": str(secret)}
    del env["SECRET_KEY"]
    result = _run_settings(env)
    assert result.returncode == 0, result.stderr


def test_sqlite_pragmas(db):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL
        cursor.execute("PRAGMA secure_delete")
        assert cursor.fetchone()[0] == 1
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
    assert connection.transaction_mode == "IMMEDIATE"


def test_sqlite_file_database_uses_wal(tmp_path):
    db = tmp_path / "wal.sqlite3"
    code = (
        "import django; django.setup();"
        "from django.db import connection;"
        "c = connection.cursor(); c.execute('PRAGMA journal_mode');"
        "print(c.fetchone()[0])"
    )
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "peersupport.settings",
            "PEERSUPPORT_ENV": "test",
            "DATABASE_URL": f"sqlite:///{db}",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "wal"


def test_deploy_check_passes_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **{
                k: v
                for k, v in os.environ.items()
                if k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
            },
            **GOOD_PROD,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
