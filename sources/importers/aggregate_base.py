"""What the aggregate importers share: one row is a country's totals over a year or a month
(sources.schema.AggregateFields, stored as sources.models.Aggregate, never mixed with incident records).

* Identity: a row has no identifier of its own, so its key is the country and the period, `AFG 2021` or
  `AFG 2021-03`. The country part is the ISO 3166-1 code when the name stands for a whole country, so that a
  renamed country (`Turkey`, `Türkiye`) keeps its rows across vintages; a place that is no country or only
  part of one keeps its name as given (`International Waters 2019`, `Chechnya 2021`). The key is made even
  for a row that is then quarantined (unknown country, bad year), so a later vintage is still compared with
  it.
* Counts are whole numbers of 0 or more ("12", 12, 12.0); anything else quarantines the row. A blank cell is
  null ("not reported"), as in the incident importers.
* Measures: every column not read for a named field goes into `measures` under its header as given (trimmed),
  as a number (whole numbers as int); a cell that is no number is left out of the measures with a warning.
  Columns an importer lists in `descriptive_headers` (a region name, a country code it does not read) are
  kept in the raw row only.
* A total row ("Total", "Grand total") is quarantined: it is no country, and counting it would double the
  country rows.
"""

from __future__ import annotations

import calendar
import datetime
import re
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from sources.countries import Country, CountryProblem, resolve_country
from sources.importers.base import MAX_ID_LENGTH, ColumnMap, ImportedRow, RowProblem, TableImporter
from sources.readers import BadFile, Table
from sources.schema import AGGREGATE_FIELDS, AggregateFields, PeriodPrecision
from sources.values import ValueProblem, normalise_header, parse_count, parse_float, text

EARLIEST_YEAR = 1990  # sources.values.EARLIEST_DATE
NOT_COUNTS = {
    "country_iso3",
    "country_as_given",
    "period_start",
    "period_end",
    "period_precision",
    "measures",
}
COUNT_FIELDS = tuple(name for name in AGGREGATE_FIELDS if name not in NOT_COUNTS)
TOTAL_ROWS = {"total", "totals", "grand total", "sum", "all", "all countries", "global", "world"}
# Identifier columns of incident files: a table with one of them lists incidents, not totals.
INCIDENT_ID_HEADERS = {"sind event id", "attack id", "incident id", "event_id_cnty"}


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date
    precision: str
    key: str  # as it appears in the row's identifier: 2021, 2016-2020, 2021-03


def year_period(first: int, last: int | None = None) -> Period:
    last = first if last is None else last
    key = str(first) if last == first else f"{first}-{last}"
    return Period(datetime.date(first, 1, 1), datetime.date(last, 12, 31), PeriodPrecision.YEAR.value, key)


def month_period(year: int, month: int) -> Period:
    end = datetime.date(year, month, calendar.monthrange(year, month)[1])
    return Period(datetime.date(year, month, 1), end, PeriodPrecision.MONTH.value, f"{year}-{month:02d}")


def check_year(year: int) -> int:
    """The year, or ValueProblem when it is outside 1990 to next year (a year still running has totals)."""
    latest = datetime.date.today().year + 1
    if not EARLIEST_YEAR <= year <= latest:
        raise ValueProblem(f"year {year} is outside {EARLIEST_YEAR} to {latest}")
    return year


def parse_year(value: Any) -> int | None:
    """A year cell ("2021", 2021, 2021.0), None when blank; ValueProblem otherwise."""
    try:
        year = parse_count(value)
    except ValueProblem:
        raise ValueProblem(f"expected a year such as 2021, got {text(value)!r}") from None
    return None if year is None else check_year(year)


YEARS_BEFORE_OVERVIEW = re.compile(
    r"(?<!\d)((?:19|20)\d{2})(?:\s*[-\u2013]\s*((?:19|20)\d{2}))?(?!\d)[^.,;]*?\boverview\b", re.IGNORECASE
)


def years_named_before(texts: Sequence[str]) -> tuple[int, int] | None:
    """The year (or range) a title or citation gives just before the word "overview", e.g. 2021 in
    "2021 SHCC Overview Data" (not the citation's publication year before it)."""
    for line in texts:
        match = YEARS_BEFORE_OVERVIEW.search(line)
        if match:
            first = int(match[1])
            return first, int(match[2]) if match[2] else first
    return None


def _measure(value: Any) -> int | float | None:
    number = parse_float(value, minimum=float("-inf"), maximum=float("inf"))
    if number is None:
        return None
    return int(number) if number.is_integer() else number


@dataclass(frozen=True)
class _RowKey:
    cells: Sequence[Any]
    name: str
    code: str
    country: Country | None
    country_problem: RowProblem | None
    period: Period | None
    period_problem: RowProblem | None


class AggregateImporter(TableImporter):
    """An importer of country-by-period totals. Subclasses declare columns named after AggregateFields
    fields (plus `country` and `country_iso`) and say how a row's period is told (`period`)."""

    product_kind = "aggregates"
    id_column = "country"
    descriptive_headers: ClassVar[tuple[str, ...]] = ()
    # Internal columns that tell the period, for the identifier of a row whose period cannot be read.
    period_columns: ClassVar[tuple[str, ...]] = ("year", "month", "date")

    def __init__(self, table: Table, options: dict[str, Any] | None = None) -> None:
        super().__init__(table, options)
        if "country" not in self.map and "country_iso" not in self.map:
            raise BadFile("missing column 'Country' (or a column of ISO country codes)")
        self.measure_columns = self._measure_columns()
        self._last: _RowKey | None = None

    @classmethod
    def accepts(cls, table: Table) -> bool:
        """A table with a country and an incident-total column, and no incident identifier column."""
        if INCIDENT_ID_HEADERS & {normalise_header(header) for header in table.headers}:
            return False
        try:
            found = ColumnMap(table.headers, cls.column_spec())
        except BadFile:
            return False
        return "country" in found or "country_iso" in found

    def _measure_columns(self) -> list[tuple[int, str]]:
        read = set(self.map.index.values())
        descriptive = {normalise_header(header) for header in self.descriptive_headers}
        columns: list[tuple[int, str]] = []
        used: set[str] = set()
        for position, header in enumerate(self.map.headers):
            if position in read or not header or normalise_header(header) in descriptive:
                continue
            name = header if header not in used else f"{header} (column {position + 1})"
            used.add(name)
            columns.append((position, name))
        # Say where those columns went instead of ColumnMap's "not read".
        renamed = {
            f"column {position + 1} {self.map.headers[position]!r} is not read": (
                f"column {position + 1} {self.map.headers[position]!r} is read into measures"
                + ("" if name == self.map.headers[position] else f" as {name!r}")
            )
            for position, name in columns
        }
        self.map.notes = [
            next((new for old, new in renamed.items() if note.startswith(old)), note)
            for note in self.map.notes
        ]
        return columns

    @abstractmethod
    def period(self, cells: Sequence[Any]) -> Period:
        """The period the row's totals are for; RowProblem when it cannot be told."""

    def _key(self, cells: Sequence[Any]) -> _RowKey:
        # source_id and read_row both need the country and period of the same row: work them out once.
        if self._last is not None and self._last.cells is cells:
            return self._last
        name, code = text(self.cell(cells, "country")), text(self.cell(cells, "country_iso"))
        country: Country | None = None
        country_problem: RowProblem | None = None
        if name.casefold() in TOTAL_ROWS:
            country_problem = self.problem(
                "country", name, "a total row, not a country (left out so that it is not counted twice)"
            )
        else:
            try:
                country = resolve_country(name, code)
            except CountryProblem as problem:
                column = "country_iso" if code else "country"
                country_problem = self.problem(column, code or name, str(problem))
        period: Period | None = None
        period_problem: RowProblem | None = None
        try:
            period = self.period(cells)
        except RowProblem as problem:
            period_problem = problem
        self._last = _RowKey(cells, name, code, country, country_problem, period, period_problem)
        return self._last

    def source_id(self, cells: Sequence[Any]) -> str:
        key = self._key(cells)
        if key.country is not None and key.country.iso3 and not key.country.admin1:
            place = key.country.iso3
        else:
            place = key.name or key.code
        if key.period is not None:
            when = key.period.key
        else:
            when = "-".join(
                text(self.cell(cells, name)) for name in self.period_columns if text(self.cell(cells, name))
            )
        if not place or not when:
            column = (
                "country"
                if not place
                else next((name for name in self.period_columns if name in self.map), "country")
            )
            raise self.problem(column, "", "no country or no period: the row cannot be tracked")
        identifier = f"{place} {when}"
        if len(identifier) > MAX_ID_LENGTH:
            raise self.problem("country", place[:100], f"identifier longer than {MAX_ID_LENGTH} characters")
        return identifier

    def read_row(self, cells: Sequence[Any]) -> ImportedRow:
        key = self._key(cells)
        if key.country_problem is not None:
            raise key.country_problem
        if key.period_problem is not None:
            raise key.period_problem
        assert key.country is not None and key.period is not None
        row = AggregateFields(
            country_iso3=key.country.iso3,
            country_as_given=key.name or key.code,
            period_start=key.period.start,
            period_end=key.period.end,
            period_precision=key.period.precision,
        )
        for name in COUNT_FIELDS:
            if name in self.map:
                value = self.cell(cells, name)
                try:
                    setattr(row, name, parse_count(value))
                except ValueProblem as problem:
                    raise self.problem(name, value, str(problem)) from None
        warnings: list[dict[str, str]] = []
        for position, measure in self.measure_columns:
            value = cells[position] if position < len(cells) else None
            try:
                row.measures[measure] = _measure(value)
            except ValueProblem:
                warnings.append(
                    {
                        "column": self.map.headers[position],
                        "value": text(value)[:200],
                        "problem": "not a number; left out of the measures",
                    }
                )
        return ImportedRow(row, warnings)
