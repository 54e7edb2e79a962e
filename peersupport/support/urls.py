from django.urls import path

from . import views

app_name = "support"

urlpatterns = [
    path("ask/", views.ask, name="ask"),
    path("mine/", views.my_requests, name="my_requests"),
    path("mine/<uuid:public_id>/", views.my_request, name="my_request"),
    path("public/ask/", views.public_ask, name="public_ask"),
    path("public/codename/", views.codename, name="codename"),
    path("public/check/", views.check, name="check"),
    path("public/status/", views.status, name="status"),
    path("public/leave/", views.leave, name="leave"),
]

try:  # the supporter's and coordinator's pages, in their own module
    from .urls_supporter import supporter_urlpatterns
except ImportError:  # pragma: no cover - until that module exists
    supporter_urlpatterns = []
urlpatterns += supporter_urlpatterns
