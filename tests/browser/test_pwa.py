"""The installed app in a real chromium: the service worker installs, a peer supporter works
through protected pages, and the worker's cache still holds only the offline page and static
files; offline, a navigation shows the offline page. axe on the devices and offline pages, and
neither scrolls sideways at 320 px. Adding a device goes through the page's own script to a
device row, and a push then reaches "the browser" the test plays."""

import base64
import json

from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from peersupport.notifications import services
from peersupport.notifications.messages import notify_message, site_link
from peersupport.notifications.models import PushSubscription
from peersupport.web.pwa import precache_urls

from ..matrix.support_supporter import held_request
from ..notifications.helpers import Browser
from ..servers import PushServer
from .axe import assert_accessible

SMALL = {"width": 320, "height": 640}

WORKER_READY = """async () => {
  const registration = await navigator.serviceWorker.ready;
  return registration.active ? registration.active.scriptURL : null;
}"""

CACHED = """async () => {
  const found = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      const url = new URL(request.url);
      found.push({url: url.pathname + url.search, text: await response.text()});
    }
  }
  return found;
}"""

WIDTHS = """() => ({
  scroll: document.documentElement.scrollWidth,
  client: document.documentElement.clientWidth,
})"""


def assert_fits_320(page) -> None:
    page.set_viewport_size(SMALL)
    widths = page.evaluate(WIDTHS)
    assert widths["client"] == SMALL["width"]
    assert widths["scroll"] <= widths["client"], (page.url, widths)


def test_the_worker_caches_nothing_a_supporter_saw_and_shows_the_offline_page(
    context, page, sign_in, personas, live_server
):
    supporter = personas["supporter"]
    request = held_request(supporter, name="Jordan Ames", best_times="weekday evenings")

    page.goto("/accounts/login/")
    assert page.evaluate(WORKER_READY) == f"{live_server.url}/sw.js"
    assert_accessible(page)

    sign_in("supporter")
    page.goto("/support/inbox/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your inbox")
    assert_accessible(page)
    page.goto(reverse("support:held", kwargs={"request_id": request.pk}))
    expect(page.get_by_text("Jordan Ames")).to_be_visible()
    assert_accessible(page)

    # The pages went through the worker (it controls them) and none of them was kept.
    assert page.evaluate("() => !!navigator.serviceWorker.controller")
    cached = page.evaluate(CACHED)
    assert sorted(entry["url"] for entry in cached) == sorted(precache_urls())
    for entry in cached:
        assert "Jordan Ames" not in entry["text"] and "weekday evenings" not in entry["text"]
        assert "Sign out" not in entry["text"], entry["url"]  # fetched without the session

    # The devices page: axe, and no sideways scroll on a small phone.
    page.goto("/devices/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alerts on your devices")
    expect(page.get_by_role("button", name="Get alerts on this device")).to_be_visible()
    assert_accessible(page)
    assert_fits_320(page)

    # Offline: any navigation, protected or not, shows the offline page from the cache.
    context.set_offline(True)
    for path in ("/support/inbox/", "/devices/"):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text("No connection")
        expect(page.get_by_text("Jordan Ames")).to_have_count(0)
        assert_accessible(page)
        assert_fits_320(page)
    context.set_offline(False)
    page.goto("/support/inbox/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your inbox")
    assert_accessible(page)


# The browser's push service cannot be reached from here, so the Push API's subscribe() is
# replaced, before the page's scripts run, by one that returns the subscription this test
# made as "the browser" (its own ECDH keys) and remembers the server key it was given.
FAKE_PUSH = """(subscription) => {
  PushManager.prototype.getSubscription = async function () { return null; };
  PushManager.prototype.subscribe = async function (options) {
    // Kept across the page load that follows (the form is posted).
    sessionStorage.setItem("subscribedWith", JSON.stringify({
      key: Array.from(new Uint8Array(options.applicationServerKey)),
      userVisibleOnly: options.userVisibleOnly,
    }));
    return { toJSON: () => subscription };
  };
}"""


def test_adding_this_device_subscribes_it_and_a_push_reaches_it(context, page, sign_in, personas):
    employee = personas["employee"]
    with PushServer() as push_service:
        browser = Browser(push_service.endpoint("chromium"))
        subscription = {
            "endpoint": browser.endpoint,
            "keys": {
                "p256dh": browser.p256dh,
                "auth": base64.urlsafe_b64encode(browser.auth).decode().rstrip("="),
            },
        }
        context.grant_permissions(["notifications"])
        context.add_init_script(f"({FAKE_PUSH})({json.dumps(subscription)})")
        sign_in("employee")

        page.goto("/devices/")
        expect(page.get_by_text("No devices yet")).to_be_visible()
        assert_accessible(page)
        # No name: the page says so, and nothing is added.
        with page.expect_navigation():
            page.get_by_role("button", name="Get alerts on this device").click()
        expect(page.locator("[data-error-summary]")).to_contain_text("Nothing was saved.")
        assert_accessible(page)
        assert not PushSubscription.objects.exists()

        page.get_by_label("Name this device").fill("My laptop")
        with page.expect_navigation():
            page.get_by_role("button", name="Get alerts on this device").click()
        expect(page.get_by_role("status")).to_contain_text("This device will get your")
        expect(page.get_by_role("heading", name="My laptop")).to_be_visible()
        assert_accessible(page)
        given = json.loads(page.evaluate("() => sessionStorage.getItem('subscribedWith')"))
        assert given["userVisibleOnly"] is True
        assert bytes(given["key"]) == base64.urlsafe_b64decode(settings.VAPID_PUBLIC_KEY + "=")
        [device] = PushSubscription.objects.all()
        assert device.user == employee and device.endpoint == browser.endpoint

        notify_message(
            key="followups:browser",
            user=employee,
            message="support/followups_due",
            n=1,
            link=site_link("support:inbox"),
        )
        services.deliver_due()
        [request] = push_service.requests
        assert browser.read(request)["path"] == reverse("support:inbox")


SHOWN = """async () => {
  const registration = await navigator.serviceWorker.ready;
  const shown = await registration.getNotifications();
  const out = shown.map((n) => ({title: n.title, body: n.body, data: n.data}));
  shown.forEach((n) => n.close());
  return out;
}"""


def _deliver_push(page, cdp, registration_id: str, data: dict) -> list[dict]:
    origin = page.evaluate("() => location.origin")
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": origin,
            "registrationId": registration_id,
            "data": json.dumps(data),
        },
    )
    # Up to 20 s: under a full parallel test run, Chromium's service worker took more than 5.
    for _ in range(200):
        shown = page.evaluate(SHOWN)
        if shown:
            return shown
        page.wait_for_timeout(100)
    raise AssertionError("the worker showed no notification")


def test_the_worker_shows_a_push_with_its_words_and_opens_only_a_path_of_this_site(context, page):
    """A push as the browser hands it to the worker (DevTools' deliverPushMessage): the
    notification shows the payload's fixed words and keeps only a path on this site."""
    context.grant_permissions(["notifications"])
    page.goto("/offline/")
    assert page.evaluate(WORKER_READY)
    assert_accessible(page)
    cdp = context.new_cdp_session(page)
    registrations = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    for _ in range(50):
        if registrations:
            break
        page.wait_for_timeout(100)
    registration_id = registrations[0]["registrationId"]

    title, body = "Something waits for you in Peer Support", "Open Peer Support to see it."
    [shown] = _deliver_push(
        page, cdp, registration_id, {"title": title, "body": body, "path": "/support/inbox/"}
    )
    assert shown == {"title": title, "body": body, "data": {"path": "/support/inbox/"}}
    # A path that would leave the site is replaced by the home page.
    for hostile in ("//evil.example/", "https://evil.example/", "javascript:alert(1)"):
        [shown] = _deliver_push(page, cdp, registration_id, {"title": title, "path": hostile})
        assert shown["data"] == {"path": "/"}, hostile
