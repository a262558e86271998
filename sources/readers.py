"""Reading a dataset file into a table: header row, optional HXL tag row, and the data rows as they came.

The format is told from the bytes, not the name: XLSX (a ZIP container, read with openpyxl in read-only
mode, streaming row by row) or CSV (strict UTF-8, with or without BOM; comma, semicolon or tab, whichever
the header row has most of). Everything else is refused with one message that says what the file is and
what is expected: an empty file, a damaged or truncated XLSX, an old .xls, JSON, UTF-16 or another encoding.
A problem met halfway through (a damaged sheet, a broken quote in a CSV) is reported the same way; the
caller's transaction then leaves the database as it was.

Row numbers are those a spreadsheet program shows: the header is row 1, the HXL row (if any) row 2.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import ParseError

import openpyxl
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


def open_table(data: bytes, file_name: str) -> Table:
    if not data:
        raise BadFile("the file is empty (0 bytes)")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _open_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise BadFile("this is an old Excel 97-2003 (.xls) file; save it as .xlsx or as CSV UTF-8")
    if data.startswith(b"%PDF"):
        raise BadFile("this is a PDF, not a data file (expected XLSX or CSV)")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BadFile("the text is UTF-16; save it as CSV UTF-8")
    if file_name.lower().endswith((".xlsx", ".xlsm")):
        raise BadFile("the name says XLSX but the content is not an XLSX file (no ZIP signature)")
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        raise BadFile("this is JSON; this importer reads XLSX or CSV")
    if b"\x00" in data[:65536]:
        raise BadFile("the file holds binary data, not CSV text or an XLSX workbook")
    return _open_csv(data)


def _damaged(error: BaseException) -> BadFile:
    return BadFile(f"not a readable XLSX workbook (truncated or damaged: {error or type(error).__name__})")


XLSX_ERRORS = (
    zipfile.BadZipFile,
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


def _open_xlsx(data: bytes) -> Table:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
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


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        byte = data[error.start]
        raise BadFile(
            f"the text is not UTF-8: byte 0x{byte:02x} on line {line} (probably Windows-1252 or Latin-1); "
            "save it as CSV UTF-8"
        ) from None


def _open_csv(data: bytes) -> Table:
    content = _decode(data)
    first_line = content.splitlines()[0] if content.strip() else ""
    if not first_line.strip():
        raise BadFile("the first line is blank; expected the header row")
    delimiter = max(DELIMITERS, key=lambda d: len(next(csv.reader([first_line], delimiter=d))))
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter, strict=True)
    try:
        records = list(reader)
    except csv.Error as error:
        raise BadFile(f"broken CSV on line {reader.line_num}: {error}") from None
    headers = records[0]
    hxl: list[Any] = []
    data_rows = records[1:]
    first_data_row = 2
    if data_rows and _is_hxl_row(data_rows[0]):
        hxl = data_rows[0]
        data_rows = data_rows[1:]
        first_data_row = 3
    numbered = ((first_data_row + index, list(cells)) for index, cells in enumerate(data_rows))
    return Table("csv", "", list(headers), list(hxl), numbered, len(data_rows))


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
