from django.conf import settings

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


class LayoutLinks:
    """``{{ layout_links.home }}``: each address reversed once per process, where a ``{% url %}``
    tag reverses it again on every page (four to eight of them, about 0.3 ms a page)."""

    def __getitem__(self, name: str) -> str:
        return address(LAYOUT_LINKS[name])


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
        "nav_items": nav,
        "department_name": settings.DEPARTMENT_NAME,
        "banners": banners,
        "layout_links": _LAYOUT_LINKS,
    }
