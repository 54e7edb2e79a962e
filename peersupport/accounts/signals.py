"""Audit every sign-in, failed sign-in, sign-out, lockout, password and MFA change."""

from allauth.account.signals import password_changed, password_reset, password_set
from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from peersupport.audit.models import AuditAction, Outcome
from peersupport.audit.services import record

from .axes import get_username
from .models import User


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record(actor=user, action=AuditAction.LOGIN, target=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(actor=user, action=AuditAction.LOGOUT, target=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # The attempted login is not stored (it may be a mistyped password); only whether it names
    # an existing account, by id.
    username = get_username(request, credentials)
    user = User.objects.filter(email=username).only("pk").first() if username else None
    record(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        outcome=Outcome.FAILURE,
        target=user,
    )


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs):
    user = User.objects.filter(email=(username or "").lower()).only("pk").first()
    record(actor=None, action=AuditAction.LOCKOUT, outcome=Outcome.DENIED, target=user)


@receiver(password_changed)
@receiver(password_set)
@receiver(password_reset)
def _password_changed(sender, request, user, **kwargs):
    record(actor=user, action=AuditAction.PASSWORD_CHANGED, target=user)


@receiver(authenticator_added)
@receiver(authenticator_removed)
@receiver(authenticator_reset)
def _mfa_changed(sender, request, user, authenticator, **kwargs):
    record(
        actor=user,
        action=AuditAction.MFA_CHANGED,
        target=user,
        details={"type": authenticator.type},
    )
