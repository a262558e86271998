from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Membership, Organisation, User
from accounts.permissions import has_permission, organisations_with, permission_required
from accounts.roles import Permission
from audit.actions import start_audit_verification
from audit.forms import EventFilterForm
from audit.models import Event

PAGE_SIZE = 50


def visible_events(user: Any) -> QuerySet[Event]:
    """Superusers see the whole log. An organisation's administrators see its events, and the events
    without an organisation (logins, two-factor, password changes) by or about its current members; never
    what those members did in another organisation.
    """
    if user.is_superuser:
        return Event.objects.all()
    organisation_ids = [o.pk for o in organisations_with(user, Permission.VIEW_AUDIT_LOG)]
    member_ids = list(
        Membership.objects.filter(organisation_id__in=organisation_ids).values_list("user_id", flat=True)
    )
    about_members = Q(actor_id__in=member_ids) | Q(
        object_type=User._meta.label_lower, object_id__in=[str(pk) for pk in member_ids]
    )
    return Event.objects.filter(
        Q(organisation_id__in=organisation_ids) | (Q(organisation_id=None) & about_members)
    )


@permission_required(Permission.VIEW_AUDIT_LOG)
def event_list(request: HttpRequest) -> HttpResponse:
    visible = visible_events(request.user)
    form = EventFilterForm(request.GET or None, events=visible)
    events = form.filter(visible.order_by("-sequence"))
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    organisations = Organisation.objects.in_bulk(
        {event.organisation_id for event in page if event.organisation_id is not None}
    )
    rows = [(event, organisations.get(event.organisation_id or 0)) for event in page]
    return render(
        request,
        "audit/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "can_verify": has_permission(request.user, Permission.RUN_MAINTENANCE_TASKS),
        },
    )


@require_POST
@permission_required(Permission.RUN_MAINTENANCE_TASKS)
def start_verification(request: HttpRequest) -> HttpResponse:
    result_id = start_audit_verification(request.user)
    messages.success(request, _("The verification of the audit log has been queued."))
    if has_permission(request.user, Permission.VIEW_TASKS):
        return redirect("jobs:detail", result_id=result_id)
    return redirect("audit:list")
