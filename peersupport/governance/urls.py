from django.urls import path

from . import views

app_name = "governance"

urlpatterns = [
    path("", views.policy_list, name="list"),
    path("current/", views.current_policy, name="current"),
    path("acknowledge/", views.acknowledge, name="acknowledge"),
    path("acknowledgements/", views.acknowledgements, name="acknowledgements"),
    path(
        "acknowledgements/remind/",
        views.acknowledgements_remind,
        name="acknowledgements_remind",
    ),
    path("notice.pdf", views.notice_pdf, name="notice_pdf"),
    # Before "<slug:kind>/new/", which would take "categories/new/" for a document kind.
    path("categories/", views.category_list, name="categories"),
    path("categories/new/", views.category_create, name="category_create"),
    path("categories/<int:category_id>/edit/", views.category_edit, name="category_edit"),
    path("categories/<int:category_id>/retire/", views.category_retire, name="category_retire"),
    path("categories/<int:category_id>/restore/", views.category_restore, name="category_restore"),
    path("<slug:kind>/new/", views.draft, name="draft"),
    path("versions/<int:version_id>/", views.version_detail, name="version"),
    path("versions/<int:version_id>/pdf/", views.version_pdf, name="version_pdf"),
    path("versions/<int:version_id>/edit/", views.edit, name="edit"),
    path("versions/<int:version_id>/submit/", views.submit, name="submit"),
    path("versions/<int:version_id>/approve/", views.approve, name="approve"),
    path("versions/<int:version_id>/return/", views.return_version, name="return"),
]
