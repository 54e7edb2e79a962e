"""/scim/v2/…: the SCIM 2.0 endpoint (scim.py). No trailing slashes: identity providers append
``/Users`` to the tenant URL as RFC 7644 writes it."""

from django.urls import path

from . import scim

app_name = "scim"

urlpatterns = [
    path("ServiceProviderConfig", scim.service_provider_config, name="service_provider_config"),
    path("Schemas", scim.schema_list, name="schemas"),
    path("Schemas/<str:schema_id>", scim.schema_detail, name="schema"),
    path("ResourceTypes", scim.resource_type_list, name="resource_types"),
    path("ResourceTypes/<str:name>", scim.resource_type_detail, name="resource_type"),
    path("Users", scim.users, name="users"),
    path("Users/<str:scim_id>", scim.user, name="user"),
    path("Groups", scim.groups, name="groups"),
    path("Groups/<str:scim_id>", scim.group, name="group"),
    # Anything else under /scim/v2/ is a SCIM 404, not the site's page.
    path("<path:rest>", scim.unknown, name="unknown"),
]
