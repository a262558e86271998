"""Reading single cells: dates, counts, numbers, flags, and the raw form a cell is stored in.

Every parser raises ValueProblem with a reason an analyst can act on; the importer turns it into a
quarantine row naming the file, row and column. Gotchas from datasets.md §11 handled here:

* Excel date serials (II, SHCC, the SSA export, the last with a time fraction), which openpyxl hands over as
  datetimes but which arrive as plain numbers when a sheet is saved as CSV; serials count from 1899-12-30
  (Excel's 1900 system, with its phantom 29 February 1900, so serials below 61 are refused).
* ISO datetimes with a `.000Z` suffix (API-generated files): the calendar date is taken as written, never
  shifted to another time zone.
* Dates such as 03/04/2022 are refused: day-first or month-first cannot be told from the cell.
* Counts as numbers, as strings ("0", API), as floats ("1.0"); booleans are not counts.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from decimal import Decimal, InvalidOperation
from typing import Any

EXCEL_EPOCH = datetime.date(1899, 12, 30)
EARLIEST_DATE = datetime.date(1990, 1, 1)
# The largest count a database integer column holds everywhere (PostgreSQL's integer).
MAX_COUNT = 2_147_483_647

_ISO_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class ValueProblem(ValueError):
    pass


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def text(value: Any) -> str:
    """A cell as trimmed text ("" for a blank cell); numbers without a needless `.0`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return str(value).strip()


def _check_range(day: datetime.date, original: Any) -> datetime.date:
    latest = datetime.date.today() + datetime.timedelta(days=1)
    if not EARLIEST_DATE <= day <= latest:
        raise ValueProblem(f"date {text(original)!r} is outside {EARLIEST_DATE.isoformat()} to today")
    return day


def _from_serial(serial: float, original: Any) -> datetime.date:
    if serial < 61:
        raise ValueProblem(f"date serial {text(original)!r} is before 1 March 1900")
    try:
        day = EXCEL_EPOCH + datetime.timedelta(days=int(serial))
    except OverflowError:
        raise ValueProblem(f"date serial {text(original)!r} is out of range") from None
    return _check_range(day, original)


def parse_date(value: Any) -> datetime.date | None:
    """The calendar date of a cell (None for a blank cell); see the module notes for accepted forms."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueProblem(f"expected a date, got {text(value)!r}")
    if isinstance(value, datetime.datetime):
        return _check_range(value.date(), value)
    if isinstance(value, datetime.date):
        return _check_range(value, value)
    if isinstance(value, int | float):
        return _from_serial(float(value), value)
    raw = str(value).strip()
    match = _ISO_DATE.fullmatch(raw)
    if match:
        try:
            day = datetime.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise ValueProblem(f"{raw!r} is not a real date") from None
        return _check_range(day, raw)
    if _NUMBER.fullmatch(raw):
        return _from_serial(float(raw), raw)
    raise ValueProblem(f"{raw!r} is not a date in a known form (expected YYYY-MM-DD or an Excel date serial)")


def parse_count(value: Any) -> int | None:
    """A whole number of 0 or more (None for a blank cell)."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueProblem(f"expected a whole number, got {text(value)!r}")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        raw = str(value).strip()
        if not _NUMBER.fullmatch(raw):
            raise ValueProblem(f"expected a whole number, got {raw!r}")
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise ValueProblem(f"expected a whole number, got {raw!r}") from None
    if number != number.to_integral_value() or number < 0:
        raise ValueProblem(f"expected a whole number of 0 or more, got {text(value)!r}")
    if number > MAX_COUNT:
        raise ValueProblem(f"{text(value)!r} is larger than any count can be ({MAX_COUNT:,})")
    return int(number)


def parse_float(value: Any, *, minimum: float, maximum: float) -> float | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueProblem(f"expected a number, got {text(value)!r}")
    try:
        number = float(value) if isinstance(value, int | float) else float(str(value).strip())
    except ValueError:
        raise ValueProblem(f"expected a number, got {text(value)!r}") from None
    if not minimum <= number <= maximum:
        raise ValueProblem(f"{text(value)!r} is outside {minimum:g} to {maximum:g}")
    return number


def parse_flag(
    value: Any, *, yes: tuple[str, ...], no: tuple[str, ...], unknown: tuple[str, ...] = ()
) -> bool | None:
    """True, False or None (blank or an explicit unknown); any other value is a problem."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    folded = " ".join(str(value).split()).casefold()
    if folded in {v.casefold() for v in yes}:
        return True
    if folded in {v.casefold() for v in no}:
        return False
    if folded in {v.casefold() for v in unknown}:
        return None
    expected = ", ".join(repr(v) for v in (*yes, *no, *unknown))
    raise ValueProblem(f"expected one of {expected}, got {text(value)!r}")


def raw_cell(value: Any) -> Any:
    """A cell in JSON, as close to verbatim as JSON allows: text, numbers, booleans and null stay as they
    are; spreadsheet dates and times become {"datetime"|"date"|"time": ISO text}."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, datetime.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"date": value.isoformat()}
    if isinstance(value, datetime.time):
        return {"time": value.isoformat()}
    if isinstance(value, datetime.timedelta):
        return {"duration_seconds": value.total_seconds()}
    if isinstance(value, list | tuple):  # JSON records (SiND API) hold lists
        return [raw_cell(item) for item in value]
    if isinstance(value, dict):
        return {str(key): raw_cell(item) for key, item in value.items()}
    return str(value)


class RowHasher:
    """content_hash for the rows of one table, with its headers normalised once instead of per row."""

    def __init__(self, headers: list[Any]) -> None:
        self.headers = [normalise_header(header) for header in headers]
        self._prefixes: dict[int, bytes] = {}

    def _prefix(self, width: int) -> bytes:
        prefix = self._prefixes.get(width)
        if prefix is None:
            headers = self.headers[:width] + [""] * (width - len(self.headers))
            prefix = self._prefixes[width] = ("\x1e".join(headers) + "\x1d").encode()
        return prefix

    def __call__(self, cells: list[Any]) -> str:
        return self.of_texts([cell.strip() if type(cell) is str else text(cell) for cell in cells])

    def of_texts(self, values: list[str]) -> str:
        """The hash of a row already turned into trimmed text (the list may be shortened)."""
        while values and values[-1] == "":
            values.pop()
        return hashlib.sha256(self._prefix(len(values)) + "\x1f".join(values).encode()).hexdigest()


def content_hash(headers: list[str], cells: list[Any]) -> str:
    """SHA-256 of a row's content, for telling a changed record from an unchanged one across vintages.

    Cells are compared as text (so 0, 0.0 and "0" are equal, and an XLSX vintage compares with a CSV one),
    together with their headers normalised the way columns are matched (case, spaces, pandas `.1` suffixes),
    so that header drift alone does not mark every record as changed. Trailing blank cells are ignored."""
    return RowHasher(headers)(cells)


_PANDAS_SUFFIX = re.compile(r"\.\d+$")


def normalise_header(header: Any) -> str:
    """A header as columns are matched: trimmed, white space collapsed, case ignored, without the `.1`,
    `.2` that pandas appends to duplicated names (datasets.md §5.2)."""
    folded = " ".join(text(header).split()).casefold()
    return _PANDAS_SUFFIX.sub("", folded).strip()
