"""Who may see and record investigations: the one place the accountability pages and API ask.

Analysts (Permission.ANALYSE_DATA) record and change their organisations' investigations; field
documenters (Permission.DOCUMENT_ATTACKS) read them; anyone else gets a 403. An investigation of an
organisation where the user holds neither permission is a 404, the same as one that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from accountability.models import Investigation
from accounts.models import Organisation
from accounts.permissions import has_permission, organisations_with
from accounts.roles import Permission

EDIT = Permission.ANALYSE_DATA
READ = (Permission.ANALYSE_DATA, Permission.DOCUMENT_ATTACKS)


def may_read(user: Any) -> bool:
    return any(has_permission(user, permission) for permission in READ)


def may_edit(user: Any, organisation: Organisation | None = None) -> bool:
    return has_permission(user, EDIT, organisation)


def readable_organisations(user: Any) -> list[Organisation]:
    found: dict[int, Organisation] = {}
    for permission in READ:
        for organisation in organisations_with(user, permission):
            found[organisation.pk] = organisation
    return sorted(found.values(), key=lambda organisation: organisation.name)


def editable_organisations(user: Any) -> list[Organisation]:
    return sorted(organisations_with(user, EDIT), key=lambda organisation: organisation.name)


def visible_investigations(user: Any) -> QuerySet[Investigation]:
    """The investigations of the organisations where `user` may read them."""
    return Investigation.objects.filter(
        organisation__in=[organisation.pk for organisation in readable_organisations(user)]
    )


def investigation_for(user: Any, pk: int, *, edit: bool = False) -> Investigation:
    """Investigation `pk` when `user` may read it (or change it, with `edit`). PermissionDenied without the
    permission in any organisation; Http404 for one of another organisation, or none."""
    if not (may_edit(user) if edit else may_read(user)):
        raise PermissionDenied
    found = (
        Investigation.objects.select_related("incident", "organisation", "recorded_by").filter(pk=pk).first()
    )
    allowed = editable_organisations(user) if edit else readable_organisations(user)
    if found is None or found.organisation_id not in {organisation.pk for organisation in allowed}:
        raise Http404("No such investigation.")
    return found
