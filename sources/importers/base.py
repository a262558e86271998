"""What every importer provides, and the header matching the tabular importers share.

An importer is made for one table (sources.readers.Table): it finds its columns by header text (never by HXL
tag, datasets.md §1 and §11) or refuses the file naming the columns it misses, and then turns one row at a
time into an ImportedRow, or raises RowProblem naming the column, the value and the reason.
"""

from __future__ import annotations

import datetime
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sources.readers import BadFile, Table
from sources.schema import AggregateFields, Harmonised
from sources.values import normalise_header, text

# Excel and the SHCC files cut header names at 63 characters (datasets.md §5.2); a header at least this long
# that is the start of a known name is taken as that name.
TRUNCATED_AT_LEAST = 30
MAX_ID_LENGTH = 200


@dataclass(frozen=True)
class SourceInfo:
    slug: str
    name: str
    unit: str
    licence: str
    url: str


@dataclass(frozen=True)
class Column:
    """A column an importer reads: the harmonised or internal name, and the header texts it goes by."""

    name: str
    headers: tuple[str, ...]
    required: bool = False


@dataclass
class ImportedRow:
    """An incident row (Harmonised, for product_kind "incidents") or an aggregate row (AggregateFields)."""

    harmonised: Harmonised | AggregateFields
    warnings: list[dict[str, str]] = field(default_factory=list)


class RowProblem(Exception):
    def __init__(self, column: str, value: Any, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.value = value
        self.reason = reason


class ColumnMap:
    """Which column (0-based) of the table holds which of an importer's columns.

    Headers are compared normalised (sources.values.normalise_header): trailing spaces, case, doubled
    spaces and pandas' `.1` suffixes do not matter; a truncated header matches the name it starts; the first
    of several columns with the same header wins, the others are noted and kept only in the raw rows."""

    def __init__(self, headers: Sequence[Any], columns: Sequence[Column]) -> None:
        self.headers = [text(header) for header in headers]
        self.index: dict[str, int] = {}
        self.notes: list[str] = []
        used: set[int] = set()
        normalised = [normalise_header(header) for header in headers]
        for column in columns:
            wanted = [normalise_header(name) for name in column.headers]
            position = self._find(normalised, wanted, used)
            if position is not None:
                self.index[column.name] = position
                used.add(position)
        for position, header in enumerate(normalised):
            if position in used or not header:
                continue
            twin = next((p for p in used if normalised[p] == header), None)
            if twin is not None:
                self.notes.append(
                    f"column {position + 1} {self.headers[position]!r} repeats the header of column {twin + 1}; "
                    "only the first is read, both are kept in the raw rows"
                )
            else:
                self.notes.append(
                    f"column {position + 1} {self.headers[position]!r} is not read; kept in the raw rows"
                )
        missing = [column for column in columns if column.required and column.name not in self.index]
        if missing:
            names = ", ".join(repr(column.headers[0]) for column in missing)
            found = ", ".join(repr(header) for header in self.headers if header)
            raise BadFile(f"missing column(s) {names}; the header row has: {found}")

    @staticmethod
    def _find(normalised: list[str], wanted: list[str], used: set[int]) -> int | None:
        for position, header in enumerate(normalised):
            if position not in used and header in wanted:
                return position
        for position, header in enumerate(normalised):
            if position in used or len(header) < TRUNCATED_AT_LEAST:
                continue
            if any(name.startswith(header) for name in wanted):
                return position
        return None

    def __contains__(self, name: str) -> bool:
        return name in self.index

    def get(self, cells: Sequence[Any], name: str) -> Any:
        position = self.index.get(name)
        if position is None or position >= len(cells):
            return None
        return cells[position]

    def header(self, name: str) -> str:
        position = self.index.get(name)
        return "" if position is None else self.headers[position]

    def describe(self) -> dict[str, dict[str, Any]]:
        return {
            name: {"column": position + 1, "header": self.headers[position]}
            for name, position in sorted(self.index.items(), key=lambda item: item[1])
        }


class TableImporter(ABC):
    """One importer, made for one table. Subclasses declare their columns and read one row at a time."""

    name: ClassVar[str]
    version: ClassVar[str]
    source: ClassVar[SourceInfo]
    product_kind: ClassVar[str] = "incidents"
    columns: ClassVar[tuple[Column, ...]]
    id_column: ClassVar[str]
    # Whether a date in the file name may be taken as the vintage (False where names hold other dates).
    vintage_from_file_name: ClassVar[bool] = True

    def __init__(self, table: Table, options: dict[str, Any] | None = None) -> None:
        """`options` are importer-specific settings given by the operator (e.g. ACLED's health rule, a
        mapping profile); an importer that takes none refuses any with BadFile."""
        self.table = table
        self.options = dict(options or {})
        self.check_options()
        self.map = ColumnMap(table.headers, self.column_spec())

    def check_options(self) -> None:
        if self.options:
            names = ", ".join(sorted(self.options))
            raise BadFile(f"the {self.source.slug} importer takes no options (given: {names})")

    def release_options(self) -> dict[str, Any]:
        """What the release records about how it was read (e.g. the health rule), beyond product and
        profile; JSON-serialisable."""
        return {}

    @classmethod
    def column_spec(cls) -> Sequence[Column]:
        return cls.columns

    @classmethod
    def accepts(cls, table: Table) -> bool:
        """Whether this importer reads the table's layout: by default, when its required columns are
        there. Importers of a source with several layouts (sources.importers.IMPORTERS) narrow this."""
        try:
            ColumnMap(table.headers, cls.column_spec())
        except BadFile:
            return False
        return True

    @classmethod
    @abstractmethod
    def default_product(cls, file_name: str) -> str | None:
        """The product a file belongs to when the operator names none, or None when it cannot be told."""

    def vintage_from_content(self) -> tuple[datetime.date, str, str] | None:
        """(date, label, citation) of the file's own version statement, when it has one."""
        return None

    def source_id(self, cells: Sequence[Any]) -> str:
        value = text(self.map.get(cells, self.id_column))
        if not value:
            raise RowProblem(self.map.header(self.id_column), "", "no identifier: the row cannot be tracked")
        if len(value) > MAX_ID_LENGTH:
            raise RowProblem(
                self.map.header(self.id_column),
                value[:100],
                f"identifier longer than {MAX_ID_LENGTH} characters",
            )
        return value

    @abstractmethod
    def read_row(self, cells: Sequence[Any]) -> ImportedRow:
        """The harmonised row, or RowProblem."""

    def cell(self, cells: Sequence[Any], name: str) -> Any:
        return self.map.get(cells, name)

    def problem(self, name: str, value: Any, reason: str) -> RowProblem:
        return RowProblem(self.map.header(name), text(value), reason)
