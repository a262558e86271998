"""Asking whether a user may do something: views, the API and the CLI call these, nothing compares roles.

What each role grants is decided in accounts.roles.GRANTS; superusers may do everything.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from accounts.models import Membership, Organisation
from accounts.roles import GRANTS, Permission, Role


def _is_active_user(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def granting_roles(permission: Permission) -> list[str]:
    return [role.value for role in Role if permission in GRANTS[role]]


def has_permission(user: Any, permission: Permission, organisation: Organisation | None = None) -> bool:
    """True when `user` holds `permission` in `organisation`, or in any of their organisations if None."""
    if not _is_active_user(user):
        return False
    if user.is_superuser:
        return True
    memberships = Membership.objects.filter(user=user, role__in=granting_roles(permission))
    if organisation is not None:
        memberships = memberships.filter(organisation=organisation)
    return memberships.exists()


def organisations_with(user: Any, permission: Permission) -> list[Organisation]:
    """The organisations in which `user` holds `permission` (every organisation for a superuser)."""
    if not _is_active_user(user):
        return []
    organisations = Organisation.objects.all()
    if not user.is_superuser:
        organisations = organisations.filter(
            memberships__user=user, memberships__role__in=granting_roles(permission)
        ).distinct()
    return list(organisations)


def organisation_for(user: Any, slug: str, permission: Permission) -> Organisation:
    """The organisation `slug` when `user` holds `permission` there.

    Raises Http404 otherwise, also when the organisation exists: someone without a role there should not
    learn which organisations use the platform.
    """
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None or not has_permission(user, permission, organisation):
        raise Http404("No such organisation.")
    return organisation


ViewFunction = Callable[..., HttpResponse]


def permission_required(*permissions: Permission) -> Callable[[ViewFunction], ViewFunction]:
    """Anonymous visitors go to the login page (and come back); others without any of `permissions` get a
    403 (one permission in nearly every view; a few pages serve several roles)."""
    if not permissions:
        raise ValueError("permission_required needs at least one permission")

    def decorator(view: ViewFunction) -> ViewFunction:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not any(has_permission(request.user, permission) for permission in permissions):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return guarded

    return decorator
