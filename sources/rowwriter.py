"""Writing many rows of one table fast: one prepared INSERT, executed for batches of rows.

The ORM's bulk_create prepares every value of every row through its field (about 60 fields for a record),
which costs more than reading and harmonising the row; the 1,000,000-row import target (bench/) needs the
plain database API. Values are converted here by field kind, the way the ORM would store them: JSON as text,
dates as ISO text (both SQLite and PostgreSQL accept that), everything else as it is.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from django.db import connection, models

BATCH_SIZE = 2000


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity (a JSON API or an XLSX cell may): they are kept as text ("nan", "inf")."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    return value


def _has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list | tuple):
        return any(_has_non_finite(item) for item in value)
    if isinstance(value, dict):
        return any(_has_non_finite(item) for item in value.values())
    return False


class JsonText(str):
    """A value already encoded as JSON (e.g. a CSV row's cells, encoded where they were read)."""


def _json(value: Any) -> str:
    if type(value) is JsonText:
        return value
    if not value:
        return (
            "[]"
            if isinstance(value, list)
            else "{}"
            if isinstance(value, dict)
            else orjson.dumps(value).decode()
        )
    # orjson writes NaN and infinity as null; such a number is kept as text instead. Lists of text, the
    # common case, cannot hold one.
    if not (isinstance(value, list) and set(map(type, value)) == {str}) and _has_non_finite(value):
        value = _finite(value)
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits in a JSON file's cell
        return json.dumps(_finite(value), ensure_ascii=False, separators=(",", ":"), default=str)


def _date(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    if isinstance(field, models.JSONField):
        return _json
    if isinstance(field, models.DateTimeField):
        return None
    if isinstance(field, models.DateField):
        return _date
    return None


class RowWriter:
    """Writes rows of `model` for one release, within the caller's transaction: `add` takes the values of
    the fields named in `names` (attnames, e.g. `previous_id`), in that order; `release_id` is added
    (`columns` lists all of them as written)."""

    def __init__(
        self, model: type[models.Model], release_id: int, names: Sequence[str], batch_size: int = BATCH_SIZE
    ) -> None:
        by_attname = {field.attname: field for field in model._meta.concrete_fields}
        fields = [by_attname["release_id"], *(by_attname[name] for name in names)]
        self.release_id = release_id
        self.model = model
        self.columns = ["release_id", *names]
        self.batch_size = batch_size
        self.converted = [
            (index, convert)
            for index, convert in enumerate(_converter(field) for field in fields[1:])
            if convert is not None
        ]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(str(field.column)) for field in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        # Table and column names come from the model, quoted by the backend; values are parameters.
        self.sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
        self.pending: list[Sequence[Any]] = []
        self.written = 0

    def prepare(self, values: Sequence[Any]) -> list[Any]:
        """The row as it is written: `release_id` first, then `values` converted (no database access, so
        another process can prepare rows)."""
        row = [self.release_id, *values]
        for index, convert in self.converted:
            row[index + 1] = convert(row[index + 1])
        return row

    def add(self, values: Sequence[Any]) -> None:
        self.add_prepared([self.prepare(values)])

    def add_prepared(self, rows: Sequence[list[Any]]) -> None:
        self.pending.extend(rows)
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, self.pending)
        self.written += len(self.pending)
        self.pending.clear()
