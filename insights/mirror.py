"""The analytics mirror: the harmonised rows of every release as Parquet files, queried with DuckDB.

Layout of settings.ANALYTICS_DIR:

* `records-<release id>.parquet`: the incident records of one release (harmonised fields, without the
  description and the raw row, which stay in the database), with release id, row number and source id;
* `aggregates-<release id>.parquet`: the same for an aggregate release;
* `releases.parquet`: every release with its source, product, kind, vintage and counts, and `is_latest`
  (the latest vintage of its product).

A file is written next to its final name and renamed into place, so readers never see half a file, and
readers take no lock: `connect()` opens an in-memory DuckDB with views over the files. The mirror is
derived data: `zorgveilig refresh_mirror` rebuilds it from the database at any time.

An import writes the release's file as it writes the rows (`ReleaseWriter`, registered in
sources.releases.ROW_SINKS), in batches, so memory stays flat and nothing is read back; the file is renamed
into place when the import's transaction commits and removed when it fails. Then the release list is
rewritten (insights.receivers).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.db import connection

from insights.mirror_batch import MirrorBatch
from sources.models import Aggregate, Product, Record, Release
from sources.schema import AGGREGATE_FIELDS, HARMONISED_FIELDS

logger = logging.getLogger(__name__)

BATCH_ROWS = 50_000
LEFT_OUT = {"description"}  # long text stays in the database

# Rows are known by (release_id, row_number), which the database has as a unique key too; the record's
# id, occurrence and change against the previous vintage are settled after the rows are written, so they
# are looked up in the database, not mirrored.
KEY_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("release_id", pa.int64()),
    ("row_number", pa.int64()),
    ("source_id", pa.string()),
)


class MirrorError(Exception):
    pass


def mirror_dir() -> Path:
    path = Path(settings.ANALYTICS_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _arrow_type(model: type[Record] | type[Aggregate], name: str) -> pa.DataType:
    field = model._meta.get_field(name)
    internal = field.get_internal_type()
    if internal == "JSONField":
        return pa.string()  # JSON text, as stored; the DuckDB views turn lists back into lists
    if internal == "DateField":
        return pa.date32()
    if internal == "BooleanField":
        return pa.bool_()
    if internal == "FloatField":
        return pa.float64()
    if internal.endswith("IntegerField"):
        return pa.int64()
    return pa.string()


def _schema(model: type[Record] | type[Aggregate]) -> pa.Schema:
    names = HARMONISED_FIELDS if model is Record else AGGREGATE_FIELDS
    fields = [pa.field(name, kind) for name, kind in KEY_COLUMNS]
    fields += [pa.field(name, _arrow_type(model, name)) for name in names if name not in LEFT_OUT]
    return pa.schema(fields)


def record_schema() -> pa.Schema:
    """The columns of a records file."""
    return _schema(Record)


def _list_columns(model: type[Record] | type[Aggregate]) -> list[str]:
    return [
        name
        for name in _schema(model).names
        if name not in dict(KEY_COLUMNS)
        and model._meta.get_field(name).get_internal_type() == "JSONField"
        and name != "measures"
    ]


def _column(values: Sequence[Any], kind: pa.DataType) -> pa.Array:
    if kind == pa.string():
        values = [
            json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
            for value in values
        ]
    elif pa.types.is_boolean(kind):
        values = [None if value is None else bool(value) for value in values]
    elif pa.types.is_date(kind):
        present = next((value for value in values if value is not None), None)
        if isinstance(present, str):
            return pa.array(values, type=pa.string()).cast(pa.date32())
    return pa.array(values, type=kind)


def _batches(
    model: type[Record] | type[Aggregate], release_id: int, schema: pa.Schema
) -> Iterator[pa.RecordBatch]:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in schema.names)  # field names are the column names
    sql = (
        f"SELECT {columns} FROM {quote(model._meta.db_table)} "  # noqa: S608 (names from the model)
        f"WHERE {quote('release_id')} = %s ORDER BY {quote('row_number')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [release_id])
        while rows := cursor.fetchmany(BATCH_ROWS):
            by_column = list(zip(*rows, strict=True))
            arrays = [_column(list(by_column[i]), field.type) for i, field in enumerate(schema)]
            yield pa.RecordBatch.from_arrays(arrays, schema=schema)


def _replace(path: Path, write: Any) -> None:
    partial = path.with_name(f".{path.name}.partial")
    try:
        write(partial)
        os.replace(partial, path)
    except (OSError, pa.ArrowException) as error:
        partial.unlink(missing_ok=True)
        raise MirrorError(f"cannot write {path}: {error}") from error


class ReleaseWriter:
    """Writes one release's rows to its Parquet file while the import stores them (a sources RowSink):
    `preparer` makes Arrow batches of the rows (`columns` names their values), `add` collects them."""

    def __init__(self, release: Release, model: type[Record] | type[Aggregate], columns: list[str]) -> None:
        schema = _schema(model)
        positions = {name: index for index, name in enumerate(columns)}
        self.preparer = MirrorBatch(schema, [positions[name] for name in schema.names])
        self.schema = schema
        self.target = _release_file(release)
        self.partial = self.target.with_name(f".{self.target.name}.partial")
        self.pending: list[pa.RecordBatch] = []
        self.pending_rows = 0
        self.writer: pq.ParquetWriter | None = None

    def add(self, prepared: pa.RecordBatch) -> None:
        self.pending.append(prepared)
        self.pending_rows += prepared.num_rows
        if self.pending_rows >= BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.partial, self.schema, compression="zstd")
        batches, self.pending, self.pending_rows = self.pending, [], 0
        self.writer.write_table(pa.Table.from_batches(batches, schema=self.schema))

    def commit(self) -> None:
        try:
            self._flush()
            if self.writer is None:
                self.writer = pq.ParquetWriter(self.partial, self.schema, compression="zstd")
            self.writer.close()
            os.replace(self.partial, self.target)
        except (OSError, pa.ArrowException):
            # The release is stored; the receiver exports it again from the database.
            logger.exception("analytics mirror: cannot write %s", self.target)
            self.discard()

    def discard(self) -> None:
        if self.writer is not None:
            try:
                self.writer.close()
            except (OSError, pa.ArrowException):
                logger.exception("analytics mirror: cannot close %s", self.partial)
        self.pending = []
        self.partial.unlink(missing_ok=True)


def release_writer(release: Release, model: Any, columns: list[str]) -> ReleaseWriter:
    return ReleaseWriter(release, model, columns)


def _release_file(release: Release) -> Path:
    prefix = "aggregates" if release.product.kind == Product.Kind.AGGREGATES else "records"
    return mirror_dir() / f"{prefix}-{release.pk}.parquet"


def export_release(release: Release) -> Path:
    """Write the release's rows to its Parquet file (replacing an older one)."""
    model = Aggregate if release.product.kind == Product.Kind.AGGREGATES else Record
    schema = _schema(model)
    target = _release_file(release)

    def write(path: Path) -> None:
        with pq.ParquetWriter(path, schema, compression="zstd") as writer:
            for batch in _batches(model, release.pk, schema):
                writer.write_batch(batch)

    _replace(target, write)
    return target


RELEASE_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("source", pa.string()),
        ("source_name", pa.string()),
        ("product", pa.string()),
        ("kind", pa.string()),
        ("vintage_date", pa.date32()),
        ("vintage_label", pa.string()),
        ("is_latest", pa.bool_()),
        ("rows_read", pa.int64()),
        ("rows_imported", pa.int64()),
        ("rows_quarantined", pa.int64()),
        ("rows_health_related", pa.int64()),
        ("added", pa.int64()),
        ("changed", pa.int64()),
        ("withdrawn", pa.int64()),
    ]
)


def export_releases() -> Path:
    """Write releases.parquet: every release, and which is the latest vintage of its product."""
    releases = list(
        Release.objects.select_related("product__source").order_by("product_id", "vintage_date", "pk")
    )
    latest: dict[int, Release] = {}
    for release in releases:
        latest[release.product_id] = release  # ordered by vintage: the last one wins
    rows = [
        {
            "id": release.pk,
            "source": release.product.source.slug,
            "source_name": release.product.source.name,
            "product": release.product.slug,
            "kind": release.product.kind,
            "vintage_date": release.vintage_date,
            "vintage_label": release.vintage_label,
            "is_latest": latest[release.product_id].pk == release.pk,
            "rows_read": release.rows_read,
            "rows_imported": release.rows_imported,
            "rows_quarantined": release.rows_quarantined,
            "rows_health_related": release.rows_health_related,
            "added": release.added,
            "changed": release.changed,
            "withdrawn": release.withdrawn,
        }
        for release in releases
    ]
    target = mirror_dir() / "releases.parquet"
    _replace(target, lambda path: pq.write_table(pa.Table.from_pylist(rows, schema=RELEASE_SCHEMA), path))
    return target


def refresh_release(release: Release) -> None:
    """Bring the mirror up to date after `release` was imported: its rows (when the import did not write
    them already) and the release list, which says which vintage is the latest."""
    release = Release.objects.select_related("product").get(pk=release.pk)
    if not _release_file(release).exists():
        export_release(release)
    export_releases()


def refresh_all(progress: Any = None) -> int:
    """Rebuild the whole mirror from the database; returns the number of releases written."""
    releases = list(Release.objects.select_related("product").order_by("pk"))
    wanted = {_release_file(release).name for release in releases}
    for stale in mirror_dir().glob("*-*.parquet"):
        if stale.name not in wanted:
            stale.unlink()
    for done, release in enumerate(releases, start=1):
        export_release(release)
        if progress is not None:
            progress(done, len(releases))
    export_releases()
    return len(releases)


def _view(
    db: duckdb.DuckDBPyConnection,
    name: str,
    files: Sequence[Path],
    schema: pa.Schema,
    lists: Sequence[str] = (),
) -> None:
    # View and column names are this module's constants; file names are ours, quoted.
    if files:
        listing = ", ".join("'" + str(path).replace("'", "''") + "'" for path in files)
        origin = f"read_parquet([{listing}], union_by_name = true)"
    else:
        db.register(f"{name}_empty", schema.empty_table())
        origin = f"{name}_empty"
    replace = ", ".join(f"from_json({column}, '[\"VARCHAR\"]') AS {column}" for column in lists)
    columns = f"* REPLACE ({replace})" if replace else "*"
    db.execute(f"CREATE VIEW {name} AS SELECT {columns} FROM {origin}")  # noqa: S608


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with views `records`, `aggregates`, `releases`, and `current_records` /
    `current_aggregates` (only the latest vintage of each product). List fields (who_ssa_types,
    attack_families, resources, weapons, co_reported_by) are lists of text; `measures` is JSON text."""
    folder = mirror_dir()
    db = duckdb.connect(":memory:")
    _view(db, "records", sorted(folder.glob("records-*.parquet")), _schema(Record), _list_columns(Record))
    _view(db, "aggregates", sorted(folder.glob("aggregates-*.parquet")), _schema(Aggregate))
    releases = folder / "releases.parquet"
    _view(db, "releases", [releases] if releases.exists() else [], RELEASE_SCHEMA)
    for kind in ("records", "aggregates"):
        db.execute(
            f"CREATE VIEW current_{kind} AS SELECT r.* FROM {kind} r "  # noqa: S608
            "JOIN releases l ON l.id = r.release_id WHERE l.is_latest"
        )
    return db
