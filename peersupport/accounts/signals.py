"""Audit sign-ins, failed sign-ins, sign-outs, lockouts, password and MFA changes.

Audit details hold kinds and ids only: never a password, a code, or the text typed as login
(people sometimes type their password there).

A plain employee's sign-in and sign-out are not recorded at all: an employee signs in to ask
for help, and a time of sign-in next to the time a request was made would name the requester
(docs/operations.md, "Reading the audit log"). Sign-ins of accounts holding a program role are
recorded. Failed sign-ins, lockouts, password and MFA changes are recorded for everyone (they
are the trail of an attack on an account); the audit viewer never names a plain employee in
them.
"""

from allauth.account.authentication import get_authentication_records
from allauth.account.signals import (
    email_confirmed,
    password_changed,
    password_reset,
    password_set,
)
from allauth.mfa.signals import (
    authentication_failed,
    authenticator_added,
    authenticator_removed,
    authenticator_reset,
)
from axes.signals import user_locked_out
from axes.utils import reset as axes_reset
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from peersupport.audit.models import AuditAction, Outcome
from peersupport.audit.services import record

from .axes import get_username, lock_tag
from .models import GRANTABLE_ROLES, Employee, User


def _account_named(username: str) -> User | None:
    return User.objects.filter(email=username).only("pk").first() if username else None


def _holds_program_role(user: User) -> bool:
    """A role granted in the program (not only the derived employee or supervisor)."""
    return bool(user.roles & GRANTABLE_ROLES)


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    if not _holds_program_role(user):
        return  # a plain employee's sign-in is not recorded (see the module's docstring)
    # How the person proved who they are: password, mfa, socialaccount, ...
    methods = []
    if request is not None and hasattr(request, "session"):
        methods = [r.get("method", "") for r in get_authentication_records(request, user)]
    record(actor=user, action=AuditAction.LOGIN, target=user, details={"methods": methods})


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None and _holds_program_role(user):
        record(actor=user, action=AuditAction.LOGOUT, target=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # Only whether the attempt names an existing account, by id.
    record(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        outcome=Outcome.FAILURE,
        target=_account_named(get_username(request, credentials)),
        details={"step": "password"},
    )


@receiver(authentication_failed)
def _mfa_failed(sender, request, user, authenticator, reauthentication=False, **kwargs):
    record(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        outcome=Outcome.FAILURE,
        target=user,
        details={"step": "reauthentication" if reauthentication else "mfa"},
    )


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs):
    # Sent when the account locks, and again for each attempt refused while it is locked.
    record(
        actor=None,
        action=AuditAction.LOCKOUT,
        outcome=Outcome.DENIED,
        # axes passes its opaque lock tag: the account is named by what the request typed.
        target=_account_named(get_username(request, None)),
    )


@receiver(password_changed)
@receiver(password_set)
@receiver(password_reset)
def _password_changed(sender, request, user, **kwargs):
    record(actor=user, action=AuditAction.PASSWORD_CHANGED, target=user)


@receiver(password_reset)
def _unlock_after_reset(sender, request, user, **kwargs):
    # Resetting the password through the e-mailed link proves the mailbox is theirs: the
    # account is no longer locked by failures somebody else may have caused.
    axes_reset(username=lock_tag(user.email))


@receiver(authenticator_added)
@receiver(authenticator_removed)
@receiver(authenticator_reset)
def _mfa_changed(sender, request, user, authenticator, **kwargs):
    from .services import user_end_sessions

    record(
        actor=user,
        action=AuditAction.MFA_CHANGED,
        target=user,
        details={"type": authenticator.type},
    )
    # A changed second factor ends every other session of the account; this one stays.
    user_end_sessions(actor=user, user=user, reason="mfa changed", request=request)


@receiver(user_logged_in)
def _session_started(sender, request, user, **kwargs):
    from .middleware import SESSION_STARTED_KEY

    if request is not None and hasattr(request, "session"):
        from django.utils import timezone

        request.session[SESSION_STARTED_KEY] = timezone.now().timestamp()


@receiver(email_confirmed)
def _claim_employee_record(sender, request, email_address, **kwargs):
    """A registered account claims its employee record once it proves the work mailbox is its
    own (EmployeeSignupForm matched e-mail and employee number at registration)."""
    from .adapters import CLAIMABLE_STATUSES
    from .services import account_link_employee

    user = email_address.user
    if Employee.objects.filter(user=user).exists():
        return
    employee = Employee.objects.filter(
        work_email=email_address.email.strip().lower(),
        user__isnull=True,
        status__in=CLAIMABLE_STATUSES,
    ).first()
    if employee is not None:
        account_link_employee(user=user, employee=employee)


# --- Guarded accounts (alerts.py) -------------------------------------------------------------
# A second factor, a password or an e-mail address changed on an account that holds or waits for a
# confidential role: its holder and the BHS managers are told (content-free), whoever did it.


def _stamp() -> str:
    from django.utils import timezone

    return timezone.now().strftime("%Y%m%d%H%M%S")


def _alert_if_guarded(user, change: str, ref: str, old_email: str = "") -> None:
    from . import alerts
    from .selectors import user_is_guarded

    if user is not None and user_is_guarded(user):
        alerts.send_account_changed(user=user, change=change, ref=ref, old_email=old_email)


@receiver(authenticator_added)
@receiver(authenticator_reset)
def _guarded_mfa_changed(sender, request, user, authenticator, **kwargs):
    from . import alerts

    _alert_if_guarded(user, alerts.MFA_CHANGED, f"mfa{authenticator.pk}:{_stamp()}")


@receiver(password_changed)
@receiver(password_set)
@receiver(password_reset)
def _guarded_password_changed(sender, request, user, **kwargs):
    from . import alerts

    _alert_if_guarded(user, alerts.PASSWORD_CHANGED, f"password:{_stamp()}")


def _guarded_mfa_removed(sender, instance, **kwargs):
    from . import alerts

    _alert_if_guarded(instance.user, alerts.MFA_CHANGED, f"mfa{instance.pk}:{_stamp()}")


def _guarded_address_changed(sender, instance, **kwargs):
    from . import alerts

    _alert_if_guarded(instance.user, alerts.EMAIL_CHANGED, f"address{instance.pk}:{_stamp()}")


def _guarded_email_changed(sender, instance, update_fields=None, **kwargs):
    """User.email itself changed (the sign-in name and where mail goes)."""
    from . import alerts

    if instance.pk is None or (update_fields is not None and "email" not in update_fields):
        return
    old = User.objects.filter(pk=instance.pk).values_list("email", flat=True).first()
    if old is not None and old != instance.email.strip().lower():
        _alert_if_guarded(instance, alerts.EMAIL_CHANGED, f"email:{_stamp()}", old_email=old)


def _connect_guards() -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from django.db.models.signals import post_delete, post_save, pre_save

    post_delete.connect(_guarded_mfa_removed, sender=Authenticator, dispatch_uid="guard-mfa")
    post_save.connect(_guarded_address_changed, sender=EmailAddress, dispatch_uid="guard-addr")
    post_delete.connect(_guarded_address_changed, sender=EmailAddress, dispatch_uid="guard-addr-d")
    pre_save.connect(_guarded_email_changed, sender=User, dispatch_uid="guard-email")


_connect_guards()
