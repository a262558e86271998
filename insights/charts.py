"""Vega-Lite specifications of every chart, made from the aggregates of insights.queries.

The same specification is drawn in the browser (vega-embed, served locally) and rendered to SVG or PNG on
the server for reports (vl-convert, `render_svg`); both use Vega-Lite 6.4. Specifications are plain
dictionaries: every chart here is a bar, line or map, and a dictionary shows exactly what is drawn.
Each chart carries its data inline and its title, axis labels and descriptions in the page's language.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
VEGA_LITE_VERSION = "6.4"
# Colours with at least 4.5:1 contrast on white for marks that carry text, and a palette that stays
# distinguishable for the common colour-vision deficiencies (Okabe and Ito).
BAR_COLOUR = "#1f5f8b"
PALETTE = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#7f7f7f"]
WORLD_FILE = "world/countries-110m.json"
# Axes of counts: whole numbers only (no "0.5 attacks" when the figures are small).
COUNT_AXIS = {"tickMinStep": 1, "format": ",d"}


def _base(
    title: str, description: str, data: list[dict[str, Any]], width: Any = "container"
) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "title": title,
        "description": description,
        "width": width,
        "height": 260,
        "data": {"values": data},
        "config": {
            "font": "system-ui, sans-serif",
            "axis": {"labelFontSize": 12, "titleFontSize": 12},
            "legend": {"labelFontSize": 12, "titleFontSize": 12},
            "range": {"category": PALETTE},
        },
    }


def _lines(spec: dict[str, Any], **line: Any) -> dict[str, Any]:
    """Lines with a point per value, the tooltip on the points. A tooltip on the line itself would make
    Vega-Lite draw one path per tooltip field value (it groups a line by every field it shows), so that
    only points are left. The shared encoding stays at the top, where callers may adjust it."""
    tooltip = spec["encoding"].pop("tooltip")
    spec.pop("mark", None)
    spec["layer"] = [
        {"mark": {"type": "line", **line}},
        {
            "mark": {"type": "point", "filled": True, "size": 40, "tooltip": True, **line},
            "encoding": {"tooltip": tooltip},
        },
    ]
    return spec


def events_per_year(rows: list[dict[str, Any]]) -> dict[str, Any]:
    spec = _base(
        _("Attacks per year"),
        _("Bar chart: the number of attacks on health care per year, with the change on the year before."),
        rows,
    )
    spec["mark"] = {"type": "bar", "color": BAR_COLOUR, "tooltip": True}
    spec["encoding"] = {
        "x": {"field": "year", "type": "ordinal", "title": _("Year")},
        "y": {"field": "events", "type": "quantitative", "title": _("Attacks"), "axis": dict(COUNT_AXIS)},
        "tooltip": [
            {"field": "year", "title": _("Year")},
            {"field": "events", "title": _("Attacks"), "format": ","},
            {"field": "change_percent", "title": _("Change on the year before (%)")},
        ],
    }
    return spec


def events_per_month(rows: list[dict[str, Any]]) -> dict[str, Any]:
    spec = _base(
        _("Attacks per month"),
        _("Line chart: the number of attacks on health care per month."),
        rows,
    )
    spec["encoding"] = {
        # UTC: "2023-05-01" is midnight UTC, which in a browser west of Greenwich is still April.
        "x": {"field": "month", "type": "temporal", "timeUnit": "utcyearmonth", "title": _("Month")},
        "y": {"field": "events", "type": "quantitative", "title": _("Attacks"), "axis": dict(COUNT_AXIS)},
        "tooltip": [
            {"field": "month", "type": "temporal", "timeUnit": "utcyearmonth", "title": _("Month")},
            {"field": "events", "title": _("Attacks"), "format": ","},
            {"field": "change_percent", "title": _("Change on the month before (%)")},
        ],
    }
    return _lines(spec, color=BAR_COLOUR)


def ranked_bars(
    rows: list[dict[str, Any]],
    *,
    title: str,
    description: str,
    label_title: str,
    label_field: str = "label",
    value_title: str | None = None,
) -> dict[str, Any]:
    """Horizontal bars, largest first: countries, attack-type families, resources, perpetrators."""
    spec = _base(title, description, rows)
    spec["height"] = {"step": 22}
    spec["mark"] = {"type": "bar", "color": BAR_COLOUR, "tooltip": True}
    spec["encoding"] = {
        "y": {"field": label_field, "type": "nominal", "sort": "-x", "title": label_title},
        "x": {
            "field": "events",
            "type": "quantitative",
            "title": value_title or _("Attacks"),
            "axis": dict(COUNT_AXIS),
        },
        "tooltip": [
            {"field": label_field, "title": label_title},
            {"field": "events", "title": value_title or _("Attacks"), "format": ","},
        ],
    }
    return spec


def events_per_year_by_source(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Stacked bars: each source's records per year. Rows carry `year`, `label` (the source's name),
    `order` (its place in the stack) and `events`."""
    spec = _base(
        _("Records per year, by source"),
        _("Stacked bar chart: per year, the number of records of each source."),
        rows,
    )
    spec["mark"] = {"type": "bar", "tooltip": True}
    spec["encoding"] = {
        "x": {"field": "year", "type": "ordinal", "title": _("Year")},
        "y": {
            "field": "events",
            "type": "quantitative",
            "title": _("Records"),
            "stack": "zero",
            "axis": dict(COUNT_AXIS),
        },
        "color": {"field": "label", "type": "nominal", "title": _("Source"), "sort": {"field": "order"}},
        "order": {"field": "order", "type": "quantitative"},
        "tooltip": [
            {"field": "label", "title": _("Source")},
            {"field": "year", "title": _("Year")},
            {"field": "events", "title": _("Records"), "format": ","},
        ],
    }
    return spec


def overlap_matrix(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A heat map of the incidents two sources share. Rows carry `row` and `column` (source names), `order_row`,
    `order_column`, `incidents` and `share` (% of the row source's incidents also in the column source; the
    diagonal is 100)."""
    spec = _base(
        _("Incidents two sources share"),
        _(
            "Heat map: for each source (rows), how many of its incidents another source (columns) also "
            "reports; the colour is the share of the row source's incidents."
        ),
        rows,
        width={"step": 72},
    )
    spec["height"] = {"step": 36}
    cell = {
        "x": {
            "field": "column",
            "type": "nominal",
            "title": _("Also reported by"),
            "sort": {"field": "order_column"},
            "axis": {"orient": "top", "labelAngle": -30},
        },
        "y": {
            "field": "row",
            "type": "nominal",
            "title": _("Incidents of"),
            "sort": {"field": "order_row"},
        },
    }
    tooltip = [
        {"field": "row", "title": _("Incidents of")},
        {"field": "column", "title": _("Also reported by")},
        {"field": "incidents", "title": _("Incidents"), "format": ","},
        {"field": "share", "title": _("Share of the row source's incidents (%)")},
    ]
    spec["layer"] = [
        {
            "mark": {"type": "rect", "tooltip": True},
            "encoding": {
                **cell,
                "color": {
                    "field": "share",
                    "type": "quantitative",
                    "title": _("Share (%)"),
                    "scale": {"scheme": "blues", "domain": [0, 100]},
                },
                "tooltip": tooltip,
            },
        },
        {
            "mark": {"type": "text", "fontSize": 12},
            "encoding": {
                **cell,
                "text": {"field": "incidents", "type": "quantitative", "format": ","},
                # Dark text on light cells, white on dark ones: readable on every shade of the scale.
                "color": {"condition": {"test": "datum.share > 72", "value": "#ffffff"}, "value": "#111111"},
            },
        },
    ]
    return spec


def overlap_shares(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Stacked horizontal bars: per source, its incidents no other source has and those it shares. Rows
    carry `label` (the source), `order`, `part` (a label), `part_order` and `incidents`."""
    spec = _base(
        _("Incidents only one source has, and those it shares"),
        _("Stacked bar chart: per source, the incidents no other source reports and those another does."),
        rows,
    )
    spec["height"] = {"step": 26}
    spec["mark"] = {"type": "bar", "tooltip": True}
    spec["encoding"] = {
        "y": {"field": "label", "type": "nominal", "title": _("Source"), "sort": {"field": "order"}},
        "x": {
            "field": "incidents",
            "type": "quantitative",
            "title": _("Incidents"),
            "stack": "zero",
            "axis": dict(COUNT_AXIS),
        },
        "color": {
            "field": "part",
            "type": "nominal",
            "title": _("Reported by"),
            "sort": {"field": "part_order"},
            "scale": {"range": [PALETTE[0], PALETTE[4]]},
        },
        "order": {"field": "part_order", "type": "quantitative"},
        "tooltip": [
            {"field": "label", "title": _("Source")},
            {"field": "part", "title": _("Reported by")},
            {"field": "incidents", "title": _("Incidents"), "format": ","},
        ],
    }
    return spec


def counts_per_year(rows: list[dict[str, Any]], labels: dict[str, str]) -> dict[str, Any]:
    """Health workers killed, injured, kidnapped and arrested, facilities destroyed and damaged, per year:
    one line per count. `labels` names each count in the page's language."""
    # The field is not called "count": Vega-Lite then draws the lines of all but one series as points.
    long = [
        {"year": row["year"], "measure": labels[name], "value": int(row[name] or 0)}
        for row in rows
        for name in labels
    ]
    spec = _base(
        _("Health workers and facilities harmed per year"),
        _(
            "Line chart: per year, health workers killed, injured, kidnapped and arrested, and facilities "
            "destroyed and damaged."
        ),
        long,
    )
    spec["encoding"] = {
        "x": {"field": "year", "type": "ordinal", "title": _("Year")},
        "y": {
            "field": "value",
            "type": "quantitative",
            "title": _("People or facilities"),
            "axis": dict(COUNT_AXIS),
        },
        "color": {"field": "measure", "type": "nominal", "title": _("Count")},
        "tooltip": [
            {"field": "year", "title": _("Year")},
            {"field": "measure", "title": _("Count")},
            {"field": "value", "title": _("People or facilities"), "format": ","},
        ],
    }
    return _lines(spec)


def sources_per_year(rows: list[dict[str, Any]], *, indexed: bool, base_year: int | None) -> dict[str, Any]:
    """One line per source (and one for the de-duplicated incidents): absolute, or indexed to the base
    year (= 100). Rows carry `label` (the source's name), `year`, `events` and `index`."""
    field = "index" if indexed else "events"
    title = (
        _("Attacks per year by source, indexed (%(year)s = 100)") % {"year": base_year}
        if indexed
        else _("Attacks per year by source")
    )
    spec = _base(
        title,
        _("Line chart: one line per source and one for the de-duplicated incidents."),
        [row for row in rows if row.get(field) is not None],
    )
    spec["encoding"] = {
        "x": {"field": "year", "type": "ordinal", "title": _("Year")},
        "y": {
            "field": field,
            "type": "quantitative",
            "title": _("Index") if indexed else _("Attacks"),
            "axis": {} if indexed else dict(COUNT_AXIS),
        },
        "color": {"field": "label", "type": "nominal", "title": _("Source")},
        "strokeDash": {"field": "deduplicated", "type": "nominal", "legend": None},
        "tooltip": [
            {"field": "label", "title": _("Source")},
            {"field": "year", "title": _("Year")},
            {"field": "events", "title": _("Attacks"), "format": ","},
            {"field": "index", "title": _("Index")},
        ],
    }
    return _lines(spec)


def vintages_per_year(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Grouped bars: a year's count as each vintage reported it. Rows carry `year`, `vintage` (a label)
    and `events`."""
    spec = _base(
        _("Each year's count, as each vintage reported it"),
        _("Grouped bar chart: for each year, one bar per vintage of the dataset."),
        rows,
    )
    spec["mark"] = {"type": "bar", "tooltip": True}
    spec["encoding"] = {
        "x": {"field": "year", "type": "ordinal", "title": _("Year")},
        "xOffset": {"field": "vintage", "type": "nominal"},
        "y": {"field": "events", "type": "quantitative", "title": _("Attacks"), "axis": dict(COUNT_AXIS)},
        "color": {"field": "vintage", "type": "nominal", "title": _("Vintage")},
        "tooltip": [
            {"field": "vintage", "title": _("Vintage")},
            {"field": "year", "title": _("Year")},
            {"field": "events", "title": _("Attacks"), "format": ","},
        ],
    }
    return spec


@cache
def world_topology() -> dict[str, Any]:
    """The country outlines (Natural Earth 1:110m via world-atlas, served from static/vendor/world)."""
    for folder in [
        settings.BASE_DIR / "zorgveilig" / "static" / "vendor",
        Path(settings.STATIC_ROOT) / "vendor",
    ]:
        path = folder / WORLD_FILE
        if path.exists():
            return json.loads(path.read_text(encoding="utf-8"))
    raise FileNotFoundError(f"{WORLD_FILE} is missing: run `make assets`")


def choropleth(rows: list[dict[str, Any]], *, inline_world: bool = False) -> dict[str, Any]:
    """Attacks per country on a world map. Rows carry `numeric` (ISO 3166-1 numeric, the outlines' id),
    `label` and `events`. In the browser the outlines load from the static file; for reports
    (`inline_world`) they are put into the specification, as vl-convert reads no files."""
    world: dict[str, Any]
    if inline_world:
        world = {"values": world_topology(), "format": {"type": "topojson", "feature": "countries"}}
    else:
        from django.templatetags.static import static

        world = {
            "url": static(f"vendor/{WORLD_FILE}"),
            "format": {"type": "topojson", "feature": "countries"},
        }
    spec = _base(
        _("Attacks per country"),
        _("World map: each country coloured by the number of attacks on health care."),
        [],
    )
    spec["height"] = 320
    spec["projection"] = {"type": "equalEarth"}
    spec["layer"] = [
        {
            "data": world,
            "mark": {"type": "geoshape", "fill": "#e8e8e8", "stroke": "#ffffff", "strokeWidth": 0.5},
        },
        {
            "data": world,
            "transform": [
                {
                    "lookup": "id",
                    "from": {"data": {"values": rows}, "key": "numeric", "fields": ["label", "events"]},
                },
                {"filter": "datum.events > 0"},
            ],
            "mark": {"type": "geoshape", "stroke": "#ffffff", "strokeWidth": 0.5, "tooltip": True},
            "encoding": {
                "color": {
                    "field": "events",
                    "type": "quantitative",
                    "scale": {"scheme": "oranges"},
                    "title": _("Attacks"),
                },
                "tooltip": [
                    {"field": "label", "title": _("Country")},
                    {"field": "events", "title": _("Attacks"), "format": ","},
                ],
            },
        },
    ]
    del spec["data"]
    return spec


def render_svg(spec: dict[str, Any]) -> str:
    """The chart as SVG, rendered on the server (for reports and downloads without a browser)."""
    import vl_convert

    static = dict(spec)
    if static.get("width") == "container":
        static["width"] = 640
    return str(vl_convert.vegalite_to_svg(static, vl_version=VEGA_LITE_VERSION))


def render_png(spec: dict[str, Any], scale: float = 2.0) -> bytes:
    import vl_convert

    static = dict(spec)
    if static.get("width") == "container":
        static["width"] = 640
    return bytes(vl_convert.vegalite_to_png(static, vl_version=VEGA_LITE_VERSION, scale=scale))
