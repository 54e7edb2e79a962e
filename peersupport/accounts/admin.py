from allauth.account.admin import EmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.socialaccount.admin import SocialAccountAdmin
from allauth.socialaccount.models import SocialAccount
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from . import services
from .models import Employee, Language, RoleGrant, RoleGrantRequest, Unit, User
from .selectors import guarded_user_ids, user_is_guarded

# Shown wherever the admin refuses to touch a guarded account (selectors.user_is_guarded).
GUARDED = (
    "This account holds or waits for a role that reads confidential content. Its e-mail "
    "addresses, sign-in links, password and second factor cannot be changed here: the person "
    "changes them on their own account pages, and each change alerts them and the BHS manager "
    "(docs/roles.md, two-person rule)."
)


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    """Accounts, without passwords or second factors. Disabling and ending sessions go through
    the services (actions below), which audit them."""

    list_display = ["email", "display_name", "is_active", "date_joined", "last_login"]
    search_fields = ["email", "display_name"]
    list_filter = ["is_active"]
    fields = ["email", "display_name", "is_active", "date_joined", "last_login"]
    readonly_fields = ["is_active", "date_joined", "last_login"]
    actions = ["end_sessions", "disable_accounts", "enable_accounts"]

    def get_fields(self, request, obj=None):
        if obj is not None and user_is_guarded(obj):
            return ["guarded", *self.fields]
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and user_is_guarded(obj):
            return ["guarded", "email", *self.readonly_fields]
        return self.readonly_fields

    @admin.display(description="Why some fields cannot be changed")
    def guarded(self, obj):
        return GUARDED

    def has_delete_permission(self, request, obj=None):
        # Accounts are disabled, never deleted: their history (audit, grants) refers to them.
        return False

    @admin.action(description="End every session of the selected accounts")
    def end_sessions(self, request, queryset):
        for user in queryset:
            services.user_end_sessions(actor=request.user, user=user, reason="administrator")
        self.message_user(request, f"Ended the sessions of {queryset.count()} account(s).")

    @admin.action(description="Disable the selected accounts (ends their sessions)")
    def disable_accounts(self, request, queryset):
        self._set_active(request, queryset, active=False)

    @admin.action(description="Enable the selected accounts")
    def enable_accounts(self, request, queryset):
        self._set_active(request, queryset, active=True)

    def _set_active(self, request, queryset, *, active):
        done = 0
        for user in queryset:
            try:
                services.user_set_active(
                    actor=request.user, user=user, active=active, reason="administrator"
                )
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"{user}: {' '.join(exc.messages)}", messages.ERROR)
        self.message_user(request, f"{'Enabled' if active else 'Disabled'} {done} account(s).")


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "supervisor"]
    list_filter = ["kind"]
    search_fields = ["name"]
    raw_id_fields = ["parent", "supervisor"]


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = ["employee_number", "last_name", "first_name", "unit", "employee_type", "status"]
    list_filter = ["employee_type", "status", "shift"]
    search_fields = ["employee_number", "last_name", "first_name", "work_email"]
    raw_id_fields = ["user", "unit"]


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


@admin.register(RoleGrant)
class RoleGrantAdmin(admin.ModelAdmin):
    """Read-only: roles are granted and revoked through the Roles page, which audits them."""

    list_display = ["user", "role", "granted_by", "granted_at", "expires_at", "revoked_at"]
    list_filter = ["role"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _GuardedUserForm(forms.ModelForm):
    """Refuses to attach a row to a guarded account (a verified address or a sign-in link
    added to the BHS manager's account would let its author sign in as them)."""

    def clean(self):
        cleaned = super().clean()
        user = cleaned.get("user")
        if user is not None and user_is_guarded(user):
            raise ValidationError(GUARDED)
        if self.instance.pk and self.instance.user_id and user_is_guarded(self.instance.user):
            raise ValidationError(GUARDED)
        return cleaned


class _GuardedRowsMixin:
    """Rows of guarded accounts are read-only and cannot be deleted; new rows for them are
    refused by the form."""

    form = _GuardedUserForm

    def has_change_permission(self, request, obj=None):
        if obj is not None and user_is_guarded(obj.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and user_is_guarded(obj.user):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        # Bulk deletion bypasses the per-row checks; rows are deleted one at a time.
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and user_is_guarded(obj.user):
            self.message_user(request, GUARDED, messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)


for _model in (EmailAddress, SocialAccount):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(EmailAddress)
class GuardedEmailAddressAdmin(_GuardedRowsMixin, EmailAddressAdmin):
    def make_verified(self, request, queryset):
        guarded = queryset.filter(user__in=guarded_user_ids())
        if guarded.exists():
            self.message_user(request, GUARDED, messages.WARNING)
        return super().make_verified(request, queryset.exclude(user__in=guarded_user_ids()))

    make_verified.short_description = "Mark selected e-mail addresses as verified"


@admin.register(SocialAccount)
class GuardedSocialAccountAdmin(_GuardedRowsMixin, SocialAccountAdmin):
    pass


@admin.register(RoleGrantRequest)
class RoleGrantRequestAdmin(admin.ModelAdmin):
    """Read-only, without the reason: requests are made and decided on the Roles pages."""

    list_display = ["user", "role", "requested_by", "requested_at", "status", "decided_by"]
    list_filter = ["role", "status"]
    fields = ["user", "role", "requested_by", "requested_at", "lapses_at", "status", "decided_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
