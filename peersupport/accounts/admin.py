from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from . import services
from .models import Employee, Language, RoleGrant, Unit, User


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
