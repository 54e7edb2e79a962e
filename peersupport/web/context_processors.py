from functools import cache

from django.conf import settings
from django.middleware.csp import get_nonce
from django.templatetags.static import static
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django_htmx.jinja import htmx_script

from .banners import banners_for
from .navigation import address, nav_items

# The layout's own links (templates/base.html), by the name the template uses.
LAYOUT_LINKS = {
    "home": "web:home",
    "manifest": "web:manifest",
    "service_worker": "web:service_worker",
    "sign_out": "account_logout",
    "public_ask": "support:public_ask",
    "check": "support:check",
    "public_resources": "resources:public_list",
    "self_check": "resources:self_check",
}

# The layout's own files, by the name the template uses.
LAYOUT_STATIC = {
    "icon": "img/icon.svg",
    "touch_icon": "img/icon-180.png",
    "stylesheet": "css/site.css",
    "pwa_js": "js/pwa.js",
    "menu_js": "js/menu.js",
    "forms_js": "js/forms.js",
}


class LayoutLinks:
    """``{{ layout_links.home }}``: each address reversed once per process, where a ``{% url %}``
    tag reverses it again on every page (four to eight of them, about 0.3 ms a page). The same
    for the layout's files (``{% static %}`` looks each up in the manifest on every page).
    htmx's script tags (``{{ htmx_script }}``) are built once too, and given each response's
    nonce (``{% htmx_script %}`` built them on every page)."""

    def __getitem__(self, name: str) -> str:
        if name in LAYOUT_STATIC:
            return _static(LAYOUT_STATIC[name], settings.STATIC_URL)
        return address(LAYOUT_LINKS[name])


@cache
def _static(path: str, static_url: str) -> str:
    return static(path)


_NONCE = "csp-nonce-goes-here"


@cache
def _htmx_script(static_url: str, debug: bool) -> str:
    """``{% htmx_script %}``'s tags with a stand-in for the nonce, built once per process."""
    return str(htmx_script(nonce=_NONCE))


def _htmx_script_for(request) -> SafeString:
    """htmx's script tags with this response's nonce, as ``{% htmx_script %}`` gives them."""
    nonce = get_nonce(request)
    if nonce is None:  # no policy on this response
        return htmx_script()
    return mark_safe(  # noqa: S308 - the tags are django-htmx's, the nonce escaped
        _htmx_script(settings.STATIC_URL, settings.DEBUG).replace(_NONCE, escape(str(nonce)))
    )


_LAYOUT_LINKS = LayoutLinks()


def navigation(request):
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated

    def banners():
        """What waits for this person on every page (an escalation to acknowledge): asked only
        by pages that show the layout (web/banners.py)."""
        return banners_for(user) if signed_in else []

    def nav():
        return nav_items(user, request.path) if signed_in else ""

    return {
        "htmx_script": lambda: _htmx_script_for(request),
        "nav_items": nav,
        "department_name": settings.DEPARTMENT_NAME,
        "banners": banners,
        "layout_links": _LAYOUT_LINKS,
    }
