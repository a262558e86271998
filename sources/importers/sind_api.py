"""Insecurity Insight's SiND API records (JSON): `healthcare` and `aidworkerKIKA`, datasets.md §4.4 and §4.6.

A record is a row of the II spreadsheets and more, so the spreadsheets' reading (HxlIncidentImporter: columns
by header text, `Country ISO` over `Country`, weapons matched against the crosswalk, counts implying WHO SSA
types, the context flags) is reused as it is; this module adds what only the API has:

* Counts are strings ("0"); `Access Denied or Obstructed` is a JSON boolean. The API also has the counts
  `Obstruction to Health Care` and `Access Denied`: access counts as obstructed when the boolean or either
  count says so (a disagreement is a warning).
* Vocabulary casing differs from the spreadsheets (`(2) 25 km precision `, `No information`); lookups ignore
  case and white space. Wordings only the API uses (`(3) District, communicipality, commune`, the KIKA
  perpetrators `Host Government: Military`, `Staff Worker`, ...) are in sources/crosswalks.yaml too.
* `Verification status` (null, or e.g. `UKR PHR and UHC verification`) -> certainty, certainty_as_given.
* The source flags `Insecurity Insight`, `WHO SSA`, `Ukrainian Healthcare Centre`,
  `International NGO Safety Organisation (INSO)` and `PHR` hold the source's name (`WHOSSA`, `INSO`) when
  set and null otherwise -> co_reported_by as source codes (crosswalk co_reporting.insecurity_insight_flags). `insecurity-insight` among them means II's own
  monitoring found the event; a record without it reached SiND only through the partners named (§12.1).
  A WHO SSA flag is a known II<->SSA link.
* `Event Types`, `Facility ID`, `Facility Name` (a JSON list), `Organisation Affected`, the profession and
  the disaggregation columns have no harmonised field: they stay in the raw record.

`aidworkerKIKA` records (aid workers killed, injured, kidnapped or arrested, in every sector) are a product
of their own, `aid-worker-kika`, and are harmonised the way AWSD's aid-worker incidents are:

* `Aid Workers Killed` / `Injured` -> people_killed / people_injured: the API counts no one else, so these
  are a lower bound of everyone killed or injured. They are never health_workers_*: most of the aid workers
  do not work in health care (`Programme Focus` is `Health` in 372 of the 1,299 sample records).
* `Aid Workers Kidnapped` / `Arrested` have no harmonised field (they stay in the raw record); above 0 they
  imply the WHO SSA type abduction_arrest_detention, as AWSD's `Kidnapping` and `Detention/arrest` do.
* health_related: `Programme Focus` is `Health`, or `Location of Incident` is `Health Building`;
  health_rule_match says which. Health-focused records with victims affect health personnel; those at a
  health building, a facility.

The registry lists one importer per source layout and tries SindHealthcareImporter first; an aidworkerKIKA
file makes it an SindAidWorkerImporter (tried first, sources.importers.IMPORTERS), so each layout has its
own name and product.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sources.crosswalks import crosswalks, normalise
from sources.harmonise import indicator_types, set_attack_types, ssa_types_from_vocabulary
from sources.importers.base import Column, ImportedRow
from sources.importers.hxl_incidents import BASE_COLUMNS, HxlIncidentImporter, InsecurityInsightImporter
from sources.readers import Table
from sources.schema import Harmonised, Resource
from sources.values import is_blank, normalise_header, text

TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")
ABDUCTION = "abduction_arrest_detention"
WEAPON_WARNING = "weapon not in the crosswalk"  # HxlIncidentImporter's wording

Warn = Callable[[str, str, str], None]

API_COLUMNS = (
    *(column for column in BASE_COLUMNS if column.name != "access_obstructed"),
    Column("access_obstructed", ("Access Denied or Obstructed",)),
    Column("obstruction", ("Obstruction to Health Care",)),
    Column("access_denied", ("Access Denied",)),
    Column("verification", ("Verification status",)),
)
AID_WORKER_COLUMNS = (
    Column("aid_workers_killed", ("Aid Workers Killed",)),
    Column("aid_workers_injured", ("Aid Workers Injured",)),
    Column("aid_workers_kidnapped", ("Aid Workers Kidnapped",)),
    Column("aid_workers_arrested", ("Aid Workers Arrested",)),
    Column("programme_focus", ("Programme Focus",)),
)


def is_aid_worker_layout(headers: Sequence[Any]) -> bool:
    names = {normalise_header(header) for header in headers}
    return "aid workers killed" in names and "health workers killed" not in names


def _positive(*values: int | None) -> bool:
    return any(value is not None and value > 0 for value in values)


FLAGS = "insecurity_insight_flags"  # the co_reporting vocabulary of sources/crosswalks.yaml


def _flag_field(column: str) -> str:
    return "flag:" + column


class SindHealthcareImporter(HxlIncidentImporter):
    name = "insecurity_insight_sind_api"
    source = InsecurityInsightImporter.source
    columns = API_COLUMNS

    @classmethod
    def column_spec(cls) -> Sequence[Column]:
        flags = crosswalks().co_reporting[FLAGS].labels
        return (*super().column_spec(), *(Column(_flag_field(column), (column,)) for column in flags))

    @classmethod
    def accepts(cls, table: Table) -> bool:
        """SiND API JSON only: a spreadsheet with the same columns is InsecurityInsightImporter's."""
        return (
            table.file_format == "json"
            and super().accepts(table)
            and (cls is not SindHealthcareImporter or not is_aid_worker_layout(table.headers))
        )

    @classmethod
    def default_product(cls, file_name: str) -> str | None:
        """`healthcare-api`, whatever the file is called: its columns told it apart from aidworkerKIKA."""
        return "healthcare-api"

    def read_row(self, cells: Sequence[Any]) -> ImportedRow:
        imported = super().read_row(cells)
        row = imported.harmonised
        assert isinstance(row, Harmonised)
        warnings = imported.warnings

        def warn(name: str, value: str, problem: str) -> None:
            warnings.append({"column": self.map.header(name), "value": value, "problem": problem})

        self._obstruction(cells, row, warn)
        ssa_types = ssa_types_from_vocabulary(
            crosswalks().attack_types["insecurity_insight_weapons"], row.weapons
        )

        status = text(self.cell(cells, "verification"))
        if status:
            row.certainty_as_given = status
            level = crosswalks().certainty["insecurity_insight"].get(status)
            if level is None:
                warn("verification", status, "verification status not in the crosswalk")
            else:
                row.certainty = level
        row.co_reported_by = self._source_flags(cells, warn)

        ssa_types += self.harmonise_layout(cells, row, warn)
        set_attack_types(row, [*ssa_types, *indicator_types(row)])
        return ImportedRow(row, warnings)

    def harmonise_layout(self, cells: Sequence[Any], row: Harmonised, warn: Warn) -> list[str]:
        """Layout-specific harmonisation after the shared one; the WHO SSA types it implies."""
        return []

    def _obstruction(self, cells: Sequence[Any], row: Harmonised, warn: Warn) -> None:
        counts = {name: self._count(cells, name) for name in ("obstruction", "access_denied")}
        said = [name for name, count in counts.items() if count is not None and count > 0]
        if row.access_obstructed is False and said:
            warn(
                "access_obstructed",
                "FALSE",
                f"says no obstruction while {self.map.header(said[0])!r} counts {counts[said[0]]}; "
                "taken as obstructed",
            )
        if said:
            row.access_obstructed = True
        elif row.access_obstructed is None and any(count is not None for count in counts.values()):
            row.access_obstructed = False

    def _source_flags(self, cells: Sequence[Any], warn: Warn) -> list[str]:
        """The sources the flag columns name (crosswalk co_reporting.insecurity_insight_flags): a flag is set
        unless its cell is null, false, 0 or blank."""
        codes: list[str] = []
        for column, flagged in crosswalks().co_reporting[FLAGS].entries.values():
            value = self.cell(cells, _flag_field(column))
            if is_blank(value) or value is False or normalise(text(value)) in FALSE_WORDS:
                continue
            codes.extend(code for code in flagged if code not in codes)
        return codes


class SindAidWorkerImporter(SindHealthcareImporter):
    name = "insecurity_insight_sind_kika"
    columns = (*API_COLUMNS, *AID_WORKER_COLUMNS)

    @classmethod
    def accepts(cls, table: Table) -> bool:
        return super().accepts(table) and is_aid_worker_layout(table.headers)

    @classmethod
    def default_product(cls, file_name: str) -> str | None:
        """`aid-worker-kika`, whatever the file is called: its columns are aidworkerKIKA's."""
        return "aid-worker-kika"

    def harmonise_layout(self, cells: Sequence[Any], row: Harmonised, warn: Warn) -> list[str]:
        killed, injured, kidnapped, arrested = (
            self._count(cells, name)
            for name in (
                "aid_workers_killed",
                "aid_workers_injured",
                "aid_workers_kidnapped",
                "aid_workers_arrested",
            )
        )
        row.people_killed, row.people_injured = killed, injured
        focus = text(self.cell(cells, "programme_focus"))
        reasons = []
        health_focus = normalise(focus) == "health"
        if health_focus:
            reasons.append(f"{self.map.header('programme_focus')}: {focus}")
        at_health_building = normalise(row.location_type) == "health building"
        if at_health_building:
            reasons.append(f"{self.map.header('location')}: {row.location_type}")
        row.health_related, row.health_rule_match = bool(reasons), "; ".join(reasons)
        if at_health_building:
            row.resources.append(Resource.FACILITY.value)
        if health_focus and _positive(killed, injured, kidnapped, arrested):
            row.resources.append(Resource.PERSONNEL.value)
        return [ABDUCTION] if _positive(kidnapped, arrested) else []
