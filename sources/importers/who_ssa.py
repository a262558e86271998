"""WHO SSA public "Dashboard Report" export (XLSX, or the same sheet saved as CSV): datasets.md §6 and §7.

One row is one attack, identified by `Attack ID`. The export has no place below country, no coordinates, no
perpetrator and no description (deliberately: §6, "Not public by design").

* `Attack Type` holds several of the 15 labels of §7.1, comma-joined with a leading space. It is matched
  against the exact labels, longest first, never split on commas; text left over is kept as a warning.
* `Certainty Level` is one of the levels of §7.3; any other value quarantines the row.
* `Total Death`/`Total Injured` count everyone killed or injured (people_killed/people_injured);
  `HW Arrest` + `HW Detention` are health workers arrested or detained, `HW Abduction` kidnapped.
* `Attack Date` is a datetime; its time of day is not the time of the attack (`Attack Time` says
  `Time Unknown` for rows with a time fraction), so only the date is harmonised.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sources.countries import CountryProblem, resolve_country
from sources.crosswalks import crosswalks
from sources.harmonise import match_labels, set_attack_types
from sources.importers.base import Column, ImportedRow, SourceInfo, TableImporter
from sources.schema import DatePrecision, Harmonised, Resource
from sources.values import ValueProblem, is_blank, parse_count, parse_date, parse_flag, text

RESOURCE_COLUMNS = (
    ("hc_facilities", Resource.FACILITY),
    ("hc_transport", Resource.TRANSPORT),
    ("hc_personnel", Resource.PERSONNEL),
    ("hc_supplies", Resource.SUPPLIES),
    ("hc_warehouse", Resource.WAREHOUSE),
    ("hc_patients", Resource.PATIENTS),
)

COUNT_COLUMNS = (
    "total_injured",
    "total_death",
    "hw_abduction",
    "hw_arrest",
    "hw_detention",
    "patient_abduction",
    "patient_arrest",
    "patient_detention",
)


def _sum(*counts: int | None) -> int | None:
    present = [count for count in counts if count is not None]
    return sum(present) if present else None


class WhoSsaImporter(TableImporter):
    name = "who_ssa"
    version = "1"
    source = SourceInfo(
        slug="who-ssa",
        name="WHO Surveillance System for Attacks on Health Care (SSA)",
        unit="attack (WHO merges reports of one attack into one attack report)",
        licence="data © WHO, public SSA dashboard",
        url="https://extranet.who.int/ssa/Index.aspx",
    )
    id_column = "attack_id"
    columns = (
        Column("attack_id", ("Attack ID",), required=True),
        Column("attack_date", ("Attack Date",), required=True),
        Column("attack_time", ("Attack Time",)),
        Column("country", ("Country / Territory", "Country/Territory", "Country"), required=True),
        Column("certainty", ("Certainty Level",), required=True),
        Column("attack_type", ("Attack Type",), required=True),
        Column("total_injured", ("Total Injured",)),
        Column("total_death", ("Total Death", "Total Deaths")),
        Column("hc_facilities", ("HC Facilities",)),
        Column("hc_transport", ("HC Transport",)),
        Column("hc_personnel", ("HC Personnel",)),
        Column("hc_supplies", ("HC Supplies Assets",)),
        Column("hc_warehouse", ("HC Warehouse Storage",)),
        Column("hc_patients", ("HC Patients",)),
        Column("hc_other", ("HC Other",)),
        Column("facility_type", ("Type of Facility",)),
        Column("facility_other", ("Facility Other",)),
        Column("hw_abduction", ("HW Abduction",)),
        Column("hw_arrest", ("HW Arrest",)),
        Column("hw_detention", ("HW Detention",)),
        Column("patient_abduction", ("Patient Abduction",)),
        Column("patient_arrest", ("Patient Arrest",)),
        Column("patient_detention", ("Patient Detention",)),
    )

    @classmethod
    def default_product(cls, file_name: str) -> str | None:
        return "dashboard-report"

    def read_row(self, cells: Sequence[Any]) -> ImportedRow:
        table = crosswalks()
        row = Harmonised(date_precision=DatePrecision.DAY.value)
        warnings: list[dict[str, str]] = []

        raw_date = self.cell(cells, "attack_date")
        try:
            row.event_date = parse_date(raw_date)
        except ValueProblem as problem:
            raise self.problem("attack_date", raw_date, str(problem)) from None
        if row.event_date is None:
            raise self.problem("attack_date", raw_date, "no date")

        country = text(self.cell(cells, "country"))
        try:
            resolved = resolve_country(country)
        except CountryProblem as problem:
            raise self.problem("country", country, str(problem)) from None
        row.country_iso3, row.admin1, row.country_as_given = resolved.iso3, resolved.admin1, country

        certainty = text(self.cell(cells, "certainty"))
        if certainty:
            level = table.certainty["who_ssa"].get(certainty)
            if level is None:
                known = ", ".join(table.certainty["who_ssa"].labels)
                raise self.problem(
                    "certainty", certainty, f"unknown certainty level (expected one of {known})"
                )
            row.certainty, row.certainty_as_given = level, certainty

        attack_type = text(self.cell(cells, "attack_type"))
        row.attack_types_as_given = attack_type
        labels = {t.label: t.code for t in table.who_ssa_attack_types}
        matched = match_labels(attack_type, labels)
        set_attack_types(row, (labels[label] for label in matched.labels))
        for leftover in matched.leftover:
            warnings.append(
                {
                    "column": self.map.header("attack_type"),
                    "value": leftover,
                    "problem": "not a known SSA attack type",
                }
            )
        if not attack_type:
            warnings.append(
                {"column": self.map.header("attack_type"), "value": "", "problem": "no attack type"}
            )

        counts: dict[str, int | None] = {}
        for name in COUNT_COLUMNS:
            value = self.cell(cells, name)
            try:
                counts[name] = parse_count(value)
            except ValueProblem as problem:
                raise self.problem(name, value, str(problem)) from None
        row.people_injured = counts["total_injured"]
        row.people_killed = counts["total_death"]
        row.health_workers_kidnapped = counts["hw_abduction"]
        row.health_workers_arrested = _sum(counts["hw_arrest"], counts["hw_detention"])
        row.patients_kidnapped = counts["patient_abduction"]
        row.patients_arrested = _sum(counts["patient_arrest"], counts["patient_detention"])

        for name, resource in RESOURCE_COLUMNS:
            value = self.cell(cells, name)
            try:
                affected = parse_flag(value, yes=("YES",), no=("NO",), unknown=("Unknown",))
            except ValueProblem as problem:
                raise self.problem(name, value, str(problem)) from None
            if affected:
                row.resources.append(resource.value)
        if not is_blank(self.cell(cells, "hc_other")):
            row.resources.append(Resource.OTHER.value)

        facility = text(self.cell(cells, "facility_type"))
        if facility:
            code = table.facility_types.get(facility)
            if code is None:
                warnings.append(
                    {
                        "column": self.map.header("facility_type"),
                        "value": facility,
                        "problem": "unknown type of facility",
                    }
                )
            else:
                row.facility_type = code
        return ImportedRow(row, warnings)
