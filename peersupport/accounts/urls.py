from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("roles/", views.role_list, name="role_list"),
    path("roles/<int:grant_id>/revoke/", views.role_revoke, name="role_revoke"),
    path("units/", views.unit_list, name="unit_list"),
    path("units/new/", views.unit_edit, name="unit_create"),
    path("units/<int:unit_id>/", views.unit_edit, name="unit_edit"),
    path("people/", views.employee_list, name="employee_list"),
    path("people/new/", views.employee_edit, name="employee_create"),
    path("people/<int:employee_id>/", views.employee_edit, name="employee_edit"),
]
