"""The aggregates behind the dashboard, the source and vintage comparisons, the map, reports and the API.

Each function takes a `Selection` and returns plain data (lists of dicts with JSON-friendly values), read
from the analytics database (insights.analytics_db), never from the transactional database. `cached` keeps a
result until a new analytics file is put in place.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

from insights import analytics_db
from insights.filters import DEDUPLICATED, PER_SOURCE, Selection

# Health workers and facilities, as the dashboard's headline figures show them.
HEADLINE_COUNTS = (
    "health_workers_killed",
    "health_workers_injured",
    "health_workers_kidnapped",
    "health_workers_arrested",
    "facilities_destroyed",
    "facilities_damaged",
)
CACHE_SECONDS = 3600


def cached[T](name: str, selection: Selection | None, compute: Callable[[], T], *extra: Any) -> T:
    """`compute()`, kept in the cache under the analytics file's generation, the selection and `extra`."""
    parts = [str(part) for part in extra]
    key = ":".join(
        ["insights", analytics_db.generation(), name, selection.key() if selection else "-", *parts]
    )
    found = cache.get(key)
    if found is not None:
        return found
    value = compute()
    cache.set(key, value, CACHE_SECONDS)
    return value


def _rows(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = analytics_db.connection().cursor()
    try:
        result = cursor.execute(sql, params)
        names = [column[0] for column in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
    finally:
        cursor.close()


def _value(sql: str, params: list[Any]) -> Any:
    cursor = analytics_db.connection().cursor()
    try:
        row = cursor.execute(sql, params).fetchone()
        return row[0] if row else None
    finally:
        cursor.close()


def _sums(selection: Selection, *, zero: bool = False) -> str:
    """SQL sums of the headline counts, each AS its name; a public selection sums only what may be
    published (analytics_db.count_column)."""
    parts = []
    for name in HEADLINE_COUNTS:
        found = f"sum({analytics_db.count_column(name, public=selection.public)})"
        parts.append(f"{f'coalesce({found}, 0)' if zero else found} AS {name}")
    return ", ".join(parts)


def _change(current: int | None, previous: int | None) -> float | None:
    if not previous or current is None:
        return None
    return round((current - previous) * 100 / previous, 1)


# -- Counts over time -----------------------------------------------------------------------------------------


def per_year(selection: Selection) -> list[dict[str, Any]]:
    """Events per year with the change against the year before, in %."""
    where, params = selection.where()
    rows = _rows(
        f"SELECT year, count(*) AS events FROM facts WHERE {where} AND year IS NOT NULL "  # noqa: S608
        "GROUP BY year ORDER BY year",
        params,
    )
    previous: dict[str, Any] | None = None
    for row in rows:
        earlier = previous["events"] if previous and previous["year"] == row["year"] - 1 else None
        row["change_percent"] = _change(row["events"], earlier)
        previous = row
    return rows


def per_month(selection: Selection) -> list[dict[str, Any]]:
    """Events per month (records dated only to a year are left out), with the change against the month
    before, in %."""
    where, params = selection.where()
    rows = _rows(
        f"SELECT month, count(*) AS events FROM facts WHERE {where} AND month IS NOT NULL "  # noqa: S608
        "AND coalesce(date_precision, '') <> 'year' GROUP BY month ORDER BY month",
        params,
    )
    previous: tuple[datetime.date, int] | None = None
    for row in rows:
        month: datetime.date = row["month"]
        before = (month - datetime.timedelta(days=1)).replace(day=1)
        # Only the month right before counts: after a month without events there is nothing to compare with.
        row["change_percent"] = _change(
            row["events"], previous[1] if previous and previous[0] == before else None
        )
        previous = (month, row["events"])
        row["month"] = month.isoformat()
    return rows


def per_country(selection: Selection, limit: int | None = None) -> list[dict[str, Any]]:
    where, params = selection.where()
    rows = _rows(
        f"SELECT country_iso3 AS country, count(*) AS events, {_sums(selection)} "  # noqa: S608
        f"FROM facts WHERE {where} AND country_iso3 <> '' GROUP BY country_iso3 "
        "ORDER BY events DESC, country_iso3" + (f" LIMIT {int(limit)}" if limit else ""),
        params,
    )
    return rows


def _flag_counts(selection: Selection, prefix: str, codes: list[str]) -> list[dict[str, Any]]:
    where, params = selection.where()
    # count_if on the boolean columns: several times faster on millions of rows than count(*) FILTER.
    columns = ", ".join(f"count_if({prefix}_{code}) AS {prefix}_{code}" for code in codes)
    found = _rows(f"SELECT {columns} FROM facts WHERE {where}", params)[0]  # noqa: S608
    rows = [{"code": code, "events": int(found[f"{prefix}_{code}"] or 0)} for code in codes]
    return sorted(rows, key=lambda row: -row["events"])


def per_family(selection: Selection) -> list[dict[str, Any]]:
    """Events per attack-type family (an event with two families counts in both)."""
    return _flag_counts(selection, "family", analytics_db.families())


def per_resource(selection: Selection) -> list[dict[str, Any]]:
    """Events per health-care resource affected (an event can affect several)."""
    return _flag_counts(selection, "resource", analytics_db.resources())


def per_perpetrator(selection: Selection) -> dict[str, Any]:
    """Events per perpetrator category, and the share by state actors of the events whose perpetrator is
    known (neither blank nor 'unknown')."""
    where, params = selection.where()
    rows = _rows(
        f"SELECT coalesce(nullif(perpetrator_category, ''), 'not_given') AS code, count(*) AS events "  # noqa: S608
        f"FROM facts WHERE {where} GROUP BY ALL ORDER BY events DESC, code",
        params,
    )
    known = sum(row["events"] for row in rows if row["code"] not in ("unknown", "not_given"))
    state = sum(row["events"] for row in rows if row["code"] == "state")
    return {
        "rows": rows,
        "known": known,
        "state": state,
        "state_share_percent": round(state * 100 / known, 1) if known else None,
    }


def totals(selection: Selection) -> dict[str, Any]:
    """Headline figures: events, countries, and the sums of health workers killed, injured, kidnapped and
    arrested and facilities destroyed and damaged (where a source gives no figure, nothing is added; in a
    public selection, nor where the figure's source does not publish it)."""
    where, params = selection.where()
    sums = _sums(selection)
    row = _rows(
        f"SELECT count(*) AS events, count(DISTINCT nullif(country_iso3, '')) AS countries, "  # noqa: S608
        f"min(event_date) AS first_date, max(event_date) AS last_date, {sums} FROM facts WHERE {where}",
        params,
    )[0]
    for name in HEADLINE_COUNTS:
        row[name] = int(row[name] or 0)
    for name in ("first_date", "last_date"):
        row[name] = row[name].isoformat() if row[name] else None
    return row


def counts_per_year(selection: Selection) -> list[dict[str, Any]]:
    """The headline counts per year (for the casualties chart)."""
    where, params = selection.where()
    sums = _sums(selection, zero=True)
    return _rows(
        f"SELECT year, {sums} FROM facts WHERE {where} AND year IS NOT NULL GROUP BY year "  # noqa: S608
        "ORDER BY year",
        params,
    )


def dashboard(selection: Selection, *, top_countries: int = 15) -> dict[str, Any]:
    """Everything the dashboard page shows, each part cached on its own."""
    return {
        "totals": cached("totals", selection, lambda: totals(selection)),
        "per_year": cached("per_year", selection, lambda: per_year(selection)),
        "per_month": cached("per_month", selection, lambda: per_month(selection)),
        "per_country": cached(
            "per_country", selection, lambda: per_country(selection, top_countries), top_countries
        ),
        "per_family": cached("per_family", selection, lambda: per_family(selection)),
        "per_resource": cached("per_resource", selection, lambda: per_resource(selection)),
        "per_perpetrator": cached("per_perpetrator", selection, lambda: per_perpetrator(selection)),
        "counts_per_year": cached("counts_per_year", selection, lambda: counts_per_year(selection)),
    }


# -- Sources side by side -------------------------------------------------------------------------------------


def per_source_year(selection: Selection, base_year: int | None = None) -> dict[str, Any]:
    """Events per year for each source, and for the de-duplicated incidents, absolute and indexed to a base
    year (= 100). The base year is the first year every line has events in, unless one is given."""
    where, params = selection.where(view=PER_SOURCE)
    rows = _rows(
        f"SELECT source, year, count(*) AS events FROM facts WHERE {where} AND year IS NOT NULL "  # noqa: S608
        "GROUP BY ALL ORDER BY source, year",
        params,
    )
    where, params = selection.where(view=DEDUPLICATED)
    rows += _rows(
        f"SELECT 'deduplicated' AS source, year, count(*) AS events FROM facts WHERE {where} "  # noqa: S608
        "AND year IS NOT NULL GROUP BY ALL ORDER BY year",
        params,
    )
    lines: dict[str, dict[int, int]] = {}
    for row in rows:
        lines.setdefault(row["source"], {})[row["year"]] = row["events"]
    if base_year is None:
        shared = set.intersection(*(set(years) for years in lines.values())) if lines else set()
        base_year = min(shared) if shared else None
    for row in rows:
        base = lines[row["source"]].get(base_year) if base_year is not None else None
        row["index"] = round(row["events"] * 100 / base, 1) if base else None
    return {"base_year": base_year, "rows": rows}


def overlap(selection: Selection) -> dict[str, Any]:
    """How many de-duplicated incidents each pair of sources shares, and how many each source alone has,
    for the incidents of the selection. Counted per combination of sources (one bit each), then added up."""
    where, params = selection.where(view=DEDUPLICATED)
    combinations = _rows(
        f"SELECT source_mask, count(*) AS incidents FROM facts WHERE {where} GROUP BY source_mask",  # noqa: S608
        params,
    )
    bits = _rows("SELECT source, bit FROM source_bits ORDER BY source", [])
    shared: dict[tuple[str, str], int] = {}
    alone: dict[str, int] = {}
    several = 0
    for combination in combinations:
        members = [bit["source"] for bit in bits if combination["source_mask"] & bit["bit"]]
        count = int(combination["incidents"])
        if len(members) == 1:
            alone[members[0]] = alone.get(members[0], 0) + count
        elif len(members) > 1:
            several += count
        for source_a in members:
            for source_b in members:
                shared[(source_a, source_b)] = shared.get((source_a, source_b), 0) + count
    return {
        "pairs": [
            {"source_a": a, "source_b": b, "incidents": count} for (a, b), count in sorted(shared.items())
        ],
        "alone": [{"source": source, "incidents": count} for source, count in sorted(alone.items())],
        "in_several_sources": several,
    }


def vintage_series() -> list[dict[str, Any]]:
    """The products whose vintages can be compared: per source and product, how many vintages there are
    and the newest vintage's date."""
    rows = _rows(
        "SELECT source, product, count(*) AS vintages, max(vintage_date) AS newest FROM releases "
        "WHERE kind = 'incidents' GROUP BY ALL ORDER BY source, product",
        [],
    )
    for row in rows:
        row["newest"] = row["newest"].isoformat() if row["newest"] else None
    return rows


def vintages(source: str | None = None, product: str | None = None) -> list[dict[str, Any]]:
    """Each vintage of each product with its count per year: how a year's figure changed as the source
    revised its data."""
    conditions, params = ["r.kind = 'incidents'"], []
    if source:
        conditions.append("r.source = ?")
        params.append(source)
    if product:
        conditions.append("r.product = ?")
        params.append(product)
    # The conditions are constants of this function; the values are parameters.
    where = " AND ".join(conditions)
    rows = _rows(
        "SELECT r.source, r.product, r.id AS release_id, r.vintage_date, r.vintage_label, r.is_latest, "  # noqa: S608
        "v.year, v.records AS events FROM vintage_counts v JOIN releases r ON r.id = v.release_id "
        f"WHERE {where} AND v.year IS NOT NULL "
        "ORDER BY r.source, r.product, r.vintage_date, r.id, v.year",
        params,
    )
    for row in rows:
        row["vintage_date"] = row["vintage_date"].isoformat() if row["vintage_date"] else None
    return rows


# -- Completeness and the file itself ------------------------------------------------------------------------


def completeness(selection: Selection) -> list[dict[str, Any]]:
    """Per source, how many of the selection's records carry a date, coordinates, a perpetrator category
    and a certainty level (the shares in %), for staff judging what a figure rests on. Records without a
    date are counted although the period of the selection would leave them out: they are what is missing."""
    undated = Selection(
        countries=selection.countries,
        sources=selection.sources,
        view=PER_SOURCE,
        certainty=selection.certainty,
    )
    where, params = undated.where()
    dated = "event_date IS NOT NULL"
    if selection.date_from is not None:
        dated += " AND event_date >= ?"
    if selection.date_to is not None:
        dated += " AND event_date <= ?"
    period = [day for day in (selection.date_from, selection.date_to) if day is not None]
    rows = _rows(
        "SELECT source, count(*) FILTER (event_date IS NULL) AS without_date, "  # noqa: S608
        f"count(*) FILTER ({dated}) AS records, "
        f"count(*) FILTER ({dated} AND latitude IS NOT NULL AND longitude IS NOT NULL) AS with_coordinates, "
        f"count(*) FILTER ({dated} AND coalesce(perpetrator_category, '') NOT IN ('', 'unknown')) "
        "AS with_perpetrator, "
        f"count(*) FILTER ({dated} AND coalesce(certainty, '') NOT IN ('', 'unknown')) AS with_certainty, "
        f"count(*) FILTER ({dated} AND coalesce(country_iso3, '') <> '') AS with_country "
        f"FROM facts WHERE {where} GROUP BY source ORDER BY source",
        period * 5 + params,
    )
    for row in rows:
        for name in ("with_coordinates", "with_perpetrator", "with_certainty", "with_country"):
            row[name.replace("with_", "share_")] = (
                round(row[name] * 100 / row["records"], 1) if row["records"] else None
            )
    return rows


def build_info() -> dict[str, Any]:
    """When the analytics file was built and which parts were made anew (the rest copied)."""
    row = _rows("SELECT built_at AT TIME ZONE 'UTC' AS built_at, parts FROM meta", [])
    if not row:
        return {"built_at": None, "parts": []}
    built = row[0]["built_at"]
    return {
        "built_at": built.replace(tzinfo=datetime.UTC) if built else None,
        "parts": [part for part in (row[0]["parts"] or "").split(",") if part],
    }


# -- Places ---------------------------------------------------------------------------------------------------

MAP_POINT_LIMIT = 20_000


def points(selection: Selection, limit: int = MAP_POINT_LIMIT) -> dict[str, Any]:
    """Events with coordinates for the map, newest first, at most `limit`; says how many there are."""
    where, params = selection.where()
    located = f"{where} AND latitude IS NOT NULL AND longitude IS NOT NULL"
    total = int(_value(f"SELECT count(*) FROM facts WHERE {located}", params) or 0)  # noqa: S608
    rows = _rows(
        "SELECT fact_id, unit, source, sources, event_date, country_iso3, admin1, latitude, longitude, "  # noqa: S608
        "geo_precision, attack_families, health_workers_killed, facilities_destroyed "
        f"FROM facts WHERE {located} ORDER BY event_date DESC NULLS LAST, fact_id LIMIT {int(limit)}",
        params,
    )
    for row in rows:
        row["event_date"] = row["event_date"].isoformat() if row["event_date"] else None
    return {"total": total, "shown": len(rows), "rows": rows}


def releases_used(selection: Selection) -> list[dict[str, Any]]:
    """The current release of each source the selection draws on (for citations and rebuilding)."""
    params: list[Any] = []
    condition = ""
    if selection.sources:
        condition = "AND list_contains(?::VARCHAR[], source)"
        params.append(list(selection.sources))
    rows = _rows(
        "SELECT id AS release_id, source, source_name, product, vintage_date, vintage_label, rows_imported "  # noqa: S608
        f"FROM releases WHERE is_latest AND kind = 'incidents' {condition} ORDER BY source, product",
        params,
    )
    for row in rows:
        row["vintage_date"] = row["vintage_date"].isoformat() if row["vintage_date"] else None
    return rows


def available() -> dict[str, Any]:
    """What the (public) filters can offer: sources, countries and certainty levels present, and the years;
    rows at a level that is never published (registry.publication) offer nothing."""
    published = "coalesce(certainty, '') <> 'rumour'"

    def distinct(expression: str, condition: str) -> list[Any]:
        rows = _rows(
            f"SELECT DISTINCT {expression} AS value FROM facts WHERE {condition} AND {published} ORDER BY 1",  # noqa: S608
            [],
        )
        return [row["value"] for row in rows]

    return {
        "sources": distinct("source", "unit = 'record'"),
        "countries": distinct("country_iso3", "country_iso3 <> ''"),
        "certainty": distinct("certainty", "certainty <> ''"),
        "years": distinct("year", "year IS NOT NULL"),
    }
