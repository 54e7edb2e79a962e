from django.urls import path

from . import views

app_name = "resources"

urlpatterns = [
    path("", views.resource_list, name="list"),
    path("<int:resource_id>/", views.resource_detail, name="detail"),
    path("public/", views.public_list, name="public_list"),
    path("public/<int:resource_id>/", views.public_detail, name="public_detail"),
    path("self-check/", views.self_check, name="self_check"),
    path("new/", views.resource_create, name="create"),
    path("retired/", views.retired_list, name="retired"),
    path("<int:resource_id>/edit/", views.resource_edit, name="edit"),
    path("<int:resource_id>/retire/", views.resource_retire, name="retire"),
    path("<int:resource_id>/restore/", views.resource_restore, name="restore"),
]
