"""Reading a dataset file into a table: header row, optional HXL tag row, and the data rows as they came.

The format is told from the bytes, not the name: XLSX (a ZIP container, read with openpyxl in read-only
mode, streaming row by row), CSV (strict UTF-8, with or without BOM; comma, semicolon or tab, whichever
the header row has most of; streamed, so memory does not grow with the file) or JSON (an array of records). Everything else is refused with one message that says what the file is and
what is expected: an empty file, a damaged or truncated XLSX, an old .xls, JSON, UTF-16 or another encoding.
A problem met halfway through (a damaged sheet, a broken quote in a CSV) is reported the same way; the
caller's transaction then leaves the database as it was.

Row numbers are those a spreadsheet program shows: the header is row 1, the HXL row (if any) row 2. In a
JSON file (an array of records, as the SiND API returns) the row number is the record's position, from 1.
"""

from __future__ import annotations

import csv
import datetime
import json
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import openpyxl
import orjson
from openpyxl.utils.exceptions import InvalidFileException

from sources.values import is_blank, text

DELIMITERS = (",", ";", "\t")
METADATA_SHEET = re.compile(r"meta\s*data", re.IGNORECASE)
VERSION_LABEL = re.compile(r"\bv\.\s*(?:(\d{1,2})\s+)?([A-Z][a-z]+)\s+(\d{4})\b")
DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-?(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])(?!\d)")
MONTHS = {
    name: number
    for number, name in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}


class BadFile(Exception):
    """The file as a whole cannot be imported; the message says why (the caller names the file)."""


@dataclass
class Table:
    file_format: str
    sheet: str
    headers: list[Any]
    hxl_tags: list[Any]
    rows: Iterator[tuple[int, list[Any]]]
    total_rows: int | None
    metadata_text: list[str] = field(default_factory=list)
    name: str = ""  # the file name, for importers that read something from it (e.g. a year)


@dataclass(frozen=True)
class VersionLabel:
    label: str  # e.g. "v. May 2023"
    date: datetime.date  # the first of the month when the label names no day
    citation: str


def _is_hxl_row(cells: list[Any]) -> bool:
    for cell in cells:
        if not is_blank(cell):
            return isinstance(cell, str) and cell.strip().startswith("#")
    return False


def _trim(cells: list[Any]) -> list[Any]:
    end = len(cells)
    while end and cells[end - 1] is None:
        end -= 1
    return list(cells[:end])


HEAD_BYTES = 65536


def open_table(path: Path) -> Table:
    """The file at `path` as a table, streaming: only a JSON file is read whole."""
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as error:
        raise BadFile(f"cannot be read: {error.strerror or error}") from None
    if not head:
        raise BadFile("the file is empty (0 bytes)")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        workbook = _open_xlsx(path)
        workbook.name = path.name
        return _refuse_nul_in_headers(workbook)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise BadFile("this is an old Excel 97-2003 (.xls) file; save it as .xlsx or as CSV UTF-8")
    if head.startswith(b"%PDF"):
        raise BadFile("this is a PDF, not a data file (expected XLSX, CSV or JSON)")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BadFile("the text is UTF-16; save it as CSV UTF-8")
    if path.name.lower().endswith((".xlsx", ".xlsm")):
        raise BadFile("the name says XLSX but the content is not an XLSX file (no ZIP signature)")
    if b"\x00" in head:
        raise BadFile("the file holds binary data, not CSV or JSON text or an XLSX workbook")
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    table = _open_json(path) if stripped[:1] in (b"{", b"[") else _open_csv(path, head)
    table.name = path.name
    return _refuse_nul_in_headers(table)


def _refuse_nul_in_headers(table: Table) -> Table:
    """A NUL character (U+0000) cannot be stored (PostgreSQL refuses it in text and JSON). In a cell it
    quarantines the row; in a column name (a header, an HXL tag, a JSON key) it spoils the whole file."""
    for row_name, cells in (("header", table.headers), ("HXL tag", table.hxl_tags)):
        for index, cell in enumerate(cells):
            if isinstance(cell, str) and "\x00" in cell:
                shown = cell.replace("\x00", "\\u0000")
                raise BadFile(
                    f"the {row_name} of column {index + 1} ({shown[:60]!r}) holds a NUL character (U+0000), "
                    "which cannot be stored; remove it and import again"
                )
    return table


def _damaged(error: BaseException) -> BadFile:
    return BadFile(f"not a readable XLSX workbook (truncated or damaged: {error or type(error).__name__})")


XLSX_ERRORS = (
    zipfile.BadZipFile,
    NotImplementedError,  # a part packed with a compression method zipfile does not know
    RuntimeError,  # a part flagged as encrypted
    zlib.error,
    KeyError,
    ValueError,
    EOFError,
    OSError,
    ParseError,
    InvalidFileException,
    TypeError,
    IndexError,
)


def _open_xlsx(path: Path) -> Table:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        sheets = [sheet for sheet in workbook.worksheets if not METADATA_SHEET.search(sheet.title)]
        if not sheets:
            raise BadFile("the workbook has no data sheet")
        sheet = sheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        second = next(rows, None)
        metadata = _metadata_text(workbook)
        max_row = sheet.max_row
    except BadFile:
        raise
    except XLSX_ERRORS as error:
        raise _damaged(error) from error
    if header is None or all(is_blank(cell) for cell in header):
        raise BadFile(f"the first row of sheet {sheet.title!r} is blank; expected the header row")
    headers = _trim(list(header))
    hxl: list[Any] = []
    first_data_row = 2
    pending: list[tuple[int, list[Any]]] = []
    if second is not None and _is_hxl_row(list(second)):
        hxl = _trim(list(second))
        first_data_row = 3
    elif second is not None:
        pending.append((2, _trim(list(second))))

    def stream() -> Iterator[tuple[int, list[Any]]]:
        yield from pending
        number = first_data_row + len(pending) - 1
        try:
            for cells in rows:
                number += 1
                yield number, _trim(list(cells))
        except XLSX_ERRORS as error:
            raise _damaged(error) from error
        finally:
            workbook.close()

    total = max_row - first_data_row + 1 if isinstance(max_row, int) and max_row >= first_data_row else None
    return Table("xlsx", sheet.title, headers, hxl, stream(), total, metadata)


def _metadata_text(workbook: Any) -> list[str]:
    texts: list[str] = []
    for sheet in workbook.worksheets:
        if METADATA_SHEET.search(sheet.title):
            for cells in sheet.iter_rows(values_only=True, max_row=200):
                texts.extend(text(cell) for cell in cells if isinstance(cell, str) and cell.strip())
    return texts


def _not_utf8(error: UnicodeDecodeError, line: int, *, exact: bool = True) -> BadFile:
    byte = error.object[error.start] if error.start < len(error.object) else 0
    where = f"on line {line}" if exact else f"on or near line {line}"
    return BadFile(
        f"the text is not UTF-8: byte 0x{byte:02x} {where} (probably Windows-1252 or Latin-1); "
        "save it as CSV UTF-8"
    )


def count_lines(path: Path) -> int:
    """Line breaks in the file (fast; an estimate of the rows when cells hold line breaks)."""
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
    return lines


def _open_csv(path: Path, head: bytes) -> Table:
    try:
        first_text = head.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not just a character cut by the end of the head
            raise _not_utf8(error, head[: error.start].count(b"\n") + 1) from None
        first_text = head[: error.start].decode("utf-8-sig")
    first_line = first_text.splitlines()[0] if first_text.strip() else ""
    if not first_line.strip():
        raise BadFile("the first line is blank; expected the header row")
    delimiter = max(DELIMITERS, key=lambda d: len(next(csv.reader([first_line], delimiter=d))))
    handle = path.open(encoding="utf-8-sig", newline="", errors="strict")
    reader = csv.reader(handle, delimiter=delimiter, strict=True)

    def next_record() -> list[str] | None:
        try:
            return next(reader, None)
        except csv.Error as error:
            handle.close()
            raise BadFile(f"broken CSV on line {reader.line_num}: {error}") from None
        except UnicodeDecodeError as error:
            handle.close()
            raise _not_utf8(error, reader.line_num + 1, exact=False) from None

    headers = next_record() or []
    second = next_record()
    hxl: list[Any] = []
    pending: list[list[str]] = []
    first_data_row = 2
    if second is not None and _is_hxl_row(second):
        hxl, first_data_row = second, 3
    elif second is not None:
        pending.append(second)
    total = max(0, count_lines(path) - (first_data_row - 1))

    def stream() -> Iterator[tuple[int, list[Any]]]:
        number = first_data_row - 1
        try:
            for waiting in pending:
                number += 1
                yield number, waiting
            while (cells := next_record()) is not None:
                number += 1
                yield number, cells
        finally:
            handle.close()

    return Table("csv", "", list(headers), list(hxl), stream(), total)


def _open_json(path: Path) -> Table:
    """A JSON array of flat objects (the SiND API's records): the keys, in the order first seen, are the
    header row; each object is a row. Nested values are kept as they came."""
    try:
        with path.open("rb") as handle:
            content = json.load(handle)
    except UnicodeDecodeError as error:
        raise _not_utf8(error, 1, exact=False) from None
    except json.JSONDecodeError as error:
        raise BadFile(f"broken JSON on line {error.lineno}, column {error.colno}: {error.msg}") from None
    except RecursionError:
        raise BadFile("the JSON is nested too deeply to be a list of records") from None
    if isinstance(content, dict):
        # An API response: the records under "data" (ACLED, next to "messages"), or its only list.
        lists = [value for value in content.values() if isinstance(value, list)]
        if isinstance(content.get("data"), list):
            content = content["data"]
        elif len(lists) == 1:
            content = lists[0]
        else:
            raise BadFile("expected a JSON array of records, or an object holding one under 'data'")
    if not isinstance(content, list):
        raise BadFile("expected a JSON array of records")
    headers: dict[str, None] = {}
    for index, item in enumerate(content):
        if not isinstance(item, dict):
            raise BadFile(f"record {index + 1} of the JSON array is not an object")
        headers.update(dict.fromkeys(item))
    _refuse_lone_surrogates(content)
    names = list(headers)
    rows = ((index + 1, [item.get(name) for name in names]) for index, item in enumerate(content))
    return Table("json", "", names, [], rows, len(content))


def _refuse_lone_surrogates(records: list[Any]) -> None:
    """JSON may escape half a surrogate pair (\\ud800), which is no character: such text cannot be stored or
    shown, so the file is refused naming the record (checked in one pass; the record looked up only then)."""
    try:
        orjson.dumps(records)
    except orjson.JSONEncodeError as error:
        if "surrogates" not in str(error):
            return
        for index, record in enumerate(records):
            try:
                orjson.dumps(record)
            except orjson.JSONEncodeError:
                raise BadFile(
                    f"record {index + 1} holds text that is not valid Unicode (half a surrogate pair, such as "
                    "\\ud800); correct it in the file"
                ) from None


def version_label(metadata_text: list[str]) -> VersionLabel | None:
    """The version label of II/SHCC files ("v. May 2023", in the MetaData&Notes citation; datasets.md §5.1)."""
    for line in metadata_text:
        match = VERSION_LABEL.search(line)
        if match and match[2].lower() in MONTHS:
            day = int(match[1]) if match[1] else 1
            try:
                date = datetime.date(int(match[3]), MONTHS[match[2].lower()], day)
            except ValueError:
                continue
            return VersionLabel(" ".join(match[0].split()), date, line.strip())
    return None


def date_in_file_name(file_name: str) -> datetime.date | None:
    """A date written in the file name as YYYYMMDD or YYYY-MM-DD (e.g. the SSA export's data_20240308)."""
    for match in DATE_IN_NAME.finditer(file_name):
        try:
            return datetime.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            continue
    return None
