"""INSO Key Data Dashboard (HDX, Jan 2016 to Aug 2020): security incidents affecting NGOs and the NGO staff
killed, injured and abducted, per country and month (datasets.md §3, §10). INSO publishes no incidents, so
it is an aggregate source only (sources.importers.aggregate_base); INSO incidents also reach the project
as the `International NGO Safety Organisation (INSO)` flag on SiND API records (sources.importers.sind_api).

**The layout was not checked against a real file**: datasets.md does not document the dashboard's column
names and no copy is in the sample set. Columns are therefore read by header text with tolerant aliases:

* the country: `Country` (a name) and/or a code column (`Country ISO`, `ISO3`, `Country Code`);
* the period: `Year` with an optional `Month` (1 to 12, `03`, `March`, `Mar`), or one column holding the month
  (`Date`, `Month`, `Period`: `2019-03`, `2019-03-01`, `03/2019`, `Mar 2019`, `March 2019`, a spreadsheet
  date); a year without a month is a yearly total;
* `Incidents` (or `Total Incidents`, `NGO Incidents`, `Incidents Affecting NGOs`, ...): every security
  incident affecting an NGO, whatever its severity (INSO's definition, §3) -> `events`;
* NGO staff `killed`, `injured`, `abducted` (or `kidnapped`) -> `aid_workers_*`. INSO's "NGO" excludes UN
  agencies, so these are not the same aid workers as AWSD's or II's;
* any other numeric column (e.g. serious incidents) -> `measures`.

A file laid out otherwise is imported with a mapping profile (`zorgveilig import inso FILE --profile NAME`),
which is also how INSO partner incident data comes in; this importer then refuses the file, naming the
columns it misses.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from typing import Any

from sources.importers.aggregate_base import (
    AggregateImporter,
    Period,
    check_year,
    month_period,
    parse_year,
    year_period,
)
from sources.importers.base import Column, SourceInfo
from sources.readers import BadFile
from sources.values import ValueProblem, is_blank, parse_count, parse_date, text

MONTH_NAMES = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
YEAR = r"((?:19|20)\d{2})"
YEAR_MONTH = re.compile(rf"{YEAR}[-/.](\d{{1,2}})(?:[-/.]\d{{1,2}})?(?:[T ].*)?")
MONTH_YEAR = re.compile(rf"(\d{{1,2}})[-/.]{YEAR}")
COMPACT = re.compile(rf"{YEAR}(\d{{2}})")
NAME_YEAR = re.compile(rf"([A-Za-z]+)\.?[\s,/-]*{YEAR}")
YEAR_NAME = re.compile(rf"{YEAR}[\s,/-]*([A-Za-z]+)")
YEAR_ONLY = re.compile(YEAR)
LARGEST_SERIAL = 99999  # spreadsheet date serials have at most five digits until the year 2173


class InsoKeyDataImporter(AggregateImporter):
    name = "inso_key_data"
    version = "1"
    source = SourceInfo(
        slug="inso",
        name="International NGO Safety Organisation (INSO)",
        unit="security incidents affecting NGOs, per country and month",
        licence="free reuse with attribution 'Source: INSO, www.ngosafety.org'",
        url="https://www.ngosafety.org/terms",
    )
    columns = (
        Column("country", ("Country", "Country Name", "Countries")),
        Column("country_iso", ("Country ISO", "ISO3", "ISO", "Country Code", "ISO Code", "Country ISO3")),
        Column("year", ("Year",)),
        Column("date", ("Date", "Period", "Month-Year", "Month Year", "Year-Month", "Year Month")),
        Column("month", ("Month", "Month Number", "Month Name")),
        Column(
            "events",
            (
                "Incidents",
                "Total Incidents",
                "Incidents Affecting NGOs",
                "NGO Incidents",
                "Number of Incidents",
                "Security Incidents",
                "Total NGO Incidents",
                "Incident Count",
            ),
            required=True,
        ),
        Column(
            "aid_workers_killed",
            ("NGO Staff Killed", "Staff Killed", "NGO Killed", "NGO Workers Killed", "Killed", "Fatalities"),
        ),
        Column(
            "aid_workers_injured",
            ("NGO Staff Injured", "Staff Injured", "NGO Injured", "NGO Workers Injured", "Injured"),
        ),
        Column(
            "aid_workers_kidnapped",
            (
                "NGO Staff Abducted",
                "Staff Abducted",
                "NGO Abducted",
                "NGO Workers Abducted",
                "Abducted",
                "Abductions",
                "NGO Staff Kidnapped",
                "Kidnapped",
            ),
        ),
    )
    descriptive_headers = ("Region", "Continent", "Country ISO2", "ISO2", "Month Label")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not any(name in self.map for name in ("year", "date", "month")):
            raise BadFile(
                "no period column: expected 'Year' (with or without 'Month'), or a 'Date' or 'Month' column "
                "holding months such as 2019-03; for another layout use a mapping profile (--profile)"
            )

    @classmethod
    def default_product(cls, file_name: str) -> str | None:
        return "key-data-dashboard"

    def period(self, cells: Sequence[Any]) -> Period:
        if "date" in self.map:
            return self._period_from(cells, "date")
        if "year" not in self.map:
            return self._period_from(cells, "month")
        raw_year = self.cell(cells, "year")
        try:
            year = parse_year(raw_year)
        except ValueProblem as problem:
            raise self.problem("year", raw_year, str(problem)) from None
        if year is None:
            raise self.problem("year", "", "no year")
        raw_month = self.cell(cells, "month")
        if is_blank(raw_month):
            return year_period(year)
        month = _month_number(raw_month)
        if month is not None:
            return month_period(year, month)
        within = self._period_from(cells, "month")
        if within.start.year != year:
            raise self.problem("month", raw_month, f"the month is not in the row's year {year}")
        return within

    def _period_from(self, cells: Sequence[Any], name: str) -> Period:
        value = self.cell(cells, name)
        if is_blank(value):
            raise self.problem(name, "", "no month")
        try:
            return month_or_year(value)
        except ValueProblem as problem:
            raise self.problem(name, value, str(problem)) from None


def _month_number(value: Any) -> int | None:
    """1 to 12 from `3`, `03`, `3.0`, `March`, `Mar`; None when the cell is something else."""
    word = text(value).casefold().rstrip(".")
    if word in MONTH_NAMES:
        return MONTH_NAMES[word]
    try:
        number = parse_count(value)
    except ValueProblem:
        return None
    return number if number is not None and 1 <= number <= 12 else None


def _checked(year: str, month: int, original: Any) -> Period:
    if not 1 <= month <= 12:
        raise ValueProblem(f"{text(original)!r}: month {month} is outside 1 to 12")
    return month_period(check_year(int(year)), month)


def month_or_year(value: Any) -> Period:
    """The month a cell names (a date, `2019-03`, `201903`, `03/2019`, `Mar 2019`), or the year when it
    names only a year; ValueProblem otherwise. Day-first or month-first dates (03/04/2019) are refused."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and YEAR_ONLY.fullmatch(text(value)):
        return year_period(check_year(int(value)))
    if isinstance(value, datetime.date) or (number and 61 <= value <= LARGEST_SERIAL):
        day = parse_date(value)
        assert day is not None
        return month_period(check_year(day.year), day.month)
    raw = " ".join(text(value).split())
    if match := YEAR_MONTH.fullmatch(raw):
        return _checked(match[1], int(match[2]), value)
    if match := MONTH_YEAR.fullmatch(raw):
        return _checked(match[2], int(match[1]), value)
    if match := COMPACT.fullmatch(raw):
        return _checked(match[1], int(match[2]), value)
    for pattern, name_at, year_at in ((NAME_YEAR, 1, 2), (YEAR_NAME, 2, 1)):
        match = pattern.fullmatch(raw)
        if match and match[name_at].casefold() in MONTH_NAMES:
            return _checked(match[year_at], MONTH_NAMES[match[name_at].casefold()], value)
    if YEAR_ONLY.fullmatch(raw):
        return year_period(check_year(int(raw)))
    raise ValueProblem(f"{raw!r} is not a month in a known form (expected e.g. 2019-03, Mar 2019 or a date)")
