from django.urls import path

from . import views

app_name = "roster"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("<int:profile_id>/", views.detail, name="detail"),
    path("<int:profile_id>/photo/", views.photo, name="photo"),
    path("me/", views.mine, name="mine"),
    path("me/setup/", views.setup, name="setup"),
    path("me/availability/", views.set_availability, name="set_availability"),
    path("me/profile/", views.edit_profile, name="edit_profile"),
    path("me/shifts/", views.add_shift, name="add_shift"),
    path("me/shifts/<int:shift_id>/remove/", views.remove_shift, name="remove_shift"),
    path("roster/", views.manage, name="manage"),
    path("roster/<int:profile_id>/status/", views.set_status, name="set_status"),
    path("roster/<int:profile_id>/activate/", views.activate, name="activate"),
]
