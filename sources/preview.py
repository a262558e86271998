"""The first rows of a file as they came and as they would be harmonised, before anything is imported.

Works for every importer (the one sources.importers.importer_for picks for the file, or a mapping profile's)
and writes nothing: the file is read with sources.readers.open_table and each row goes through the
importer's own source_id and read_row, exactly as sources.releases.import_file would, up to `rows` rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sources.importers import UnknownSource, importer_for, source_slug
from sources.importers.base import RowProblem, SourceInfo, TableImporter
from sources.models import MappingProfile
from sources.readers import BadFile, open_table
from sources.schema import AggregateFields, Harmonised
from sources.values import is_blank, text


class PreviewFailed(Exception):
    """The file cannot be read as asked; the message says why (English, like the importers' messages)."""


@dataclass(frozen=True)
class PreviewRow:
    row_number: int
    cells: list[str]  # as they came, as text
    blank: bool = False  # a blank row is skipped by the import
    source_id: str = ""
    fields: dict[str, Any] = field(default_factory=dict)  # harmonised fields that hold something
    warnings: list[dict[str, str]] = field(default_factory=list)
    problem: dict[str, str] | None = None  # column, value and reason when the row would be quarantined


@dataclass(frozen=True)
class Preview:
    importer: str
    source: SourceInfo
    kind: str
    file_format: str
    sheet: str
    headers: list[str]
    hxl_tags: list[str]
    columns: dict[str, dict[str, Any]]  # harmonised or internal name -> column number and header
    notes: list[str]
    rows: list[PreviewRow]
    total_rows: int | None
    field_names: list[str]  # the harmonised fields any previewed row holds, in the schema's order

    @property
    def quarantined(self) -> int:
        return sum(1 for row in self.rows if row.problem is not None)


def _importer(
    table: Any, source: str, profile: MappingProfile | None, options: dict[str, Any] | None
) -> TableImporter:
    if profile is not None:
        from sources.importers.profile import ProfileImporter

        if profile.source_slug != source_slug(source):
            raise PreviewFailed(
                f"mapping profile {profile.slug!r} is for source {profile.source_slug!r}, not {source!r}"
            )
        return ProfileImporter(table, {**(options or {}), "profile": profile})
    return importer_for(source, table)(table, options)


def preview(
    path: Path,
    source: str,
    *,
    profile: MappingProfile | None = None,
    options: dict[str, Any] | None = None,
    rows: int = 20,
) -> Preview:
    """The header row, the columns found and the first `rows` rows of `path`; PreviewFailed when the file or
    its layout cannot be read."""
    try:
        table = open_table(path)
    except BadFile as error:
        raise PreviewFailed(str(error)) from None
    try:
        importer = _importer(table, source, profile, options)
        previewed = _rows(importer, rows)
    except (BadFile, UnknownSource, ImportError) as error:
        raise PreviewFailed(str(error)) from None
    finally:
        close = getattr(table.rows, "close", None)
        if close is not None:
            close()  # an XLSX workbook stays open until its row stream is closed
    held = {name for row in previewed for name in row.fields}
    schema = AggregateFields if importer.product_kind == "aggregates" else Harmonised
    return Preview(
        importer=importer.name,
        source=importer.source,
        kind=importer.product_kind,
        file_format=table.file_format,
        sheet=table.sheet,
        headers=[text(header) for header in table.headers],
        hxl_tags=[text(tag) for tag in table.hxl_tags],
        columns=importer.map.describe(),
        notes=list(importer.map.notes),
        rows=previewed,
        total_rows=table.total_rows,
        field_names=[f.name for f in fields(schema) if f.name in held],
    )


def _rows(importer: TableImporter, limit: int) -> list[PreviewRow]:
    found: list[PreviewRow] = []
    if limit <= 0:
        return found
    for row_number, cells in importer.table.rows:
        shown = [text(cell) for cell in cells]
        if all(is_blank(cell) for cell in cells):
            found.append(PreviewRow(row_number, shown, blank=True))
        else:
            found.append(_row(importer, row_number, cells, shown))
        if len(found) >= limit:
            break
    return found


def _row(importer: TableImporter, row_number: int, cells: list[Any], shown: list[str]) -> PreviewRow:
    source_id = ""
    try:
        source_id = importer.source_id(cells)
        imported = importer.read_row(cells)
    except RowProblem as problem:
        reason = {"column": problem.column, "value": text(problem.value), "reason": problem.reason}
        return PreviewRow(row_number, shown, source_id=source_id, problem=reason)
    harmonised = imported.harmonised
    defaults = vars(type(harmonised)())
    held = {name: value for name, value in vars(harmonised).items() if value != defaults[name]}
    return PreviewRow(row_number, shown, source_id=source_id, fields=held, warnings=imported.warnings)
