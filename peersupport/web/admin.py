"""The administration site, for the system administrator only.

It shows the apps that hold no protected content: accounts and organisation, lockouts and
e-mail addresses. Anything confidential is never registered here (nor are MFA secrets or
single sign-on tokens), so that the person who runs the service cannot read it. Sign-in and
password changes go through the site's own pages, so the admin is behind the same MFA.
"""

from django.contrib import admin
from django.contrib.auth.models import Group
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from peersupport.accounts.models import ADMIN_APPS, Role

__all__ = ["ADMIN_APPS"]


def _has_permission(request):
    user = request.user
    return user.is_active and user.is_authenticated and Role.SYSADMIN in user.roles


def _login(request, extra_context=None):
    """Send the admin's own (password-only) sign-in to the site's sign-in with MFA."""
    target = request.GET.get("next", reverse("admin:index"))
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("admin:index")
    if request.user.is_authenticated:
        # Signed in but not a system administrator: nothing here for them.
        return redirect("web:home")
    return redirect(f"{reverse('account_login')}?next={target}")


def _password_change(request, extra_context=None):
    return redirect("account_change_password")


def _logout(request, extra_context=None):
    return redirect("account_logout")


admin.site.has_permission = _has_permission
admin.site.login = _login
admin.site.password_change = _password_change
admin.site.logout = _logout
admin.site.site_header = "Peer Support administration"
admin.site.site_title = "Peer Support administration"
admin.site.index_title = "Service administration"
admin.site.enable_nav_sidebar = False


def _lockout_admin():
    """axes' admin for lock counts, showing the account, when and how many failures only.

    axes' own shows (and searches) the IP address, user agent and form data too; they are never
    stored (accounts/axes.py), and the columns are not shown either. The account is stored as an
    opaque tag (accounts/axes.py ``lock_tag``): search by the account's e-mail address to find
    its row, hashed the same way. Deleting a row unlocks the account.
    """
    from axes.admin import AccessAttemptAdmin, IsLockedOutFilter

    from peersupport.accounts.axes import lock_tag

    class LockoutAdmin(AccessAttemptAdmin):
        list_display = ["attempt_time", "username", "failures_since_start", "status"]
        list_filter = ["attempt_time", IsLockedOutFilter]
        search_fields = ["username"]
        fieldsets = ((None, {"fields": ("username", "attempt_time", "failures_since_start")}),)
        readonly_fields = ["username", "attempt_time", "failures_since_start"]

        def get_search_results(self, request, queryset, search_term):
            term = search_term.strip().lower()
            if not term:
                return queryset, False
            return queryset.filter(username__in={term, lock_tag(term)}), False

    return LockoutAdmin


def _unregister_sensitive():
    """Third-party apps register admins we do not want: MFA secrets, SSO client secrets and
    tokens, task payloads, groups (roles are RoleGrant rows, not groups), and axes' logs of
    sign-ins (switched off: who signed in, from where, with which browser)."""
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialApp, SocialToken
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_tasks_db.models import DBTaskResult

    for model in (
        Group,
        Authenticator,
        SocialApp,
        SocialToken,
        DBTaskResult,
        AccessLog,
        AccessFailureLog,
        AccessAttempt,
    ):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
    admin.site.register(AccessAttempt, _lockout_admin())
