"""The installed app in a real chromium: the service worker installs, a peer supporter works
through protected pages, and the worker's cache still holds only the offline page and static
files; offline, a navigation shows the offline page. axe on the devices and offline pages, and
neither scrolls sideways at 320 px."""

from django.urls import reverse
from playwright.sync_api import expect

from peersupport.web.pwa import precache_urls

from ..matrix.support_supporter import held_request
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
