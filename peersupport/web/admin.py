"""The administration site, for the system administrator only.

It shows the apps that hold no protected content: accounts and organisation, lockouts, e-mail
addresses, single sign-on apps and background tasks. Anything confidential is never registered
here, so that the person who runs the service cannot read it.
"""

from django.contrib import admin

ADMIN_APPS = frozenset({"accounts", "axes", "account", "socialaccount", "django_tasks_db"})


def _has_permission(request):
    from peersupport.accounts.models import Role

    user = request.user
    return user.is_active and user.is_authenticated and Role.SYSADMIN in user.roles


admin.site.has_permission = _has_permission
admin.site.site_header = "Peer Support administration"
admin.site.site_title = "Peer Support administration"
admin.site.index_title = "Service administration"
