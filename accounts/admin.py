from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from accounts.models import BackupCode, Membership, Organisation, ThrottleFailure, TOTPDevice, User
from audit.chain import record


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    fields = ["organisation", "role", "created_at"]
    readonly_fields = ["organisation", "role", "created_at"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class ZorgVeiligUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "is_superuser", "is_active"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Changes made here are audited like those on the organisation page."""

    list_display = ["user", "organisation", "role", "created_at"]
    list_filter = ["role", "organisation"]
    search_fields = ["user__username", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]
    # Bulk delete would skip delete_model and so the audit log.
    actions = None

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        record(
            "accounts.membership_changed" if change else "accounts.member_added",
            actor=request.user,
            target=obj,
            organisation=obj.organisation,
            details={"user_id": obj.user_id, "role": obj.role, "fields": sorted(form.changed_data)},
        )

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        record(
            "accounts.member_removed",
            actor=request.user,
            target=obj,
            organisation=obj.organisation,
            details={"user_id": obj.user_id, "role": obj.role},
        )
        super().delete_model(request, obj)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    """Deleting a device resets a user's two-factor login: they set up a new app at their next login."""

    list_display = ["user", "confirmed", "created_at", "confirmed_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    # The secret is never shown: whoever reads it can produce the user's codes.
    fields = ["user", "confirmed", "created_at", "confirmed_at", "last_used_step"]
    readonly_fields = ["user", "confirmed", "created_at", "confirmed_at", "last_used_step"]
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: TOTPDevice) -> None:
        record("accounts.two_factor_reset", actor=request.user, target=obj.user)
        super().delete_model(request, obj)


@admin.register(BackupCode)
class BackupCodeAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "used_at"]
    search_fields = ["user__username"]
    fields = ["user", "created_at", "used_at"]
    readonly_fields = ["user", "created_at", "used_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ThrottleFailure)
class ThrottleFailureAdmin(admin.ModelAdmin):
    list_display = ["scope", "key_hash", "created_at"]
    list_filter = ["scope"]
    readonly_fields = ["scope", "key_hash", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
