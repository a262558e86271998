"""The public accountability figure: documented attacks against those with an investigation opened and those
with an outcome, per year, and who opened the investigations.

The counts are of incidents (registry.Incident, active, not at an unpublished certainty level:
registry.publication), by the year of the attack: an incident counts as investigated when at least one of
its investigations was opened, and as having an outcome when one of those has an outcome other than "none
yet". An investigation of an incident that linkage later merged into another counts for the one it went to.

These are plain aggregates on the transactional database: accountability data are small (a few
investigations per incident at most, and few incidents investigated), and counting incidents per year is one
indexed GROUP BY. They are kept in the cache for CACHE_SECONDS and dropped whenever an investigation changes.
(The conflict figures, which scan millions of records, read the analytics database instead; this app may
not import insights, and needs nothing from it.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext as _

from accountability.actions import FIGURE_CACHE_KEY
from accountability.models import Investigation
from registry.models import Incident
from registry.publication import UNPUBLISHED_CERTAINTY

CACHE_SECONDS = 600
MEASURES = ("documented", "investigated", "with_outcome")
BODIES = tuple(Investigation.Body.values)
MAX_MERGE_STEPS = 50

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
# As insights.charts: readable on white, and distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000"]
COUNT_AXIS = {"tickMinStep": 1, "format": ",d"}


def _published() -> Any:
    return Incident.objects.filter(status=Incident.Status.ACTIVE).exclude(
        certainty__in=sorted(UNPUBLISHED_CERTAINTY)
    )


def current_incidents(incident_ids: Iterable[int]) -> dict[int, int]:
    """For each incident id, the active incident it is now (itself, or where merges took it)."""
    wanted = set(incident_ids)
    found: dict[int, int] = {}
    pending = {pk: pk for pk in wanted}  # original -> where it has got to
    for _step in range(MAX_MERGE_STEPS):
        if not pending:
            break
        rows = dict(Incident.objects.filter(pk__in=set(pending.values())).values_list("pk", "merged_into_id"))
        moving = {}
        for original, now in pending.items():
            heir = rows.get(now)
            if heir is None or heir == now:
                found[original] = now
            else:
                moving[original] = heir
        pending = moving
    found.update(pending)
    return found


def figure_data() -> dict[str, Any]:
    """Per year: documented incidents, those investigated, those with an outcome, and those investigated per
    kind of body; with the totals and the incidents without a date. Cached."""
    cached = cache.get(FIGURE_CACHE_KEY)
    if cached is not None:
        return dict(cached)
    documented = {
        row["year"]: row["incidents"]
        for row in _published()
        .exclude(event_date=None)
        .annotate(year=ExtractYear("event_date"))
        .values("year")
        .annotate(incidents=Count("pk"))
    }
    undated = _published().filter(event_date=None).count()
    investigations = list(Investigation.objects.values_list("incident_id", "opened", "body", "outcome"))
    now = current_incidents({incident for incident, *_rest in investigations})
    years = dict(
        _published()
        .filter(pk__in=set(now.values()))
        .exclude(event_date=None)
        .annotate(year=ExtractYear("event_date"))
        .values_list("pk", "year")
    )
    investigated: dict[int, set[str]] = {}
    with_outcome: set[int] = set()
    for incident, opened, body, outcome in investigations:
        current = now.get(incident, incident)
        if current not in years or opened != Investigation.Opened.YES:
            continue
        investigated.setdefault(current, set()).add(body or Investigation.Body.OTHER)
        if outcome != Investigation.Outcome.NONE_YET:
            with_outcome.add(current)
    rows = []
    for year in sorted(documented):
        members = [pk for pk in investigated if years[pk] == year]
        rows.append(
            {
                "year": year,
                "documented": documented[year],
                "investigated": len(members),
                "with_outcome": len([pk for pk in members if pk in with_outcome]),
                **{f"by_{body}": len([pk for pk in members if body in investigated[pk]]) for body in BODIES},
            }
        )
    found = {
        "rows": rows,
        "totals": {
            "documented": sum(row["documented"] for row in rows),
            "investigated": sum(row["investigated"] for row in rows),
            "with_outcome": sum(row["with_outcome"] for row in rows),
            **{f"by_{body}": sum(row[f"by_{body}"] for row in rows) for body in BODIES},
        },
        "undated": undated,
    }
    cache.set(FIGURE_CACHE_KEY, found, CACHE_SECONDS)
    return found


def measure_labels() -> dict[str, str]:
    return {
        "documented": _("Documented attacks"),
        "investigated": _("With an investigation opened"),
        "with_outcome": _("With an outcome"),
    }


def body_labels() -> dict[str, str]:
    return {
        Investigation.Body.INDEPENDENT: _("Independent body"),
        Investigation.Body.PARTY: _("The party itself"),
        Investigation.Body.UN: _("UN mechanism"),
        Investigation.Body.NATIONAL_COURT: _("National court"),
        Investigation.Body.OTHER: _("Other"),
    }


def _base(title: str, description: str, data: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "title": title,
        "description": description,
        "width": "container",
        "height": 260,
        "data": {"values": data},
        "config": {
            "font": "system-ui, sans-serif",
            "axis": {"labelFontSize": 12, "titleFontSize": 12},
            # Below the chart, one entry a line: side by side they do not fit on a phone.
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom", "direction": "vertical"},
            "range": {"category": PALETTE},
        },
    }


def accountability_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Grouped bars per year: documented attacks, those investigated, those with an outcome."""
    labels = measure_labels()
    order = [labels[name] for name in MEASURES]
    data = [
        {"year": str(row["year"]), "measure": labels[name], "value": row[name]}
        for row in rows
        for name in MEASURES
    ]
    spec = _base(
        _("Attacks per year"),
        _(
            "Bar chart: per year, the attacks on health care documented, those of which an investigation "
            "was opened, and those with an outcome."
        ),
        data,
    )
    spec["mark"] = {"type": "bar", "tooltip": True}
    spec["encoding"] = {
        "x": {"field": "year", "type": "ordinal", "title": _("Year")},
        "xOffset": {"field": "measure", "type": "nominal", "sort": order},
        "y": {"field": "value", "type": "quantitative", "title": _("Attacks"), "axis": dict(COUNT_AXIS)},
        "color": {"field": "measure", "type": "nominal", "sort": order, "title": None},
        "tooltip": [
            {"field": "year", "title": _("Year")},
            {"field": "measure", "title": _("Attacks")},
            {"field": "value", "title": _("Number"), "format": ","},
        ],
    }
    return spec


def bodies_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Stacked bars per year: the investigated attacks, per kind of body that opened an investigation."""
    labels = body_labels()
    order = [labels[body] for body in BODIES]
    data = [
        {"year": str(row["year"]), "body": labels[body], "value": row[f"by_{body}"]}
        for row in rows
        for body in BODIES
        if row[f"by_{body}"]
    ]
    spec = _base(
        _("Who investigated, per year"),
        _("Stacked bar chart: per year, the attacks investigated, by the kind of body that investigated."),
        data,
    )
    spec["mark"] = {"type": "bar", "tooltip": True}
    spec["encoding"] = {
        "x": {"field": "year", "type": "ordinal", "title": _("Year")},
        "y": {
            "field": "value",
            "type": "quantitative",
            "title": _("Attacks investigated"),
            "axis": dict(COUNT_AXIS),
        },
        "color": {"field": "body", "type": "nominal", "sort": order, "title": None},
        "order": {"field": "body"},
        "tooltip": [
            {"field": "year", "title": _("Year")},
            {"field": "body", "title": _("Opened by")},
            {"field": "value", "title": _("Attacks investigated"), "format": ","},
        ],
    }
    return spec
