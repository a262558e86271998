"""Reading a file by a mapping profile (sources.profiles, docs/mapping-profiles.md), not a built-in layout.

Made as ProfileImporter(table, {"profile": MappingProfile}) (or the plain snapshot of one it keeps in its
options, for a child process: {"slug", "version", "document"}); the source, the product kind (incidents or
aggregates) and the default product (the profile's slug) come from the profile, so they are instance
attributes here where the built-in importers have them on the class. Columns are found by header text like
everywhere else (sources.importers.base.ColumnMap). A value that cannot be read quarantines the row naming
the column; a value that is read but not in the profile's values or crosswalk is a warning, unless the
profile says `unknown: quarantine`. Without an identifier column the row number identifies a row, so
vintages are then compared row by row.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Sequence
from typing import Any

from sources.countries import CountryProblem, resolve_country
from sources.crosswalks import Vocabulary, crosswalks
from sources.harmonise import indicator_types, match_labels, set_attack_types
from sources.importers.base import Column, ImportedRow, RowProblem, SourceInfo, TableImporter
from sources.models import MappingProfile
from sources.profile_definition import (
    AS_GIVEN,
    FieldSpec,
    ProfileDefinition,
    ProfileError,
    parse_definition,
    stored_document,
    vocabularies,
)
from sources.readers import BadFile, Table
from sources.schema import AggregateFields, Harmonised, Resource
from sources.values import ValueProblem, is_blank, parse_count, parse_date, parse_flag, parse_float, text

IDENTIFIER = "identifier"
MEASURE = "measure:"
_NUMERIC = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_ISO_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}([T ].*)?")
FACILITY_COUNTS = (
    "facilities_destroyed",
    "facilities_damaged",
    "facility_forceful_entry",
    "facility_occupation",
)
TRANSPORT_COUNTS = ("transport_destroyed", "transport_damaged", "transport_stolen")
RESOURCE_ORDER = [resource.value for resource in Resource]


def parse_date_as(value: Any, fmt: str) -> datetime.date | None:
    """A cell as a date written in `fmt` (iso, excel serial, or a strptime pattern); spreadsheet date cells
    are dates whatever the format says. None for a blank cell."""
    if is_blank(value) or isinstance(value, datetime.date):
        return parse_date(value)
    if isinstance(value, bool):
        raise ValueProblem(f"expected a date, got {text(value)!r}")
    raw = text(value)
    numeric = isinstance(value, int | float) or bool(_NUMERIC.fullmatch(raw))
    if fmt == "excel serial":
        if not numeric:
            raise ValueProblem(f"expected an Excel date serial (a number), got {raw!r}")
        return parse_date(value)
    if fmt == "iso":
        if numeric or not _ISO_LIKE.fullmatch(raw):
            raise ValueProblem(f"expected a date as YYYY-MM-DD, got {raw!r}")
        return parse_date(raw)
    try:
        day = datetime.datetime.strptime(raw, fmt).date()
    except ValueError:
        raise ValueProblem(f"{raw!r} is not a date written as {fmt}") from None
    return parse_date(day)


def parse_year(value: Any) -> datetime.date | None:
    year = parse_count(value)
    if year is None:
        return None
    if not 1990 <= year <= datetime.date.today().year:
        raise ValueProblem(f"expected a year from 1990 to this year, got {text(value)!r}")
    return datetime.date(year, 1, 1)


def period_of(day: datetime.date, precision: str) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the year or month `day` falls in."""
    if precision == "year":
        return day.replace(month=1, day=1), day.replace(month=12, day=31)
    start = day.replace(day=1)
    following = (start + datetime.timedelta(days=32)).replace(day=1)
    return start, following - datetime.timedelta(days=1)


class _Lookup:
    """A field's profile values, then its crosswalk: source wording -> code (category) or codes (labels)."""

    def __init__(self, spec: FieldSpec) -> None:
        own = Vocabulary.of("profile", dict(spec.values))
        shared = vocabularies(spec.field, crosswalks()).get(spec.crosswalk) if spec.crosswalk else None
        self.vocabularies = [own, *([shared] if shared is not None else [])]
        self.labels = list(dict.fromkeys(label for v in self.vocabularies for label in v.labels))

    def get(self, word: str) -> Any:
        for vocabulary in self.vocabularies:
            found = vocabulary.get(word)
            if found is not None:
                return found
        return None

    def canonical(self, word: str) -> str:
        return next((c for v in self.vocabularies if (c := v.canonical(word)) is not None), word)


class ProfileImporter(TableImporter):
    name = "profile"
    version = "1"
    # Placeholders: every instance has its profile's (see the module notes).
    source = SourceInfo("profile", "Mapping profile", "", "", "")
    columns = ()
    id_column = IDENTIFIER

    def __init__(self, table: Table, options: dict[str, Any] | None = None) -> None:
        self.row_number = 0
        super().__init__(table, options)
        if not self.definition.identifier:
            table.rows = self._numbered(table.rows)

    def check_options(self) -> None:
        given = self.options.get("profile")
        if isinstance(given, MappingProfile):
            snapshot: dict[str, Any] = {
                "slug": given.slug,
                "version": given.version,
                "document": stored_document(given),
            }
        elif isinstance(given, dict) and set(given) == {"slug", "version", "document"}:
            snapshot = given
        else:
            raise BadFile("reading a file by a mapping profile needs the profile (option 'profile')")
        if others := sorted(set(self.options) - {"profile"}):
            raise BadFile(f"the mapping profile importer takes no other options (given: {', '.join(others)})")
        try:
            definition = parse_definition(snapshot["document"], f"profile {snapshot['slug']}")
        except ProfileError as error:
            raise BadFile(f"mapping profile {snapshot['slug']!r} is not valid: {error}") from None
        # Plain data, not the model instance: a large file is read again in a child process
        # (sources.rowstream), which unpickles the options before Django is set up.
        self.options = {"profile": snapshot}
        self.slug, self.profile_version = str(snapshot["slug"]), int(snapshot["version"])
        self.definition: ProfileDefinition = definition
        # Instance attributes where the built-in importers have class attributes: import_file reads them.
        self.source = definition.source_info()  # type: ignore[misc]
        self.product_kind = definition.kind  # type: ignore[misc]
        self.lookups = {s.field: _Lookup(s) for s in definition.fields if s.type in ("category", "labels")}

    def column_spec(self) -> Sequence[Column]:  # type: ignore[override]
        definition = self.definition
        found = [Column(spec.field, spec.columns, required=not spec.optional) for spec in definition.fields]
        if definition.identifier:
            found.insert(0, Column(IDENTIFIER, definition.identifier, required=True))
        found += [Column(f"{MEASURE}{header}", (header,), required=True) for header in definition.measures]
        return found

    @classmethod
    def accepts(cls, table: Table) -> bool:
        return False  # never chosen by layout: only when the operator names a profile

    def default_product(self, file_name: str) -> str | None:  # type: ignore[override]
        return self.slug

    def release_options(self) -> dict[str, Any]:
        return {
            "profile": self.slug,
            "profile_version": self.profile_version,
            "profile_definition": self.definition.to_dict(),
        }

    def _numbered(self, rows: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
        # source_id(cells) is not given the row number; the rows pass through here just before it is called.
        for number, cells in rows:
            self.row_number = number
            yield number, cells

    def source_id(self, cells: Sequence[Any]) -> str:
        if not self.definition.identifier:
            return str(self.row_number)
        return super().source_id(cells)

    # --- reading a row ---

    def read_row(self, cells: Sequence[Any]) -> ImportedRow:
        definition = self.definition
        row: Harmonised | AggregateFields = (
            Harmonised() if definition.kind == "incidents" else AggregateFields()
        )
        warnings: list[dict[str, str]] = []
        for name, value in definition.constants.items():
            setattr(row, name, list(value) if isinstance(value, list) else value)
        types: list[str] = list(getattr(row, "who_ssa_types", []))
        for spec in definition.fields:
            if spec.field not in self.map:
                continue
            value = self.cell(cells, spec.field)
            if spec.type in ("category", "labels", "country"):
                found = self._words(row, spec, text(value), warnings)
                if spec.field in ("who_ssa_types", "weapons"):
                    types += found
            elif not is_blank(value):
                setattr(row, spec.field, self._value(spec, value))
        if isinstance(row, Harmonised):
            self._finish_incident(row, types, warnings)
        else:
            self._finish_aggregate(row, cells)
        return ImportedRow(row, warnings)

    def _value(self, spec: FieldSpec, value: Any) -> Any:
        try:
            if spec.type == "date":
                return parse_date_as(value, spec.format)
            if spec.type == "year":
                return parse_year(value)
            if spec.type == "count":
                return parse_count(value)
            if spec.type == "number":
                low = spec.minimum if spec.minimum is not None else float("-inf")
                high = spec.maximum if spec.maximum is not None else float("inf")
                return parse_float(value, minimum=low, maximum=high)
            if spec.type == "flag":
                return parse_flag(value, yes=spec.yes_words, no=spec.no_words, unknown=spec.unknown_words)
        except ValueProblem as problem:
            raise self.problem(spec.field, value, str(problem)) from None
        return text(value)

    def _words(self, row: Any, spec: FieldSpec, value: str, warnings: list[dict[str, str]]) -> list[str]:
        """Country, category and labels cells; returns the WHO SSA types a labels cell implies."""
        if spec.type == "country":
            if not value:
                return []
            try:
                country = resolve_country(*(("", value) if spec.form == "code" else (value,)))
            except CountryProblem as problem:
                raise self.problem(spec.field, value, str(problem)) from None
            row.country_iso3, row.country_as_given = country.iso3, value
            if isinstance(row, Harmonised) and country.admin1:
                row.admin1 = row.admin1 or country.admin1
            return []
        if spec.field in AS_GIVEN and value and not getattr(row, AS_GIVEN[spec.field]):
            setattr(row, AS_GIVEN[spec.field], value)
        if not value:
            return []
        lookup = self.lookups[spec.field]

        def warn(word: str) -> None:
            warnings.append({"column": self.map.header(spec.field), "value": word, "problem": message})

        message = f"not in the profile's values or crosswalk for {spec.field}"
        if spec.type == "category":
            code = lookup.get(value)
            if code is None and spec.unknown == "quarantine":
                raise self.problem(spec.field, value, message)
            if code is None:
                warn(value)
            else:
                setattr(row, spec.field, code)
            return []
        matched = match_labels(value, lookup.labels)
        for leftover in matched.leftover:
            warn(leftover)
        found = [(lookup.canonical(label), lookup.get(label)) for label in matched.labels]
        codes = [code for _label, mapped in found for code in _as_tuple(mapped)]
        if spec.field == "weapons":
            row.weapons = list(dict.fromkeys([*row.weapons, *(label for label, _mapped in found)]))
            return codes
        if spec.field == "who_ssa_types":
            return codes
        current = getattr(row, spec.field)
        setattr(row, spec.field, list(dict.fromkeys([*current, *codes])))
        return []

    def _finish_incident(self, row: Harmonised, types: list[str], warnings: list[dict[str, str]]) -> None:
        definition = self.definition
        if row.event_date is None:
            raise self.problem("event_date", "", "no date")
        if not row.country_iso3 and not row.country_as_given:
            raise self.problem("country_iso3", "", "no country given")
        row.date_precision = definition.date_precision
        if definition.date_precision != "day":
            row.event_date = period_of(row.event_date, definition.date_precision)[0]
        if (row.latitude is None) != (row.longitude is None):
            column = self.map.header("latitude" if "latitude" in self.map else "longitude")
            problem = "only one of latitude and longitude is given; both left out"
            warnings.append({"column": column, "value": "", "problem": problem})
            row.latitude = row.longitude = None
        if definition.derive_from_counts:
            implied = [
                (Resource.FACILITY, FACILITY_COUNTS),
                (Resource.TRANSPORT, TRANSPORT_COUNTS),
                (Resource.PERSONNEL, [n for n in vars(row) if n.startswith("health_workers_")]),
                (Resource.SUPPLIES, ["supplies_looted"]),
            ]
            for resource, names in implied:
                if any((getattr(row, name) or 0) > 0 for name in names):
                    row.resources.append(resource.value)
            types += indicator_types(row)
        row.resources = sorted(set(row.resources), key=RESOURCE_ORDER.index)
        set_attack_types(row, types)

    def _finish_aggregate(self, row: AggregateFields, cells: Sequence[Any]) -> None:
        if not row.country_iso3 and not row.country_as_given:
            raise self.problem("country_iso3", "", "no country given")
        if row.period_start is None:
            raise self.problem("period_start", "", "no period")
        period = self.definition.period
        start, end = period_of(row.period_start, period)
        row.period_start, row.period_end, row.period_precision = start, row.period_end or end, period
        for header in self.definition.measures:
            name = f"{MEASURE}{header}"
            value = self.cell(cells, name)
            try:
                number = parse_float(value, minimum=float("-inf"), maximum=float("inf"))
            except ValueProblem as problem:
                raise self.problem(name, value, str(problem)) from None
            row.measures[header] = int(number) if number is not None and number.is_integer() else number

    def problem(self, name: str, value: Any, reason: str) -> RowProblem:
        return RowProblem(self.map.header(name) or name, text(value), reason)


def _as_tuple(mapped: Any) -> tuple[str, ...]:
    if mapped is None:
        return ()
    return tuple(mapped) if isinstance(mapped, list | tuple) else (mapped,)
