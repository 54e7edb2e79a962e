"""Alerts about guarded accounts (peersupport/accounts/alerts.py), sent here because
notifications sit above accounts. Content-free: they say that something changed or waits and
link to where to look; no names, no roles, no addresses."""

from django.dispatch import receiver

from peersupport.accounts import alerts
from peersupport.accounts.models import Role
from peersupport.accounts.selectors import role_holders
from peersupport.notifications.messages import notify_message, render_message, site_link
from peersupport.notifications.models import Channel
from peersupport.notifications.services import notification_queue

WHAT = {
    alerts.ROLE_REQUESTED: "A role was asked for",
    alerts.ROLE_GRANTED: "A role was granted",
    alerts.MFA_CHANGED: "The second factor (multi-factor authentication) changed",
    alerts.EMAIL_CHANGED: "An e-mail address changed",
    alerts.PASSWORD_CHANGED: "The password changed",
}


@receiver(alerts.grant_waiting, dispatch_uid="web-grant-waiting")
def _grant_waiting(sender, grant_request, approvers, **kwargs):
    for approver in approvers:
        notify_message(
            key=f"accounts:grant_waiting:{grant_request.pk}:{approver.pk}",
            user=approver,
            message="accounts/grant_waiting",
            link=site_link("accounts:role_requests"),
        )


@receiver(alerts.account_changed, dispatch_uid="web-account-changed")
def _account_changed(sender, user, change, ref, old_email="", **kwargs):
    what = WHAT[change]
    key = f"accounts:{change}:{user.pk}:{ref}"
    notify_message(
        key=f"{key}:{user.pk}",
        user=user,
        message="accounts/your_account_changed",
        what=what,
        link=site_link("accounts:profile"),
    )
    if old_email and old_email != user.email:
        # The address it had: a takeover changes the address first, so tell the old one too.
        subject, body = render_message(
            "accounts/your_account_changed", what=what, link=site_link("accounts:profile")
        )
        notification_queue(
            key=f"{key}:old",
            user=user,
            channel=Channel.EMAIL,
            subject=subject,
            body=body,
            topic="accounts",
            address=old_email,
        )
    for manager in role_holders(Role.BHS_MANAGER):
        if manager.pk == user.pk:
            continue
        notify_message(
            key=f"{key}:{manager.pk}",
            user=manager,
            message="accounts/account_changed",
            what=what,
            link=site_link("audit:event_list"),
        )
