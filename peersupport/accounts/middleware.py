from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from peersupport.tenancy import using_agency

from .agencies import default_agency
from .selectors import user_needs_mfa

SESSION_STARTED_KEY = "peersupport_session_started"
SESSION_RENEWED_KEY = "peersupport_session_renewed"
MFA_SEEN_KEY = "peersupport_mfa_seen"  # the renewal at which an authenticator was last seen

# Paths a person without MFA may still reach while setting it up (and the installable app's
# public files, which a browser fetches on every page: a redirect would break the worker).
_MFA_SETUP_PREFIXES = (
    "/accounts/",
    "/static/",
    "/healthz",
    "/sw.js",
    "/manifest.webmanifest",
    "/offline/",
)


class RequireMFAMiddleware:
    """Anyone holding a role beyond plain employee must have multi-factor authentication set up.
    Until they do, every page sends them to set up an authenticator app.

    The roles are checked on every request; whether an authenticator exists is checked again
    each time the session is renewed (SESSION_RENEW_SECONDS, a minute), not on every request:
    the session remembers the renewal at which it last saw one. Removing one's last
    authenticator therefore sends one to set up a new one within a minute."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(_MFA_SETUP_PREFIXES)
            and user_needs_mfa(user)
        ):
            session = request.session
            renewed = session.get(SESSION_RENEWED_KEY)
            if renewed is None or session.get(MFA_SEEN_KEY) != renewed:
                from allauth.mfa.models import Authenticator

                has_mfa = Authenticator.objects.filter(
                    user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
                ).exists()
                if not has_mfa:
                    session.pop(MFA_SEEN_KEY, None)
                    return redirect(reverse("mfa_activate_totp") + "?required=1")
                session[MFA_SEEN_KEY] = renewed
        return self.get_response(request)


class SessionLifetimeMiddleware:
    """A session lasts at most SESSION_ABSOLUTE_HOURS from sign-in, however active it is. The
    idle limit is the session's own expiry, renewed by a request when it was last renewed more
    than SESSION_RENEW_SECONDS ago (so the idle limit is exact to that many seconds, and a
    session is written once a minute at most instead of on every request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            now = timezone.now().timestamp()
            started = request.session.get(SESSION_STARTED_KEY)
            if started is None:
                request.session[SESSION_STARTED_KEY] = now
            elif now - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                messages.info(request, "Your session has ended. Please sign in again.")
                return redirect(f"{reverse('account_login')}?next={request.path}")
        session = request.session
        if session.session_key is not None:
            now = timezone.now().timestamp()
            if now - session.get(SESSION_RENEWED_KEY, 0) >= settings.SESSION_RENEW_SECONDS:
                session[SESSION_RENEWED_KEY] = now  # saved with a new expiry
        return self.get_response(request)


class AgencyMiddleware:
    """``request.agency`` is the agency the request works for, and the rest of the request runs
    inside ``tenancy.using_agency`` of it (docs/design/agencies.md §2.1). Right after
    AuthenticationMiddleware, so that everything after it, the views included, has an agency.

    Step 1: always the default agency, and lazily: the middleware itself asks the database
    nothing. The first reader in a process loads it once (accounts/agencies.py keeps it until
    the process ends: it cannot change without a restart until step 5). Note that a streaming
    response's body is produced after this middleware returns, outside the agency."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.agency = SimpleLazyObject(default_agency)
        with using_agency(request.agency):
            return self.get_response(request)
