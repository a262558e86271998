"""What the conflict dashboard, the source comparison and the vintage comparison show: each chart's
Vega-Lite specification with the table of the same figures, built from the aggregates of insights.queries.

Every function here takes plain query results (or a Selection, reading through `queries.cached`) and
returns plain data the templates lay out; nothing here reads a request. Labels come from insights.labels in
the active language, so the results are cached per language by the views.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from insights import charts, filters, labels, queries
from insights.filters import DEDUPLICATED, Selection

# The shades of the overlap matrix's cells (the same steps as the chart's scale); text stays readable on each.
HEAT_STEPS = (0, 5, 15, 30, 55, 80)


@dataclass
class Cell:
    value: Any
    kind: str = "number"  # number | change | percent | text
    heat: int | None = None  # a shade (0-5) for matrix cells


@dataclass
class Table:
    caption: str
    columns: list[str]  # the first column holds the row headers
    rows: list[list[Cell]]


@dataclass
class Panel:
    id: str
    heading: str
    spec: dict[str, Any]
    table: Table
    notes: list[str] = field(default_factory=list)
    wide: bool = False


def _text(value: Any) -> Cell:
    return Cell(value, "text")


def _number(value: Any) -> str:
    return formats.number_format(value, use_l10n=True, force_grouping=True)


def _percent(value: float) -> str:
    return formats.number_format(value, decimal_pos=1, use_l10n=True, force_grouping=True) + "%"


def unit_label(selection: Selection) -> str:
    return _("Incidents") if selection.deduplicated else _("Records")


def describe(selection: Selection) -> dict[str, str]:
    """The selection in words, with names instead of codes (for the page and the chart captions)."""
    described = selection.describe()
    described["countries"] = (
        ", ".join(labels.country_label(code) for code in selection.countries) or described["countries"]
    )
    described["sources"] = (
        ", ".join(labels.source_label(slug) for slug in selection.sources) or described["sources"]
    )
    described["certainty"] = (
        ", ".join(labels.certainty_label(code) for code in selection.certainty) or described["certainty"]
    )
    return described


# -- The dashboard --------------------------------------------------------------------------------------------


def headline(selection: Selection, data: Mapping[str, Any]) -> dict[str, Any]:
    """The figures above the charts: the count, countries, health workers and facilities harmed, the
    period the records cover and the latest year with its change on the year before."""
    totals = data["totals"]
    figures = [
        {"name": "events", "label": unit_label(selection), "value": totals["events"]},
        {"name": "countries", "label": labels.count_label("countries"), "value": totals["countries"]},
    ]
    figures += [
        {"name": name, "label": labels.count_label(name), "value": totals[name]}
        for name in queries.HEADLINE_COUNTS
    ]
    years = data["per_year"]
    latest = years[-1] if years else None
    return {
        "figures": figures,
        "first_date": _date(totals["first_date"]),
        "last_date": _date(totals["last_date"]),
        "latest_year": latest,
    }


def _date(text: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text else None


def dashboard_panels(selection: Selection, data: Mapping[str, Any]) -> list[Panel]:
    unit = unit_label(selection)
    panels = [
        _per_year_panel(selection, data),
        _per_month_panel(data["per_month"], unit),
        _counts_panel(data["counts_per_year"]),
        _ranked_panel(
            "countries",
            _("Countries with the most attacks"),
            data["per_country"],
            labels.country_label,
            label_title=_("Country"),
            unit=unit,
            code_field="country",
            extra=[(name, labels.count_label(name)) for name in queries.HEADLINE_COUNTS],
        ),
        _ranked_panel(
            "families",
            _("Kinds of attack"),
            data["per_family"],
            labels.family_label,
            label_title=_("Kind of attack"),
            unit=unit,
            notes=[_("An attack of several kinds counts once for each kind.")],
        ),
        _ranked_panel(
            "resources",
            _("Health care affected"),
            data["per_resource"],
            labels.resource_label,
            label_title=_("Affected"),
            unit=unit,
            notes=[_("An attack that affects several things counts once for each.")],
        ),
        _perpetrator_panel(data["per_perpetrator"], unit),
    ]
    return panels


def _per_year_panel(selection: Selection, data: Mapping[str, Any]) -> Panel:
    unit = unit_label(selection)
    years = data["per_year"]
    if selection.deduplicated or len(data.get("per_source_year", [])) == 0:
        spec = charts.events_per_year(years)
        spec["title"] = _("%(unit)s per year") % {"unit": unit}
        spec["encoding"]["y"]["title"] = unit
        table = Table(
            _("%(unit)s per year, with the change on the year before") % {"unit": unit},
            [_("Year"), unit, _("Change on the year before")],
            [
                [_text(row["year"]), Cell(row["events"]), Cell(row["change_percent"], "change")]
                for row in years
            ],
        )
        return Panel("per-year", _("Per year"), spec, table, wide=True)
    by_source = [row for row in data["per_source_year"] if row["source"] != DEDUPLICATED]
    sources = _in_order({row["source"] for row in by_source})
    rows = [
        {
            "year": row["year"],
            "label": labels.source_label(row["source"]),
            "order": sources.index(row["source"]),
            "events": row["events"],
        }
        for row in by_source
    ]
    counts = {(row["source"], row["year"]): row["events"] for row in by_source}
    table = Table(
        _("Records per year and source, with the change of the total on the year before"),
        [
            _("Year"),
            *(labels.source_label(slug) for slug in sources),
            _("Total"),
            _("Change on the year before"),
        ],
        [
            [
                _text(row["year"]),
                *(Cell(counts.get((slug, row["year"]), 0)) for slug in sources),
                Cell(row["events"]),
                Cell(row["change_percent"], "change"),
            ]
            for row in years
        ],
    )
    return Panel("per-year", _("Per year"), charts.events_per_year_by_source(rows), table, wide=True)


def _per_month_panel(months: list[dict[str, Any]], unit: str) -> Panel:
    spec = charts.events_per_month(months)
    spec["title"] = _("%(unit)s per month") % {"unit": unit}
    spec["encoding"]["y"]["title"] = unit
    table = Table(
        _("%(unit)s per month, with the change on the month before") % {"unit": unit},
        [_("Month"), unit, _("Change on the month before")],
        [
            [
                _text(formats.date_format(datetime.date.fromisoformat(row["month"]), "YEAR_MONTH_FORMAT")),
                Cell(row["events"]),
                Cell(row["change_percent"], "change"),
            ]
            for row in months
        ],
    )
    return Panel(
        "per-month",
        _("Per month"),
        spec,
        table,
        notes=[_("Records dated only to a year are not in this chart.")],
        wide=True,
    )


def _counts_panel(rows: list[dict[str, Any]]) -> Panel:
    names = {name: labels.count_label(name) for name in queries.HEADLINE_COUNTS}
    table = Table(
        _("Health workers and facilities harmed per year"),
        [_("Year"), *names.values()],
        [[_text(row["year"]), *(Cell(int(row[name] or 0)) for name in names)] for row in rows],
    )
    return Panel(
        "harmed",
        _("Health workers and facilities"),
        charts.counts_per_year(rows, names),
        table,
        notes=[
            _("Where a source gives no figure, nothing is added: these are the figures sources reported.")
        ],
        wide=True,
    )


def _ranked_panel(
    panel_id: str,
    heading: str,
    rows: list[dict[str, Any]],
    name: Callable[[str], str],
    *,
    label_title: str,
    unit: str,
    code_field: str = "code",
    extra: Sequence[tuple[str, str]] = (),
    notes: Iterable[str] = (),
) -> Panel:
    shown = [row for row in rows if row["events"]]
    named = [{"label": name(row[code_field]), "events": row["events"]} for row in shown]
    spec = charts.ranked_bars(
        named,
        title=heading,
        description=_("Bar chart: %(unit)s per %(what)s, the largest first.")
        % {"unit": unit.lower(), "what": label_title.lower()},
        label_title=label_title,
        value_title=unit,
    )
    table = Table(
        heading,
        [label_title, unit, *(title for _field, title in extra)],
        [
            [
                _text(name(row[code_field])),
                Cell(row["events"]),
                *(Cell(int(row[key] or 0)) for key, _t in extra),
            ]
            for row in shown
        ],
    )
    return Panel(panel_id, heading, spec, table, notes=list(notes))


def _perpetrator_panel(found: Mapping[str, Any], unit: str) -> Panel:
    panel = _ranked_panel(
        "perpetrators",
        _("Who carried out the attacks"),
        found["rows"],
        labels.perpetrator_label,
        label_title=_("Perpetrator"),
        unit=unit,
    )
    if found["state_share_percent"] is not None:
        panel.notes.append(
            _(
                "Of the %(known)s attacks whose perpetrator is known, %(state)s (%(share)s) were by state "
                "actors."
            )
            % {
                "known": _number(found["known"]),
                "state": _number(found["state"]),
                "share": _percent(found["state_share_percent"]),
            }
        )
    else:
        panel.notes.append(_("No perpetrator is known for these attacks."))
    return panel


def _in_order(sources: Iterable[str]) -> list[str]:
    return sorted(sources, key=filters._source_rank)


def releases(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The release each source's figures come from, named."""
    return [
        {**row, "label": labels.source_name(row["source"]), "vintage": _date(row["vintage_date"])}
        for row in sorted(rows, key=lambda row: (filters._source_rank(row["source"]), row["product"]))
    ]


# -- Sources side by side -------------------------------------------------------------------------------------


def source_panels(found: Mapping[str, Any]) -> list[Panel]:
    """The lines of queries.per_source_year, absolute and indexed, with one table of both."""
    base_year = found["base_year"]
    present = {row["source"] for row in found["rows"]}
    order = [*_in_order(present - {DEDUPLICATED}), *([DEDUPLICATED] if DEDUPLICATED in present else [])]
    rows = [
        {
            **row,
            "label": labels.source_label(row["source"]),
            "deduplicated": row["source"] == DEDUPLICATED,
            "order": order.index(row["source"]),
        }
        for row in found["rows"]
    ]
    absolute = charts.sources_per_year(rows, indexed=False, base_year=base_year)
    indexed = charts.sources_per_year(rows, indexed=True, base_year=base_year)
    for spec in (absolute, indexed):
        spec["encoding"]["color"]["sort"] = [labels.source_label(slug) for slug in order]
    years = sorted({row["year"] for row in rows})
    by_key = {(row["source"], row["year"]): row for row in rows}
    absolute_table = Table(
        _("Attacks per year and source; the de-duplicated incidents count an attack once"),
        [_("Year"), *(labels.source_label(slug) for slug in order)],
        [
            [_text(year), *(Cell(by_key.get((slug, year), {}).get("events", 0)) for slug in order)]
            for year in years
        ],
    )
    indexed_table = Table(
        _("Attacks per year and source as an index (%(year)s = 100)") % {"year": base_year},
        [_("Year"), *(labels.source_label(slug) for slug in order)],
        [
            [_text(year), *(Cell(by_key.get((slug, year), {}).get("index"), "index") for slug in order)]
            for year in years
        ],
    )
    notes = []
    if base_year is None:
        notes.append(_("No year has figures from every line, so there is no index."))
    return [
        Panel("sources-absolute", _("Per year, per source"), absolute, absolute_table, wide=True),
        Panel("sources-indexed", _("Per year, indexed"), indexed, indexed_table, notes=notes, wide=True),
    ]


def overlap_panels(found: Mapping[str, Any]) -> tuple[list[Panel], dict[str, Any]]:
    """The overlap of the sources' incidents (queries.overlap): a heat map of the pairs and bars of the
    incidents only one source has, each with its table; and the figures for the sentence above them."""
    totals = {
        row["source_a"]: row["incidents"] for row in found["pairs"] if row["source_a"] == row["source_b"]
    }
    alone = {row["source"]: row["incidents"] for row in found["alone"]}
    sources = _in_order(totals)
    shared = {(row["source_a"], row["source_b"]): row["incidents"] for row in found["pairs"]}
    matrix_rows = []
    for row_source in sources:
        for column_source in sources:
            incidents = shared.get((row_source, column_source), 0)
            total = totals[row_source]
            matrix_rows.append(
                {
                    "row": labels.source_label(row_source),
                    "column": labels.source_label(column_source),
                    "order_row": sources.index(row_source),
                    "order_column": sources.index(column_source),
                    "incidents": incidents,
                    "share": round(incidents * 100 / total, 1) if total else 0,
                }
            )
    matrix_table = Table(
        _(
            "Incidents of the row's source that the column's source also reports (the diagonal: all its incidents)"
        ),
        [_("Incidents of"), *(labels.source_label(slug) for slug in sources), _("Only this source")],
        [
            [
                _text(labels.source_label(row_source)),
                *(
                    Cell(
                        shared.get((row_source, column_source), 0),
                        heat=_heat(shared.get((row_source, column_source), 0), totals[row_source]),
                    )
                    for column_source in sources
                ),
                Cell(alone.get(row_source, 0)),
            ]
            for row_source in sources
        ],
    )
    part_alone, part_shared = _("Only this source"), _("Also another source")
    share_rows = []
    for index, slug in enumerate(sources):
        only = alone.get(slug, 0)
        share_rows.append(
            {
                "label": labels.source_label(slug),
                "order": index,
                "part": part_alone,
                "part_order": 0,
                "incidents": only,
            }
        )
        share_rows.append(
            {
                "label": labels.source_label(slug),
                "order": index,
                "part": part_shared,
                "part_order": 1,
                "incidents": totals[slug] - only,
            }
        )
    shares_table = Table(
        _("Per source: its incidents, those no other source reports and those another source also reports"),
        [_("Source"), _("Incidents"), part_alone, part_shared, _("Share only in this source")],
        [
            [
                _text(labels.source_label(slug)),
                Cell(totals[slug]),
                Cell(alone.get(slug, 0)),
                Cell(totals[slug] - alone.get(slug, 0)),
                Cell(round(alone.get(slug, 0) * 100 / totals[slug], 1) if totals[slug] else None, "percent"),
            ]
            for slug in sources
        ],
    )
    panels = [
        Panel(
            "overlap-matrix",
            _("Incidents two sources share"),
            charts.overlap_matrix(matrix_rows),
            matrix_table,
        ),
        Panel(
            "overlap-alone", _("Only one source, or several"), charts.overlap_shares(share_rows), shares_table
        ),
    ]
    summary = {
        "incidents": sum(alone.values()) + found["in_several_sources"],
        "in_several_sources": found["in_several_sources"],
        "sources": len(sources),
    }
    return panels, summary


def _heat(incidents: int, total: int) -> int:
    share = incidents * 100 / total if total else 0
    return max(step for step, floor in enumerate(HEAT_STEPS) if share >= floor)


# -- Vintages -------------------------------------------------------------------------------------------------


def vintage_label(row: Mapping[str, Any]) -> str:
    """A vintage by its date (so that labels sort by time), with the source's own label when it has one."""
    date = row["vintage_date"] or _("undated")
    label = (row.get("vintage_label") or "").strip()
    return f"{date} ({label})" if label and label != date else str(date)


def vintage_comparison(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The grouped bars of queries.vintages for one product, the table of each year's count and change
    as every vintage gives them, and the largest revision, for the sentence that explains it."""
    vintages: list[dict[str, Any]] = []
    for row in rows:
        if not vintages or vintages[-1]["release_id"] != row["release_id"]:
            vintages.append(
                {
                    "release_id": row["release_id"],
                    "label": vintage_label(row),
                    "is_latest": row["is_latest"],
                    "counts": {},
                }
            )
        vintages[-1]["counts"][row["year"]] = row["events"]
    years = sorted({row["year"] for row in rows})
    for vintage in vintages:
        counts = vintage["counts"]
        vintage["changes"] = {
            year: queries._change(counts.get(year), counts.get(year - 1)) if year in counts else None
            for year in years
        }
    chart_rows = [
        {"year": year, "vintage": vintage["label"], "events": vintage["counts"][year]}
        for vintage in vintages
        for year in years
        if year in vintage["counts"]
    ]
    columns = [_("Year")]
    for vintage in vintages:
        columns += [
            _("%(vintage)s: count") % {"vintage": vintage["label"]},
            _("%(vintage)s: change on the year before") % {"vintage": vintage["label"]},
        ]
    table = Table(
        _("Each year's count and its change on the year before, as each vintage gives them"),
        columns,
        [
            [
                _text(year),
                *(
                    cell
                    for vintage in vintages
                    for cell in (
                        Cell(vintage["counts"].get(year), "number"),
                        Cell(vintage["changes"][year], "change"),
                    )
                ),
            ]
            for year in years
        ],
    )
    spec = charts.vintages_per_year(chart_rows)
    return {
        "vintages": vintages,
        "years": years,
        "panel": Panel("vintages", _("Each year as each vintage reported it"), spec, table, wide=True),
        "largest_revision": _largest_revision(vintages, years),
    }


def _largest_revision(vintages: list[dict[str, Any]], years: list[int]) -> dict[str, Any] | None:
    """The year whose count changed most between the first and the last vintage that give it."""
    if len(vintages) < 2:
        return None
    best: dict[str, Any] | None = None
    for year in years:
        giving = [vintage for vintage in vintages if year in vintage["counts"]]
        if len(giving) < 2:
            continue
        first, last = giving[0], giving[-1]
        difference = last["counts"][year] - first["counts"][year]
        if best is None or abs(difference) > abs(best["difference"]):
            best = {
                "year": year,
                "difference": difference,
                "first": first["label"],
                "first_count": first["counts"][year],
                "first_change": first["changes"][year],
                "last": last["label"],
                "last_count": last["counts"][year],
                "last_change": last["changes"][year],
            }
    return best if best and best["difference"] else None


def vintage_sentence(revision: Mapping[str, Any] | None, vintages: int) -> str:
    if vintages < 2:
        return _(
            "This product has one vintage so far: its figures can be compared with the next vintage once that "
            "is imported."
        )
    if revision is None:
        return _("The vintages give every year the same count: the source has not revised these figures.")
    return _(
        "The vintage of %(first)s counted %(first_count)s for %(year)s; the vintage of %(last)s counts "
        "%(last_count)s. So the change on the year before, as each vintage gives it, goes from %(first_change)s "
        "to %(last_change)s."
    ) % {
        "first": revision["first"],
        "first_count": _number(revision["first_count"]),
        "year": revision["year"],
        "last": revision["last"],
        "last_count": _number(revision["last_count"]),
        "first_change": _signed(revision["first_change"]),
        "last_change": _signed(revision["last_change"]),
    }


def _signed(value: float | None) -> str:
    if value is None:
        return _("nothing to compare with")
    return ("+" if value > 0 else "") + _percent(value)
