from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.db.models import Q
from django.utils.crypto import salted_hmac

LOCK_PURPOSE = "peersupport.accounts.axes.lock"


def get_username(request, credentials) -> str:
    """The account a login attempt names, so that django-axes counts failures per account.

    allauth posts the e-mail as ``login`` and authenticates with ``email=``; Django's own forms
    use ``username``. Any address that can sign in to an account (its own, or another one added
    to it) counts as that account's e-mail; anything else is counted as typed, lower-cased.
    """
    value = ""
    if credentials:
        value = credentials.get("email") or credentials.get("username") or ""
    if not value and request is not None and request.method == "POST":
        value = request.POST.get("login", "")
    value = value.strip().lower()
    if not value:
        return value
    from .models import User

    owner = (
        User.objects.filter(Q(email=value) | Q(emailaddress__email=value))
        .order_by("pk")
        .values_list("email", flat=True)
        .first()
    )
    return owner or value


def lock_tag(username: str) -> str:
    """What axes stores for an account's lock count: an HMAC of its e-mail, never the e-mail.

    A copy of ``axes_accessattempt`` would otherwise list who mistyped a password here, and
    when; signing in to this site at all is sensitive for an employee. The key is derived from
    ``SECRET_KEY``, which is never in the database. Empty stays empty (axes ignores it).
    """
    if not username:
        return ""
    return "lock-" + salted_hmac(LOCK_PURPOSE, username, algorithm="sha256").hexdigest()[:40]


def get_lock_key(request, credentials) -> str:
    """AXES_USERNAME_CALLABLE: failures are counted per account, under an opaque tag."""
    return lock_tag(get_username(request, credentials))


def no_client_ip(request) -> None:
    """AXES_CLIENT_IP_CALLABLE: axes never learns where a sign-in came from.

    Accounts lock by username only (AXES_LOCKOUT_PARAMETERS), so the address is of no use to
    axes, and whatever it knows it would store (AccessAttempt.ip_address) and log.
    """
    return None


class BrowserlessDatabaseHandler(AxesDatabaseHandler):
    """axes' database handler, storing nothing about the browser.

    The lock is counted per account in ``AccessAttempt`` as before (shared by every application
    server, unlocked in the admin or by a password reset), but its rows carry no IP address
    (see ``no_client_ip``), no user agent, no Accept header and none of the submitted query or
    form data (a ``next`` URL can say which page someone was heading for). The access log of
    successful sign-ins is off (AXES_DISABLE_ACCESS_LOG); this handler does not rely on it.
    """

    @staticmethod
    def _forget_browser(request) -> None:
        if request is not None:
            request.axes_ip_address = None
            request.axes_user_agent = ""
            request.axes_http_accept = ""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        self._forget_browser(request)
        super().user_login_failed(sender, credentials, request, **kwargs)
        # axes copies request.GET and request.POST (passwords masked) into the row: empty them.
        AccessAttempt.objects.filter(~Q(get_data="") | ~Q(post_data="")).update(
            get_data="", post_data=""
        )

    def user_logged_in(self, sender, request, user, **kwargs):
        self._forget_browser(request)
        super().user_logged_in(sender, request, user, **kwargs)

    def user_logged_out(self, sender, request, user, **kwargs):
        self._forget_browser(request)
        super().user_logged_out(sender, request, user, **kwargs)
