from django.urls import path

from . import views, views_person

app_name = "releases"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("accounting/", views.accounting, name="accounting"),
    path("request/<int:request_id>/", views.for_request, name="for_request"),
    path("request/<int:request_id>/new/", views.create, name="create"),
    path("<int:release_id>/", views.detail, name="detail"),
    path("<int:release_id>/pdf/", views.pdf, name="pdf"),
    path("<int:release_id>/signature/", views.signature, name="signature"),
    path("<int:release_id>/disclose/", views.disclose, name="disclose"),
    path("<int:release_id>/revoke/", views.revoke, name="revoke"),
    path("<int:release_id>/end/", views.end, name="end"),
    # The person's own, from their request page (with their account or their codename).
    path("mine/<int:release_id>/pdf/", views_person.mine_pdf, name="mine_pdf"),
    path("mine/<int:release_id>/revoke/", views_person.mine_revoke, name="mine_revoke"),
    path("codename/<int:release_id>/pdf/", views_person.codename_pdf, name="codename_pdf"),
    path("codename/<int:release_id>/revoke/", views_person.codename_revoke, name="codename_revoke"),
]
