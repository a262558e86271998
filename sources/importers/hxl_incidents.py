"""Insecurity Insight and SHCC incident files (XLSX, or CSV): datasets.md §4 and §5.

Both come from II's SiND database, one row per `SiND Event ID`. Row 1 is the header; row 2 is usually an
HXL tag row, which is skipped and kept on the release, never used to find columns: tags differ between
vintages and some are wrong (SHCC 2022 swaps kidnapped and arrested, §5.2). Columns are found by header
text, tolerating trailing spaces, case, pandas' `.1` suffixes, names cut at 63 characters, the renamings
listed below (§11 "Column-name drift"), and duplicated names (the first one is read: in SHCC files the
later `Health Workers Killed` columns start the disaggregation blocks, §5.2 and §13.1).

Harmonisation: `Country ISO` wins over `Country` (short names, mojibake); `Weapon Carried/Used` is matched
against the crosswalk's weapons (two contain commas); the count columns and `Access Denied or Obstructed`
(a boolean in II, a 0/1 count called `Obstruction to Health Care` in SHCC) imply WHO SSA attack types via
the crosswalk; the five context flags read `ConflictEvent`/`NotApplicable` and the like.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from typing import Any

from sources.countries import CountryProblem, resolve_country
from sources.crosswalks import crosswalks, iso3_exists
from sources.harmonise import indicator_types, match_labels, set_attack_types, ssa_types_from_vocabulary
from sources.importers.base import Column, ImportedRow, SourceInfo, TableImporter
from sources.readers import BadFile, version_label
from sources.schema import DatePrecision, Harmonised, Resource
from sources.values import ValueProblem, is_blank, parse_count, parse_date, parse_float, text

COUNT_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("facilities_destroyed", ("Number of Attacks on Health Facilities Reporting Destruction",)),
    ("facilities_damaged", ("Number of Attacks on Health Facilities Reporting Damaged",)),
    ("facility_forceful_entry", ("Forceful Entry into Health Facility",)),
    ("facility_occupation", ("Occupation of Health Facility",)),
    ("transport_destroyed", ("Health Transportation Destroyed",)),
    ("transport_damaged", ("Health Transportation Damaged",)),
    (
        "transport_stolen",
        ("Health Transportation Stolen/Hijacked", "Health Transportation Stolen/Highjacked"),
    ),
    ("supplies_looted", ("Looting/Theft/Robbery/Burglary of Health Supplies",)),
    ("health_workers_killed", ("Health Workers Killed",)),
    ("health_workers_injured", ("Health Workers Injured",)),
    ("health_workers_kidnapped", ("Health Workers Kidnapped",)),
    ("health_workers_arrested", ("Health Workers Arrested",)),
    ("health_workers_threatened", ("Health Workers Threatened",)),
    ("health_workers_assaulted", ("Health Workers Assaulted",)),
    ("health_workers_sexually_assaulted", ("Health Workers Sexually Assaulted",)),
)

BASE_COLUMNS = (
    Column("sind_id", ("SiND Event ID",), required=True),
    Column("date", ("Date",), required=True),
    Column("description", ("Event Description",)),
    Column("country", ("Country",)),
    Column("country_iso", ("Country ISO",)),
    Column("admin1", ("Admin 1",)),
    Column("latitude", ("Latitude",)),
    Column("longitude", ("Longitude",)),
    Column("geo_precision", ("Geo Precision",)),
    Column("perpetrator", ("Reported Perpetrator",)),
    Column("perpetrator_name", ("Reported Perpetrator Name",)),
    Column("weapons", ("Weapon Carried/Used",)),
    Column("location", ("Location", "Location of Incident")),
    Column("access_obstructed", ("Access Denied or Obstructed", "Obstruction to Health Care")),
    *(Column(name, headers) for name, headers in COUNT_COLUMNS),
)

FACILITY_COUNTS = (
    "facilities_destroyed",
    "facilities_damaged",
    "facility_forceful_entry",
    "facility_occupation",
)
TRANSPORT_COUNTS = ("transport_destroyed", "transport_damaged", "transport_stolen")
PERSONNEL_COUNTS = tuple(name for name, _headers in COUNT_COLUMNS if name.startswith("health_workers_"))
TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")


def _positive(*values: int | None) -> bool:
    return any(value is not None and value > 0 for value in values)


class HxlIncidentImporter(TableImporter):
    """The shared reading of II and SHCC incident files; the two sources differ in name and products."""

    version = "1"
    id_column = "sind_id"
    columns = BASE_COLUMNS

    @classmethod
    def column_spec(cls) -> Sequence[Column]:
        flags = tuple(Column(flag.field, (flag.column,)) for flag in crosswalks().context_flags)
        return (*cls.columns, *flags)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "country" not in self.map and "country_iso" not in self.map:
            raise BadFile("missing column 'Country' or 'Country ISO'")

    def vintage_from_content(self) -> tuple[datetime.date, str, str] | None:
        found = version_label(self.table.metadata_text)
        return None if found is None else (found.date, found.label, found.citation)

    def _count(self, cells: Sequence[Any], name: str) -> int | None:
        value = self.cell(cells, name)
        try:
            return parse_count(value)
        except ValueProblem as problem:
            raise self.problem(name, value, str(problem)) from None

    def _obstructed(self, cells: Sequence[Any]) -> bool | None:
        value = self.cell(cells, "access_obstructed")
        if is_blank(value):
            return None
        if isinstance(value, bool):
            return value
        folded = text(value).casefold()
        if folded in TRUE_WORDS:
            return True
        if folded in FALSE_WORDS:
            return False
        try:
            count = parse_count(value)
        except ValueProblem:
            raise self.problem(
                "access_obstructed", value, "expected TRUE/FALSE or a whole number of 0 or more"
            ) from None
        return None if count is None else count > 0

    def read_row(self, cells: Sequence[Any]) -> ImportedRow:
        table = crosswalks()
        row = Harmonised(date_precision=DatePrecision.DAY.value)
        warnings: list[dict[str, str]] = []

        def warn(name: str, value: str, problem: str) -> None:
            warnings.append({"column": self.map.header(name), "value": value, "problem": problem})

        raw_date = self.cell(cells, "date")
        try:
            row.event_date = parse_date(raw_date)
        except ValueProblem as problem:
            raise self.problem("date", raw_date, str(problem)) from None
        if row.event_date is None:
            raise self.problem("date", raw_date, "no date")

        name, code = text(self.cell(cells, "country")), text(self.cell(cells, "country_iso"))
        try:
            country = resolve_country(name, code)
        except CountryProblem as problem:
            column = "country_iso" if code else "country"
            raise self.problem(column, code or name, str(problem)) from None
        row.country_iso3, row.country_as_given = country.iso3, name or code
        row.admin1 = text(self.cell(cells, "admin1")) or country.admin1

        coordinates = []
        for axis, limit in (("latitude", 90.0), ("longitude", 180.0)):
            value = self.cell(cells, axis)
            try:
                coordinates.append(parse_float(value, minimum=-limit, maximum=limit))
            except ValueProblem as problem:
                raise self.problem(axis, value, str(problem)) from None
        if (coordinates[0] is None) != (coordinates[1] is None):
            warn("latitude", "", "only one of latitude and longitude is given; both left out")
        elif coordinates[0] is not None:
            row.latitude, row.longitude = coordinates[0], coordinates[1]
        precision = text(self.cell(cells, "geo_precision"))
        if precision:
            code_found = table.geo_precision.get(precision)
            if code_found is None:
                warn("geo_precision", precision, "unknown geo precision")
            else:
                row.geo_precision = code_found
        row.location_type = text(self.cell(cells, "location"))

        perpetrator = text(self.cell(cells, "perpetrator"))
        row.perpetrator_as_given = perpetrator
        if perpetrator:
            category = table.perpetrators["insecurity_insight"].get(perpetrator)
            if category is None:
                warn("perpetrator", perpetrator, "perpetrator not in the crosswalk")
            else:
                row.perpetrator_category = category
        row.perpetrator_name = text(self.cell(cells, "perpetrator_name"))

        weapons_cell = text(self.cell(cells, "weapons"))
        vocabulary = table.attack_types["insecurity_insight_weapons"]
        matched = match_labels(weapons_cell, vocabulary.labels)
        row.weapons = matched.labels
        for leftover in matched.leftover:
            warn("weapons", leftover, "weapon not in the crosswalk")
        row.attack_types_as_given = weapons_cell

        for field_name, _headers in COUNT_COLUMNS:
            setattr(row, field_name, self._count(cells, field_name))
        row.access_obstructed = self._obstructed(cells)

        for flag in table.context_flags:
            value = self.cell(cells, flag.field)
            if is_blank(value):
                continue
            folded = " ".join(text(value).split()).casefold()
            if folded == flag.yes.casefold():
                setattr(row, flag.field, True)
            elif folded == flag.no.casefold():
                setattr(row, flag.field, False)
            else:
                raise self.problem(flag.field, value, f"expected {flag.yes!r} or {flag.no!r}")

        row.description = text(self.cell(cells, "description"))
        if _positive(*(getattr(row, name) for name in FACILITY_COUNTS)):
            row.resources.append(Resource.FACILITY.value)
        if _positive(*(getattr(row, name) for name in TRANSPORT_COUNTS)):
            row.resources.append(Resource.TRANSPORT.value)
        if _positive(*(getattr(row, name) for name in PERSONNEL_COUNTS)):
            row.resources.append(Resource.PERSONNEL.value)
        if _positive(row.supplies_looted):
            row.resources.append(Resource.SUPPLIES.value)

        set_attack_types(row, [*ssa_types_from_vocabulary(vocabulary, row.weapons), *indicator_types(row)])
        return ImportedRow(row, warnings)


_LEADING_YEARS = re.compile(r"^(\d{4})(?:[-_ ](\d{4}))?(?:[-_ ]([A-Za-z]{3}))?[-_ ]")


def _name_words(file_name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", file_name.lower())


class InsecurityInsightImporter(HxlIncidentImporter):
    name = "insecurity_insight_incidents"
    source = SourceInfo(
        slug="insecurity-insight",
        name="Insecurity Insight",
        unit="event (one SiND Event ID)",
        licence="CC BY-SA 4.0",
        url="https://data.humdata.org/organization/insecurity-insight",
    )

    @classmethod
    def default_product(cls, file_name: str) -> str | None:
        """`attacks-on-health-care` for the global file (whatever years it spans), with `-<iso3>` for a
        country file (`2023-MMR-…`, `2016-2025-pse-…`); None for other II products."""
        if "attacks-on-health-care" not in _name_words(file_name):
            return None
        match = _LEADING_YEARS.match(file_name)
        if match and match[3] and iso3_exists(match[3].upper()):
            return f"attacks-on-health-care-{match[3].lower()}"
        return "attacks-on-health-care"


class ShccImporter(HxlIncidentImporter):
    name = "shcc_incidents"
    source = SourceInfo(
        slug="shcc",
        name="Safeguarding Health in Conflict Coalition (SHCC)",
        unit="incident in a conflict setting (one SiND Event ID)",
        licence="CC BY-SA 4.0",
        url="https://data.humdata.org/dataset/shcchealthcare-dataset",
    )

    @classmethod
    def default_product(cls, file_name: str) -> str | None:
        """SHCC publishes one incident file per year: `incident-data-2022` for `2022-shcc-incident-data.xlsx`
        (a range for multi-year files); None when the name has no leading year."""
        words = _name_words(file_name)
        match = _LEADING_YEARS.match(file_name)
        if "incident" not in words or match is None:
            return None
        years = match[1] if not match[2] else f"{match[1]}-{match[2]}"
        return f"incident-data-{years}"
