"""SAML 2.0 sign-on: allauth's provider, with what it leaves to the service.

python3-saml checks a response's signature, audience, destination, recipient and validity
times (allauth runs it in strict mode, and settings.saml_providers asks for signed assertions);
allauth checks that it answers a request this browser started. What neither does is remember
the responses already used: here each response and assertion id is accepted once, for as long
as the assertion could otherwise be accepted, in the cache every process shares. A refusal is
allauth's authentication error page, never a 500.
"""

import logging
import time

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.providers.saml.provider import SAMLProvider
from allauth.socialaccount.providers.saml.utils import (
    build_saml_config,
    fetch_metadata_url_config,
)
from allauth.socialaccount.providers.saml.views import FinishACSView, MetadataView, SLSView
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import path
from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants

from .permissions import public

logger = logging.getLogger(__name__)

# python3-saml accepts an assertion up to this long after its NotOnOrAfter (clock drift).
ALLOWED_CLOCK_DRIFT = OneLogin_Saml2_Constants.ALLOWED_CLOCK_DRIFT
# An assertion that names no end (none of the identity providers we document does that) is
# remembered for a day.
UNBOUNDED_SECONDS = 24 * 3600


def _remember_once(auth) -> bool:
    """True the first time this response and its assertion are seen; False for a replay."""
    not_on_or_after = auth.get_last_assertion_not_on_or_after()
    if not_on_or_after:
        # At most a day: an identity provider's far-off end (year 9999) would overflow the
        # cache's expiry date, a 500; no sign-on takes a day to post back.
        seconds = min(max(int(not_on_or_after - time.time()), 0), UNBOUNDED_SECONDS)
        seconds += ALLOWED_CLOCK_DRIFT
    else:
        seconds = UNBOUNDED_SECONDS
    ids = [auth.get_last_message_id(), auth.get_last_assertion_id()]
    # add() is an insert that fails on an existing key, so two processes cannot both win.
    fresh = [cache.add(f"saml-seen:{i}", True, seconds) for i in ids if i]
    return bool(fresh) and all(fresh)


def metadata_unusable(provider) -> bool:
    """Whether the identity provider's metadata (SAML_IDP_METADATA_URL) cannot be had now.
    Fetched, then kept in the cache for four hours, before anything reads it: otherwise an
    unreachable or unreadable document is a 500 wherever the configuration is built (urllib's
    errors, python3-saml's bare Exception for XML that describes no identity provider, a
    KeyError when it does not describe SAML_IDP_ENTITY_ID)."""
    idp = provider.app.settings["idp"]
    if not idp.get("metadata_url"):
        return False
    try:
        fetch_metadata_url_config(idp)["idp"]
    except Exception:
        logger.exception("SAML sign-on: the identity provider's metadata is unusable")
        return True
    return False


METADATA_UNUSABLE = "metadata unusable"


class DepartmentSAMLProvider(SAMLProvider):
    # Its URLs are allauth's own (allauth looks for a `urls` module beside the provider's class).
    package = "allauth.socialaccount.providers.saml"

    def refusal(self, request, reason: str):
        logger.warning("SAML sign-on refused: %s", reason)
        return ImmediateHttpResponse(
            render_authentication_error(request, self, extra_context={"saml_errors": [reason]})
        )

    def sociallogin_from_response(self, request, response):
        if not _remember_once(response):
            raise self.refusal(request, "replayed response")
        try:
            return super().sociallogin_from_response(request, response)
        except ValueError:  # neither the uid attribute nor a NameID names the person
            raise self.refusal(request, "no subject") from None

    def unstash_redirect_state(self, request, state_id):
        # A response to a request this browser did not start (or started too long ago).
        try:
            return super().unstash_redirect_state(request, state_id)
        except PermissionDenied:
            raise self.refusal(request, "unknown InResponseTo") from None

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        if metadata_unusable(self):
            raise self.refusal(request, METADATA_UNUSABLE)
        return super().redirect(request, process, next_url, data, **kwargs)


class FinishACS(FinishACSView):
    """allauth's second step of the assertion consumer service, where the posted response is
    read. python3-saml parses it before checking anything: a body that is empty or not XML
    (lxml's XMLSyntaxError), or XML with a DTD or entities (defusedxml's ValueError), escapes
    allauth's handling as a 500. Here it is the authentication error page like any other bad
    response."""

    def dispatch(self, request, organization_slug):
        provider = self.get_provider(organization_slug)
        if metadata_unusable(provider):
            raise provider.refusal(request, METADATA_UNUSABLE)
        try:
            return super().dispatch(request, organization_slug)
        except (etree.XMLSyntaxError, ValueError):
            # (allauth's own flow turns its ValueErrors into pages before they get here)
            provider = self.get_provider(organization_slug)
            raise provider.refusal(request, "unreadable response") from None


finish_acs = public(FinishACS.as_view())


class SingleLogout(SLSView):
    """allauth's single logout service. python3-saml answers a provider's logout request at the
    provider's own logout URL, and fails with a 500 (after ending the session) when it has none:
    SAML_IDP_SSO_URL configured without SAML_IDP_SLO_URL, or metadata naming none. Such a
    request is refused here instead, and the session stays."""

    def dispatch(self, request, organization_slug):
        provider = self.get_provider(organization_slug)
        if metadata_unusable(provider):
            return HttpResponse(
                "The identity provider's metadata cannot be read just now.",
                content_type="text/plain",
                status=503,
            )
        if "SAMLRequest" in request.GET:
            config = build_saml_config(request, provider.app.settings, organization_slug)
            if not config["idp"].get("singleLogoutService", {}).get("url"):
                return HttpResponse(
                    "This identity provider has no single logout URL configured.",
                    content_type="text/plain",
                    status=400,
                )
        return super().dispatch(request, organization_slug)


single_logout = public(SingleLogout.as_view())


class Metadata(MetadataView):
    """allauth's service provider metadata, which is built with the identity provider's: a 503
    saying so while that cannot be read, not a 500."""

    def dispatch(self, request, organization_slug):
        if metadata_unusable(self.get_provider(organization_slug)):
            return HttpResponse(
                "The identity provider's metadata cannot be read just now.",
                content_type="text/plain",
                status=503,
            )
        return super().dispatch(request, organization_slug)


metadata = public(Metadata.as_view())

# Routed in front of allauth's own under the same names (peersupport/urls.py).
urlpatterns = [
    path("acs/finish/", finish_acs, name="saml_finish_acs"),
    path("sls/", single_logout, name="saml_sls"),
    path("metadata/", metadata, name="saml_metadata"),
]
