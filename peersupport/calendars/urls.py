from django.urls import path

from . import views

app_name = "calendars"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("<slug:kind>/reset/", views.reset, name="reset"),
    path("<slug:kind>/revoke/", views.revoke, name="revoke"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
]
