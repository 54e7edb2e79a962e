"""The installable web app: its manifest, its service worker, the offline page, and the devices
page where a person adds the browsers and phones that get push alerts.

The service worker (``templates/web/sw.js``) is served from the site root so that its scope is
the whole site, and keeps in its cache only the offline page and the static files listed in
``precache_urls()``: never a page, never anything a signed-in person sees (docs/threat-model.md,
"The installed app").
"""

import hashlib
import json

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from peersupport.accounts.permissions import public, signed_in
from peersupport.notifications import push

from .forms import apply_service_errors, page_status

# The stylesheet's --brand (tests/web/test_pwa.py holds the two together).
THEME_COLOR = "#1d4e89"
BACKGROUND_COLOR = "#f3f5f8"  # the stylesheet's --wash


def precache_urls() -> list[str]:
    """Everything the service worker may keep: the offline page and the static files it shows
    (stylesheet, icons, the registration script). Nothing else is ever cached."""
    return [
        reverse("web:offline"),
        static("css/site.css"),
        static("img/icon.svg"),
        static("img/icon-192.png"),
        static("img/icon-512.png"),
        static("js/pwa.js"),
    ]


@public
@require_GET
def manifest(request):
    data = {
        "id": "/",
        "name": "Peer Support",
        "short_name": "Peer Support",
        "description": f"{settings.DEPARTMENT_NAME} Peer Support Program",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": [
            {"src": static("img/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("img/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = HttpResponse(
        json.dumps(data, indent=2), content_type="application/manifest+json; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache"
    return response


@public
@require_GET
def service_worker(request):
    urls = precache_urls()
    # A new stylesheet or icon (new hashed names) or a renamed department (on the offline page)
    # makes a new worker, which fetches everything again and drops the old cache.
    version = hashlib.sha256("\n".join([*urls, settings.DEPARTMENT_NAME]).encode()).hexdigest()[:16]
    response = render(
        request,
        "web/sw.js",
        {
            "precache_json": json.dumps(urls),
            "offline_json": json.dumps(reverse("web:offline")),
            "icon_json": json.dumps(static("img/icon-192.png")),
            "version_json": json.dumps(f"peersupport-{version}"),
        },
        content_type="text/javascript; charset=utf-8",
    )
    # Browsers check for a new worker on every navigation; never let a cache answer for it.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@public
@require_GET
def offline(request):
    """What the installed app shows when the network is gone. Public and the same for everyone:
    the service worker fetches it without cookies and keeps it."""
    return render(request, "web/offline.html", {"department_name": settings.DEPARTMENT_NAME})


# --- The devices page -------------------------------------------------------------------------


class DeviceForm(forms.Form):
    label = forms.CharField(
        label="Name this device",
        max_length=60,
        help_text="So you can tell your devices apart, for example “Work phone”.",
    )
    # Filled in by static/js/devices.js from the browser's push subscription.
    endpoint = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)
    p256dh = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)
    auth = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)

    def clean(self):
        data = super().clean()
        if not (data.get("endpoint") and data.get("p256dh") and data.get("auth")):
            raise ValidationError(
                "This browser did not allow alerts, or cannot receive them. Allow notifications "
                "for this site in the browser's settings and try again."
            )
        return data


def _devices_page(request, form):
    return render(
        request,
        "web/devices.html",
        {
            "form": form,
            "devices": push.devices_of(request.user),
            "push_on": push.is_configured(),
            "vapid_public_key": settings.VAPID_PUBLIC_KEY,
        },
        status=page_status(request),
    )


@signed_in
@require_http_methods(["GET", "POST"])
def devices(request):
    form = DeviceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            push.device_add(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "This device will get your Peer Support alerts.")
            return redirect("web:devices")
    return _devices_page(request, form)


@signed_in
@require_http_methods(["GET", "POST"])
def device_remove(request, device_id: int):
    """GET asks for confirmation; POST removes."""
    device = push.device_of(user=request.user, device_id=device_id)
    if request.method == "GET":
        return render(request, "web/device_remove.html", {"device": device})
    push.device_remove(actor=request.user, device=device)
    messages.success(request, "The device was removed. It gets no more alerts.")
    return redirect("web:devices")


@signed_in
@require_http_methods(["GET", "POST"])
def device_test(request, device_id: int):
    """GET asks for confirmation; POST sends one test alert to that device."""
    device = push.device_of(user=request.user, device_id=device_id)
    if request.method == "GET":
        return render(request, "web/device_test.html", {"device": device})
    try:
        push.device_test(actor=request.user, device=device)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "A test alert is on its way to that device.")
    return redirect("web:devices")
