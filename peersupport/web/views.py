from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from peersupport.accounts.permissions import public, signed_in

from .navigation import home_sections


@signed_in
@require_GET
def home(request):
    return render(request, "web/home.html", {"sections": home_sections(request.user)})


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
