from django.conf import settings

from .navigation import nav_links


def navigation(request):
    return {
        "nav_links": nav_links(request.user) if hasattr(request, "user") else [],
        "department_name": settings.DEPARTMENT_NAME,
    }
