"""Exports of harmonised records and de-duplicated incidents for any selection: CSV, XLSX, GeoJSON and
HXL-tagged CSV.

An export is one `Export`: a selection (insights.filters), a unit (`records`, the current records of each
source, or `incidents`, the de-duplicated incidents of the registry), a format, and a level of fields.
Anonymous visitors get only `PUBLIC_FIELDS`; staff who may analyse data may ask for `STAFF_FIELDS`, which
add the record's place in its release and the rest of its harmonised fields (read from the Parquet mirror,
insights.mirror), or an incident's records. Which columns an export has is decided in one place,
`columns()`, so every format holds the same fields and a test can prove that each stays within its level.

What may be published is registry.publication's to say: a public export holds only publishable rows (no
rumours), and in each row only the values its source publishes (`published_facts` says in SQL where each
of an incident's values came from; `publication.public_record`/`public_incident` then empty the others).

Exports stream: rows are fetched from DuckDB in batches of BATCH_ROWS and written as they come (CSV, HXL
and GeoJSON as chunks of bytes, XLSX with openpyxl's write-only workbook), so a large selection never sits
in memory as a list. What an export holds (the selection in words, the releases it draws on, how many rows,
for GeoJSON how many were left out for want of coordinates) is its `metadata()`: a separate JSON document
for CSV and HXL (a leading comment line would break CSV parsers), the second sheet of an XLSX file, and the
top-level "metadata" member of a GeoJSON file (RFC 7946 §6.1 allows such foreign members).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import IO, Any

import duckdb
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from insights import analytics_db, labels, mirror, queries
from insights.analytics_db import COUNTS
from insights.filters import DEDUPLICATED, PER_SOURCE, Selection
from registry import publication
from sources.schema import HARMONISED_FIELDS

CSV, XLSX, GEOJSON, HXL = "csv", "xlsx", "geojson", "hxl"
FORMATS = (CSV, XLSX, GEOJSON, HXL)
RECORDS, INCIDENTS = "records", "incidents"
UNITS = (RECORDS, INCIDENTS)
PUBLIC, STAFF = "public", "staff"
LEVELS = (PUBLIC, STAFF)

BATCH_ROWS = 5_000
LIST_SEPARATOR = "; "  # between the codes of a list field in CSV, HXL and XLSX cells

CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    HXL: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    GEOJSON: "application/geo+json",
}
EXTENSIONS = {CSV: "csv", HXL: "hxl.csv", XLSX: "xlsx", GEOJSON: "geojson"}

# The only columns that may leave the system to anonymous users (registry.publication decides): when, where
# (to the first administrative level and the coordinates the sources published), what, by whom in
# categories, how certain, the counts, and which sources and source ids. Never a description, a name, a
# source's own wording or where a row sits in a file. A row leaves empty what its source does not publish.
PUBLIC_FIELDS: tuple[str, ...] = publication.PUBLIC_FIELDS

# The harmonised fields that only the mirror has (the analytics facts carry the public ones); the
# description stays in the database (mirror.LEFT_OUT) and `health_related` is true for every exported row.
MIRROR_FIELDS: tuple[str, ...] = tuple(
    name
    for name in HARMONISED_FIELDS
    if name not in PUBLIC_FIELDS and name not in mirror.LEFT_OUT and name != "health_related"
)
# Staff also get where a record sits in its release, and an incident's records as source:source_id.
STAFF_ONLY_FIELDS: tuple[str, ...] = ("release_id", "row_number", "source_records", *MIRROR_FIELDS)
STAFF_FIELDS: tuple[str, ...] = (*PUBLIC_FIELDS, *STAFF_ONLY_FIELDS)

_COMMON = (
    "event_date",
    "date_precision",
    "country_iso3",
    "admin1",
    "latitude",
    "longitude",
    "geo_precision",
    "attack_families",
    "resources",
    "perpetrator_category",
    "certainty",
    *COUNTS,
)
_UNIT_COLUMNS = {
    (RECORDS, PUBLIC): ("source", "source_id", "incident_id", *_COMMON),
    (INCIDENTS, PUBLIC): ("incident_id", "sources", *_COMMON),
    (RECORDS, STAFF): (
        "source",
        "source_id",
        "incident_id",
        "release_id",
        "row_number",
        *_COMMON,
        *MIRROR_FIELDS,
    ),
    (INCIDENTS, STAFF): ("incident_id", "sources", "source_records", *_COMMON),
}
LIST_FIELDS = frozenset({"sources", "attack_families", "resources", "source_records"})

# HXL hashtags and attributes (the Humanitarian Exchange Language, https://hxlstandard.org/standard/1-1final/
# and its dictionary https://hxlstandard.org/standard/1-1final/dictionary/): core hashtags (#date, #country,
# #adm1, #geo, #event, #impact, #group, #status, #affected, #meta) with core attributes (+code, +name, +lat,
# +lon, +type, +id, +killed, +injured, +list) where one fits, and attributes of our own (lower case, as the
# standard allows) for what the dictionary has no word for. Fields without an entry get #meta+<field>.
HXL_TAGS = {
    "incident_id": "#event+id+incident",
    "source": "#meta+source",
    "source_id": "#event+id+source",
    "sources": "#meta+source+list",
    "event_date": "#date+occurred",
    "date_precision": "#meta+precision+date",
    "country_iso3": "#country+code",
    "admin1": "#adm1+name",
    "latitude": "#geo+lat",
    "longitude": "#geo+lon",
    "geo_precision": "#meta+precision+geo",
    "attack_families": "#event+type+list",
    "resources": "#impact+type+list",
    "perpetrator_category": "#group+perpetrator+type",
    "certainty": "#status+certainty",
    "people_killed": "#affected+killed",
    "people_injured": "#affected+injured",
    "health_workers_killed": "#affected+killed+health_workers",
    "health_workers_injured": "#affected+injured+health_workers",
    "health_workers_kidnapped": "#affected+kidnapped+health_workers",
    "health_workers_arrested": "#affected+detained+health_workers",
    "facilities_destroyed": "#impact+destroyed+facilities",
    "facilities_damaged": "#impact+damaged+facilities",
    "release_id": "#meta+release+id",
    "row_number": "#meta+row",
    "source_records": "#event+id+source+list",
    "country_as_given": "#country+name+as_given",
    "location_type": "#loc+type",
    "perpetrator_name": "#group+perpetrator+name",
    "perpetrator_as_given": "#group+perpetrator+as_given",
}


class ExportError(ValueError):
    """Refused export parameters: `problems` maps each parameter to what is wrong with it."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in problems.items()))


def hxl_tag(field: str) -> str:
    return HXL_TAGS.get(field, f"#meta+{field}")


def columns(unit: str, level: str = PUBLIC) -> tuple[str, ...]:
    """The columns of an export of `unit` at `level`, in order."""
    return _UNIT_COLUMNS[(unit, level)]


FIELD_LABELS = {
    "incident_id": gettext_lazy("De-duplicated incident (its number in ZorgVeilig)"),
    "source": gettext_lazy("Source of the record"),
    "source_id": gettext_lazy("The record's identifier in its source"),
    "sources": gettext_lazy("Sources that reported the incident"),
    "event_date": gettext_lazy("Date of the event"),
    "date_precision": gettext_lazy("Precision of the date (day, week, month, year)"),
    "country_iso3": gettext_lazy("Country (ISO 3166-1 alpha-3)"),
    "admin1": gettext_lazy("First administrative level (province, state, region)"),
    "latitude": gettext_lazy("Latitude (WGS 84)"),
    "longitude": gettext_lazy("Longitude (WGS 84)"),
    "geo_precision": gettext_lazy("Precision of the place"),
    "attack_families": gettext_lazy("Types of attack (families)"),
    "resources": gettext_lazy("Health-care resources affected"),
    "perpetrator_category": gettext_lazy("Perpetrator category"),
    "certainty": gettext_lazy("Certainty"),
    **{name: labels.COUNTS[name] for name in COUNTS},
    "release_id": gettext_lazy("Release (vintage) the record comes from"),
    "row_number": gettext_lazy("Row of the record in the release's file"),
    "source_records": gettext_lazy("The incident's records, as source:identifier"),
}


def field_label(field: str) -> str:
    """A field's description for people (the exports page); the export itself uses the field names."""
    return str(FIELD_LABELS.get(field, field.replace("_", " ")))


# -- What to export -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    selection: Selection
    unit: str = INCIDENTS
    format: str = CSV
    level: str = PUBLIC

    def __post_init__(self) -> None:
        problems = {}
        for name, value, known in (
            ("unit", self.unit, UNITS),
            ("format", self.format, FORMATS),
            ("fields", self.level, LEVELS),
        ):
            if value not in known:
                problems[name] = _("%(value)r is not one of %(known)s") % {
                    "value": str(value)[:40],
                    "known": ", ".join(known),
                }
        if problems:
            raise ExportError(problems)
        # The unit decides which rows: records are the per-source view, incidents the de-duplicated one.
        view = PER_SOURCE if self.unit == RECORDS else DEDUPLICATED
        # The level decides whether unpublishable rows (rumours) are in: never in a public export.
        public = self.level == PUBLIC
        if self.selection.view != view or self.selection.public != public:
            object.__setattr__(self, "selection", replace(self.selection, view=view, public=public))

    @property
    def columns(self) -> tuple[str, ...]:
        return columns(self.unit, self.level)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    def filename(self, day: datetime.date | None = None) -> str:
        day = day or timezone.localdate()
        return f"zorgveilig-{self.unit}-{day.isoformat()}.{EXTENSIONS[self.format]}"

    def metadata_filename(self, day: datetime.date | None = None) -> str:
        day = day or timezone.localdate()
        return f"zorgveilig-{self.unit}-{day.isoformat()}.{EXTENSIONS[self.format]}.metadata.json"


def read_export(data: Any, selection: Selection, *, default_unit: str | None = None) -> Export:
    """The export asked for by query parameters `format`, `unit` and `fields` (public | staff); raises
    ExportError naming each bad one. Without `unit`, the selection's view decides."""
    problems: dict[str, str] = {}
    fmt = _one(data, "format", CSV, FORMATS, problems, _("%(value)r is not a format; use %(known)s"))
    unit_default = default_unit or (INCIDENTS if selection.deduplicated else RECORDS)
    unit = _one(data, "unit", unit_default, UNITS, problems, _("%(value)r is not a unit; use %(known)s"))
    level = _one(
        data, "fields", PUBLIC, LEVELS, problems, _("%(value)r is not a set of fields; use %(known)s")
    )
    if problems:
        raise ExportError(problems)
    return Export(selection, unit, fmt, level)


def _one(
    data: Any, name: str, default: str, known: Sequence[str], problems: dict[str, str], message: str
) -> str:
    given = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)] if data.get(name) else []
    given = [value.strip() for value in given if value and value.strip()]
    if not given:
        return default
    if len(given) > 1 or given[0] not in known:
        problems[name] = message % {"value": ",".join(given)[:40], "known": ", ".join(known)}
        return default
    return str(given[0])


# -- Reading the rows -----------------------------------------------------------------------------------------


def published_facts(selection: Selection) -> tuple[str, list[Any]]:
    """SQL that reads the facts of a public selection, each with analytics_db.ORIGIN_KEYS: the source each value that
    only some sources publish was taken from, for registry.publication to decide whether it may be shown.

    A record's values all come from its own source. An incident takes each value whole from one of its
    records (registry/incidents.py, "Canonical incidents" in docs/linkage.md), and the registry says which:
    the analytics database copies that when it is built, so the origins always belong to the values beside
    them. An origin the registry does not know is NULL, and no source publishes a value of NULL origin."""
    if not selection.public:
        raise ValueError("published_facts reads public selections only")
    where, params = selection.where()
    return f"SELECT * FROM facts WHERE {where}", params  # noqa: S608 (our names; values are parameters)


def publicly_located(alias: str = "p") -> tuple[str, list[Any]]:
    """SQL condition on a row of `published_facts`: it has coordinates that may be published."""
    sources = list(publication.sources_publishing("latitude"))
    condition = (
        f"{alias}.latitude IS NOT NULL AND {alias}.longitude IS NOT NULL "
        f"AND list_contains(?::VARCHAR[], {alias}.{publication.COORDINATES_FROM})"
    )
    return condition, [sources]


def public_values(row: dict[str, Any], *, incident: bool) -> dict[str, Any]:
    """A row of `published_facts` as it may be shown (registry.publication decides)."""
    return publication.public_row(row, incident=incident)


def _select(export: Export, *, located_only: bool = False, facts: str = "facts") -> tuple[str, list[Any]]:
    """The SQL that reads the export's rows in order, and its parameters. `facts` is the facts table's name
    (qualified when it is read from an attached database)."""
    if export.level == PUBLIC:
        return _select_public(export, located_only=located_only)
    where, params = export.selection.where()
    if located_only:
        where += " AND latitude IS NOT NULL AND longitude IS NOT NULL"
    expressions = []
    for name in export.columns:
        if name in MIRROR_FIELDS:
            expressions.append(f"m.{name}")
        elif name == "source_records":
            expressions.append(
                "(SELECT list(r.source || ':' || r.source_id ORDER BY r.source, r.source_id) "  # noqa: S608
                f"FROM {facts} r WHERE r.unit = 'record' AND r.incident_id = f.incident_id) AS source_records"
            )
        else:
            expressions.append(f"f.{name}")
    join = ""
    if any(name in MIRROR_FIELDS for name in export.columns):
        join = "LEFT JOIN records m ON m.release_id = f.release_id AND m.row_number = f.row_number"
    # Column names are this module's constants; the selection's values are parameters.
    sql = (
        f"SELECT {', '.join(expressions)} "  # noqa: S608
        f"FROM (SELECT * FROM {facts} WHERE {where}) f {join} "
        "ORDER BY f.event_date NULLS LAST, f.fact_id"
    )
    return sql, params


def _select_public(export: Export, *, located_only: bool) -> tuple[str, list[Any]]:
    """A public export's rows: its columns, then the origins of its values (see `published_facts`)."""
    published, params = published_facts(export.selection)
    names = [*export.columns, *(key for key in analytics_db.ORIGIN_KEYS if key not in export.columns)]
    condition = "TRUE"
    if located_only:
        condition, located = publicly_located()
        params = [*params, *located]
    sql = (
        f"SELECT {', '.join(f'p.{name}' for name in names)} FROM ({published}) p "  # noqa: S608
        f"WHERE {condition} ORDER BY p.event_date NULLS LAST, p.fact_id"
    )
    return sql, params


def _needs_mirror(export: Export) -> bool:
    return any(name in MIRROR_FIELDS for name in export.columns)


def rows(export: Export, *, located_only: bool = False) -> Iterator[tuple[Any, ...]]:
    """The export's rows as tuples in the order of `export.columns`, fetched BATCH_ROWS at a time. A public
    export's values are those registry.publication lets through; located_only keeps the rows with
    coordinates that may be shown."""
    if _needs_mirror(export):
        # The mirror's views live in their own in-memory database; the facts are attached to it read-only.
        db = mirror.connect()
        try:
            path = str(analytics_db.database_path()).replace("'", "''")
            if not analytics_db.database_path().exists():
                raise analytics_db.AnalyticsError(f"the analytics database {path} does not exist yet")
            db.execute(f"ATTACH '{path}' AS analytics (READ_ONLY)")
            sql, params = _select(export, located_only=located_only, facts="analytics.facts")
            yield from _fetch(db, sql, params)
        finally:
            db.close()
        return
    cursor = analytics_db.connection().cursor()
    try:
        sql, params = _select(export, located_only=located_only)
        if export.level != PUBLIC:
            yield from _fetch(cursor, sql, params)
            return
        names = [*export.columns, *(key for key in analytics_db.ORIGIN_KEYS if key not in export.columns)]
        incident = export.unit == INCIDENTS
        for found in _fetch(cursor, sql, params):
            shown = public_values(dict(zip(names, found, strict=True)), incident=incident)
            yield tuple(shown.get(name) for name in export.columns)
    finally:
        cursor.close()


def _fetch(db: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> Iterator[tuple[Any, ...]]:
    result = db.execute(sql, params)
    while batch := result.fetchmany(BATCH_ROWS):
        yield from batch


def counts(export: Export) -> dict[str, int]:
    """How many rows the export has, and how many of them have coordinates (that may be shown, in a
    public export)."""
    cursor = analytics_db.connection().cursor()
    try:
        if export.level == PUBLIC:
            published, params = published_facts(export.selection)
            located, more = publicly_located()
            found = cursor.execute(
                f"SELECT count(*), count(*) FILTER ({located}) FROM ({published}) p",  # noqa: S608
                [*more, *params],
            ).fetchone()
        else:
            where, params = export.selection.where()
            found = cursor.execute(
                "SELECT count(*), count(*) FILTER (latitude IS NOT NULL AND longitude IS NOT NULL) "  # noqa: S608
                f"FROM facts WHERE {where}",
                params,
            ).fetchone()
    finally:
        cursor.close()
    total, located_rows = (int(value) for value in found) if found else (0, 0)
    return {"rows": total, "located": located_rows, "without_coordinates": total - located_rows}


# -- What the export holds ------------------------------------------------------------------------------------


def metadata(export: Export, *, now: datetime.datetime | None = None) -> dict[str, Any]:
    """What an export holds and where it comes from, as JSON-ready data."""
    figures = counts(export)
    selection = export.selection
    described = selection.describe()
    built = analytics_db.built_at()
    found: dict[str, Any] = {
        "title": _("ZorgVeilig: attacks on health care, %(unit)s")
        % {"unit": _("records per source") if export.unit == RECORDS else _("de-duplicated incidents")},
        "generated_at": (now or timezone.now()).isoformat(timespec="seconds"),
        "analytics_built_at": built.isoformat(timespec="seconds") if built else None,
        "format": export.format,
        "unit": export.unit,
        "fields": export.level,
        "columns": list(export.columns),
        "selection": {
            "query": {key: value for key, value in selection.as_query().items() if key != "view"},
            "period": described["period"],
            "countries": described["countries"],
            "sources": described["sources"],
            "certainty": described["certainty"],
            "view": described["view"],
        },
        "rows": figures["located"] if export.format == GEOJSON else figures["rows"],
        "releases": queries.releases_used(selection),
        "notes": [
            _(
                "Each row is one %(unit)s. A count is empty where the source gives no such figure (not "
                "reported), and 0 where it reports none."
            )
            % {"unit": _("record of one source") if export.unit == RECORDS else _("de-duplicated incident")},
            _("Lists of codes are separated by “%(separator)s” in CSV, HXL and XLSX files.")
            % {"separator": LIST_SEPARATOR.strip()},
        ],
    }
    if export.level == PUBLIC:
        found["notes"].append(
            _(
                "Only what may be published is here: no record or incident at the certainty level "
                "“rumour”, and no value that the source it comes from does not publish itself (WHO SSA "
                "publishes no place below the country; our own field reports give no place below the "
                "country and no counts per type of person). Such values are empty."
            )
        )
    if export.format == GEOJSON:
        found["without_coordinates"] = figures["without_coordinates"]
        found["notes"].append(
            _(
                "Only events with coordinates are features: %(left)s of the %(total)s in the selection have "
                "none and are left out (the CSV and XLSX exports hold them all). Coordinates are "
                "[longitude, latitude] (WGS 84)."
            )
            % {"left": figures["without_coordinates"], "total": figures["rows"]}
        )
    if export.format == HXL:
        found["hxl"] = {name: hxl_tag(name) for name in export.columns}
        found["notes"].append(_("The second row holds the HXL hashtags (https://hxlstandard.org/)."))
    return found


# -- Writing --------------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _csv_chunks(export: Export, *, hxl: bool) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(export.columns)
    if hxl:
        writer.writerow([hxl_tag(name) for name in export.columns])
    pending = 0
    for row in rows(export):
        writer.writerow([_text(value) for value in row])
        pending += 1
        if pending >= BATCH_ROWS:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode()


def _geojson_chunks(export: Export, about: dict[str, Any] | None) -> Iterator[bytes]:
    names = export.columns
    latitude, longitude = names.index("latitude"), names.index("longitude")
    kept = [index for index, name in enumerate(names) if name not in ("latitude", "longitude")]
    identifier = names.index("incident_id") if export.unit == INCIDENTS else None
    head = {"type": "FeatureCollection", "metadata": about if about is not None else metadata(export)}
    opening = json.dumps(head, ensure_ascii=False)[:-1] + ', "features": ['
    yield opening.encode()
    parts: list[str] = []
    first = True
    for row in rows(export, located_only=True):
        feature: dict[str, Any] = {"type": "Feature"}
        if identifier is not None:
            feature["id"] = row[identifier]
        feature["geometry"] = {"type": "Point", "coordinates": [row[longitude], row[latitude]]}
        feature["properties"] = {names[index]: _json_value(row[index]) for index in kept}
        parts.append(("" if first else ",") + json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
        first = False
        if len(parts) >= BATCH_ROWS:
            yield "\n".join(parts).encode()
            parts = []
    parts.append("]}\n")
    yield "\n".join(parts).encode()


def chunks(export: Export, *, metadata: dict[str, Any] | None = None) -> Iterator[bytes]:
    """The export as a stream of bytes (CSV, HXL and GeoJSON; XLSX is written whole by `write_xlsx`).
    A GeoJSON export carries `metadata` (made when not given: a view makes it before streaming, while the
    request's language is active)."""
    if export.format in (CSV, HXL):
        return _csv_chunks(export, hxl=export.format == HXL)
    if export.format == GEOJSON:
        return _geojson_chunks(export, metadata)
    raise ExportError({"format": _("XLSX is written to a file, not streamed")})


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, int | float | datetime.date | str):
        return value
    return _text(value)


def write_xlsx(export: Export, stream: IO[bytes]) -> None:
    """The export as an XLSX workbook: the rows on the first sheet, what they are on the second."""
    from openpyxl import Workbook

    found = metadata(export)  # first: it fails before a workbook exists when the figures are missing
    workbook = Workbook(write_only=True)
    data = workbook.create_sheet(export.unit)
    data.append(list(export.columns))
    for row in rows(export):
        data.append([_cell(value) for value in row])
    about = workbook.create_sheet("metadata")
    for key, value in found.items():
        if key in ("releases", "selection", "notes", "columns"):
            continue
        about.append([key, _text(value)])
    for key, value in found["selection"].items():
        about.append(
            [f"selection.{key}", _text(value) if not isinstance(value, dict) else _query_text(value)]
        )
    about.append(["columns", _text(found["columns"])])
    for note in found["notes"]:
        about.append(["note", note])
    about.append([])
    release_columns = ["release_id", "source", "source_name", "product", "vintage_date", "vintage_label"]
    about.append(["releases", *release_columns])
    for release in found["releases"]:
        about.append(["release", *(_cell(release.get(name)) for name in release_columns)])
    workbook.save(stream)


def _query_text(query: dict[str, Any]) -> str:
    return "&".join(
        f"{key}={','.join(value) if isinstance(value, list) else value}" for key, value in query.items()
    )


def export(selection: Selection, unit: str, fmt: str, stream: IO[bytes], *, level: str = PUBLIC) -> Export:
    """Write the export of `selection` to a binary stream (the CLI, reports and tests use this; the web
    view streams `chunks` itself). Returns what was exported."""
    job = Export(selection, unit, fmt, level)
    if fmt == XLSX:
        write_xlsx(job, stream)
    else:
        for chunk in chunks(job):
            stream.write(chunk)
    return job
