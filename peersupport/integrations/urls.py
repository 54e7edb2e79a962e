from django.urls import path

from . import views

app_name = "integrations"

urlpatterns = [
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/new/", views.token_add, name="token_add"),
    path("tokens/<int:token_id>/made/", views.token_made, name="token_made"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
