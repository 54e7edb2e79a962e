from django.contrib import admin
from django.urls import include, path, re_path

from peersupport.accounts import saml
from peersupport.integrations import api as integrations_api
from peersupport.web import urls as web_urls
from peersupport.web import views as web_views

urlpatterns = [
    path("", include("peersupport.web.urls")),
    path("", include(web_urls.accounts_patterns)),
    path("", include(web_urls.audit_patterns)),
    path("supporters/", include("peersupport.roster.urls")),
    path("selection/", include("peersupport.selection.urls")),
    path("resources/", include("peersupport.resources.urls")),
    path("support/", include("peersupport.support.urls")),
    path("policy/", include("peersupport.governance.urls")),
    path("committee/", include("peersupport.committee.urls")),
    path("confidentiality/", include("peersupport.confidentiality.urls")),
    path("releases/", include("peersupport.releases.urls")),
    path("outreach/", include("peersupport.outreach.urls")),
    path("cism/", include("peersupport.cism.urls")),
    path("training/", include("peersupport.training.urls")),
    path("reports/", include("peersupport.reports.urls")),
    path("calendars/", include("peersupport.calendars.urls")),
    # Two of allauth's SAML views, refusing what would otherwise be a 500 (accounts/saml.py).
    re_path(r"^accounts/saml/(?P<organization_slug>[^/]+)/", include(saml.urlpatterns)),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("scim/v2/", include("peersupport.integrations.scim_urls")),
    path("integrations/", include("peersupport.integrations.urls")),
    path(integrations_api.PREFIX, integrations_api.urls()),
]

handler403 = web_views.error_403
handler404 = web_views.error_404
handler500 = web_views.error_500
