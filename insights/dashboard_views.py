"""The public conflict dashboard, the source comparison and the vintage comparison, and the staff refresh.

Public pages answer many visitors: everything they show is read through `queries.cached` (kept until a new
analytics file is in place), and the charts and tables of a selection are rendered once per language and
kept as HTML. Staff with the analyse-data permission see more on the dashboard (completeness per source,
the build of the analytics file, a refresh button); that part is never cached, as it carries a CSRF token.

When the analytics database is missing or unreadable, the pages say so (status 200); refused query
parameters give the form with an error per parameter (status 400).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import has_permission, permission_required
from accounts.roles import Permission
from accounts.twofactor import is_verified
from insights import analytics_db, dashboard_panels, labels, queries
from insights.filters import Selection
from insights.forms import SelectionForm, SourceComparisonForm, VintageForm

# What a missing, half-written or outdated analytics file raises.
UNAVAILABLE = (analytics_db.AnalyticsError, duckdb.Error)
REFRESH_PARTS = ["incidents", "nl_reports", "records"]


def is_analyst(request: HttpRequest) -> bool:
    """Staff who may analyse data, past the second factor: they see the dashboard's staff part."""
    user = request.user
    if not user.is_authenticated:
        return False
    return is_verified(request) and has_permission(user, Permission.ANALYSE_DATA)


def options() -> dict[str, Any]:
    """What the filters offer (sources, countries, certainty levels, years), once per analytics file."""
    return queries.cached("available", None, queries.available)


def _body(
    name: str, selection: Selection | None, template: str, context: Callable[[], dict[str, Any]], *extra: Any
) -> str:
    """The charts and tables of a page for a selection, rendered once per language and analytics file."""
    return queries.cached(
        f"{name}_html", selection, lambda: render_to_string(template, context()), get_language(), *extra
    )


def _form_html(
    name: str,
    selection: Selection,
    make_form: Callable[[QueryDict], Any],
    action: str,
    label: str,
    raw: dict[str, str],
) -> str:
    """The filter form of a valid selection, rendered once per language and analytics file: its widgets
    (a hundred countries) cost more to render than the rest of the page. It is rendered from the selection,
    so two spellings of one selection share it; only the dates and `raw` are shown as they were typed."""

    def render() -> str:
        data = QueryDict(mutable=True)
        for key, value in selection.as_query().items():
            data.setlist(key, value if isinstance(value, list) else [value])
        for key, value in raw.items():
            if value:
                data.setlist(key, [value])
        form = make_form(data)
        form.is_valid()
        return render_to_string(
            "insights/dashboard/filters.html", {"form": form, "action": action, "label": label}
        )

    return queries.cached(f"{name}_form", selection, render, get_language(), *raw.values())


def _typed(request: HttpRequest, *names: str) -> dict[str, str]:
    return {name: str(request.GET.get(name, "")).strip()[:40] for name in names}


def _unavailable(request: HttpRequest, template: str, error: Exception, **context: Any) -> HttpResponse:
    analyst = is_analyst(request)
    return render(
        request,
        template,
        {
            "unavailable": True,
            # The path of the file is for staff only: visitors learn that figures are missing, not where.
            "unavailable_detail": str(error)[:300] if analyst else "",
            "analyst": analyst,
            "staff": {"refresh": latest_refresh()} if analyst else None,
            **context,
        },
    )


def _refused(request: HttpRequest, template: str, form: Any, **context: Any) -> HttpResponse:
    return render(
        request,
        template,
        {"form": form, "problems": form.problems(), "analyst": is_analyst(request), **context},
        status=400,
    )


# -- The dashboard --------------------------------------------------------------------------------------------


def dashboard(request: HttpRequest) -> HttpResponse:
    template = "insights/dashboard.html"
    analyst = is_analyst(request)
    try:
        found = options()
        form = SelectionForm(request.GET, options=found)
        if not form.is_valid():
            return _refused(request, template, form)
        selection = form.selection
        assert selection is not None
        form_html = _form_html(
            "dashboard",
            selection,
            lambda data: SelectionForm(data, options=found),
            reverse("insights:dashboard"),
            _("Filter the figures"),
            _typed(request, "from", "to"),
        )
        body = _body(
            "dashboard", selection, "insights/dashboard/body.html", lambda: dashboard_context(selection)
        )
        staff = staff_context(selection) if analyst else None
    except UNAVAILABLE as error:
        return _unavailable(request, template, error)
    return render(
        request,
        template,
        {
            "form_html": form_html,
            "selection": selection,
            "described": dashboard_panels.describe(selection),
            "body": body,
            "analyst": analyst,
            "staff": staff,
        },
    )


def dashboard_context(selection: Selection) -> dict[str, Any]:
    data = dict(queries.dashboard(selection))
    if not selection.deduplicated:
        data["per_source_year"] = queries.cached(
            "per_source_year", selection, lambda: queries.per_source_year(selection)
        )["rows"]
    return {
        "selection": selection,
        "unit": dashboard_panels.unit_label(selection),
        "headline": dashboard_panels.headline(selection, data),
        "panels": dashboard_panels.dashboard_panels(selection, data) if data["totals"]["events"] else [],
        "releases": dashboard_panels.releases(
            queries.cached("releases_used", selection, lambda: queries.releases_used(selection))
        ),
        "query": _query_string(selection),
    }


def staff_context(selection: Selection) -> dict[str, Any]:
    """The dashboard's staff part: how complete each source's records are, and the analytics file."""
    completeness = queries.cached("completeness", selection, lambda: queries.completeness(selection))
    for row in completeness:
        row["label"] = labels.source_label(row["source"])
    return {
        "completeness": completeness,
        "build": queries.build_info(),
        "refresh": latest_refresh(),
    }


def latest_refresh() -> dict[str, Any] | None:
    """The newest refresh of the analytics database in the task queue: its status and its page."""
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from insights.tasks import refresh_analytics
    from jobs.views import STATUS_LABELS

    result = (
        DBTaskResult.objects.filter(task_path=refresh_analytics.module_path).order_by("-enqueued_at").first()
    )
    if result is None:
        return None
    status = TaskResultStatus(result.status)
    return {
        "id": result.id,
        "status": str(status),
        "status_class": {"READY": "queued", "RUNNING": "running", "SUCCESSFUL": "finished"}.get(
            str(status), "failed"
        ),
        "status_label": str(STATUS_LABELS.get(status, status.label)),
        "enqueued_at": result.enqueued_at,
        "finished_at": result.finished_at,
        "url": reverse("jobs:detail", args=[result.id]),
    }


def _query_string(selection: Selection) -> str:
    from urllib.parse import urlencode

    return urlencode(selection.as_query(), doseq=True)


# -- Sources side by side -------------------------------------------------------------------------------------


def sources(request: HttpRequest) -> HttpResponse:
    template = "insights/sources.html"
    try:
        found = options()
        form = SourceComparisonForm(request.GET, options=found)
        if not form.is_valid():
            return _refused(request, template, form)
        selection = form.selection
        assert selection is not None
        base_year = form.base_year
        form_html = _form_html(
            "sources",
            selection,
            lambda data: SourceComparisonForm(data, options=found),
            reverse("insights:sources"),
            _("Filter the comparison"),
            {**_typed(request, "from", "to"), "base": str(base_year or "")},
        )
        body = _body(
            "sources",
            selection,
            "insights/dashboard/sources_body.html",
            lambda: sources_context(selection, base_year),
            base_year,
        )
    except UNAVAILABLE as error:
        return _unavailable(request, template, error)
    return render(
        request,
        template,
        {
            "form_html": form_html,
            "selection": selection,
            "described": dashboard_panels.describe(selection),
            "body": body,
        },
    )


def sources_context(selection: Selection, base_year: int | None) -> dict[str, Any]:
    lines = queries.cached(
        "per_source_year", selection, lambda: queries.per_source_year(selection, base_year), base_year
    )
    overlap = queries.cached("overlap", selection, lambda: queries.overlap(selection))
    overlap_panels, overlap_summary = dashboard_panels.overlap_panels(overlap)
    return {
        "selection": selection,
        "base_year": lines["base_year"],
        "chosen_base_year": base_year,
        "line_panels": dashboard_panels.source_panels(lines) if lines["rows"] else [],
        "overlap_panels": overlap_panels if overlap_summary["sources"] else [],
        "overlap": overlap_summary,
        "releases": dashboard_panels.releases(
            queries.cached("releases_used", selection, lambda: queries.releases_used(selection))
        ),
    }


# -- Vintages -------------------------------------------------------------------------------------------------


def vintages(request: HttpRequest) -> HttpResponse:
    template = "insights/vintages.html"
    try:
        series = queries.cached("vintage_series", None, queries.vintage_series)
        form = VintageForm(request.GET, series=series)
        if not form.is_valid():
            return _refused(request, template, form, series=series)
        chosen = form.chosen
        body = ""
        if chosen is not None:
            source, product = chosen["source"], chosen["product"]
            body = _body(
                "vintages",
                None,
                "insights/dashboard/vintages_body.html",
                lambda: vintages_context(source, product),
                source,
                product,
            )
    except UNAVAILABLE as error:
        return _unavailable(request, template, error)
    return render(
        request,
        template,
        {
            "form": form,
            "chosen": chosen,
            "chosen_label": labels.source_label(chosen["source"]) if chosen else "",
            "series": series,
            "body": body,
        },
    )


def vintages_context(source: str, product: str) -> dict[str, Any]:
    rows = queries.vintages(source, product)
    comparison = dashboard_panels.vintage_comparison(rows)
    return {
        "source": source,
        "source_label": labels.source_label(source),
        "source_name": labels.source_name(source),
        "product": product,
        **comparison,
        "sentence": dashboard_panels.vintage_sentence(
            comparison["largest_revision"], len(comparison["vintages"])
        ),
    }


# -- Staff ----------------------------------------------------------------------------------------------------


@require_POST
@permission_required(Permission.ANALYSE_DATA)
def refresh(request: HttpRequest) -> HttpResponse:
    """Queue a rebuild of the whole analytics database; the dashboard then shows the task's status."""
    from insights.tasks import request_refresh

    if request_refresh(REFRESH_PARTS):
        messages.success(request, _("A refresh of the analytics database is queued."))
    else:
        messages.info(request, _("A refresh of the analytics database was already waiting in the queue."))
    return redirect(reverse("insights:dashboard") + "#analytics-database")


# -- The public figures overview (zorgveilig.views.figures) ---------------------------------------------------


def figures_overview() -> dict[str, Any] | None:
    """The headline of the conflict figures for the site's Figures page: all de-duplicated incidents and
    the records per source; None when the analytics database is not there."""
    selection = Selection(public=True)
    try:
        totals = queries.cached("totals", selection, lambda: queries.totals(selection))
        lines = queries.cached("per_source_year", selection, lambda: queries.per_source_year(selection), None)
        used = queries.cached("releases_used", selection, lambda: queries.releases_used(selection))
    except UNAVAILABLE:
        return None
    if not totals["events"]:
        return None
    records: dict[str, int] = {}
    for row in lines["rows"]:
        if row["source"] != "deduplicated":
            records[row["source"]] = records.get(row["source"], 0) + row["events"]
    vintages = {row["source"]: row["vintage_date"] for row in used}
    return {
        "figures": [
            {"name": "events", "label": _("Incidents"), "value": totals["events"]},
            {"name": "countries", "label": labels.count_label("countries"), "value": totals["countries"]},
            *(
                {"name": name, "label": labels.count_label(name), "value": totals[name]}
                for name in ("health_workers_killed", "health_workers_kidnapped", "facilities_destroyed")
            ),
        ],
        "first_date": dashboard_panels._date(totals["first_date"]),
        "last_date": dashboard_panels._date(totals["last_date"]),
        "sources": [
            {
                "label": labels.source_name(slug),
                "records": records[slug],
                "vintage": dashboard_panels._date(vintages.get(slug)),
            }
            for slug in dashboard_panels._in_order(records)
        ],
    }
