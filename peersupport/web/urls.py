"""The kernel's pages. The people, units and roles pages keep the ``accounts`` namespace and the
audit viewer the ``audit`` namespace, as the project's URLs include them."""

from django.urls import path

from . import alert_settings, audit_log, metrics, people, pwa, roster_import, views, webhooks

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("alerts/", alert_settings.alert_settings, name="alert_settings"),
    path("find-person/", people.person_search, name="person_search"),
    # The installable app: at the root, so the service worker's scope is the whole site.
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
    path("devices/", pwa.devices, name="devices"),
    path("devices/<int:device_id>/remove/", pwa.device_remove, name="device_remove"),
    path("devices/<int:device_id>/test/", pwa.device_test, name="device_test"),
    # Webhooks to other systems (the system administrator's).
    path("webhooks/", webhooks.webhook_list, name="webhook_list"),
    path("webhooks/new/", webhooks.webhook_add, name="webhook_add"),
    path("webhooks/<int:endpoint_id>/", webhooks.webhook_edit, name="webhook_edit"),
    path("webhooks/<int:endpoint_id>/rotate/", webhooks.webhook_rotate, name="webhook_rotate"),
    path("webhooks/<int:endpoint_id>/delete/", webhooks.webhook_delete, name="webhook_delete"),
    path("webhooks/<int:endpoint_id>/test/", webhooks.webhook_test, name="webhook_test"),
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
        path("people/import/", roster_import.roster_import, name="roster_import"),
        path(
            "people/import/confirm/",
            roster_import.roster_import_confirm,
            name="roster_import_confirm",
        ),
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
