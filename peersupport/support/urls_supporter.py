"""The supporter's and the coordinator's pages, included by urls.py (app "support")."""

from django.urls import path

from . import views_coordinator, views_supporter

supporter_urlpatterns = [
    path("inbox/", views_supporter.inbox, name="inbox"),
    path("inbox/debrief/", views_supporter.debrief_ask, name="debrief_ask"),
    path("offers/<int:offer_id>/", views_supporter.offer_answer, name="offer_answer"),
    path("held/<int:request_id>/", views_supporter.held, name="held"),
    path("held/<int:request_id>/close/", views_supporter.held_close, name="held_close"),
    path(
        "held/<int:request_id>/contact/",
        views_supporter.contact_for_request,
        name="contact_for_request",
    ),
    path("contacts/new/", views_supporter.contact_new, name="contact_new"),
    path("followups/<int:followup_id>/done/", views_supporter.followup_done, name="followup_done"),
    path("overview/", views_coordinator.overview, name="overview"),
    path("overview/overdue/", views_coordinator.overdue, name="overdue"),
    path(
        "overview/debriefs/<int:debrief_id>/handled/",
        views_coordinator.debrief_handled,
        name="debrief_handled",
    ),
]
