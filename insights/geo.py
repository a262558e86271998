"""What the map draws: GeoJSON of the located events, counts per country keyed the way the world outlines
are keyed (ISO 3166-1 numeric), and the classes of the choropleth.

The outlines (static/vendor/world/countries-*.json, Natural Earth via world-atlas) carry the ISO numeric
code as a three-digit string in `id`; the analytics database carries ISO alpha-3. pycountry translates. A
few outlines have no code (Kosovo, Somaliland, N. Cyprus, ...): those that the data sets do code are matched
by the outline's name instead (OUTLINE_NAMES).

Everyone gets only public fields of an event: date, country, first-level area, coordinates, attack-type
families, sources and counts, as registry.publication lets them through: no event at the level "rumour",
and only events whose coordinates come from a source that publishes them (not WHO SSA, not our own field
reports). Staff who may analyse data also get the incident each event belongs to, to open its page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import cache
from typing import Any

import pycountry
from django.urls import reverse
from django.utils.formats import number_format

from insights import analytics_db, exports, labels, queries
from insights.filters import Selection

# Alpha-3 codes the data sets use for places whose outline has no ISO numeric code: the outline's name.
OUTLINE_NAMES = {"XKX": "Kosovo", "KOS": "Kosovo"}

# A sequential palette (ColorBrewer OrRd, 7 classes), light to dark; fewer classes take evenly spaced steps.
PALETTE = ("#fef0d9", "#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#990000")
CLASS_COUNT = 6

# The counts a point carries.
POINT_COUNTS = ("health_workers_killed", "facilities_destroyed")

# At most this many points go to the map (the newest); the page says so when there are more.
POINT_LIMIT = queries.MAP_POINT_LIMIT

# A stand-in number reversed into the incident address, replaced in the browser by each incident's id.
_ID_PLACEHOLDER = 999999999


@cache
def numeric_code(iso3: str) -> str | None:
    """ISO 3166-1 numeric (three digits, as the outlines' `id`) of an alpha-3 code; None when unknown."""
    country = pycountry.countries.get(alpha_3=iso3.upper()) if len(iso3) == 3 else None
    return str(country.numeric) if country is not None else None


@cache
def alpha3_code(numeric: str) -> str | None:
    """ISO 3166-1 alpha-3 of a numeric code ('4', '004'); None when unknown."""
    if not numeric.isdigit():
        return None
    country = pycountry.countries.get(numeric=numeric.zfill(3))
    return str(country.alpha_3) if country is not None else None


# -- Countries ------------------------------------------------------------------------------------------------


def public(selection: Selection) -> Selection:
    """The map is a public page: its figures are those of the publishable rows only."""
    return selection if selection.public else replace(selection, public=True)


def country_rows(selection: Selection) -> list[dict[str, Any]]:
    """Events per country of the selection, each with its alpha-3 and numeric code, its name and the
    headline counts, most events first."""
    selection = public(selection)
    rows = queries.cached("map_countries", selection, lambda: queries.per_country(selection))
    found = []
    for row in rows:
        iso3 = row["country"]
        found.append(
            {
                "iso3": iso3,
                "numeric": numeric_code(iso3),
                "outline_name": OUTLINE_NAMES.get(iso3),
                "name": labels.country_label(iso3),
                "events": int(row["events"]),
                **{name: int(row[name] or 0) for name in queries.HEADLINE_COUNTS},
            }
        )
    return found


def _nice_ceiling(value: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... at or above `value`."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return int(step * power)
    return int(10 * power)  # pragma: no cover (the loop always returns)


def classes(values: Iterable[int], count: int = CLASS_COUNT) -> list[dict[str, Any]]:
    """The choropleth's classes for these per-country counts: at most `count` ranges (lower and upper
    bound, both included) that cover 1 to the highest count, with a colour and a label each.

    Few distinct counts get a class each; otherwise the bounds are quantiles of the counts rounded up to
    1, 2 or 5 times a power of ten, so the legend reads "1 to 2, 3 to 5, 6 to 10, 11 to 20, ..."."""
    ordered = sorted(value for value in values if value > 0)
    if not ordered:
        return []
    distinct = sorted(set(ordered))
    if len(distinct) <= count:
        uppers = distinct
    else:
        uppers = []
        for step in range(1, count):
            quantile = ordered[min(len(ordered) - 1, math.ceil(step * len(ordered) / count) - 1)]
            uppers.append(min(_nice_ceiling(quantile), ordered[-1]))
        uppers.append(ordered[-1])
        uppers = sorted(set(uppers))
    colours = _colours(len(uppers))
    found = []
    lower = 1
    for upper, colour in zip(uppers, colours, strict=True):
        label = _number(lower) if lower == upper else f"{_number(lower)}\u2013{_number(upper)}"  # an en dash
        found.append({"lower": lower, "upper": upper, "color": colour, "label": label})
        lower = upper + 1
    return found


def _number(value: int) -> str:
    return str(number_format(value, force_grouping=True))


def _colours(count: int) -> list[str]:
    if count == 1:
        return [PALETTE[len(PALETTE) // 2]]
    # Skip the palest step: it is hard to tell from the outlines' grey.
    usable = PALETTE[1:]
    return [usable[round(index * (len(usable) - 1) / (count - 1))] for index in range(count)]


def class_of(value: int, found: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    for item in found:
        if item["lower"] <= value <= item["upper"]:
            return item
    return None


def countries_document(selection: Selection) -> dict[str, Any]:
    """The JSON the map's choropleth reads: each country with its events, and the classes."""
    rows = country_rows(selection)
    found = classes(row["events"] for row in rows)
    for row in rows:
        match = class_of(row["events"], found)
        row["class"] = found.index(match) if match is not None else None
    return {
        "total": sum(row["events"] for row in rows),
        "countries": rows,
        "classes": found,
    }


# -- Points ---------------------------------------------------------------------------------------------------


_POINT_COLUMNS = (
    "fact_id",
    "unit",
    "source",
    "sources",
    "event_date",
    "country_iso3",
    "admin1",
    "latitude",
    "longitude",
    "geo_precision",
    "certainty",
    "attack_families",
    *POINT_COUNTS,
)


def public_points(selection: Selection, limit: int = POINT_LIMIT) -> dict[str, Any]:
    """The events of the selection whose coordinates may be published, newest first, at most `limit`,
    each as registry.publication lets it through, with `fact_id` and `unit`; says how many there are."""
    selection = public(selection)
    published, params = exports.published_facts(selection)
    located, more = exports.publicly_located()
    names = [*_POINT_COLUMNS, *analytics_db.ORIGIN_KEYS]
    cursor = analytics_db.connection().cursor()
    try:
        # Column names are constants; the selection's values are parameters.
        total_row = cursor.execute(
            f"SELECT count(*) FROM ({published}) p WHERE {located}",  # noqa: S608
            [*params, *more],
        ).fetchone()
        found = cursor.execute(
            f"SELECT {', '.join(f'p.{name}' for name in names)} FROM ({published}) p "  # noqa: S608
            f"WHERE {located} ORDER BY p.event_date DESC NULLS LAST, p.fact_id LIMIT {int(limit)}",
            [*params, *more],
        ).fetchall()
    finally:
        cursor.close()
    incident = selection.deduplicated
    rows = []
    for values in found:
        row = dict(zip(names, values, strict=True))
        shown = exports.public_values(row, incident=incident)
        rows.append(
            {
                "fact_id": row["fact_id"],
                "unit": row["unit"],
                **{name: shown.get(name) for name in _POINT_COLUMNS if name not in ("fact_id", "unit")},
                "event_date": row["event_date"].isoformat() if row["event_date"] else None,
            }
        )
    return {"total": int(total_row[0]) if total_row else 0, "shown": len(rows), "rows": rows}


def points_data(selection: Selection) -> dict[str, Any]:
    """`public_points` for the selection, at most POINT_LIMIT, cached (the page and the GeoJSON share it)."""
    selection = public(selection)
    limit = POINT_LIMIT
    return queries.cached("map_points", selection, lambda: public_points(selection, limit), limit)


def _incident_ids(selection: Selection, fact_ids: list[int]) -> dict[int, int]:
    """The incident of each of these facts (a record's incident; an incident's own id)."""
    if not fact_ids:
        return {}
    if selection.deduplicated:
        return {fact_id: fact_id for fact_id in fact_ids}
    cursor = analytics_db.connection().cursor()
    try:
        rows = cursor.execute(
            "SELECT f.fact_id, f.incident_id FROM facts f "
            "JOIN (SELECT unnest(?::BIGINT[]) AS fact_id) shown ON shown.fact_id = f.fact_id "
            "WHERE f.unit = 'record' AND f.incident_id IS NOT NULL",
            [fact_ids],
        ).fetchall()
    finally:
        cursor.close()
    return {int(fact_id): int(incident_id) for fact_id, incident_id in rows}


def incident_url_template() -> str:
    """The address of an incident's page with `{id}` where its id goes."""
    return reverse("registry:detail", args=[_ID_PLACEHOLDER]).replace(str(_ID_PLACEHOLDER), "{id}")


def points_collection(selection: Selection, *, with_incidents: bool = False) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the selection's located events (newest first, capped at
    POINT_LIMIT), with `total` (located events in the selection), `shown`, and `labels` that
    name the codes the features use (countries, families, sources) in the active language.

    `with_incidents` (staff who may analyse data) adds each event's incident id and number, and the
    address template of the incident page."""
    selection = public(selection)
    data = points_data(selection)
    incidents = (
        _incident_ids(selection, [int(row["fact_id"]) for row in data["rows"]]) if with_incidents else {}
    )
    countries: set[str] = set()
    families: set[str] = set()
    sources: set[str] = set()
    features = []
    for row in data["rows"]:
        row_sources = list(row["sources"] or ([row["source"]] if row["source"] else []))
        row_families = list(row["attack_families"] or [])
        properties: dict[str, Any] = {
            "date": row["event_date"],
            "country": row["country_iso3"] or "",
            "admin1": row["admin1"] or "",
            "families": row_families,
            "sources": row_sources,
            **{name: row[name] for name in POINT_COUNTS},
        }
        if with_incidents:
            incident_id = incidents.get(int(row["fact_id"]))
            properties["incident_id"] = incident_id
            properties["incident"] = _incident_number(incident_id) if incident_id else None
        countries.add(properties["country"])
        families.update(row_families)
        sources.update(row_sources)
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(row["longitude"], 6), round(row["latitude"], 6)],
                },
                "properties": properties,
            }
        )
    collection: dict[str, Any] = {
        "type": "FeatureCollection",
        "total": data["total"],
        "shown": data["shown"],
        "labels": {
            "countries": {code: labels.country_label(code) for code in sorted(countries)},
            "families": {code: labels.family_label(code) for code in sorted(families)},
            "sources": {code: labels.source_label(code) for code in sorted(sources)},
            "counts": {name: labels.count_label(name) for name in POINT_COUNTS},
        },
        "features": features,
    }
    if with_incidents:
        collection["incident_url"] = incident_url_template()
    return collection


def _incident_number(incident_id: int) -> str:
    from registry.models import Incident

    return Incident(pk=incident_id).number
