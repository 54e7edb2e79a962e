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

from .axes import get_username
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
        target=_account_named((username or "").lower()),
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
    axes_reset(username=user.email)


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
