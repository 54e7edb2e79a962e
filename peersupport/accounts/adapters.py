from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import render

from .clientkey import client_tag
from .models import MEMBER_STATUSES, Employee

# Registering (EmployeeSignupForm: work e-mail, employee number, then the mailbox confirmed)
# claims the record of anyone who may sign in, retirees included; a separated employee's never.
CLAIMABLE_STATUSES = MEMBER_STATUSES
# Single sign-on vouches for the work address alone. A retiree's work mailbox is usually closed
# or handed on to someone else, so their record is never claimed through it: they register.
SSO_CLAIMABLE_STATUSES = (Employee.Status.ACTIVE, Employee.Status.ON_LEAVE)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return settings.ACCOUNT_ALLOW_REGISTRATION

    def pre_authenticate(self, request, **credentials):
        # Failed passwords are counted by django-axes, per account, in the database that every
        # application server shares; a locked account gets the lockout page and an audit event.
        # allauth's own counter (kept in the cache) would refuse first, with a different message
        # and no audit event. It stays on for the MFA code step, which axes does not see.
        if settings.AXES_ENABLED:
            return
        super().pre_authenticate(request, **credentials)

    def get_client_ip(self, request):
        # allauth asks for the address only to key its per-address rate limits, which live in
        # the database cache: give it a daily HMAC of the address instead (clientkey.py).
        return client_tag(super().get_client_ip(request))


def _verified_emails(sociallogin) -> list[str]:
    """The e-mail addresses the identity provider vouches for (email_verified, or a domain in
    OIDC_TRUSTED_EMAIL_DOMAINS)."""
    return [a.email.strip().lower() for a in sociallogin.email_addresses if a.verified]


def _claimable_employee(emails: list[str]) -> Employee | None:
    if not emails:
        return None
    return (
        Employee.objects.filter(
            work_email__in=emails, user__isnull=True, status__in=SSO_CLAIMABLE_STATUSES
        )
        .order_by("pk")
        .first()
    )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Single sign-on may create an account only for an employee record that has none yet and
    carries a work e-mail the identity provider has verified; everyone else is refused. An
    existing account with that e-mail is signed in and connected (allauth's e-mail
    authentication)."""

    def pre_social_login(self, request, sociallogin):
        # The identity provider's directory often learns of a separation later than the roster
        # does: until then it still vouches for the person, whose account is not signed in.
        if not sociallogin.is_existing:
            return
        employee = getattr(sociallogin.user, "employee", None)
        if employee is not None and employee.status == Employee.Status.SEPARATED:
            raise ImmediateHttpResponse(render(request, "account/signup_closed.html"))

    def is_open_for_signup(self, request, sociallogin):
        return _claimable_employee(_verified_emails(sociallogin)) is not None

    def save_user(self, request, sociallogin, form=None):
        from .services import account_link_employee

        if form is not None:
            # allauth's sign-up form (shown only when it cannot sign up automatically) is an
            # EmployeeSignupForm: it matched e-mail and employee number and links the record.
            return super().save_user(request, sociallogin, form)
        vouched = _verified_emails(sociallogin)
        with transaction.atomic():
            user = super().save_user(request, sociallogin, form)
            email = user.email.strip().lower()
            employee = _claimable_employee([email]) if email in vouched else None
            if employee is not None:
                try:
                    account_link_employee(user=user, employee=employee)
                except ValidationError:  # a concurrent sign-in claimed the record first
                    employee = None
            if employee is None:
                # Raising rolls the new account back with the transaction.
                raise ImmediateHttpResponse(render(request, "account/signup_closed.html"))
        return user
