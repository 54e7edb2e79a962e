from django.urls import path

from . import views

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
]
