"""The analytics database: one DuckDB file in the data directory that every figure, chart and map reads.

Aggregate queries never run on the transactional database. They run on `analytics.duckdb`
(settings.ANALYTICS_DIR), which `build()` makes from three parts:

* `records`: the current records of every source (the latest vintage of each incident product, about
  health care), read from the Parquet mirror (insights.mirror), which an import extends release by release;
  `vintage_counts` keeps every vintage's count per year for the vintage comparison;
* `incidents`: the de-duplicated incidents of the registry (linkage), with the sources of each, and which
  incident every current record belongs to;
* `nl_reports`: the structured answers of meldpunt reports (never what a reporter wrote, never identity).

Records and incidents share one table, `facts`, with `unit` 'record' or 'incident', so one query answers
"per source" and "de-duplicated" alike. Families of attack types and resources affected are also kept as
one boolean column each (`family_<code>`, `resource_<code>`), so counting them is one scan, not an unnest.

The file is built next to its final name and renamed into place; readers hold a read-only connection and
reopen when the file changes (`connection()`). A refresh names the parts that changed and copies the
others from the current file, so an import does not re-read the registry, nor a linkage run the records.
`zorgveilig refresh_analytics` rebuilds everything by hand.
"""

from __future__ import annotations

import datetime
import logging
import os
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from django.utils import timezone

from insights import mirror
from registry import publication
from sources.crosswalks import crosswalks

logger = logging.getLogger(__name__)

FILE_NAME = "analytics.duckdb"
PARTS = ("records", "incidents", "nl_reports")

# The counts every fact carries (harmonised names; for incidents, the value the registry chose).
COUNTS = (
    "people_killed",
    "people_injured",
    "health_workers_killed",
    "health_workers_injured",
    "health_workers_kidnapped",
    "health_workers_arrested",
    "facilities_destroyed",
    "facilities_damaged",
)

# Where each value that only some sources publish came from (registry.publication): for a record its own
# source; for an incident the source the registry took it from. Public figures sum `public_<count>`, which
# is the count where its origin publishes it and NULL otherwise (`count_column`).
COORDINATES_FROM = publication.COORDINATES_FROM
ADMIN1_FROM = publication.ADMIN1_FROM
ORIGIN_COUNTS: tuple[str, ...] = tuple(name for name in COUNTS if publication.needs_origin(name))
ORIGIN_KEYS: tuple[str, ...] = (
    COORDINATES_FROM,
    ADMIN1_FROM,
    *(publication.origin_key(name) for name in ORIGIN_COUNTS),
)
# The layout of the file: a build copies parts of the current file only when it has this layout.
LAYOUT = 2

Progress = Callable[[str, int, int], None]


class AnalyticsError(Exception):
    pass


def database_path() -> Path:
    return mirror.mirror_dir() / FILE_NAME


def families() -> list[str]:
    return list(crosswalks().attack_families)


def count_column(name: str, *, public: bool) -> str:
    """The facts column to sum for count `name`: in a public figure, only what may be published."""
    return f"public_{name}" if public and name in ORIGIN_COUNTS else name


def resources() -> list[str]:
    from sources.schema import Resource

    return [resource.value for resource in Resource]


def _flag_columns() -> str:
    """SQL for one boolean column per family and resource, from the list columns."""
    columns = [f"list_contains(attack_families, '{code}') AS family_{code}" for code in families()]
    columns += [f"list_contains(resources, '{code}') AS resource_{code}" for code in resources()]
    return ",\n".join(columns)


# -- Building -------------------------------------------------------------------------------------------------


@dataclass
class BuildResult:
    path: Path
    parts: tuple[str, ...]
    facts: int
    records: int
    incidents: int
    nl_reports: int
    seconds: float


def build(parts: Iterable[str] | None = None, progress: Progress | None = None) -> BuildResult:
    """Make a new analytics file from the parts named (all when None; the others are copied from the
    current file, or made when there is none) and put it in place. Returns what it holds."""
    wanted = tuple(PARTS if parts is None else parts)
    unknown = sorted(set(wanted) - set(PARTS))
    if unknown:
        raise AnalyticsError(f"unknown part(s) {', '.join(unknown)}; the parts are {', '.join(PARTS)}")
    started = time.monotonic()
    target = database_path()
    old = target if target.exists() else None
    partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.partial")
    partial.unlink(missing_ok=True)
    report = progress or (lambda label, done, total: None)
    try:
        db = duckdb.connect(str(partial))
        try:
            if old is not None:
                db.execute(f"ATTACH '{_quoted(old)}' AS previous (READ_ONLY)")
            previous = (
                old is not None
                and _has_tables(db, "previous", ("facts_records", "facts_incidents", "meta"))
                and _layout(db) == LAYOUT
            )
            steps = ("records", "incidents", "nl_reports", "facts")
            report("records", 0, len(steps))
            if "records" in wanted or not previous:
                _build_records(db)
            else:
                _copy(db, ("facts_records", "releases", "vintage_counts"))
            report("incidents", 1, len(steps))
            if "incidents" in wanted or not previous:
                _build_incidents(db)
            else:
                _copy(db, ("facts_incidents", "record_incidents", "overlap_sources"))
            report("nl_reports", 2, len(steps))
            if "nl_reports" in wanted or not previous or not _has_tables(db, "previous", ("nl_reports",)):
                _build_nl_reports(db)
            else:
                _copy(db, ("nl_reports",))
            report("facts", 3, len(steps))
            _build_facts(db)
            built_at = timezone.now()
            db.execute(
                "CREATE TABLE meta AS SELECT ?::TIMESTAMPTZ AS built_at, ?::VARCHAR AS parts, "
                "?::INTEGER AS layout",
                [built_at, ",".join(wanted), LAYOUT],
            )
            figures = db.execute(
                "SELECT count(*) FILTER (unit = 'record'), count(*) FILTER (unit = 'incident'), "
                "(SELECT count(*) FROM nl_reports) FROM facts"
            ).fetchone()
            if old is not None:
                db.execute("DETACH previous")
            db.execute("CHECKPOINT")
        finally:
            db.close()
        os.replace(partial, target)
    except (duckdb.Error, OSError, pa.ArrowException) as error:
        partial.unlink(missing_ok=True)
        raise AnalyticsError(f"cannot build {target}: {error}") from error
    finally:
        partial.unlink(missing_ok=True)
        Path(f"{partial}.wal").unlink(missing_ok=True)
    report("facts", len(steps), len(steps))
    assert figures is not None
    records, incidents, reports = (int(value) for value in figures)
    return BuildResult(
        target, wanted, records + incidents, records, incidents, reports, time.monotonic() - started
    )


def _listed(values: Iterable[str]) -> str:
    """SQL literals for constants of this code base (source slugs), never for user input."""
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values) or "NULL"


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _has_tables(db: duckdb.DuckDBPyConnection, catalog: str, names: Iterable[str]) -> bool:
    found = {
        row[0]
        for row in db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = ?", [catalog]
        ).fetchall()
    }
    return set(names) <= found


def _layout(db: duckdb.DuckDBPyConnection) -> int | None:
    """The layout of the attached previous file (None before layouts were numbered)."""
    columns = {
        row[0]
        for row in db.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_catalog = 'previous' AND table_name = 'meta'"
        ).fetchall()
    }
    if "layout" not in columns:
        return None
    row = db.execute("SELECT layout FROM previous.meta").fetchone()
    return int(row[0]) if row and row[0] is not None else None


def _copy(db: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> None:
    for table in tables:
        db.execute(f"CREATE TABLE {table} AS SELECT * FROM previous.{table}")  # noqa: S608 (our names)


def _parquet_list(paths: Iterable[Path]) -> str:
    return "[" + ", ".join(f"'{_quoted(path)}'" for path in paths) + "]"


def _build_records(db: duckdb.DuckDBPyConnection) -> None:
    """facts_records: the current records (one per source record: a record published in two products
    of its source is taken from the newest vintage), releases, and every vintage's count per year."""
    folder = mirror.mirror_dir()
    releases_file = folder / "releases.parquet"
    if releases_file.exists():
        source = f"read_parquet('{_quoted(releases_file)}')"
        db.execute(f"CREATE TABLE releases AS SELECT * FROM {source}")  # noqa: S608 (our file, quoted)
    else:
        db.register("releases_empty", mirror.RELEASE_SCHEMA.empty_table())
        db.execute("CREATE TABLE releases AS SELECT * FROM releases_empty")
        db.unregister("releases_empty")
    known = {row[0] for row in db.execute("SELECT id FROM releases WHERE kind = 'incidents'").fetchall()}
    files = [path for path in sorted(folder.glob("records-*.parquet")) if _release_of(path) in known]
    if files:
        db.execute(
            "CREATE TEMP VIEW mirrored AS SELECT * FROM "  # noqa: S608 (our file names, quoted)
            f"read_parquet({_parquet_list(files)}, union_by_name = true)"
        )
    else:
        db.register("mirrored_empty", mirror.record_schema().empty_table())
        db.execute("CREATE TEMP VIEW mirrored AS SELECT * FROM mirrored_empty")
    db.execute(
        """
        CREATE TABLE vintage_counts AS
        SELECT m.release_id, year(m.event_date) AS year, count(*) AS records
        FROM mirrored m JOIN releases r ON r.id = m.release_id
        WHERE m.health_related AND coalesce(m.certainty, '') <> 'rumour'  -- never published (registry.publication)
        GROUP BY ALL
        """
    )
    db.execute(
        f"""
        CREATE TABLE facts_records AS
        WITH current AS (
            SELECT m.*, r.source,
                   row_number() OVER (PARTITION BY m.release_id, m.source_id ORDER BY m.row_number)
                       AS occurrence,
                   r.vintage_date AS vintage_date
            FROM mirrored m JOIN releases r ON r.id = m.release_id
            WHERE r.is_latest AND r.kind = 'incidents' AND m.health_related
        ),
        chosen AS (
            SELECT * FROM current
            QUALIFY row_number() OVER (
                PARTITION BY source, source_id, occurrence ORDER BY vintage_date DESC, release_id DESC
            ) = 1
        )
        SELECT
            'record' AS unit,
            release_id * 1000000000 + row_number AS fact_id,
            source,
            [source] AS sources,
            release_id,
            row_number,
            source_id,
            event_date,
            date_precision,
            country_iso3,
            admin1,
            latitude,
            longitude,
            geo_precision,
            certainty,
            perpetrator_category,
            coalesce(from_json(attack_families, '["VARCHAR"]'), []) AS attack_families,
            coalesce(from_json(resources, '["VARCHAR"]'), []) AS resources,
            {", ".join(COUNTS)},
            {", ".join(f"source AS {key}" for key in ORIGIN_KEYS)}
        FROM chosen
        """  # noqa: S608 (column names are this module's constants)
    )
    db.execute("DROP VIEW mirrored")


def _release_of(path: Path) -> int | None:
    try:
        return int(path.stem.split("-", 1)[1])
    except (IndexError, ValueError):
        return None


def _build_incidents(db: duckdb.DuckDBPyConnection) -> None:
    """facts_incidents (active registry incidents), record_incidents (which incident each current record
    is part of) and overlap_sources (per incident, its sources: the overlap matrix)."""
    from registry.models import Incident, IncidentLink

    schema = pa.schema(
        [
            ("incident_id", pa.int64()),
            ("event_date", pa.date32()),
            ("date_precision", pa.string()),
            ("country_iso3", pa.string()),
            ("admin1", pa.string()),
            ("latitude", pa.float64()),
            ("longitude", pa.float64()),
            ("geo_precision", pa.string()),
            ("certainty", pa.string()),
            ("perpetrator_category", pa.string()),
            ("sources", pa.list_(pa.string())),
            ("attack_families", pa.list_(pa.string())),
            ("resources", pa.list_(pa.string())),
            *((name, pa.int64()) for name in COUNTS),
            *((key, pa.string()) for key in ORIGIN_KEYS),
        ]
    )
    fields = [
        "pk",
        "event_date",
        "date_precision",
        "country_iso3",
        "admin1",
        "latitude",
        "longitude",
        "geo_precision",
        "certainty",
        "perpetrator_category",
        "sources",
        "attack_families",
        "resources",
        "figures",
        "place_from",
        "admin1_from",
    ]
    batches: list[pa.RecordBatch] = []
    rows: list[dict[str, Any]] = []
    active = Incident.objects.filter(status=Incident.Status.ACTIVE).values_list(*fields).order_by("pk")
    for values in active.iterator(chunk_size=10_000):
        row = dict(zip(fields, values, strict=True))
        figures = row.pop("figures") or {}
        row["incident_id"] = row.pop("pk")
        for name in COUNTS:
            figure = figures.get(name)
            row[name] = figure.get("value") if isinstance(figure, dict) else None
        # Where each value came from (registry.incidents.canonical_fields); unknown stays NULL, which no
        # source publishes.
        place_from = row.pop("place_from") or None
        row[COORDINATES_FROM] = place_from if row["latitude"] is not None else None
        row[ADMIN1_FROM] = (row["admin1_from"] or None) if row["admin1"] else None
        for name in ORIGIN_COUNTS:
            figure = figures.get(name)
            origin = figure.get("source") if isinstance(figure, dict) else None
            row[publication.origin_key(name)] = origin if row[name] is not None else None
        rows.append(row)
        if len(rows) >= 50_000:
            batches.append(pa.RecordBatch.from_pylist(rows, schema=schema))
            rows = []
    batches.append(pa.RecordBatch.from_pylist(rows, schema=schema))
    db.register("incident_rows", pa.Table.from_batches(batches, schema=schema))
    db.execute("CREATE TABLE facts_incidents AS SELECT * FROM incident_rows")
    db.unregister("incident_rows")

    link_schema = pa.schema(
        [("release_id", pa.int64()), ("row_number", pa.int64()), ("incident_id", pa.int64())]
    )
    link_batches: list[pa.RecordBatch] = []
    links = (
        IncidentLink.objects.filter(incident__status=Incident.Status.ACTIVE, record__isnull=False)
        .values_list("record__release_id", "record__row_number", "incident_id")
        .order_by("pk")
    )
    chunk: list[tuple[int, int, int]] = []
    for link in links.iterator(chunk_size=20_000):
        chunk.append(link)
        if len(chunk) >= 100_000:
            link_batches.append(_link_batch(chunk, link_schema))
            chunk = []
    link_batches.append(_link_batch(chunk, link_schema))
    db.register("link_rows", pa.Table.from_batches(link_batches, schema=link_schema))
    db.execute("CREATE TABLE record_incidents AS SELECT * FROM link_rows")
    db.unregister("link_rows")
    db.execute(
        "CREATE TABLE overlap_sources AS SELECT incident_id, sources FROM facts_incidents "
        "WHERE len(sources) > 0"
    )


def _link_batch(chunk: list[tuple[int, int, int]], schema: pa.Schema) -> pa.RecordBatch:
    columns: list[Any] = list(zip(*chunk, strict=True)) if chunk else [[], [], []]
    return pa.RecordBatch.from_arrays(
        [pa.array(list(column), type=pa.int64()) for column in columns], schema=schema
    )


def _build_nl_reports(db: duckdb.DuckDBPyConnection) -> None:
    from insights.dutch_statistics import report_table

    db.register("nl_rows", report_table())
    db.execute("CREATE TABLE nl_reports AS SELECT * FROM nl_rows")
    db.unregister("nl_rows")


def _build_facts(db: duckdb.DuckDBPyConnection) -> None:
    counts = ", ".join(COUNTS)
    origins = ", ".join(ORIGIN_KEYS)
    # A count that only some sources publish, where its origin publishes it (registry.publication).
    public_counts = ",\n".join(
        f"CASE WHEN {publication.origin_key(name)} IN ({_listed(publication.sources_publishing(name))}) "
        f"THEN {name} END AS public_{name}"
        for name in ORIGIN_COUNTS
    )
    # One bit per source, so "which sources share an incident" is a GROUP BY on an integer (queries.overlap).
    db.execute(
        """
        CREATE TABLE source_bits AS
        SELECT source, (2 ** (row_number() OVER (ORDER BY source) - 1))::BIGINT AS bit
        FROM (SELECT DISTINCT source FROM facts_records UNION SELECT DISTINCT unnest(sources) FROM facts_incidents)
        WHERE source IS NOT NULL
        """
    )
    db.execute(
        """
        CREATE TEMP TABLE incident_masks AS
        SELECT i.incident_id, sum(b.bit)::BIGINT AS source_mask
        FROM (SELECT incident_id, unnest(sources) AS source FROM facts_incidents) i
        JOIN source_bits b ON b.source = i.source
        GROUP BY i.incident_id
        """
    )
    db.execute(
        f"""
        CREATE TABLE facts AS
        WITH together AS (
            SELECT r.unit, r.fact_id, r.source, r.sources, r.release_id, r.row_number, r.source_id,
                   l.incident_id, r.event_date, r.date_precision, r.country_iso3, r.admin1, r.latitude,
                   r.longitude, r.geo_precision, r.certainty, r.perpetrator_category, r.attack_families,
                   r.resources, {", ".join("r." + name for name in COUNTS)}, {origins}, b.bit AS source_mask
            FROM facts_records r
            LEFT JOIN record_incidents l ON l.release_id = r.release_id AND l.row_number = r.row_number
            LEFT JOIN source_bits b ON b.source = r.source
            UNION ALL BY NAME
            SELECT 'incident' AS unit, incident_id AS fact_id, NULL AS source, sources, NULL AS release_id,
                   NULL AS row_number, NULL AS source_id, incident_id, event_date, date_precision,
                   country_iso3, admin1, latitude, longitude, geo_precision, certainty,
                   perpetrator_category, attack_families, resources, {counts}, {origins},
                   coalesce(m.source_mask, 0) AS source_mask
            FROM facts_incidents
            LEFT JOIN incident_masks m USING (incident_id)
        )
        SELECT *,
               year(event_date)::INTEGER AS year,
               date_trunc('month', event_date)::DATE AS month,
               perpetrator_category = 'state' AS by_state,
               {public_counts},
               {_flag_columns()}
        FROM together
        ORDER BY unit, event_date
        """  # noqa: S608 (column names are this module's constants)
    )
    db.execute("DROP TABLE incident_masks")


# -- Reading --------------------------------------------------------------------------------------------------


_local = threading.local()


def connection() -> duckdb.DuckDBPyConnection:
    """A read-only cursor on the current analytics file, for this thread. Reopened when a build has put a
    new file in place. Raises AnalyticsError when there is no file yet (`zorgveilig refresh_analytics`)."""
    path = database_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise AnalyticsError(
            f"the analytics database {path} does not exist yet; run `zorgveilig refresh_analytics`"
        ) from None
    identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    held = getattr(_local, "held", None)
    if held is None or held[0] != identity:
        if held is not None:
            held[1].close()
        db = duckdb.connect(str(path), read_only=True)
        _local.held = (identity, db)
        return db
    return held[1]


def generation() -> str:
    """Changes whenever a new analytics file is put in place: part of every cache key of a figure."""
    path = database_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return "none"
    return f"{zlib.crc32(str(path).encode())}-{stat.st_ino}-{stat.st_mtime_ns}"


def built_at() -> datetime.datetime | None:
    try:
        # As naive UTC and made aware here: DuckDB would need pytz to hand out aware datetimes.
        row = connection().execute("SELECT built_at AT TIME ZONE 'UTC' FROM meta").fetchone()
    except (AnalyticsError, duckdb.Error):
        return None
    return row[0].replace(tzinfo=datetime.UTC) if row and row[0] else None


def close() -> None:
    held = getattr(_local, "held", None)
    if held is not None:
        held[1].close()
        _local.held = None
