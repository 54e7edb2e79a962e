from django.contrib import admin

from .models import Employee, Language, RoleGrant, Unit, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "display_name", "is_active", "date_joined"]
    search_fields = ["email", "display_name"]
    list_filter = ["is_active"]
    fields = ["email", "display_name", "is_active", "date_joined", "last_login"]
    readonly_fields = ["date_joined", "last_login"]


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
