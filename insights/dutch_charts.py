"""The charts of the Dutch statistics page (insights.dutch_statistics): Vega-Lite specs of a breakdown's bars
and of the kind x channel heatmap, in which a hidden cell ("<5" or "x") is drawn grey and named in the
description instead of being drawn as a number."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from insights.charts import BAR_COLOUR, SCHEMA

if TYPE_CHECKING:
    from insights.dutch_statistics import CrossRow, Row

HIDDEN_COLOUR = "#d9d9d9"


def _base(title: str, description: str, values: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "title": title,
        "description": description,
        "width": "container",
        "data": {"values": values},
        "config": {
            "font": "system-ui, sans-serif",
            "axis": {"labelFontSize": 12, "titleFontSize": 12},
            "legend": {"labelFontSize": 12, "titleFontSize": 12},
        },
    }


def _hidden_note(rows: Iterable[Row]) -> str:
    labels = [f"{row.label} ({row.count.mark})" for row in rows if row.count.hidden]
    if not labels:
        return ""
    return " " + _("Hidden counts are left out of the chart: %(labels)s.") % {"labels": ", ".join(labels)}


def bar_chart(rows: Sequence[Row], *, title: str, label_title: str, vertical: bool = False) -> dict[str, Any]:
    """Bars of the counts shown; a hidden count gets no bar, only its mark ("<5" or "x") at zero. Vertical
    bars in the order of the rows (years), or horizontal bars largest first (then the hidden ones, then
    zeros)."""
    if vertical:
        order = [row.label for row in rows]
    else:
        ranked = sorted(rows, key=lambda row: (row.count.hidden, -(row.count.value or 0)))
        order = [row.label for row in ranked if row.count.value != 0] + [
            row.label for row in ranked if row.count.value == 0
        ]
    values = [
        {
            "label": row.label,
            "reports": row.count.value,
            "hidden": row.count.hidden,
            "mark": row.count.mark,
            "shown": row.count.spoken,
        }
        for row in rows
    ]
    kind = _("Bar chart") if vertical else _("Horizontal bar chart")
    description = _("%(kind)s: %(title)s.") % {"kind": kind, "title": title.lower()} + _hidden_note(rows)
    spec = _base(title, description, values)
    category = {
        "field": "label",
        "type": "ordinal" if vertical else "nominal",
        "title": label_title,
        "scale": {"domain": order},
        "sort": order,
        "axis": {"labelLimit": 260},
    }
    quantity = {"field": "reports", "type": "quantitative", "title": _("Reports"), "axis": {"tickMinStep": 1}}
    tooltip = [{"field": "label", "title": label_title}, {"field": "shown", "title": _("Reports")}]
    category_channel, quantity_channel = ("x", "y") if vertical else ("y", "x")
    spec["height"] = 260 if vertical else {"step": 22}
    spec["layer"] = [
        {
            "transform": [{"filter": "!datum.hidden"}],
            "mark": {"type": "bar", "color": BAR_COLOUR, "tooltip": True},
            "encoding": {category_channel: category, quantity_channel: quantity, "tooltip": tooltip},
        },
        {
            "transform": [{"filter": "datum.hidden"}],
            "mark": {
                "type": "text",
                "color": "#111111",
                "fontSize": 13,
                "fontWeight": "bold",
                **({"dy": -8} if vertical else {"dx": 12}),
            },
            "encoding": {
                category_channel: category,
                quantity_channel: {"datum": 0},
                "text": {"field": "mark"},
                "tooltip": tooltip,
            },
        },
    ]
    return spec


def heatmap(year: int, rows: Sequence[CrossRow], column_labels: Sequence[str]) -> dict[str, Any]:
    """Kind x channel as a grid of coloured cells with their count; a hidden count is a grey cell marked "<5"
    or "x"."""
    shown = [count.value for row in rows for count in row.cells if count.value is not None]
    darkest = max(shown, default=0)
    values = [
        {
            "kind": row.label,
            "channel": channel,
            "reports": count.value,
            "hidden": count.hidden,
            "text": count.mark,
            "shown": count.spoken,
            # White figures on the darker half of the colour scale, for contrast.
            "dark": bool(count.value and darkest and count.value > darkest * 0.55),
        }
        for row in rows
        for channel, count in zip(column_labels, row.cells, strict=True)
    ]
    title = _("Kinds of incident by channel, %(year)s") % {"year": year}
    description = _(
        "Grid: one row per kind of incident, one column per channel, each cell coloured by its number of "
        "reports (white: none). Grey cells are hidden counts: <5 for fewer than 5 reports, x for a count "
        "hidden so that a small number cannot be worked out."
    )
    spec = _base(title, description, values)
    spec["height"] = {"step": 26}
    tooltip = [
        {"field": "kind", "title": _("Kind of incident")},
        {"field": "channel", "title": _("Channel")},
        {"field": "shown", "title": _("Reports")},
    ]
    spec["encoding"] = {
        "x": {
            "field": "channel",
            "type": "nominal",
            "sort": list(column_labels),
            "title": _("Channel"),
            "axis": {"labelAngle": -30, "orient": "top"},
        },
        "y": {
            "field": "kind",
            "type": "nominal",
            "sort": [row.label for row in rows],
            "title": None,
            "axis": {"labelLimit": 260},
        },
        "tooltip": tooltip,
    }
    spec["layer"] = [
        {
            "transform": [{"filter": "!datum.hidden && datum.reports > 0"}],
            "mark": {"type": "rect", "stroke": "#ffffff", "tooltip": True},
            "encoding": {
                "color": {
                    "field": "reports",
                    "type": "quantitative",
                    "scale": {"scheme": "blues"},
                    "title": _("Reports"),
                }
            },
        },
        {
            "transform": [{"filter": "datum.reports === 0"}],
            "mark": {"type": "rect", "color": "#ffffff", "stroke": "#e3e6ea", "tooltip": True},
        },
        {
            "transform": [{"filter": "datum.hidden"}],
            "mark": {"type": "rect", "color": HIDDEN_COLOUR, "stroke": "#ffffff", "tooltip": True},
        },
        {
            "mark": {"type": "text", "fontSize": 12},
            "encoding": {
                "text": {"field": "text"},
                "color": {"condition": {"test": "datum.dark", "value": "#ffffff"}, "value": "#111111"},
            },
        },
    ]
    return spec
