from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings

from .models import Employee


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return settings.ACCOUNT_ALLOW_REGISTRATION


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Single sign-on may create an account only for an employee record that has none yet and
    carries the same work e-mail; everyone else is refused. An existing account with that
    e-mail is connected (allauth's e-mail authentication)."""

    def is_open_for_signup(self, request, sociallogin):
        email = (sociallogin.user.email or "").strip().lower()
        return (
            bool(email)
            and Employee.objects.filter(
                work_email=email,
                user__isnull=True,
                status__in=[Employee.Status.ACTIVE, Employee.Status.ON_LEAVE],
            ).exists()
        )

    def save_user(self, request, sociallogin, form=None):
        from .services import account_link_employee

        user = super().save_user(request, sociallogin, form)
        employee = Employee.objects.filter(work_email=user.email, user__isnull=True).first()
        if employee is not None:
            account_link_employee(user=user, employee=employee)
        return user
