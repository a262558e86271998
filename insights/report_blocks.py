"""The pieces of a report's document (tables, charts with their tables, sections, headline figures), how
its numbers and dates are written, and the blocks of charts and tables made from a selection."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pycountry
from django.conf import settings
from django.utils import formats, timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from insights import analytics_db, charts, labels, queries
from insights.filters import DEDUPLICATED, SOURCE_ORDER, Selection

COUNTRY_OUTLINES = "world/countries-50m.json"  # finer outlines for the map of one country

MONTHS_SHOWN = 60  # the monthly chart is left out of longer periods: its table would run for pages
TOP_COUNTRIES = 20
TOP_AREAS = 15
MAP_POINTS = 5000


# -- The pieces of the document -------------------------------------------------------------------------------


@dataclass
class Table:
    caption: str
    head: list[str]
    rows: list[list[str]]  # the first cell of a row is its header
    numeric: list[bool] = field(default_factory=list)
    note: str = ""

    def __post_init__(self) -> None:
        if not self.numeric:
            self.numeric = [False] + [True] * (len(self.head) - 1)

    @property
    def wide(self) -> bool:
        return len(self.head) > 4

    @property
    def short(self) -> bool:
        return len(self.rows) <= 15

    @property
    def columns(self) -> list[tuple[str, bool]]:
        return list(zip(self.head, self.numeric, strict=True))

    @property
    def body(self) -> list[list[tuple[str, bool]]]:
        return [list(zip(row, self.numeric, strict=True)) for row in self.rows]


@dataclass
class Block:
    """A chart with the table of its figures, or a table alone."""

    key: str
    table: Table | None = None
    spec: dict[str, Any] | None = None
    svg: SafeString | None = None
    number: int = 0
    note: str = ""

    @property
    def title(self) -> str:
        if self.spec is not None:
            return str(self.spec.get("title", ""))
        return self.table.caption if self.table else ""

    @property
    def description(self) -> str:
        return str(self.spec.get("description", "")) if self.spec else ""


@dataclass
class Section:
    key: str
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: str


# -- Numbers and dates ----------------------------------------------------------------------------------------


def _n(value: Any) -> str:
    if value is None or value == "":
        return "\u2013"
    return formats.number_format(value, use_l10n=True, force_grouping=True)


def _percent(value: Any) -> str:
    if value is None:
        return "\u2013"
    return f"{formats.number_format(value, decimal_pos=1, use_l10n=True, force_grouping=True)}%"


def _change(value: float | None) -> str:
    if value is None:
        return "\u2013"
    sign = "+" if value > 0 else ("\u2212" if value < 0 else "±")
    return f"{sign}{formats.number_format(abs(value), decimal_pos=1, use_l10n=True, force_grouping=True)}%"


def _date(value: str | datetime.date | None) -> str:
    if not value:
        return "\u2013"
    day = datetime.date.fromisoformat(value) if isinstance(value, str) else value
    return formats.date_format(day, "DATE_FORMAT")


def _moment(value: datetime.datetime) -> str:
    local = timezone.localtime(value)
    return f"{formats.date_format(local, 'DATE_FORMAT')} {formats.time_format(local, 'H:i')}"


def _unit(selection: Selection) -> str:
    return labels.count_label("incidents" if selection.deduplicated else "records")


# -- Charts and tables ----------------------------------------------------------------------------------------


def _year_block(selection: Selection) -> Block:
    rows = queries.per_year(selection)
    table = Table(
        _("Attacks per year"),
        [_("Year"), _unit(selection), _("Change on the year before")],
        [[str(row["year"]), _n(row["events"]), _change(row["change_percent"])] for row in rows],
    )
    return Block("per-year", table, charts.events_per_year(rows) if rows else None)


def _month_block(selection: Selection) -> Block | None:
    rows = queries.per_month(selection)
    if len(rows) < 2 or len(rows) > MONTHS_SHOWN:
        return None
    rows = _with_month_change(rows)
    table = Table(
        _("Attacks per month"),
        [_("Month"), _unit(selection), _("Change on the month before")],
        [
            [
                formats.date_format(datetime.date.fromisoformat(row["month"]), "YEAR_MONTH_FORMAT"),
                _n(row["events"]),
                _change(row["change_percent"]),
            ]
            for row in rows
        ],
        note=_("Events dated to a year only are not in the monthly figures."),
    )
    return Block("per-month", table, charts.events_per_month(rows))


def _with_month_change(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The change on the month before, in %, where the month before has events."""
    found = []
    previous: dict[str, Any] | None = None
    for row in rows:
        month = datetime.date.fromisoformat(row["month"])
        before = (month - datetime.timedelta(days=1)).replace(day=1).isoformat()
        change = None
        if previous is not None and previous["month"] == before and previous["events"]:
            change = round((row["events"] - previous["events"]) * 100 / previous["events"], 1)
        found.append({**row, "change_percent": change})
        previous = row
    return found


def _counts_block(selection: Selection) -> Block:
    rows = queries.counts_per_year(selection)
    names = {name: labels.count_label(name) for name in queries.HEADLINE_COUNTS}
    table = Table(
        _("Health workers and facilities harmed per year"),
        [_("Year"), *names.values()],
        [[str(row["year"]), *(_n(row[name]) for name in names)] for row in rows],
        note=_("Sums of the figures the sources give; an event without a figure adds nothing."),
    )
    return Block("counts-per-year", table, charts.counts_per_year(rows, names) if rows else None)


def _ranked_block(
    key: str,
    rows: list[dict[str, Any]],
    *,
    title: str,
    description: str,
    label_title: str,
    selection: Selection,
) -> Block | None:
    rows = [row for row in rows if row["events"]]
    if not rows:
        return None
    table = Table(title, [label_title, _unit(selection)], [[row["label"], _n(row["events"])] for row in rows])
    spec = charts.ranked_bars(rows, title=title, description=description, label_title=label_title)
    return Block(key, table, spec)


def _families_block(selection: Selection) -> Block | None:
    rows = [{**row, "label": labels.family_label(row["code"])} for row in queries.per_family(selection)]
    return _ranked_block(
        "families",
        rows,
        title=_("Attacks by type of attack"),
        description=_(
            "Bar chart: the number of attacks of each type; an attack of two types counts in both."
        ),
        label_title=_("Type of attack"),
        selection=selection,
    )


def _resources_block(selection: Selection) -> Block | None:
    rows = [{**row, "label": labels.resource_label(row["code"])} for row in queries.per_resource(selection)]
    return _ranked_block(
        "resources",
        rows,
        title=_("Attacks by what was hit"),
        description=_("Bar chart: the number of attacks that hit each part of health care."),
        label_title=_("Health-care resource"),
        selection=selection,
    )


def _perpetrators_block(selection: Selection) -> Block | None:
    found = queries.per_perpetrator(selection)
    rows = [{**row, "label": labels.perpetrator_label(row["code"])} for row in found["rows"]]
    block = _ranked_block(
        "perpetrators",
        rows,
        title=_("Attacks by perpetrator"),
        description=_("Bar chart: the number of attacks per kind of perpetrator, as the sources name them."),
        label_title=_("Perpetrator"),
        selection=selection,
    )
    if block is not None and found["known"]:
        block.note = _("State actors: %(share)s of the %(known)s attacks whose perpetrator is known.") % {
            "share": _percent(found["state_share_percent"]),
            "known": _n(found["known"]),
        }
    return block


def _sources_block(selection: Selection) -> Block | None:
    found = queries.per_source_year(selection)
    rows = found["rows"]
    if not rows:
        return None
    slugs = {row["source"] for row in rows} - {DEDUPLICATED}
    order = [*sorted(slugs, key=_source_rank), DEDUPLICATED]
    years = sorted({row["year"] for row in rows})
    counts = {(row["source"], row["year"]): row["events"] for row in rows}
    table = Table(
        _("Records per year of each source, and the de-duplicated incidents"),
        [_("Year"), *(labels.source_label(slug) for slug in order)],
        [[str(year), *(_n(counts.get((slug, year), 0)) for slug in order)] for year in years],
        note=_(
            "A source's column counts its own records in its newest vintage; the last column counts each "
            "incident once, however many sources reported it."
        ),
    )
    lines = [
        {**row, "label": labels.source_label(row["source"]), "deduplicated": row["source"] == DEDUPLICATED}
        for row in rows
    ]
    spec = charts.sources_per_year(lines, indexed=False, base_year=found["base_year"])
    return Block("sources-per-year", table, spec)


def _source_rank(slug: str) -> tuple[int, str]:
    return (SOURCE_ORDER.index(slug) if slug in SOURCE_ORDER else len(SOURCE_ORDER), slug)


@cache
def _numeric(iso3: str) -> str | None:
    country = pycountry.countries.get(alpha_3=iso3) if len(iso3) == 3 else None
    return str(country.numeric) if country is not None else None


def _countries_blocks(selection: Selection) -> list[Block]:
    rows = queries.per_country(selection)
    if not rows:
        return []
    mapped = [
        {
            "numeric": _numeric(row["country"]),
            "label": labels.country_label(row["country"]),
            "events": row["events"],
        }
        for row in rows
    ]
    names = [labels.count_label(name) for name in queries.HEADLINE_COUNTS]
    top = rows[:TOP_COUNTRIES]
    table = Table(
        _("The %(count)s countries with the most attacks") % {"count": len(top)}
        if len(rows) > len(top)
        else _("Attacks per country"),
        [_("Country"), _unit(selection), *names],
        [
            [
                labels.country_label(row["country"]),
                _n(row["events"]),
                *(_n(row[n]) for n in queries.HEADLINE_COUNTS),
            ]
            for row in top
        ],
        note=ngettext("%(count)s country in all.", "%(count)s countries in all.", len(rows))
        % {"count": len(rows)}
        + " "
        + _("A dash: no source gives this figure."),
    )
    located = [row for row in mapped if row["numeric"]]
    spec = charts.choropleth(located, inline_world=True)
    _in_classes(spec, located)
    return [Block("countries", table, spec)]


# Five classes, light to dark (ColorBrewer Oranges): the darkest has 7.3:1 contrast with white.
CLASS_COLOURS = ("#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603")


def map_classes(values: Iterable[int], count: int = len(CLASS_COLOURS)) -> list[tuple[int, int]]:
    """Up to `count` classes (lowest, highest) of about as many countries each (quantiles)."""
    ordered = sorted(value for value in values if value > 0)
    if not ordered:
        return []
    uppers: list[int] = []
    for index in range(1, count):
        upper = ordered[min(len(ordered) - 1, len(ordered) * index // count)]
        if not uppers or upper > uppers[-1]:
            uppers.append(upper)
    if not uppers or ordered[-1] > uppers[-1]:
        uppers.append(ordered[-1])
    classes, lowest = [], ordered[0]
    for upper in uppers:
        classes.append((lowest, upper))
        lowest = upper + 1
    return classes


def _in_classes(spec: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """Colour the map by classes with a legend of ranges: a few countries with many attacks would leave
    every other country the palest colour of a continuous scale, and a PDF viewer does not draw the
    gradient of its legend."""
    classes = map_classes(row["events"] for row in rows)
    names = [_n(low) if low == high else f"{_n(low)}\u2013{_n(high)}" for low, high in classes]
    for row in rows:
        row["class"] = next(
            (name for (low, high), name in zip(classes, names, strict=True) if low <= row["events"] <= high),
            "",
        )
    colours = list(CLASS_COLOURS[len(CLASS_COLOURS) - len(classes) :])
    for layer in spec.get("layer", []):
        for step in layer.get("transform", []):
            if "lookup" in step:
                step["from"]["fields"] = ["label", "events", "class"]
        colour = layer.get("encoding", {}).get("color")
        if colour is not None:
            layer["encoding"]["color"] = {
                "field": "class",
                "type": "ordinal",
                "title": colour.get("title", ""),
                "scale": {"domain": names, "range": colours},
                "legend": {"orient": "bottom-left", "direction": "vertical"},
            }


def per_area(selection: Selection, limit: int = TOP_AREAS) -> dict[str, Any]:
    """Events per first-level administrative area (as the sources name it), most first, at most `limit`,
    and how many areas there are."""

    def compute() -> dict[str, Any]:
        # The area only where its source publishes it (registry.publication): reports can be published.
        from insights import exports
        from registry import publication

        published, params = exports.published_facts(selection)
        columns = ", ".join(
            [
                "admin1",
                publication.ADMIN1_FROM,
                *(
                    f"{analytics_db.count_column(name, public=True)} AS {name}"
                    for name in queries.HEADLINE_COUNTS
                ),
            ]
        )
        cursor = analytics_db.connection().cursor()
        try:
            result = cursor.execute(f"SELECT {columns} FROM ({published}) published", params)  # noqa: S608
            names = [column[0] for column in result.description]
            areas: dict[str, dict[str, Any]] = {}
            for values in result.fetchall():
                row = dict(zip(names, values, strict=True))
                shown = publication.publishes(row[publication.ADMIN1_FROM], "admin1")
                area = (row["admin1"] or "").strip() if shown else ""
                found = areas.setdefault(
                    area, {"area": area, "events": 0, **dict.fromkeys(queries.HEADLINE_COUNTS)}
                )
                found["events"] += 1
                for name in queries.HEADLINE_COUNTS:
                    if row[name] is not None:
                        found[name] = (found[name] or 0) + int(row[name])
        finally:
            cursor.close()
        rows = sorted(areas.values(), key=lambda row: (-row["events"], row["area"]))
        return {"areas": len([row for row in rows if row["area"]]), "rows": rows[:limit]}

    return queries.cached("report_areas", selection, compute, limit)


def _areas_block(selection: Selection) -> Block | None:
    found = per_area(selection)
    if not found["rows"]:
        return None
    names = [labels.count_label(name) for name in queries.HEADLINE_COUNTS]
    rows = [{**row, "label": row["area"] or _("Area not given")} for row in found["rows"]]
    title = _("Attacks per area")
    table = Table(
        title,
        [_("Area"), _unit(selection), *names],
        [[row["label"], _n(row["events"]), *(_n(row[n]) for n in queries.HEADLINE_COUNTS)] for row in rows],
        note=ngettext(
            "The first-level administrative area as the sources name it; %(count)s area in all.",
            "The first-level administrative areas as the sources name them; %(count)s areas in all.",
            found["areas"],
        )
        % {"count": found["areas"]}
        + " "
        + _("A dash: no source gives this figure."),
    )
    spec = charts.ranked_bars(
        rows,
        title=title,
        description=_("Bar chart: the number of attacks in each first-level administrative area."),
        label_title=_("Area"),
    )
    return Block("areas", table, spec)


@cache
def _country_outlines() -> dict[str, Any]:
    for folder in [
        settings.BASE_DIR / "zorgveilig" / "static" / "vendor",
        Path(settings.STATIC_ROOT) / "vendor",
    ]:
        path = folder / COUNTRY_OUTLINES
        if path.exists():
            return dict(json.loads(path.read_text(encoding="utf-8")))
    return charts.world_topology()


def country_map(iso3: str, points: list[dict[str, Any]]) -> dict[str, Any]:
    """The country's outline with a dot for every located event (Vega-Lite, drawn on the server)."""
    numeric = _numeric(iso3)
    spec: dict[str, Any] = {
        "$schema": charts.SCHEMA,
        "title": _("Where the attacks took place"),
        "description": _(
            "Map: the outline of %(country)s with a dot for every place where attacks took place, larger "
            "where there were more."
        )
        % {"country": labels.country_label(iso3)},
        "width": 560,
        "height": 380,
        "projection": {"type": "mercator"},
        "config": {"font": "DejaVu Sans, sans-serif", "view": {"stroke": None}},
        "layer": [],
    }
    if numeric:
        spec["layer"].append(
            {
                "data": {
                    "values": _country_outlines(),
                    "format": {"type": "topojson", "feature": "countries"},
                },
                "transform": [{"filter": {"field": "id", "equal": numeric}}],
                "mark": {"type": "geoshape", "fill": "#ececec", "stroke": "#6b6b6b", "strokeWidth": 0.8},
            }
        )
    spec["layer"].append(
        {
            "data": {"values": _places(points)},
            "mark": {
                "type": "circle",
                "opacity": 0.6,
                "color": "#c0392b",
                "stroke": "#ffffff",
                "strokeWidth": 0.4,
            },
            "encoding": {
                "longitude": {"field": "longitude", "type": "quantitative"},
                "latitude": {"field": "latitude", "type": "quantitative"},
                "size": {
                    "field": "events",
                    "type": "quantitative",
                    "title": _("Attacks at one place"),
                    "scale": {"range": [12, 400]},
                    "legend": {"orient": "right", "format": ",d"},
                },
            },
        }
    )
    return spec


def _places(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events at (about) the same place, within 0.01 degree (about a kilometre), as one dot sized by
    their number: many events share a town's coordinates, and thousands of dots make a slow PDF."""
    places: dict[tuple[float, float], int] = {}
    for point in points:
        key = (round(float(point["latitude"]), 2), round(float(point["longitude"]), 2))
        places[key] = places.get(key, 0) + 1
    return [
        {"latitude": latitude, "longitude": longitude, "events": events}
        for (latitude, longitude), events in sorted(places.items(), key=lambda item: -item[1])
    ]


def _map_block(selection: Selection) -> Block | None:
    from insights import geo

    found = geo.public_points(selection, MAP_POINTS)  # only coordinates that may be published
    if not found["rows"]:
        return None
    block = Block("map", None, country_map(selection.countries[0], found["rows"]))
    shown = ngettext(
        "%(shown)s attack of %(total)s has coordinates and is shown.",
        "%(shown)s attacks of %(total)s have coordinates and are shown.",
        found["shown"],
    )
    block.note = shown % {"shown": _n(found["shown"]), "total": _n(queries.totals(selection)["events"])}
    block.note += " " + _("The table of attacks per area gives the figures of this map.")
    return block
