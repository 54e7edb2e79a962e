"""A copy of the database says nothing about where anyone signed in from, or with what browser.

The attack: an employee signs in (and mistypes first), another account gets locked, someone asks
for a password reset and tries to register, all from one distinctive address and browser. Then
someone holding a copy of the database reads every table, the way a DBA with a dump would,
decoding what Django keeps encoded (the cache's base64 pickles, the sessions' signed and
compressed JSON): neither the address nor the browser may appear anywhere.
"""

import base64
import binascii
import contextlib
import re
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from allauth.core.internal.ratelimit import parse_rate
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse

from peersupport.accounts.axes import lock_tag
from peersupport.accounts.clientkey import client_tag, opaque_cache_key

from ..factories import PASSWORD, EmployeeFactory, UserFactory, enable_totp

IP = "203.0.113.77"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) TraceCanary/7.3.1 Firefox/140.0"
CANARIES = (IP, USER_AGENT, "TraceCanary")
LOGIN = reverse("account_login")
BAD_PASSWORD = "definitely-not-the-password"


def browser() -> Client:
    return Client(REMOTE_ADDR=IP, HTTP_USER_AGENT=USER_AGENT, HTTP_ACCEPT="text/html,canary/x")


def _decodings(text: str) -> list[bytes]:
    """The text and what it decodes to: base64 (with or without padding), then zlib."""
    found = [text.encode()]
    for token in re.findall(r"[A-Za-z0-9+/_=-]{16,}", text):
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                raw = decode(token + "=" * (-len(token) % 4))
            except (binascii.Error, ValueError):
                continue
            found.append(raw)
            with contextlib.suppress(zlib.error):
                found.append(zlib.decompress(raw))
    return found


def _cell_bytes(value) -> list[bytes]:
    if value is None:
        return []
    if isinstance(value, memoryview | bytes | bytearray):
        raw = bytes(value)
        return [raw, *_decodings(raw.decode("latin-1"))]
    return _decodings(str(value))


def tables_holding(*needles: str) -> dict[str, set[str]]:
    """Every table (and which needles) where a needle appears, in clear or decoded."""
    hits: dict[str, set[str]] = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 (names from the catalogue)
            for row in cursor.fetchall():
                for value in row:
                    for blob in _cell_bytes(value):
                        for needle in needles:
                            if needle.encode() in blob:
                                hits.setdefault(table, set()).add(needle)
    return hits


OPAQUE_KEY = re.compile(r"k:[0-9a-f]{64}")


def cache_keys() -> set[str]:
    table = connection.ops.quote_name(settings.CACHES["default"]["LOCATION"])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key FROM {table}")  # noqa: S608
        return {key for (key,) in cursor.fetchall()}


@pytest.mark.django_db
def test_the_scan_sees_through_the_cache_and_sessions():
    """The search would find the address if it were there: in a cache value. Cache keys are
    stored as HMACs, so an address in a key is not there to be found."""
    cache.set("probe-value", {"where": IP}, 60)
    cache.set(f"probe-key:{IP}", 1, 60)
    assert tables_holding(IP) == {settings.CACHES["default"]["LOCATION"]: {IP}}
    assert cache.get(f"probe-key:{IP}") == 1
    cache.delete("probe-value")
    assert tables_holding(IP) == {}
    cache.delete(f"probe-key:{IP}")


@pytest.mark.django_db
def test_a_database_copy_shows_no_address_or_browser_of_any_sign_in(personas, dept):
    employee = personas["employee"]
    colleague = UserFactory(email="colleague@pd.example.org")
    EmployeeFactory(user=colleague, unit=dept.squad, work_email=colleague.email)

    # The employee mistypes twice, then signs in, and signs out.
    client = browser()
    for _ in range(2):
        resp = client.post(f"{LOGIN}?next=/support/", {"login": employee.email, "password": "x"})
        assert resp.status_code == 200
    resp = client.post(LOGIN, {"login": employee.email, "password": PASSWORD})
    assert resp.status_code == 302
    assert SESSION_KEY in client.session
    client.get(reverse("web:home"), HTTP_USER_AGENT=USER_AGENT)
    # The colleague's account is locked from the same browser, and tried once more while locked.
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        resp = browser().post(LOGIN, {"login": colleague.email, "password": BAD_PASSWORD})
    assert resp.status_code == settings.AXES_HTTP_RESPONSE_CODE
    # A sign-in naming no account, a password reset and a registration attempt.
    browser().post(LOGIN, {"login": "nobody@pd.example.org", "password": BAD_PASSWORD})
    browser().post(reverse("account_reset_password"), {"email": employee.email})
    browser().post(
        reverse("account_signup"),
        {"email": "nobody@pd.example.org", "employee_number": "X1", "password1": "p" * 20},
    )
    client.post(reverse("account_logout"))

    # The rate limits did count this browser, in the database cache, under opaque keys...
    keys = cache_keys()
    assert keys
    assert all(OPAQUE_KEY.fullmatch(key) for key in keys)
    rate = str(parse_rate(settings.ACCOUNT_RATE_LIMITS["login"]))
    limit = ":".join(["allauth", "rl", "allauth.account", "login", rate])
    assert opaque_cache_key(f"{limit}:ip:{client_tag(IP)}", "", 1) in keys
    # ...and axes counted the failures, with nothing about the browser.
    assert AccessAttempt.objects.filter(username=lock_tag(colleague.email)).exists()
    assert not AccessLog.objects.exists()
    assert set(AccessAttempt.objects.values_list("ip_address", "user_agent", "http_accept")) == {
        (None, "", "")
    }
    assert set(AccessAttempt.objects.values_list("get_data", "post_data")) == {("", "")}

    assert tables_holding(*CANARIES) == {}
    # Nor who mistyped a password: lock counts name accounts by an opaque tag only.
    assert tables_holding(colleague.email, "nobody@pd.example.org").keys() <= {
        "accounts_user",
        "accounts_employee",
        "account_emailaddress",
    }


def test_the_rate_limit_tag_is_not_the_address_and_changes_every_day():
    today = datetime(2026, 3, 1, 12, tzinfo=UTC)
    tag = client_tag(IP, now=today)
    assert IP not in tag and "203" not in tag
    assert client_tag(IP, now=today + timedelta(hours=11)) == tag
    assert client_tag(IP, now=today + timedelta(days=1)) != tag
    assert client_tag("203.0.113.78", now=today) != tag
    # One IPv6 network counts as one client, as allauth counts it.
    assert client_tag("2001:db8:1:2::5", now=today) == client_tag("2001:db8:1:2::9", now=today)


@pytest.mark.django_db
def test_lockout_still_locks_the_account_from_any_browser(personas):
    employee = personas["employee"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        resp = browser().post(LOGIN, {"login": employee.email, "password": BAD_PASSWORD})
    assert resp.status_code == settings.AXES_HTTP_RESPONSE_CODE
    other = Client(REMOTE_ADDR="198.51.100.9", HTTP_USER_AGENT="another browser")
    resp = other.post(LOGIN, {"login": employee.email, "password": PASSWORD})
    assert resp.status_code == settings.AXES_HTTP_RESPONSE_CODE
    assert SESSION_KEY not in other.session
    assert AccessAttempt.objects.get().failures_since_start == settings.AXES_FAILURE_LIMIT


def test_the_admin_shows_no_sign_in_log_nor_browser_details():
    assert not admin.site.is_registered(AccessLog)
    lockouts = admin.site._registry[AccessAttempt]  # noqa: SLF001
    shown = {
        *lockouts.list_display,
        *lockouts.search_fields,
        *lockouts.readonly_fields,
        *(f for _, opts in lockouts.fieldsets for f in opts["fields"]),
    }
    assert not shown & {"ip_address", "user_agent", "http_accept", "get_data", "post_data"}


@pytest.mark.django_db
def test_a_cache_copy_does_not_say_whose_mfa_code_was_wrong(personas):
    """allauth counts wrong MFA codes under sha256("mfa-auth-user-<id>"): anyone holding the
    cache table could hash every account id and learn who was signing in. Stored keys are
    HMACs under a key that is not in the database."""
    import hashlib

    employee = personas["employee"]
    enable_totp(employee)
    client = browser()
    resp = client.post(LOGIN, {"login": employee.email, "password": PASSWORD})
    assert resp["Location"] == reverse("mfa_authenticate")
    resp = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert resp.status_code == 200
    assert SESSION_KEY not in client.session

    keys = cache_keys()
    assert keys
    assert all(OPAQUE_KEY.fullmatch(key) for key in keys)
    unkeyed = hashlib.sha256(f"mfa-auth-user-{employee.pk}".encode()).hexdigest()
    assert not any(unkeyed in key or str(employee.pk) in key.split(":") for key in keys)
    # The limit still counts: the entry is found again through the same key function.
    rate = str(parse_rate(settings.ACCOUNT_RATE_LIMITS["login_failed"]))
    limit = ":".join(["allauth", "rl", "allauth.account", "login_failed", rate, unkeyed])
    assert len(cache.get(limit)) == 1


@pytest.mark.django_db
def test_the_lockout_admin_finds_an_account_by_its_address(personas, rf):
    employee = personas["employee"]
    for _ in range(2):
        browser().post(LOGIN, {"login": employee.email.upper(), "password": BAD_PASSWORD})
    row = AccessAttempt.objects.get()
    assert row.username == lock_tag(employee.email)
    lockouts = admin.site._registry[AccessAttempt]  # noqa: SLF001
    found, _ = lockouts.get_search_results(rf.get("/"), AccessAttempt.objects.all(), employee.email)
    assert list(found) == [row]
    found, _ = lockouts.get_search_results(rf.get("/"), AccessAttempt.objects.all(), "x@y.org")
    assert not found.exists()


@pytest.mark.django_db
def test_lock_counts_kept_from_before_are_rekeyed_and_still_lock(personas):
    from importlib import import_module

    from django.apps import apps

    rekey = import_module("peersupport.accounts.migrations.0006_lock_counts_by_tag").rekey
    employee = personas["employee"]
    AccessAttempt.objects.create(
        username=employee.email.upper(),
        failures_since_start=settings.AXES_FAILURE_LIMIT,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/accounts/login/",
        user_agent="",
    )
    rekey(apps, None)
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == [
        lock_tag(employee.email)
    ]
    resp = browser().post(LOGIN, {"login": employee.email, "password": PASSWORD})
    assert resp.status_code == settings.AXES_HTTP_RESPONSE_CODE
