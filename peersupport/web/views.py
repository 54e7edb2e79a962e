from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import public, signed_in

from .navigation import home_cards, home_sections
from .waiting import waiting_for


@signed_in
@require_GET
def home(request):
    user = request.user
    sections = home_sections(user)
    return render(
        request,
        "web/home.html",
        {
            "sections": sections,
            "cards": home_cards(user),
            "waiting": waiting_for(user),
            # Anyone with a role beyond employee has work to look for; an employee sees the
            # list only when something waits (an invitation to serve).
            "staff": any(section["role"] != Role.EMPLOYEE for section in sections),
        },
    )


@public
@never_cache
@require_GET
def healthz(request):
    """Liveness and database check for load balancers. Says nothing else about the service."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    # No context processors that touch the database: the database may be why we are here.
    return HttpResponseServerError(loader.get_template("500.html").render())
