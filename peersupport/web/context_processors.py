from django.conf import settings

from .navigation import nav_items


def navigation(request):
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated

    def escalations_waiting():
        """Open escalations this person was alerted about: the banner that stays on every page
        until one of them is acknowledged (one query, made only by pages that show it)."""
        from peersupport.confidentiality.selectors import banner_for

        return banner_for(user) if signed_in else []

    def nav():
        return nav_items(user, request.path) if signed_in else ""

    return {
        "nav_items": nav,
        "department_name": settings.DEPARTMENT_NAME,
        "escalations_waiting": escalations_waiting,
    }
