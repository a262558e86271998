"""The public map of attacks on health care (figures/map/): a Leaflet page and the JSON it draws from.

The page reads the selection as the dashboard does (insights.forms.SelectionForm, which reads it with
insights.filters.from_query), and shows the same filter form; the browser then fetches
the countries (choropleth) and the located events (GeoJSON points) with the same query parameters. Staff who
may analyse data also get, in each point, the incident it belongs to. The map is public for everyone: its
events and figures are the publishable ones only (registry.publication, applied in insights.geo).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import duckdb
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.permissions import has_permission
from accounts.roles import Permission
from accounts.twofactor import is_verified
from insights import analytics_db, charts, geo, queries
from insights.filters import Selection, SelectionError
from insights.forms import SelectionForm

WORLD_FILE = "vendor/world/countries-50m.json"
IMAGE_FORMATS = ("svg", "png")
# What a missing, half-written or outdated analytics file raises.
UNAVAILABLE = (analytics_db.AnalyticsError, duckdb.Error)


def filter_options() -> dict[str, Any]:
    """What the filters offer (sources, countries, certainty levels, years), once per analytics file."""
    return queries.cached("available", None, queries.available)


def selection_form(request: HttpRequest, options: dict[str, Any]) -> SelectionForm:
    """The dashboard's filter form on the request's query parameters, validated."""
    form = SelectionForm(request.GET, options=options)
    form.is_valid()
    return form


def read_selection(request: HttpRequest) -> Selection:
    """The selection of the request's query parameters, read as the dashboard reads it; raises
    SelectionError naming each refused parameter."""
    form = selection_form(request, filter_options())
    if form.selection is None or form.errors:
        raise SelectionError(
            {problem["parameter"] or "query": problem["message"] for problem in form.problems()}
        )
    return geo.public(form.selection)


def shown_form(request: HttpRequest, selection: Selection, options: dict[str, Any]) -> SelectionForm:
    """The form of a valid selection as the page shows it: drawn from the selection, so that every spelling
    of it (`country=SYR,UKR`, `country=syr&country=ukr`) checks the same boxes; the dates as typed."""
    data = QueryDict(mutable=True)
    for name, value in selection.as_query().items():
        data.setlist(name, value if isinstance(value, list) else [value])
    for name in ("from", "to"):
        typed = str(request.GET.get(name, "")).strip()[:40]
        if typed:
            data.setlist(name, [typed])
    form = SelectionForm(data, options=options)
    form.is_valid()
    return form


def may_open_incidents(request: HttpRequest) -> bool:
    """Staff who may analyse data, past the second factor: their points name the incident of each."""
    user = request.user
    return bool(
        user.is_authenticated and is_verified(request) and has_permission(user, Permission.ANALYSE_DATA)
    )


def extra_overlays(request: HttpRequest) -> list[dict[str, str]]:
    """More GeoJSON layers for the map's layer control, each {"id", "label", "url"}.

    The registered medical facilities (api.facilities `/map`): for the public only those whose location
    may be published; staff who document attacks or analyse data get every facility (the endpoint decides,
    from the session the map's script sends along)."""
    return [
        {
            "id": "facilities",
            "label": _("Medical facilities"),
            "url": reverse("api-v1:facilities_map"),
        }
    ]


def _query_string(selection: Selection) -> str:
    return urlencode(selection.as_query(), doseq=True)


def map_config(request: HttpRequest, selection: Selection) -> dict[str, Any]:
    """What insights/map.js needs: where to fetch from, the optional tile server, and the words it shows."""
    query = _query_string(selection)
    return {
        "countriesUrl": f"{reverse('insights:map_countries')}?{query}",
        "pointsUrl": f"{reverse('insights:map_points')}?{query}",
        "worldUrl": static(WORLD_FILE),
        "imagePath": static("vendor/leaflet/images/"),
        "tileUrl": settings.MAP_TILE_URL or None,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION or "",
        "fitCountries": bool(selection.countries),
        "overlays": extra_overlays(request),
        "strings": {
            "points": _("Incidents") if selection.deduplicated else _("Records"),
            "countries": _("Countries"),
            "layers": _("Layers on the map"),
            "outlines": _("Country outlines: Natural Earth"),
            "legend": _("Events per country"),
            "noEvents": _("no events"),
            "date": _("Date"),
            "country": _("Country"),
            "admin1": _("Area"),
            "families": _("Type of attack"),
            "sources": _("Sources"),
            "incident": _("Open incident %(number)s"),
            "notGiven": _("not given"),
            "loading": _("Loading the map…"),
            "failed": _("The map could not be loaded; the table of countries below has the same figures."),
            "showing": _("Showing %(shown)s of %(total)s located events."),
            "noPoints": _("No event in this selection has a place on the map."),
            "showingAll": _("Showing all %(total)s located events."),
            "marker": _("Event of %(date)s in %(country)s"),
        },
    }


def map_page(request: HttpRequest) -> HttpResponse:
    template = "insights/map.html"
    try:
        options = filter_options()
        form = selection_form(request, options)
        if form.selection is None or form.errors:
            return render(request, template, {"form": form, "problems": form.problems()}, status=400)
        selection = geo.public(form.selection)
        form = shown_form(request, selection, options)
        points = geo.points_data(selection)
        totals = queries.cached("totals", selection, lambda: queries.totals(selection))
        countries = geo.countries_document(selection)
    except UNAVAILABLE:
        # As the dashboard: the page says the figures are missing (the data endpoints answer 503).
        return render(request, template, {"unavailable": True})
    query = _query_string(selection)
    return render(
        request,
        template,
        {
            "form": form,
            "selection": selection,
            "described": selection.describe(),
            "countries": countries,
            "points": {"total": points["total"], "shown": points["shown"]},
            "capped": points["shown"] < points["total"],
            "events": totals["events"],
            "config": map_config(request, selection),
            "downloads": {
                "svg": f"{reverse('insights:map_image', args=['svg'])}?{query}",
                "png": f"{reverse('insights:map_image', args=['png'])}?{query}",
                "points": f"{reverse('insights:map_points')}?{query}",
                "countries": f"{reverse('insights:map_countries')}?{query}",
            },
        },
    )


def _json_errors(problems: dict[str, str], status: int = 400) -> JsonResponse:
    return JsonResponse({"errors": problems}, status=status)


def _data_response(request: HttpRequest, make: Callable[[Selection], HttpResponse]) -> HttpResponse:
    """`make(selection)` for the request's selection; 400 naming each refused parameter, 503 without an
    analytics database."""
    try:
        selection = read_selection(request)
        return make(selection)
    except SelectionError as error:
        return _json_errors(error.problems)
    except UNAVAILABLE:
        return _json_errors(
            {"analytics": _("The figures are not available yet; try again later.")}, status=503
        )


@require_GET
def map_points(request: HttpRequest) -> HttpResponse:
    """The located events of the selection as a GeoJSON FeatureCollection (see geo.points_collection)."""
    staff = may_open_incidents(request)

    def make(selection: Selection) -> HttpResponse:
        collection = geo.points_collection(selection, with_incidents=staff)
        response = JsonResponse(
            collection, content_type="application/geo+json", json_dumps_params={"separators": (",", ":")}
        )
        if staff:
            patch_cache_control(response, private=True)
        return response

    return _data_response(request, make)


@require_GET
def map_countries(request: HttpRequest) -> HttpResponse:
    """Events per country of the selection, with ISO alpha-3 and numeric codes, and the map's classes."""
    return _data_response(request, lambda selection: JsonResponse(geo.countries_document(selection)))


@require_GET
def map_image(request: HttpRequest, image_format: str) -> HttpResponse:
    """The choropleth as an SVG or PNG file (drawn on the server with vl-convert), for downloads."""
    if image_format not in IMAGE_FORMATS:
        return _json_errors(
            {"format": _("%(value)r is not an image format; use svg or png") % {"value": image_format[:20]}}
        )

    def make(selection: Selection) -> HttpResponse:
        rows = geo.country_rows(selection)
        content = queries.cached(
            "map_image", selection, lambda: _render_image(rows, image_format), image_format, get_language()
        )
        response = HttpResponse(
            content, content_type="image/svg+xml" if image_format == "svg" else "image/png"
        )
        response["Content-Disposition"] = f'attachment; filename="attacks-per-country.{image_format}"'
        return response

    return _data_response(request, make)


def _render_image(rows: list[dict[str, Any]], image_format: str) -> str | bytes:
    spec = charts.choropleth(
        [
            {"numeric": row["numeric"], "label": row["name"], "events": row["events"]}
            for row in rows
            if row["numeric"]
        ],
        inline_world=True,
    )
    return charts.render_svg(spec) if image_format == "svg" else charts.render_png(spec)
