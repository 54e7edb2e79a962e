from django.conf import settings

from .banners import banners_for
from .navigation import nav_items


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
    }
