"""Country totals per year: the SHCC overview files and Insecurity Insight's overview products (datasets.md
§5.3, §4.7), imported as aggregate rows (sources.importers.aggregate_base), never as incidents.

* SHCC overview XLSX (`2021-shcc-overview-data.xlsx`): one row per country, `Number of reported incidents`
  and counts of health workers and facilities affected; row 2 is an HXL row. The year is no column: it is
  the `year` import option, else the year the sheet title or the MetaData&Notes citation gives before
  "Overview" ("2021 SHCC Overview Data"). The citation's "v. May 2022" is the vintage.
* SiND API `healthcareOverview` JSON (and the spreadsheets OCHA's scraper makes from it): one record per
  country and `Year`, every value a string. Its facilities column is cut at 63 characters and misspelt,
  `Number of Attacks on Health Facilities Reporting Damege or Dest`: facilities destroyed *or* damaged, a
  count of its own (`facilities_destroyed_or_damaged`), never split into the two.
* SiND API `aidworkerKIKAOverview`: `Total Aid Workers Killed/Injured/Kidnapped` are the aid-worker fields;
  the arrested, "KIKA victims" and in-captivity totals are measures.
* Every other column (SHCC's `Deprivation of liberty`, the transport, entry, occupation, looting and
  obstruction totals) is kept in `measures` under its header.

The two sources' units differ (SHCC: incidents in conflict settings; II: every SiND event), so their
totals are separate products and never added (datasets.md §1).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from typing import Any

from sources.crosswalks import iso3_exists
from sources.importers.aggregate_base import (
    AggregateImporter,
    Period,
    check_year,
    parse_year,
    year_period,
    years_named_before,
)
from sources.importers.base import Column
from sources.importers.hxl_incidents import InsecurityInsightImporter, ShccImporter
from sources.readers import BadFile, version_label
from sources.values import ValueProblem

# Header texts of the overview columns, by AggregateFields field. They move to sources/crosswalks.yaml
# (`aggregate_columns`) once that file has such a section; matching ignores case and white space.
OVERVIEW_COLUMNS = (
    Column("country", ("Country", "Country Name")),
    Column("country_iso", ("Country ISO", "ISO3", "Country Code")),
    Column("year", ("Year",)),
    Column(
        "events",
        (
            "Number of reported incidents",
            "Number Of Events",
            "Number of incidents",
            "Incidents",
            "Events",
        ),
        required=True,
    ),
    Column(
        "facilities_destroyed",
        (
            "Total number of attacks on facilities which reported destruction",
            "Number of Attacks on Health Facilities Reporting Destruction",
        ),
    ),
    Column(
        "facilities_damaged",
        (
            "Total number of attacks on facilities which reported damage",
            "Number of Attacks on Health Facilities Reporting Damaged",
        ),
    ),
    Column(
        "facilities_destroyed_or_damaged",
        (
            "Number of Attacks on Health Facilities Reporting Damege or Dest",
            "Number of Attacks on Health Facilities Reporting Damage or Destruction",
        ),
    ),
    Column("health_workers_killed", ("Number of health workers killed", "Health Workers Killed")),
    Column("health_workers_injured", ("Number of health workers injured", "Health Workers Injured")),
    Column("health_workers_kidnapped", ("Number of health workers kidnapped", "Health Workers Kidnapped")),
    Column("health_workers_arrested", ("Number of health workers arrested", "Health Workers Arrested")),
    Column("health_workers_assaulted", ("Total health worker assaulted", "Health Workers Assaulted")),
    Column("aid_workers_killed", ("Total Aid Workers Killed", "Aid Workers Killed")),
    Column("aid_workers_injured", ("Total Aid Workers Injured", "Aid Workers Injured")),
    Column("aid_workers_kidnapped", ("Total Aid Workers Kidnapped", "Aid Workers Kidnapped")),
)

_LEADING_YEARS = re.compile(r"^((?:19|20)\d{2})(?:[-_ ]((?:19|20)\d{2}))?(?:[-_ ]([A-Za-z]{3}))?[-_ ]")


def _squashed(file_name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", file_name.lower())


class OverviewImporter(AggregateImporter):
    """Yearly country totals; the year is a `Year` column or, for the whole file, the `year` option, the
    sheet title or the citation in the notes."""

    version = "1"
    columns = OVERVIEW_COLUMNS

    def check_options(self) -> None:
        unknown = sorted(set(self.options) - {"year"})
        if unknown:
            raise BadFile(
                f"the {self.source.slug} overview importer takes only the option 'year' (given: "
                f"{', '.join(unknown)})"
            )
        self.given_years: tuple[int, int] | None = None
        if "year" in self.options:
            raw = str(self.options["year"]).strip()
            match = re.fullmatch(r"(\d{4})(?:\s*-\s*(\d{4}))?", raw)
            try:
                if match is None:
                    raise ValueProblem(f"expected a year such as 2021 (or a range 2016-2020), got {raw!r}")
                first = check_year(int(match[1]))
                last = check_year(int(match[2])) if match[2] else first
            except ValueProblem as problem:
                raise BadFile(f"option 'year': {problem}") from None
            if last < first:
                raise BadFile(f"option 'year': {raw!r} ends before it starts")
            self.given_years = (first, last)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.file_period: Period | None = None
        self.year_from = "column"
        if "year" in self.map:
            if self.given_years is not None:
                raise BadFile(
                    f"the file has a {self.map.header('year')!r} column; the option 'year' would contradict it"
                )
            return
        for years, origin in (
            (self.given_years, "option"),
            (years_named_before([self.table.sheet]), "sheet title"),
            (years_named_before(self.table.metadata_text), "notes"),
        ):
            if years is not None:
                self.file_period, self.year_from = year_period(*years), origin
                return
        raise BadFile(
            "cannot tell which year these totals are for: the file has no 'Year' column and neither its sheet "
            "title nor its notes name one; give the year as the import option 'year' (e.g. 2021)"
        )

    def release_options(self) -> dict[str, Any]:
        if self.file_period is None:
            return {"year_from": self.year_from}
        return {"year": self.file_period.key, "year_from": self.year_from}

    def vintage_from_content(self) -> tuple[datetime.date, str, str] | None:
        found = version_label(self.table.metadata_text)
        return None if found is None else (found.date, found.label, found.citation)

    def period(self, cells: Sequence[Any]) -> Period:
        if self.file_period is not None:
            return self.file_period
        value = self.cell(cells, "year")
        try:
            year = parse_year(value)
        except ValueProblem as problem:
            raise self.problem("year", value, str(problem)) from None
        if year is None:
            raise self.problem("year", "", "no year")
        return year_period(year)


class ShccOverviewImporter(OverviewImporter):
    name = "shcc_overview"
    source = ShccImporter.source

    @classmethod
    def default_product(cls, file_name: str) -> str | None:
        """`overview-data-2021` for `2021-shcc-overview-data.xlsx`; None when the name has no leading year."""
        match = _LEADING_YEARS.match(file_name)
        if match is None or "overview" not in _squashed(file_name):
            return None
        years = match[1] if not match[2] else f"{match[1]}-{match[2]}"
        return f"overview-data-{years}"


class InsecurityInsightOverviewImporter(OverviewImporter):
    name = "insecurity_insight_overview"
    source = InsecurityInsightImporter.source

    @classmethod
    def default_product(cls, file_name: str) -> str | None:
        """`healthcare-overview` (API `healthcareOverview`, or the scraper's `… Attacks on Health Care Overview
        Data.xlsx`, with `-<iso3>` for a country file), `aid-worker-kika-overview` (`aidworkerKIKAOverview`);
        None for II's other overviews (education, protection, ...), which need --product."""
        squashed = _squashed(file_name)
        if "overview" not in squashed:
            return None
        if "kika" in squashed:
            product = "aid-worker-kika-overview"
        elif "healthcare" in squashed:
            product = "healthcare-overview"
        else:
            return None
        match = _LEADING_YEARS.match(file_name)
        if match and match[3] and iso3_exists(match[3].upper()):
            product += f"-{match[3].lower()}"
        return product
