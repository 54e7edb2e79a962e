from django.urls import path

from . import views

app_name = "governance"

urlpatterns = [
    path("", views.policy_list, name="list"),
    path("current/", views.current_policy, name="current"),
    path("acknowledge/", views.acknowledge, name="acknowledge"),
    path("acknowledgements/", views.acknowledgements, name="acknowledgements"),
    path("<slug:kind>/new/", views.draft, name="draft"),
    path("versions/<int:version_id>/", views.version_detail, name="version"),
    path("versions/<int:version_id>/edit/", views.edit, name="edit"),
    path("versions/<int:version_id>/submit/", views.submit, name="submit"),
    path("versions/<int:version_id>/approve/", views.approve, name="approve"),
    path("versions/<int:version_id>/return/", views.return_version, name="return"),
]
