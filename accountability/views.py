"""The accountability pages: for staff, the investigations of their organisations (a list with filters, one
investigation, recording and changing one); for everyone, the figure of attacks documented, investigated and
with an outcome (figures/accountability/).

Who may do what is accountability.access's to say: analysts record and change, field documenters read,
others get a 403; an investigation of another organisation is a 404. The logic is in accountability.actions
and accountability.figure.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accountability import access, actions, figure
from accountability.forms import FilterForm, InvestigationForm, source_formset
from accounts.permissions import has_permission
from accounts.roles import Permission
from registry.forms import incident_pk
from registry.models import Incident

PAGE_SIZE = 50


def _guard(request: HttpRequest, *, edit: bool = False) -> HttpResponse | None:
    """The login page for visitors; PermissionDenied for staff who may not read (or change) these."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not (access.may_edit(request.user) if edit else access.may_read(request.user)):
        raise PermissionDenied
    return None


def _private(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_GET
def investigation_list(request: HttpRequest) -> HttpResponse:
    refused = _guard(request)
    if refused is not None:
        return refused
    form = FilterForm(request.GET or None)
    investigations = form.filter(
        access.visible_investigations(request.user)
        .select_related("incident", "organisation")
        .order_by("-updated_at", "-pk")
    )
    page = Paginator(investigations, PAGE_SIZE).get_page(request.GET.get("page"))
    response = render(
        request,
        "accountability/list.html",
        {
            "form": form,
            "page": page,
            "investigations": list(page),
            "may_edit": access.may_edit(request.user),
            "may_open_incidents": has_permission(request.user, Permission.ANALYSE_DATA),
        },
        status=400 if form.errors else 200,
    )
    return _private(response)


@require_GET
def investigation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    refused = _guard(request)
    if refused is not None:
        return refused
    investigation = access.investigation_for(request.user, pk)
    response = render(
        request,
        "accountability/detail.html",
        {
            "investigation": investigation,
            "sources": list(investigation.sources.all()),
            "may_edit": access.may_edit(request.user, investigation.organisation),
            "may_open_incidents": has_permission(request.user, Permission.ANALYSE_DATA),
        },
    )
    return _private(response)


def _incident_from_query(request: HttpRequest) -> Incident | None:
    pk = incident_pk(request.GET.get("incident", ""))
    return Incident.objects.filter(pk=pk).first() if pk else None


def _apply_errors(form: InvestigationForm, error: ValidationError) -> None:
    for name, problems in error.message_dict.items():
        field = "incident_number" if name == "incident" else name
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)


@require_http_methods(["GET", "POST"])
def investigation_new(request: HttpRequest) -> HttpResponse:
    refused = _guard(request, edit=True)
    if refused is not None:
        return refused
    organisations = access.editable_organisations(request.user)
    incident = _incident_from_query(request)
    form = InvestigationForm(
        request.POST or None, organisations=organisations, incident=incident, initial={"status": "unknown"}
    )
    sources = source_formset(request.POST or None)
    if request.method == "POST":
        form_ok, sources_ok = form.is_valid(), sources.is_valid()
        if form_ok and sources_ok:
            try:
                investigation = actions.record_investigation(
                    request.user,
                    form.cleaned_data["organisation"],
                    form.cleaned_data["incident_number"],
                    form.fields_data(),
                    sources.sources(),
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Investigation %(number)s of incident %(incident)s recorded.")
                    % {"number": investigation.number, "incident": investigation.incident.number},
                )
                return redirect("accountability:detail", investigation.pk)
    response = render(
        request,
        "accountability/form.html",
        {"form": form, "sources": sources, "incident": form.incident, "investigation": None},
        status=400 if request.method == "POST" else 200,
    )
    return _private(response)


@require_http_methods(["GET", "POST"])
def investigation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    refused = _guard(request, edit=True)
    if refused is not None:
        return refused
    investigation = access.investigation_for(request.user, pk, edit=True)
    form = InvestigationForm(
        request.POST or None,
        instance=investigation,
        existing=True,
        initial={"version": investigation.version},
    )
    sources = source_formset(request.POST or None, investigation)
    problem = ""
    if request.method == "POST":
        form_ok, sources_ok = form.is_valid(), sources.is_valid()
        if form_ok and sources_ok:
            try:
                changed = actions.change_investigation(
                    request.user,
                    investigation,
                    form.fields_data(),
                    sources.sources(),
                    version=form.cleaned_data.get("version"),
                )
            except actions.StaleInvestigation:
                problem = _(
                    "Someone else changed this investigation while you were editing it. Open it again to "
                    "see their changes, then make yours."
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Investigation %(number)s saved.") % {"number": changed.number})
                return redirect("accountability:detail", changed.pk)
    response = render(
        request,
        "accountability/form.html",
        {
            "form": form,
            "sources": sources,
            "incident": investigation.incident,
            "investigation": investigation,
            "problem": problem,
        },
        status=(409 if problem else 400) if request.method == "POST" else 200,
    )
    return _private(response)


# -- The public figure ----------------------------------------------------------------------------------------


def figure_context() -> dict[str, Any]:
    data = figure.figure_data()
    labels = figure.body_labels()
    rows = data["rows"]
    return {
        "rows": [
            {
                **row,
                "share": round(row["investigated"] * 100 / row["documented"], 1)
                if row["documented"]
                else None,
                "bodies": [row[f"by_{body}"] for body in figure.BODIES],
            }
            for row in rows
        ],
        "totals": {
            **data["totals"],
            "bodies": [data["totals"][f"by_{body}"] for body in figure.BODIES],
        },
        "body_labels": [labels[body] for body in figure.BODIES],
        "undated": data["undated"],
        "chart": figure.accountability_chart(rows),
        "bodies_chart": figure.bodies_chart(rows),
        "api_url": "/api/v1/accountability/figure",
    }


@require_GET
def public_figure(request: HttpRequest) -> HttpResponse:
    return render(request, "accountability/figure.html", figure_context())


def incident_panel_context(user: Any, incident: Incident) -> dict[str, Any]:
    """What accountability/incident_panel.html shows on an incident's page: the investigations of the
    user's organisations of this incident and of those merged into it."""
    if not access.may_read(user):
        return {"allowed": False}
    merged = {incident.pk}
    for _step in range(figure.MAX_MERGE_STEPS):
        more = set(
            Incident.objects.filter(merged_into_id__in=merged)
            .exclude(pk__in=merged)
            .values_list("pk", flat=True)
        )
        if not more:
            break
        merged |= more
    investigations = (
        access.visible_investigations(user)
        .filter(incident_id__in=merged)
        .select_related("organisation")
        .order_by("-updated_at")
    )
    return {
        "allowed": True,
        "incident": incident,
        "investigations": list(investigations),
        "may_edit": access.may_edit(user) and incident.status == Incident.Status.ACTIVE,
        "new_url": f"{reverse('accountability:new')}?incident={incident.pk}",
    }
