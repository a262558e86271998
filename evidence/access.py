"""Who may do what with evidence (docs/evidence.md, "Permissions"); the views and the API ask these.

- Adding evidence, and recording that an item was handed over (transferred), needs
  Permission.DOCUMENT_ATTACKS in the item's organisation: field documenters collect and hold it.
- Seeing items, their custody log and their files, and exporting bundles, needs DOCUMENT_ATTACKS or
  Permission.ANALYSE_DATA there: analysts prepare what investigators receive, and documenters hand over
  what they collected.

Everything is per organisation: an item, bundle or key of an organisation where the user lacks the permission
is a 404, the same as one that does not exist (also for a user who lacks it everywhere, as the case pages do).
The pages that show no one object (the list, the upload forms, the bundles) are a 403 without the permission
in any organisation.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from accounts.models import Organisation
from accounts.permissions import has_permission, organisations_with
from accounts.roles import Permission
from evidence.models import Bundle, EvidenceItem

ADD = (Permission.DOCUMENT_ATTACKS,)
VIEW = (Permission.DOCUMENT_ATTACKS, Permission.ANALYSE_DATA)


def _holds(user: Any, permissions: tuple[Permission, ...], organisation: Organisation | None) -> bool:
    return any(has_permission(user, permission, organisation) for permission in permissions)


def may_add(user: Any, organisation: Organisation | None = None) -> bool:
    """Whether `user` may add evidence to `organisation` (to any organisation if None)."""
    return _holds(user, ADD, organisation)


def may_view(user: Any, organisation: Organisation | None = None) -> bool:
    """Whether `user` may see and export evidence of `organisation` (of any organisation if None)."""
    return _holds(user, VIEW, organisation)


def _organisations(user: Any, permissions: tuple[Permission, ...]) -> list[Organisation]:
    found: dict[int, Organisation] = {}
    for permission in permissions:
        for organisation in organisations_with(user, permission):
            found.setdefault(organisation.pk, organisation)
    return sorted(found.values(), key=lambda organisation: organisation.name)


def organisations_to_add(user: Any) -> list[Organisation]:
    return _organisations(user, ADD)


def organisations_to_view(user: Any) -> list[Organisation]:
    return _organisations(user, VIEW)


def visible_items(user: Any) -> QuerySet[EvidenceItem]:
    return EvidenceItem.objects.filter(
        organisation__in=[organisation.pk for organisation in organisations_to_view(user)]
    )


def item_for(user: Any, pk: int, *, to_add: bool = False) -> EvidenceItem:
    """The item `pk` when `user` may see it (or, with to_add, add to its organisation); else Http404."""
    item = EvidenceItem.objects.select_related("organisation").filter(pk=pk).first()
    allowed = may_add if to_add else may_view
    if item is None or not allowed(user, item.organisation):
        raise Http404("No such evidence item.")
    return item


def bundle_for(user: Any, pk: Any) -> Bundle:
    bundle = Bundle.objects.select_related("organisation", "created_by").filter(pk=pk).first()
    if bundle is None or not may_view(user, bundle.organisation):
        raise Http404("No such bundle.")
    return bundle


def organisation_for(user: Any, slug: str) -> Organisation:
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None or not may_view(user, organisation):
        raise Http404("No such organisation.")
    return organisation


ViewFunction = Callable[..., HttpResponseBase]


def required(check: Callable[[Any], bool]) -> Callable[[ViewFunction], ViewFunction]:
    """Anonymous visitors go to the login page; a user for whom `check(user)` is false gets a 403."""

    def decorator(view: ViewFunction) -> ViewFunction:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return guarded

    return decorator


view_required = required(may_view)
add_required = required(may_add)
# For pages of one object: any logged-in user gets past, and the object lookup answers 404 (item_for).
login_first = required(lambda user: True)
