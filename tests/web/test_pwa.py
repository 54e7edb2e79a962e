"""The installable app's files (manifest, service worker, offline page) and the devices page
(peersupport/web/pwa.py)."""

import json
import re
from pathlib import Path

import pytest
from django.urls import reverse

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.notifications.models import Channel, Notification, PushSubscription
from peersupport.web import pwa

from ..matrix.devices import b64url, browser_keys, device

pytestmark = pytest.mark.django_db
STYLESHEET = Path(__file__).resolve().parents[2] / "static" / "css" / "site.css"


def test_the_manifest_is_json_of_its_own_type_with_the_projects_icons(client):
    resp = client.get("/manifest.webmanifest")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/manifest+json")
    data = json.loads(resp.content)
    assert data["start_url"] == data["scope"] == "/" and data["display"] == "standalone"
    assert data["theme_color"] == pwa.THEME_COLOR
    for icon in data["icons"]:
        assert client.get(icon["src"]).status_code == 200, icon
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in data["icons"]}
    assert any(icon.get("purpose") == "maskable" for icon in data["icons"])


def test_the_theme_colour_is_the_stylesheets_brand(client):
    brand = re.search(r"--brand:\s*(#[0-9a-f]{6})", STYLESHEET.read_text()).group(1)
    wash = re.search(r"--wash:\s*(#[0-9a-f]{6})", STYLESHEET.read_text()).group(1)
    assert brand == pwa.THEME_COLOR and wash == pwa.BACKGROUND_COLOR
    page = client.get(reverse("account_login")).content.decode()
    assert f'<meta name="theme-color" content="{brand}">' in page
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page


def test_the_service_worker_is_served_from_the_root_uncached_and_caches_only_the_allowed(client):
    resp = client.get("/sw.js")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/javascript")
    assert "no-cache" in resp["Cache-Control"]
    source = resp.content.decode()
    assert "caches ONLY the offline page and the static files" in source
    precache = json.loads(re.search(r"var PRECACHE = (\[.*?\]);", source).group(1))
    assert precache == pwa.precache_urls()
    assert reverse("web:offline") in precache and all(
        url == reverse("web:offline") or url.startswith("/static/") for url in precache
    )
    # The worker never adds to its cache at run time: only install() fills it.
    assert "cache.put" not in source and source.count("addAll") == 1
    csp = resp["Content-Security-Policy"]
    assert "worker-src 'self'" in csp and "manifest-src 'self'" in csp


def test_the_offline_page_is_public_and_the_same_signed_in_or_not(client, client_for):
    anonymous = client.get("/offline/")
    assert anonymous.status_code == 200
    assert "No connection" in anonymous.content.decode()
    signed_in = client_for("supporter").get("/offline/").content.decode()
    assert "Sign out" not in signed_in and "Inbox" not in signed_in
    assert 'href="tel:988"' in signed_in


def test_every_page_registers_the_worker_with_its_nonce(client):
    page = client.get(reverse("account_login"))
    nonce = re.search(r"'nonce-([^']+)'", page["Content-Security-Policy"]).group(1)
    assert f'data-sw="/sw.js" nonce="{nonce}"' in page.content.decode()


# --- The devices page -------------------------------------------------------------------------


def _form(label="Work phone"):
    _, p256dh, auth = browser_keys()
    return {
        "label": label,
        "endpoint": "https://push.example.test/abc",
        "p256dh": p256dh,
        "auth": b64url(auth),
    }


def test_the_devices_page_lists_only_ones_own(client_for, personas):
    device(personas["supporter"], label="Supporter phone")
    device(personas["coordinator"], label="Coordinator laptop")
    page = client_for("supporter").get(reverse("web:devices")).content.decode()
    assert "Supporter phone" in page and "Coordinator laptop" not in page
    assert 'data-vapid-key="' in page and "js/devices.js" in page


def test_adding_this_device(client_for, personas):
    resp = client_for("employee").post(reverse("web:devices"), _form())
    assert resp.status_code == 302
    added = PushSubscription.objects.get()
    assert added.user == personas["employee"] and added.label == "Work phone"
    event = AuditEvent.objects.get(action=AuditAction.PUSH_DEVICE_ADDED)
    assert "push.example.test" not in json.dumps(event.details)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"label": ""}, "This field is required"),
        ({"endpoint": ""}, "did not allow alerts"),
        ({"endpoint": "javascript:alert(1)"}, "not usable"),
        ({"p256dh": "short"}, "not usable"),
        ({"auth": "x" * 500}, "at most 100"),
    ],
)
def test_bad_input_changes_nothing_and_says_why(client_for, change, says):
    resp = client_for("employee").post(reverse("web:devices"), {**_form(), **change})
    assert resp.status_code == 400
    page = resp.content.decode()
    assert "Nothing was saved." in page and says in page
    assert not PushSubscription.objects.exists()


def test_without_a_vapid_key_the_page_says_push_is_off(client_for, settings):
    settings.VAPID_PRIVATE_KEY = ""
    page = client_for("employee").get(reverse("web:devices")).content.decode()
    assert "Push alerts are not set up on this service" in page
    assert "js/devices.js" not in page
    resp = client_for("employee").post(reverse("web:devices"), _form())
    assert resp.status_code == 400 and not PushSubscription.objects.exists()


def test_removing_ones_own_device(client_for, personas):
    own = device(personas["employee"])
    other = device(personas["coordinator"])
    client = client_for("employee")
    assert client.get(reverse("web:device_remove", args=[own.pk])).status_code == 200
    assert client.post(reverse("web:device_remove", args=[other.pk])).status_code == 404
    assert client.post(reverse("web:device_remove", args=[own.pk])).status_code == 302
    assert list(PushSubscription.objects.all()) == [other]
    assert AuditEvent.objects.filter(
        action=AuditAction.PUSH_DEVICE_REMOVED, target_id=str(own.pk), actor_id=own.user_id
    ).exists()


def test_a_test_alert_from_the_page_goes_to_that_device_and_nobody_else(client_for, personas):
    own = device(personas["employee"])
    other = device(personas["coordinator"])
    client = client_for("employee")
    assert client.post(reverse("web:device_test", args=[other.pk])).status_code == 404
    assert client.post(reverse("web:device_test", args=[own.pk])).status_code == 302
    [row] = Notification.objects.all()
    assert row.channel == Channel.PUSH and row.user == personas["employee"]
    assert row.address == str(own.pk)


def test_a_test_alert_to_an_unreachable_device_says_so(client_for, personas):
    own = device(personas["employee"])
    PushSubscription.objects.filter(pk=own.pk).update(active=False)
    resp = client_for("employee").post(reverse("web:device_test", args=[own.pk]), follow=True)
    assert "no longer receives alerts" in resp.content.decode()
    assert not Notification.objects.exists()


def test_the_apps_files_reach_an_account_still_setting_up_mfa(client_for, personas):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.filter(user=personas["coordinator"]).delete()
    client = client_for("coordinator")
    assert client.get(reverse("web:home")).status_code == 302  # sent to set up MFA
    for path in ("/sw.js", "/manifest.webmanifest", "/offline/"):
        assert client.get(path).status_code == 200, path
