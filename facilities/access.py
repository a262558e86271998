"""Who may see and change facilities and notifications (docs/facilities.md, "Permissions").

- Facilities are shared data: DOCUMENT_ATTACKS or ANALYSE_DATA in any organisation shows every facility.
- A facility is changed by DOCUMENT_ATTACKS in the organisation that registered it (an organisation's
  administrators hold it too), or by a superuser; DOCUMENT_ATTACKS anywhere may register facilities for
  its own organisations and record a status change of any facility (field documenters of any organisation
  see damage).
- A notification belongs to the organisation that sent it: DOCUMENT_ATTACKS or ANALYSE_DATA there shows it,
  DOCUMENT_ATTACKS there changes it; to anyone else it does not exist (404).

All decisions go through accounts.permissions; nothing here compares roles.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from accounts.models import Organisation
from accounts.permissions import has_permission, organisations_with
from accounts.roles import Permission
from facilities.models import Facility, Notification

DOCUMENT = Permission.DOCUMENT_ATTACKS
ANALYSE = Permission.ANALYSE_DATA
VIEWING = (DOCUMENT, ANALYSE)


def may_view(user: Any, organisation: Organisation | None = None) -> bool:
    return any(has_permission(user, permission, organisation) for permission in VIEWING)


def may_document(user: Any, organisation: Organisation | None = None) -> bool:
    return has_permission(user, DOCUMENT, organisation)


def may_edit_facility(user: Any, facility: Facility) -> bool:
    if not may_document(user):
        return False
    return bool(user.is_superuser) or has_permission(user, DOCUMENT, facility.organisation)


def registering_organisations(user: Any) -> list[Organisation]:
    """The organisations `user` may register facilities and send notifications for."""
    return organisations_with(user, DOCUMENT)


def viewing_organisations(user: Any) -> list[Organisation]:
    seen: dict[int, Organisation] = {}
    for permission in VIEWING:
        for organisation in organisations_with(user, permission):
            seen.setdefault(organisation.pk, organisation)
    return sorted(seen.values(), key=lambda organisation: organisation.name)


def facility_for(user: Any, pk: int | str) -> Facility:
    """The facility `pk`; Http404 when there is none (callers have checked `may_view`)."""
    try:
        number = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such facility.") from None
    facility = Facility.objects.select_related("organisation").filter(pk=number).first()
    if facility is None:
        raise Http404("No such facility.")
    return facility


def notification_for(user: Any, pk: int | str, *, change: bool = False) -> Notification:
    """The notification `pk` when `user` may see it (or change it, with `change`); Http404 otherwise,
    the same answer as for a notification that does not exist."""
    try:
        number = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such notification.") from None
    notification = Notification.objects.select_related("organisation").filter(pk=number).first()
    if notification is None:
        raise Http404("No such notification.")
    allowed = (
        may_document(user, notification.organisation) if change else may_view(user, notification.organisation)
    )
    if not allowed:
        raise Http404("No such notification.")
    return notification


ViewFunction = Callable[..., HttpResponse]


def viewer_required(view: ViewFunction) -> ViewFunction:
    """Anonymous visitors go to the login page; staff who neither document attacks nor analyse data: 403."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not may_view(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return guarded


def login_required_here(view: ViewFunction) -> ViewFunction:
    """Only the login: the view decides the rest (notifications answer 404 rather than 403)."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return guarded
