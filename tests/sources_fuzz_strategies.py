"""Hypothesis strategies for fuzzing the dataset importers (tests/test_sources_fuzz.py holds the layouts).

A Layout is one file layout (columns with their HXL tags, valid values per column, the formats the source
publishes it in). `fuzzed_file(layout)` draws a small valid table of it and then breaks it the ways real
files break: header cells dropped, repeated, renamed or reordered; cells missing or extra, huge, with NUL
bytes; garbage in typed columns (dates, counts, coordinates, flags); odd CSV quoting and delimiters;
cp1252, Latin-1, UTF-16 or UTF-32 text; damaged XLSX parts inside an intact ZIP; JSON of the wrong shape;
and then truncation at any byte, bit flips and random bytes. Some files stay valid (nothing drawn to break
them), so the import's success path is fuzzed too.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import openpyxl
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from sources.importers.base import TableImporter

# Inputs that crash the import today, each reported with a failing-until-fixed test in
# tests/test_sources_fuzz.py. While a bug is listed its inputs are not drawn (`deep-json` in as_json) or not
# imported (known_bug_in), so the property tests go on finding other crashes; remove the entry when the bug is
# fixed. Fixed so far: deep JSON, NUL characters, counts beyond a column, NaN and infinity, XLSX parts that are
# encrypted or packed with an unknown method, lone surrogates in JSON.
KNOWN_BUGS: set[str] = set()
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
NUL_IN_JSON_KEY = re.compile(rb'"(?:[^"\\]|\\.)*?\\u0000(?:[^"\\]|\\.)*"\s*:')


def known_bug_in(data: bytes, *, postgresql: bool) -> str | None:
    """The KNOWN_BUGS entry importing `data` would run into, if any."""
    # Whole surrogate pairs (json.dumps writes emoji so) count too: telling them apart is not worth it.
    if "lone-surrogates" in KNOWN_BUGS and SURROGATE_ESCAPE.search(data):
        return "lone-surrogates"
    if "nul-in-json-key-on-postgresql" in KNOWN_BUGS and postgresql and NUL_IN_JSON_KEY.search(data):
        return "nul-in-json-key-on-postgresql"
    return None


def split(values: str) -> tuple[str, ...]:
    """A vocabulary written as one `|`-separated string (values keep their own spaces)."""
    return tuple(values.split("|"))


@dataclass(frozen=True)
class Spec:
    """One column: its header (row 1), HXL tag (row 2; "" for none), kind of value, and valid values."""

    header: str
    tag: str
    kind: str  # id, date, count, lat, lon, flag, year, month, day, iso3, country, choice, text
    values: st.SearchStrategy[Any]


@dataclass(frozen=True)
class Layout:
    name: str
    columns: tuple[Spec, ...]
    formats: tuple[str, ...]
    file_name: str  # without extension: the name the source gives its files (product and vintage hints)
    metadata: tuple[str, ...] = ()  # lines of a MetaData&Notes sheet, for XLSX

    @property
    def hxl(self) -> bool:
        return any(spec.tag for spec in self.columns)

    def __repr__(self) -> str:
        return f"<layout {self.name}>"


DAYS = st.dates(min_value=datetime.date(2016, 1, 1), max_value=datetime.date(2024, 12, 31))


def serial_of(day: datetime.date) -> int:
    """The Excel date serial of a day, as a CSV saved from Excel holds it."""
    return (day - datetime.date(1899, 12, 30)).days


VALUES: dict[str, st.SearchStrategy[Any]] = {
    "id": st.sampled_from(["FZ{:06d}", "{:d}"]),
    "date": st.one_of(DAYS, DAYS.map(datetime.date.isoformat)),
    "year": st.integers(min_value=2016, max_value=2024),
    "month": st.integers(min_value=1, max_value=12),
    "day": st.integers(min_value=1, max_value=28),
    "iso3": st.sampled_from(split("AFG|MMR|UKR|PSE|COD|SDN|SYR|NGA|MLI|HTI|SOM|YEM|CIV")),
    "country": st.sampled_from(split("Myanmar|Ukraine|OPT|DRC|CAR|Sudan|Syria|Afghanistan|Mali")),
    "lat": st.floats(min_value=-60, max_value=60).map(lambda x: round(x, 4)),
    "lon": st.floats(min_value=-170, max_value=170).map(lambda x: round(x, 4)),
    "count": st.integers(min_value=0, max_value=12),
    "flag": st.booleans(),
    "choice": st.sampled_from(["Unknown", "Other"]),
    "text": st.sampled_from(
        split("|Test Forces|a clinic was shelled|hospital staff threatened|Région Sud|x, y; z")
    ),
}


def joined(labels: Sequence[str], prefix: str = "") -> st.SearchStrategy[str]:
    """A multi-valued cell: one to three of `labels`, comma-joined as the sources write them."""
    chosen = st.lists(st.sampled_from(labels), min_size=1, max_size=3, unique=True)
    return chosen.map(lambda labels: prefix + ", ".join(labels))


def layout(
    name: str,
    formats: tuple[str, ...],
    file_name: str,
    columns: str,
    values: dict[str, st.SearchStrategy[Any]] | None = None,
    metadata: tuple[str, ...] = (),
) -> Layout:
    """A layout from `columns`, one a line: `header | HXL tag | kind`, optionally followed by
    `| value; value; ...` to choose from (kind `multi`: one to three of them, comma-joined; a line ending in
    `;` goes on on the next). Headers and values keep their own trailing spaces (`Location `, `Landmine `);
    `values[header]` overrides."""
    specs = []
    for line in filter(str.strip, re.sub(r";\n\s*", "; ", columns).splitlines()):
        header, tag, kind, *choices = line.lstrip().split(" | ")
        kind = kind.strip()
        if header in (values or {}):
            strategy = (values or {})[header]
        elif choices:
            labels = choices[0].split("; ")
            strategy = joined(labels) if kind == "multi" else st.sampled_from(labels)
        else:
            strategy = VALUES[kind]
        specs.append(Spec(header, tag.strip(), "text" if kind == "multi" else kind, strategy))
    return Layout(name, tuple(specs), formats, file_name, metadata)


KIND_WORDS = split(
    "latitude:lat|lat:lat|longitude:lon|lon:lon|date:date|year:year|month:month|day:day|iso:iso3|id:id"
)
COUNT_WORDS = split("killed|injured|wounded|kidnapped|abducted|arrested|incidents|events|number|total")


def derived_layout(importer: type[TableImporter]) -> Layout:
    """A layout from an importer's own column list (for an importer no datasets.md layout is written for),
    each column's kind guessed from the words of its name."""
    kinds = dict(pair.split(":") for pair in KIND_WORDS)
    specs = []
    for column in importer.column_spec():
        words = column.name.lower().split("_")
        kind = next(
            (kinds[word] for word in words if word in kinds), "country" if "country" in words else "text"
        )
        kind = "count" if kind == "text" and any(word in COUNT_WORDS for word in words) else kind
        specs.append(Spec(column.headers[0], "", kind, VALUES[kind]))
    return Layout(f"columns of {importer.__name__}", tuple(specs), ("csv", "xlsx"), "2021-01-derived-data")


@dataclass
class DrawnTable:
    headers: list[Any]
    hxl: list[Any] | None
    rows: list[list[Any]]
    kinds: list[str]
    metadata: list[str] = field(default_factory=list)

    def lines(self) -> list[list[Any]]:
        return [self.headers, *([self.hxl] if self.hxl is not None else []), *self.rows]


@st.composite
def valid_table(draw: st.DrawFn, layout: Layout, *, min_rows: int = 1, max_rows: int = 5) -> DrawnTable:
    count = draw(st.integers(min_value=min_rows, max_value=max_rows))
    first_id = draw(st.integers(min_value=1, max_value=90000))
    rows = []
    for index in range(count):
        row = []
        for spec in layout.columns:
            value = draw(spec.values)
            if spec.kind == "id":  # an id template: the row's number makes ids unique within the file
                value = (
                    int(value.format(first_id + index)) if value == "{:d}" else value.format(first_id + index)
                )
            row.append(value)
        rows.append(row)
    hxl = [spec.tag for spec in layout.columns] if layout.hxl else None
    kinds = [spec.kind for spec in layout.columns]
    return DrawnTable([spec.header for spec in layout.columns], hxl, rows, kinds, list(layout.metadata))


# -- Garbage ----------------------------------------------------------------------------------------------

ODD_TEXTS = split(
    "| |-1|-0|1.5|1e400|-1e400|1e-400|nan|NaN|inf|-Infinity|0x1F|1,000|1 000|\uff11\uff12|\u0663|2023-02-30|"
    "2023-13-01|2023-00-10|03/04/2022|0000-00-00|9999-12-31|1899-12-30|60|61|2958466|1e308|1e30|3000000000|"
    "99999999999999999999999999|2023-05-02T25:61:00Z|2023-05-02T10:00:00+99:99|#N/A|=1+1|TRUE|None|null|"
    '\u200b|\ufeff1|#date|Unknown|YES |censored|\u00c3\u00b4|\ud800|a\x00b|line\nbreak|tab\there|quote"inside'
)


def garbage_values() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(ODD_TEXTS),
        st.text(max_size=40),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(),
        st.booleans(),
        st.none(),
        st.datetimes(min_value=datetime.datetime(1, 1, 1), max_value=datetime.datetime(9999, 12, 31)),
        st.dates(),
        st.times(),
    )


# -- Table mutations: each changes the table in place and says what it did ----------------------------------

Mutation = Callable[[st.DrawFn, DrawnTable], str]


def _index(draw: st.DrawFn, cells: Sequence[Any]) -> int:
    return draw(st.integers(min_value=0, max_value=max(0, len(cells) - 1)))


def _row(draw: st.DrawFn, table: DrawnTable) -> list[Any]:
    if not table.rows:
        table.rows.append([])
    return table.rows[_index(draw, table.rows)]


def drop_header_cell(draw: st.DrawFn, table: DrawnTable) -> str:
    index = _index(draw, table.headers)
    if draw(st.booleans()):
        del table.headers[index : index + 1]  # the data no longer lines up with the header
        return f"header cell {index + 1} removed"
    for cells in [table.headers, table.hxl or [], *table.rows]:
        del cells[index : index + 1]
    del table.kinds[index : index + 1]
    return f"column {index + 1} removed"


def duplicate_header_cell(draw: st.DrawFn, table: DrawnTable) -> str:
    if not table.headers:
        return "no header to repeat"
    source, target = _index(draw, table.headers), _index(draw, table.headers)
    table.headers[target] = table.headers[source]
    return f"header {target + 1} repeats header {source + 1}"


HEADER_RENAMES: tuple[Callable[[str], str], ...] = (
    str.upper,
    lambda header: f" {header}  ",
    lambda header: f"{header}.1",
    lambda header: header[:40],
    lambda header: header[:5],
    lambda header: header.replace(" ", "  "),
    lambda header: f"#{header}",
    lambda header: "",
)


def rename_header_cell(draw: st.DrawFn, table: DrawnTable) -> str:
    if not table.headers:
        return "no header to rename"
    index = _index(draw, table.headers)
    if draw(st.booleans()):
        table.headers[index] = draw(st.sampled_from(HEADER_RENAMES))(str(table.headers[index]))
    else:
        table.headers[index] = draw(st.one_of(st.text(max_size=70), st.integers(), st.none(), st.floats()))
    return f"header {index + 1} renamed to {table.headers[index]!r}"


def reorder_columns(draw: st.DrawFn, table: DrawnTable) -> str:
    order = draw(st.permutations(range(len(table.headers))))
    if draw(st.booleans()):
        table.headers = [table.headers[i] for i in order]
        return "header cells shuffled, data left in place"

    def moved(cells: list[Any]) -> list[Any]:
        return [cells[i] if i < len(cells) else None for i in order]

    table.headers, table.kinds = moved(table.headers), moved(table.kinds)
    table.hxl = moved(table.hxl) if table.hxl is not None else None
    table.rows = [moved(row) for row in table.rows]
    return "columns reordered"


def extra_cells(draw: st.DrawFn, table: DrawnTable) -> str:
    _row(draw, table).extend(draw(st.lists(garbage_values(), min_size=1, max_size=4)))
    return "a row got extra cells"


def missing_cells(draw: st.DrawFn, table: DrawnTable) -> str:
    row = _row(draw, table)
    keep = draw(st.integers(min_value=0, max_value=len(row)))
    del row[keep:]
    return f"a row cut to {keep} cells"


def huge_cell(draw: st.DrawFn, table: DrawnTable) -> str:
    size = draw(st.sampled_from([1000, 40_000, 140_000, 300_000]))
    value = draw(st.sampled_from(["x", "\u00e9", " ", "\u00e9,", "9"])) * size
    cells = table.headers if draw(st.integers(0, 3)) == 0 else _row(draw, table)
    index = draw(st.integers(min_value=0, max_value=len(cells)))
    cells[index : index + 1] = [value]
    return f"a cell of {size} characters ({'header' if cells is table.headers else 'row'})"


def control_characters(draw: st.DrawFn, table: DrawnTable) -> str:
    bad = draw(st.sampled_from(["\x00", "a\x00b", "\x01\x02", "\x0b\x0c", "\r", "\x1b[2J", "\ud800"]))
    cells = table.headers if draw(st.booleans()) else _row(draw, table)
    if cells:
        index = _index(draw, cells)
        cells[index] = f"{'' if cells[index] is None else cells[index]}{bad}"
    return f"control characters {bad!r} in a cell"


def garbage_in_typed_column(draw: st.DrawFn, table: DrawnTable) -> str:
    typed = [i for i, kind in enumerate(table.kinds) if kind not in ("text", "choice")]
    if not typed or not table.rows:
        return "no typed column"
    index = draw(st.sampled_from(typed))
    rows = draw(st.lists(st.integers(min_value=0, max_value=len(table.rows) - 1), min_size=1, unique=True))
    for number in rows:
        cells = table.rows[number]
        cells.extend([None] * (index + 1 - len(cells)))
        cells[index] = draw(garbage_values())
    return f"garbage in the {table.kinds[index]} column {index + 1} of rows {[r + 1 for r in rows]}"


def garbage_anywhere(draw: st.DrawFn, table: DrawnTable) -> str:
    row = _row(draw, table)
    if row:
        row[_index(draw, row)] = draw(garbage_values())
    return "garbage in a cell"


def same_identifier(draw: st.DrawFn, table: DrawnTable) -> str:
    index = table.kinds.index("id") if "id" in table.kinds else 0
    for row in table.rows[1:]:
        if index < len(row) and index < len(table.rows[0]):
            row[index] = table.rows[0][index]
    return "every row has the first row's identifier"


def blank_rows(draw: st.DrawFn, table: DrawnTable) -> str:
    blank = draw(st.sampled_from([None, "", " "]))
    position = draw(st.integers(min_value=0, max_value=len(table.rows)))
    width = draw(st.sampled_from([0, len(table.headers)]))
    table.rows[position:position] = [[blank] * width for _ in range(draw(st.integers(1, 3)))]
    return f"blank rows at {position + 1}"


def hxl_row_changes(draw: st.DrawFn, table: DrawnTable) -> str:
    choice = draw(st.sampled_from(["drop", "garble", "as-data", "fake"]))
    if choice == "drop":
        table.hxl = None
    elif choice == "garble":
        table.hxl = [draw(st.sampled_from(["#", "#date", "", None, "#x +y ", "text"])) for _ in table.headers]
    elif choice == "as-data":
        _row(draw, table)[:1] = ["#event +id"]
    else:
        table.hxl = ["#fake"]
    return f"HXL row: {choice}"


def random_rows(draw: st.DrawFn, table: DrawnTable) -> str:
    table.rows = draw(st.lists(st.lists(garbage_values(), max_size=len(table.headers) + 3), max_size=4))
    return f"{len(table.rows)} random rows"


def no_rows(draw: st.DrawFn, table: DrawnTable) -> str:
    table.rows = []
    return "header only"


def no_header(draw: st.DrawFn, table: DrawnTable) -> str:
    table.headers, table.hxl = (table.rows[0], None) if table.rows else ([], None)
    table.rows = table.rows[1:]
    return "header row missing"


TABLE_MUTATIONS: tuple[Mutation, ...] = (
    drop_header_cell,
    duplicate_header_cell,
    rename_header_cell,
    reorder_columns,
    extra_cells,
    missing_cells,
    huge_cell,
    control_characters,
    garbage_in_typed_column,
    garbage_in_typed_column,
    garbage_in_typed_column,
    garbage_anywhere,
    same_identifier,
    blank_rows,
    hxl_row_changes,
    random_rows,
    no_rows,
    no_header,
)


# -- Writing a table as CSV, XLSX or JSON -----------------------------------------------------------------


def csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


ODD_ENCODINGS = split("utf-8-sig|cp1252|latin-1|utf-16|utf-16-le|utf-32|mac-roman")
ODD_QUOTES = split('"|""|"\n|,"|"x"y|\r|\n\n|\\|\'')


def csv_bytes(table: DrawnTable, *, delimiter: str = ",", end: str = "\r\n", quote_all: bool = False) -> str:
    buffer = io.StringIO()
    quoting: Literal[0, 1] = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=end, quoting=quoting)
    writer.writerows([[csv_text(cell) for cell in cells] for cells in table.lines()])
    return buffer.getvalue()


@st.composite
def as_csv(draw: st.DrawFn, table: DrawnTable, steps: list[str]) -> bytes:
    delimiter = draw(st.sampled_from([",", ",", ";", "\t", "|"]))
    end = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    content = csv_bytes(table, delimiter=delimiter, end=end, quote_all=draw(st.booleans()))
    steps.append(f"CSV with delimiter {delimiter!r} and line end {end!r}")
    if content and draw(st.integers(0, 5)) == 0:
        at, odd = draw(st.integers(min_value=0, max_value=len(content))), draw(st.sampled_from(ODD_QUOTES))
        content = content[:at] + odd + content[at:]
        steps.append(f"{odd!r} inserted at character {at}")
    encoding = draw(st.sampled_from(ODD_ENCODINGS)) if draw(st.integers(0, 4)) == 0 else "utf-8"
    steps.append(f"encoded as {encoding}")
    return content.encode(encoding, errors="replace" if encoding != "utf-8" else "surrogatepass")


def xlsx_cell(value: Any) -> Any:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("?", value.encode("utf-8", "replace").decode("utf-8"))[:32767]
    return json.dumps(value) if isinstance(value, list | dict) else value


def xlsx_bytes(table: DrawnTable, *, title: str = "Sheet1", metadata_first: bool = False) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for cells in table.lines():
        values = [xlsx_cell(cell) for cell in cells]
        try:
            sheet.append(values)
        except (ValueError, TypeError, OverflowError):  # e.g. a time zone or a date openpyxl cannot write
            sheet.append([csv_text(cell) for cell in values])
    if table.metadata:
        notes = workbook.create_sheet("MetaData&Notes", index=0 if metadata_first else 1)
        for line in table.metadata:
            notes.append([line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return rezipped(xlsx_parts(buffer.getvalue()))


def xlsx_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


SAVED_AT = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def rezipped(parts: dict[str, bytes]) -> bytes:
    """The parts as a workbook whose bytes depend on nothing but them: openpyxl stamps the time of saving
    into the ZIP entries and docProps/core.xml, and hypothesis needs the same draws to give the same file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in parts.items():
            entry = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(
                entry,
                SAVED_AT.sub(b"2020-01-01T00:00:00Z", content) if name.startswith("docProps/") else content,
            )
    return buffer.getvalue()


SHEET_TITLES = split(
    "Sheet1|Sheet1|Sheet1|Sheet1|Sheet1|Dashboard Report|Data|2022|MetaData&Notes|Notes metadata"
)
VERSION_LABELS = split("v. 31 February 2023|v. May 2023|v. Foo 2023|v. 1 May 99999|v.May 0000")


@st.composite
def as_xlsx(draw: st.DrawFn, table: DrawnTable, steps: list[str]) -> bytes:
    title = draw(st.sampled_from(SHEET_TITLES))
    if draw(st.integers(0, 4)) == 0:
        table.metadata.append(draw(st.sampled_from(VERSION_LABELS)))
        steps.append(f"version label {table.metadata[-1]!r}")
    data = xlsx_bytes(table, title=title, metadata_first=draw(st.booleans()))
    steps.append(f"sheet {title!r}")
    return draw(damaged_xlsx_part(data, steps)) if draw(st.integers(0, 3)) == 0 else data


XML_SWAPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r' t="\w+"', split(' t="e"| t="b"| t="d"| t="str"| t="inlineStr"| t="x"| t="s"|')),
    (r' s="\d+"', split(' s="999"| s="-1"| s="x"')),
    (r' r="[A-Z]+\d+"', split(' r="A1"| r="XFE1048577"| r="1A"| r=""| r="ZZZZ99999999999"')),
    (
        r"<v>[^<]*</v>",
        split("<v>nan</v>|<v>1e999</v>|<v>-1</v>|<v>abc</v>|<v></v>|<v>99999999</v>|<v>1e30</v>"),
    ),
    (r' ref="[^"]*"', split(' ref="A1:XFD1048576"| ref="B2:A1"| ref="x"')),
    (r"<sheetData>", split('<sheetData><row/>|<sheetData><row r="0"><c/></row>|')),
    (r' count="\d+"', split(' count="-5"| count="99999999999"')),
)
XML_JUNK = split("<|&|\x00|<x>|]]>|<!DOCTYPE x [<!ENTITY a 'b'>]>|\ufffe")


@st.composite
def damaged_xlsx_part(draw: st.DrawFn, data: bytes, steps: list[str]) -> bytes:
    """The workbook with one XML part damaged but the ZIP intact, so that XML parsing and openpyxl meet it
    (a bit flip in compressed data mostly just fails the ZIP's CRC check)."""
    parts = xlsx_parts(data)
    target = draw(st.sampled_from(sorted(name for name in parts if name.endswith((".xml", ".rels")))))
    content = parts[target].decode("utf-8", "replace")
    how = draw(st.sampled_from(["swap", "swap", "swap", "truncate", "insert", "drop"]))
    if how == "drop":
        del parts[target]
    elif how == "truncate":
        parts[target] = parts[target][: draw(st.integers(0, len(parts[target])))]
    elif how == "insert":
        at, junk = draw(st.integers(0, len(content))), draw(st.sampled_from(XML_JUNK))
        parts[target] = (content[:at] + junk + content[at:]).encode("utf-8", "surrogatepass")
    else:
        pattern, replacements = draw(st.sampled_from(XML_SWAPS))
        matches = list(re.finditer(pattern, content))
        if matches:
            match, replacement = draw(st.sampled_from(matches)), draw(st.sampled_from(replacements))
            content = content[: match.start()] + replacement + content[match.end() :]
            how = f"{match.group(0)!r} -> {replacement!r}"
        parts[target] = content.encode("utf-8")
    steps.append(f"XLSX part {target}: {how}")
    return rezipped(parts)


def json_value(value: Any) -> Any:
    return (
        value.isoformat() if isinstance(value, datetime.datetime | datetime.date | datetime.time) else value
    )


def json_records(table: DrawnTable) -> list[dict[str, Any]]:
    keys = [csv_text(header) for header in table.headers]
    return [
        {(keys[i] if i < len(keys) else f"extra {i}"): json_value(cell) for i, cell in enumerate(cells)}
        for cells in table.rows
    ]


JSON_SHAPES = split(
    "records|records|records|records|records|wrapped|two-lists|scalar|object-of-objects|list-of-lists|"
    "null-in-list|nested-values|empty-array|empty-object|deep"
)


@st.composite
def as_json(draw: st.DrawFn, table: DrawnTable, steps: list[str]) -> bytes:
    records = json_records(table)
    shape = draw(st.sampled_from([s for s in JSON_SHAPES if s != "deep" or "deep-json" not in KNOWN_BUGS]))
    steps.append(f"JSON shaped {shape}")
    content: Any = {
        "wrapped": {"data": records, "meta": {"count": len(records)}},
        "two-lists": {"data": records, "errors": []},
        "object-of-objects": {str(i): record for i, record in enumerate(records)},
        "list-of-lists": [[json_value(cell) for cell in cells] for cells in table.rows],
        "null-in-list": [*records, None],
        "empty-array": [],
        "empty-object": {},
    }.get(shape, records)
    if shape == "scalar":
        content = draw(st.sampled_from([None, 1, "text", True, 1.5]))
    elif shape == "nested-values" and records:
        for key in list(records[0])[: draw(st.integers(1, 3))]:
            records[0][key] = draw(st.sampled_from([{"a": 1}, [1, 2], ["x"], [], {}, [[{"b": None}]]]))
    elif shape == "deep":
        depth = draw(st.sampled_from([50, 5000, 200_000]))
        return b"[" * depth + b"]" * depth
    text = json.dumps(content, allow_nan=True, default=str, indent=draw(st.sampled_from([None, 1])))
    return text.encode("utf-8", "surrogatepass")


# -- Whole files ------------------------------------------------------------------------------------------


@st.composite
def damaged_bytes(draw: st.DrawFn, data: bytes, steps: list[str]) -> bytes:
    how = draw(st.sampled_from(["truncate", "truncate", "flip", "overwrite", "insert", "random"]))
    if how == "truncate" or not data:
        at = draw(st.integers(min_value=min(1, len(data) - 1), max_value=max(0, len(data) - 1)))
        steps.append(f"truncated at byte {at} of {len(data)}")
        return data[:at]
    if how == "flip":
        flipped = bytearray(data)
        positions = draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=8))
        for position in positions:
            flipped[position] ^= 1 << draw(st.integers(0, 7))
        steps.append(f"bits flipped at bytes {positions}")
        return bytes(flipped)
    if how in ("overwrite", "insert"):
        at, junk = draw(st.integers(0, len(data) - 1)), draw(st.binary(min_size=1, max_size=64))
        steps.append(f"{len(junk)} random bytes {how}ed at byte {at}")
        return data[:at] + junk + data[at + (len(junk) if how == "overwrite" else 0) :]
    steps.append("random bytes")
    return draw(st.binary(max_size=4096))


SPECIAL_FILES: tuple[tuple[str, bytes], ...] = (
    ("empty", b""),
    ("spaces", b"   \n\t\n"),
    ("only a BOM", b"\xef\xbb\xbf"),
    ("blank lines", b"\n\n\n"),
    ("ZIP signature only", b"PK\x03\x04"),
    ("empty ZIP", b"PK\x05\x06" + b"\x00" * 18),
    ("XLS signature", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100),
    ("PDF", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"),
    ("JSON null", b"null"),
    ("JSON empty array", b"[]"),
    ("JSON empty object", b"{}"),
    ("JSON string", b'"text"'),
    ("JSON numbers", b"[1, 2, 3]"),
    ("JSON broken", b'[{"a": 1},'),
    ("UTF-16 BOM only", b"\xff\xfe"),
    ("gzip", b"\x1f\x8b\x08\x00" + b"\x00" * 20),
    ("HTML page", b"<!DOCTYPE html><html><body>Not found</body></html>"),
)
EXTENSIONS = {"csv": ".csv", "xlsx": ".xlsx", "json": ".json"}


@dataclass(frozen=True)
class FuzzFile:
    name: str
    data: bytes
    steps: tuple[str, ...]  # how it was made, for the failure report


@st.composite
def fuzzed_file(draw: st.DrawFn, layout: Layout) -> FuzzFile:
    """A file of `layout`, valid or broken in one or more of the ways in the module notes."""
    if draw(st.integers(0, 15)) == 0:
        label, data = draw(st.sampled_from(SPECIAL_FILES))
        return FuzzFile(
            layout.file_name + draw(st.sampled_from([".csv", ".xlsx", ".json", ".txt"])), data, (label,)
        )
    table = draw(valid_table(layout, min_rows=0 if draw(st.integers(0, 9)) == 0 else 1))
    steps = [
        mutation(draw, table) for mutation in draw(st.lists(st.sampled_from(TABLE_MUTATIONS), max_size=3))
    ]
    # Mostly the source's own formats; sometimes another, since the reader tells formats by content.
    file_format = draw(st.sampled_from(layout.formats * 4 + ("csv", "xlsx", "json")))
    writer = {"csv": as_csv, "xlsx": as_xlsx, "json": as_json}[file_format]
    data = draw(writer(table, steps))
    if draw(st.integers(0, 3)) == 0:
        data = draw(damaged_bytes(data, steps))
    extension = EXTENSIONS[file_format]
    if draw(st.integers(0, 9)) == 0:
        extension = draw(st.sampled_from(sorted(set(EXTENSIONS.values()) - {extension})))
        steps.append(f"named {extension}")
    return FuzzFile(layout.file_name + extension, data, (f"{file_format} of {layout.name}", *steps))
