"""Aid Worker Security Database (AWSD) incidents: the `/incidents/search?format=csv` export, datasets.md §8.

One row is one major incident of violence against aid workers, identified by `Incident ID`. The identifier
is **not unique** (4664 occurs in 2023 and in 2024, §3): the source_id is the `Incident ID` as given, and the
release numbers its occurrences in file order (sources.releases), so ("4664", 2) is the second row with it.
Row 2 is an HXL tag row in the global export and missing in the per-country files the HDX scraper publishes
(`AWSD_AF_security_incidents.csv`); columns are found by header text either way.

Field by field:

* Date: `Year`, `Month`, `Day`. A blank day gives the first of the month with date_precision `month`, a blank
  month the first of January with `year` (a day without a month is ignored, with a warning). A month or day
  that does not exist, or a year outside 1990 to this year, quarantines the row.
* Country: `Country Code` is ISO 3166-1 alpha-2 and wins when it is a real code. AWSD writes Kosovo `XK`,
  which is none, so the name decides there (alias table: Kosovo, Kashmir, Chechnya). A row with neither code
  nor name (seven incidents of the sample, all of the 1990s-2000s "sometime during the year" kind) keeps no
  country, with a warning. `Region` is admin1; `District` and `City` stay in the raw row.
* Victims: AWSD counts **aid workers** of every sector, not health workers, so nothing goes into the
  health_workers_* fields. `Total killed` is people_killed and `Total wounded` people_injured (both aid
  workers). `Total kidnapped`, `Total detained`, the national/international and gender breakdowns and the
  organisation-type columns (`UN` … `Other`, victims per type of organisation, not flags) have no harmonised
  field and stay in the raw row.
* `Means of attack` gives the WHO SSA types and families (crosswalk `awsd_means_of_attack`; `Landmine ` and
  other trailing spaces do not matter); `Attack context` and `Motive` stay raw; `Location` is location_type.
* `Actor type` gives perpetrator_category (crosswalk `perpetrators.awsd`, `Host State` = `Host state`) and is
  perpetrator_as_given; `Actor name` is perpetrator_name.
* `Verified` gives certainty (`Yes` confirmed, `Pending` unverified, `Archived` unknown; §8: records move from
  Pending to Yes as they are verified, which a later vintage shows as a change).
* `Source` is where AWSD learnt of the incident; `ACLED` (and `ACLED `) makes `co_reported_by: ["acled"]`, a
  known AWSD↔ACLED link (§1, §12.1). Other values name no source of this project (crosswalk
  `co_reporting.awsd`; an unknown value is a warning).
* `Latitude`/`Longitude` as given (the export pads some with a tab; the scraper's country files write a
  missing one as pandas' `nan`, read as blank); both or neither. `Details` is the description.
* Health care: AWSD has no health-sector field (§8). health_related is set by the keyword rule of the
  crosswalks (`health_keywords.awsd`) over `Details`; when it matches, the resource affected is `personnel`
  (AWSD records people only: "AWSD (personnel only)", §12.4) and health_rule_match names the words. Every
  incident is imported either way.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Sequence
from typing import Any

import pycountry

from sources.countries import Country, CountryProblem, resolve_country
from sources.crosswalks import crosswalks
from sources.harmonise import set_attack_types
from sources.health_rule import awsd_matcher, describe_matches
from sources.importers.base import Column, ImportedRow, SourceInfo, TableImporter
from sources.readers import BadFile
from sources.schema import DatePrecision, Harmonised, Resource
from sources.values import EARLIEST_DATE, ValueProblem, parse_count, parse_float, text

COUNTRY_FILE = re.compile(r"^awsd[\s_-]+([a-z]{2})[\s_-]", re.IGNORECASE)


@functools.lru_cache(maxsize=512)
def alpha2_to_iso3(code: str) -> str | None:
    found = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 and code.isalpha() else None
    return None if found is None else found.alpha_3


class AwsdImporter(TableImporter):
    name = "awsd_incidents"
    version = "1"
    source = SourceInfo(
        slug="awsd",
        name="Aid Worker Security Database (AWSD), Humanitarian Outcomes",
        unit="major incident of violence against aid workers",
        licence="Humanitarian Outcomes / aidworkersecurity.org terms",
        url="https://www.aidworkersecurity.org",
    )
    id_column = "incident_id"
    columns = (
        Column("incident_id", ("Incident ID",), required=True),
        Column("year", ("Year",), required=True),
        Column("month", ("Month",)),
        Column("day", ("Day",)),
        Column("country_code", ("Country Code",)),
        Column("country", ("Country",)),
        Column("region", ("Region",)),
        Column("killed", ("Total killed",), required=True),
        Column("wounded", ("Total wounded",), required=True),
        Column("means", ("Means of attack",), required=True),
        Column("location", ("Location",)),
        Column("latitude", ("Latitude",)),
        Column("longitude", ("Longitude",)),
        Column("actor_type", ("Actor type",)),
        Column("actor_name", ("Actor name",)),
        Column("details", ("Details",)),
        Column("verified", ("Verified",)),
        Column("report_source", ("Source",)),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "country" not in self.map and "country_code" not in self.map:
            raise BadFile("missing column 'Country' or 'Country Code'")
        table = crosswalks()
        self._vocabulary = table.attack_types["awsd_means_of_attack"]
        self._health = awsd_matcher(table.version)
        self._today = datetime.date.today()

    def release_options(self) -> dict[str, Any]:
        table = crosswalks()
        rule = table.health_keywords["awsd"]
        return {
            "health_rule": {
                "file": "sources/crosswalks.yaml",
                "section": "health_keywords.awsd",
                "crosswalks_version": table.version,
                "keywords": list(rule.keywords),
                "ignore": list(rule.ignore),
            }
        }

    @classmethod
    def default_product(cls, file_name: str) -> str | None:
        """`incidents` for the global export; `incidents-afg` for a per-country file (`AWSD_AF_security_…`)."""
        match = COUNTRY_FILE.match(file_name)
        iso3 = alpha2_to_iso3(match[1]) if match else None
        return f"incidents-{iso3.lower()}" if iso3 else "incidents"

    def _count(self, cells: Sequence[Any], name: str) -> int | None:
        value = self.cell(cells, name)
        try:
            count = parse_count(value)
        except ValueProblem as problem:
            raise self.problem(name, value, str(problem)) from None
        return count

    def _date(self, cells: Sequence[Any], warn: Any) -> tuple[datetime.date, str]:
        year = self._count(cells, "year")
        if year is None:
            raise self.problem("year", "", "no year")
        if not EARLIEST_DATE.year <= year <= self._today.year:
            raise self.problem("year", year, f"year outside {EARLIEST_DATE.year} to this year")
        month, day = self._count(cells, "month"), self._count(cells, "day")
        if month is None:
            if day is not None:
                warn("day", str(day), "a day without a month; only the year is used")
            return datetime.date(year, 1, 1), DatePrecision.YEAR.value
        if not 1 <= month <= 12:
            raise self.problem("month", month, "month outside 1 to 12")
        if day is None:
            return datetime.date(year, month, 1), DatePrecision.MONTH.value
        try:
            date = datetime.date(year, month, day)
        except ValueError:
            raise self.problem("day", day, f"{year}-{month:02d} has no day {day}") from None
        if date > self._today + datetime.timedelta(days=1):
            raise self.problem("day", day, f"{date.isoformat()} is in the future")
        return date, DatePrecision.DAY.value

    def _country(self, cells: Sequence[Any]) -> Country | None:
        code, name = text(self.cell(cells, "country_code")), text(self.cell(cells, "country"))
        iso3 = alpha2_to_iso3(code) if code else None
        if iso3 is not None:
            alias = crosswalks().country_aliases.get(name) if name else None
            return Country(iso3, alias.admin1 if alias is not None and alias.iso3 == iso3 else "")
        if not name:
            return None
        try:
            return resolve_country(name)
        except CountryProblem as problem:
            raise self.problem("country", name, str(problem)) from None

    def _coordinates(self, cells: Sequence[Any], warn: Any) -> tuple[float | None, float | None]:
        found: list[float | None] = []
        for axis, limit in (("latitude", 90.0), ("longitude", 180.0)):
            value = self.cell(cells, axis)
            if isinstance(value, str) and value.strip().lower() == "nan":
                value = None  # pandas' missing value, as the HDX scraper writes it in the country files
            try:
                found.append(parse_float(value, minimum=-limit, maximum=limit))
            except ValueProblem as problem:
                raise self.problem(axis, value, str(problem)) from None
        if (found[0] is None) != (found[1] is None):
            warn("latitude", "", "only one of latitude and longitude is given; both left out")
            return None, None
        return found[0], found[1]

    def read_row(self, cells: Sequence[Any]) -> ImportedRow:
        table = crosswalks()
        row = Harmonised()
        warnings: list[dict[str, str]] = []

        def warn(name: str, value: str, problem: str) -> None:
            warnings.append({"column": self.map.header(name), "value": value, "problem": problem})

        row.event_date, row.date_precision = self._date(cells, warn)

        code, name = text(self.cell(cells, "country_code")), text(self.cell(cells, "country"))
        country = self._country(cells)
        if country is None:
            if code:
                warn("country_code", code, "not an ISO 3166-1 alpha-2 code, and no country name")
            else:
                warn("country", "", "no country given; the record keeps none")
        else:
            row.country_iso3, row.country_as_given = country.iso3, name or code
            row.admin1 = text(self.cell(cells, "region")) or country.admin1
        row.latitude, row.longitude = self._coordinates(cells, warn)
        row.location_type = text(self.cell(cells, "location"))

        means = text(self.cell(cells, "means"))
        row.attack_types_as_given = means
        if means:
            implied = self._vocabulary.get(means)
            if implied is None:
                warn("means", means, "means of attack not in the crosswalk")
            else:
                set_attack_types(row, implied)

        actor_type = text(self.cell(cells, "actor_type"))
        row.perpetrator_as_given = actor_type
        if actor_type:
            category = table.perpetrators["awsd"].get(actor_type)
            if category is None:
                warn("actor_type", actor_type, "actor type not in the crosswalk")
            else:
                row.perpetrator_category = category
        row.perpetrator_name = text(self.cell(cells, "actor_name"))

        verified = text(self.cell(cells, "verified"))
        row.certainty_as_given = verified
        if verified:
            level = table.certainty["awsd"].get(verified)
            if level is None:
                warn("verified", verified, "verification status not in the crosswalk")
            else:
                row.certainty = level

        report_source = text(self.cell(cells, "report_source"))
        if report_source:
            named = table.co_reporting["awsd"].get(report_source)
            if named is None:
                warn("report_source", report_source, "source not in the crosswalk (co_reporting.awsd)")
            else:
                row.co_reported_by = [slug for slug in named if slug != self.source.slug]

        row.people_killed = self._count(cells, "killed")
        row.people_injured = self._count(cells, "wounded")
        row.description = text(self.cell(cells, "details"))

        words = [word for _group, word in self._health.find(row.description)]
        row.health_related = bool(words)
        if words:
            row.health_rule_match = describe_matches({self.map.header("details"): words})
            row.resources = [Resource.PERSONNEL.value]
        return ImportedRow(row, warnings)
