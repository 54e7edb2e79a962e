from django.conf import settings

from .navigation import nav_links


def navigation(request):
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated

    def escalations_waiting():
        """Open escalations this person was alerted about: the banner that stays on every page
        until one of them is acknowledged (one query, made only by pages that show it)."""
        from peersupport.confidentiality.selectors import waiting_for

        return list(waiting_for(user)[:5]) if signed_in else []

    return {
        "nav_links": nav_links(user) if user is not None else [],
        "department_name": settings.DEPARTMENT_NAME,
        "escalations_waiting": escalations_waiting,
    }
