"""The kernel's pages. The people, units and roles pages keep the ``accounts`` namespace and the
audit viewer the ``audit`` namespace, as the project's URLs include them."""

from django.urls import path

from . import alert_settings, audit_log, people, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("alerts/", alert_settings.alert_settings, name="alert_settings"),
]

accounts_patterns = (
    [
        path("profile/", people.profile, name="profile"),
        path("roles/", people.role_list, name="role_list"),
        path("roles/<int:grant_id>/revoke/", people.role_revoke, name="role_revoke"),
        path("roles/waiting/", people.role_requests, name="role_requests"),
        path(
            "roles/waiting/<int:request_id>/",
            people.role_request_decide,
            name="role_request_decide",
        ),
        path("units/", people.unit_list, name="unit_list"),
        path("units/new/", people.unit_edit, name="unit_create"),
        path("units/<int:unit_id>/", people.unit_edit, name="unit_edit"),
        path("people/", people.employee_list, name="employee_list"),
        path("people/new/", people.employee_edit, name="employee_create"),
        path("people/<int:employee_id>/", people.employee_edit, name="employee_edit"),
    ],
    "accounts",
)

audit_patterns = (
    [
        path("audit/", audit_log.event_list, name="event_list"),
        path("audit/by-day/", audit_log.by_day, name="by_day"),
    ],
    "audit",
)
