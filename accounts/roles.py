"""Roles and what each may do: the one place where permissions are decided.

Views, the API and the CLI ask `has_permission` (or use `permission_required`); nothing else compares roles.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    CASE_HANDLER = "case_handler", _("Case handler")
    PROFESSION_EDITOR = "profession_editor", _("Profession editor")
    ANALYST = "analyst", _("Analyst")
    FIELD_DOCUMENTER = "field_documenter", _("Field documenter")
    VIEWER = "viewer", _("Viewer")


class Permission(StrEnum):
    VIEW_STAFF_HOME = "view_staff_home"
    VIEW_ORGANISATION = "view_organisation"
    MANAGE_MEMBERS = "manage_members"
    VIEW_AUDIT_LOG = "view_audit_log"
    VIEW_TASKS = "view_tasks"
    RUN_MAINTENANCE_TASKS = "run_maintenance_tasks"
    HANDLE_CASES = "handle_cases"
    EDIT_GUIDANCE = "edit_guidance"
    ANALYSE_DATA = "analyse_data"
    DOCUMENT_ATTACKS = "document_attacks"


_EVERY_ROLE = {Permission.VIEW_STAFF_HOME, Permission.VIEW_ORGANISATION}

GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.CASE_HANDLER: frozenset(_EVERY_ROLE | {Permission.HANDLE_CASES}),
    Role.PROFESSION_EDITOR: frozenset(_EVERY_ROLE | {Permission.EDIT_GUIDANCE}),
    Role.ANALYST: frozenset(_EVERY_ROLE | {Permission.ANALYSE_DATA, Permission.VIEW_TASKS}),
    Role.FIELD_DOCUMENTER: frozenset(_EVERY_ROLE | {Permission.DOCUMENT_ATTACKS}),
    Role.VIEWER: frozenset(_EVERY_ROLE),
}


def role_grants(role: str, permission: Permission) -> bool:
    return permission in GRANTS.get(Role(role), frozenset())
