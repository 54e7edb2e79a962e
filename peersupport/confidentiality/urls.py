from django.urls import path

from . import views

app_name = "confidentiality"

urlpatterns = [
    path("escalations/", views.escalation_list, name="escalation_list"),
    path("escalations/<uuid:public_id>/", views.escalation_detail, name="escalation"),
    path(
        "escalations/<uuid:public_id>/acknowledge/",
        views.escalation_acknowledge,
        name="acknowledge",
    ),
    path("escalations/<uuid:public_id>/resolve/", views.escalation_resolve, name="resolve"),
    path("raise/request/<int:request_id>/", views.raise_for_request, name="raise_for_request"),
    path("raise/contact/<int:contact_id>/", views.raise_for_contact, name="raise_for_contact"),
    path("duty/", views.duty_roster, name="duty"),
    path("duty/<int:assignment_id>/end/", views.duty_end, name="duty_end"),
]
