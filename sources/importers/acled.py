"""ACLED events: the API's 31 columns, the export tool's CSV, and older exports (`data_id`, `event_id_no_cnty`,
`iso3`, upper-case headers, `population_*` columns), datasets.md §9.

One row is one event, identified by `event_id_cnty`. ACLED is a living dataset that edits and deletes events
between downloads; import each download as a vintage of one product (default `events`) and the release
records what was added, changed and withdrawn. Its identifiers are "updated annually" (§11), so compare
vintages downloaded close together.

Field by field:

* Date: `event_date` as the API writes it (`2022-06-30`), as the export tool does (`30 June 2022`,
  `30-Jun-2022`), in the codebook's day-first `30-06-2022`, or an Excel serial. Slashed numeric dates
  (`03/04/2022`) are refused: day-first or month-first cannot be told. `time_precision` (crosswalk
  `acled.time_precision`): 1 gives `day`; 2 (a specific week or weekend) gives `week`, keeping ACLED's date,
  a day of that week; 3 gives `month`, with the date moved to the first of its month as for other sources
  (ACLED's own date stays in the raw row). A blank or unknown code keeps `day` with a warning.
* Country: `iso3` (older exports) when given, else the numeric `iso` via pycountry when it is a real ISO
  3166-1 code (ACLED gives Kosovo 0), else `country` via the alias table. `admin1` is admin1; `admin2`,
  `admin3`, `location` and `region` stay raw. `latitude`/`longitude` both or neither; `geo_precision` 1/2/3
  gives `town`/`district`/`province`.
* What: `sub_event_type` gives the WHO SSA types and families (crosswalk `acled_sub_event_types`);
  `event_type` and `disorder_type` (normalised: the acledR samples write `Demostrations`) are checked against
  the crosswalk and given to the health rule. An unknown type is a warning, never a reason to drop the event.
* Who: actor 1 and actor 2 do not say who attacked whom (codebook), so the crosswalk `acled.perpetrator_side`
  says, by sub-event type, which actor is the perpetrator: actor 1 unless listed (protesters met with force:
  actor 2; armed clashes and peaceful protests: nobody). That actor's name is perpetrator_as_given and
  perpetrator_name (ACLED's actor names carry both the kind and the name: "Military Forces of Mali
  (2021-)"), its `inter1`/`inter2` (a code 1-8 or a text label; 0 or blank is no actor) the
  perpetrator_category (crosswalk `perpetrators.acled_actor_types`).
* `fatalities` is people_killed (everyone reported killed); `notes` the description. `civilian_targeting`
  is checked (`Civilian targeting` or blank) and stays raw with `tags`, `source`, `source_scale`,
  `interaction`, `timestamp` and the population columns.
* Health care: ACLED has no health field. Every event is imported; the health rule (sources/health_rule.py,
  by default sources/acled_health_rule.yaml, or the operator's `health_rule` option) sets health_related,
  health_rule_match ("notes: hospital", "assoc_actor_1: Health Workers (Argentina)") and the resources its
  keywords name. The release stores the rule as applied (`Release.options["health_rule"]`).

The import reads up to millions of rows, so `read_row` looks every vocabulary value, date and country up once
per distinct value (ACLED repeats them across rows) and builds nothing it does not keep.
"""

from __future__ import annotations

import datetime
import functools
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pycountry

from sources.countries import Country, CountryProblem, resolve_country
from sources.crosswalks import crosswalks, normalise
from sources.health_rule import OPTION, AcledHealthRule, RuleProblem, rule_from_options
from sources.importers.base import Column, ImportedRow, SourceInfo, TableImporter
from sources.readers import MONTHS, BadFile
from sources.schema import DatePrecision, Harmonised
from sources.values import ValueProblem, is_blank, parse_count, parse_date, parse_float, text

MONTH_NAMES = {**MONTHS, **{name[:3]: number for name, number in MONTHS.items()}, "sept": 9}
_WORDS_DATE = re.compile(r"(\d{1,2})[\s-]+([A-Za-z]+)\.?,?[\s-]+(\d{4})")
_DAY_FIRST_DATE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")
CIVILIAN_TARGETING = "civilian targeting"
NO_ACTOR = ("", "0")
# Distinct values remembered per vocabulary: ACLED repeats a few thousand dates, countries and event types.
CACHE_LIMIT = 20_000
READ = (
    "event_date",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "inter1",
    "actor2",
    "inter2",
    "civilian_targeting",
    "iso",
    "iso3",
    "country",
    "admin1",
    "latitude",
    "longitude",
    "geo_precision",
    "notes",
    "fatalities",
)


def acled_date(value: Any) -> datetime.date | None:
    """The forms of `event_date` in ACLED files (see the module notes); None for a blank cell."""
    if isinstance(value, str):
        raw = value.strip()
        if match := _WORDS_DATE.fullmatch(raw):
            month = MONTH_NAMES.get(match[2].casefold())
            if month is None:
                raise ValueProblem(f"{raw!r}: {match[2]!r} is not a month")
            return _checked(int(match[3]), month, int(match[1]), raw)
        if match := _DAY_FIRST_DATE.fullmatch(raw):
            return _checked(int(match[3]), int(match[2]), int(match[1]), raw)
    try:
        return parse_date(value)
    except ValueProblem as problem:
        if isinstance(value, str) and "known form" in str(problem):
            raise ValueProblem(
                f"{value.strip()!r} is not a date in a known form (expected YYYY-MM-DD, DD-MM-YYYY as the "
                "ACLED codebook writes it, or 30 June 2022)"
            ) from None
        raise


def _checked(year: int, month: int, day: int, raw: str) -> datetime.date:
    try:
        date = datetime.date(year, month, day)
    except ValueError:
        raise ValueProblem(f"{raw!r} is not a real date") from None
    return parse_date(date) or date  # parse_date checks the range


@functools.lru_cache(maxsize=512)
def numeric_iso_to_iso3(code: str) -> str | None:
    if code.endswith(".0"):
        code = code[:-2]
    if not (code.isascii() and code.isdigit()) or len(code) > 3 or int(code) == 0:
        return None
    found = pycountry.countries.get(numeric=code.zfill(3))
    return None if found is None else found.alpha_3


def _inter_code(value: str) -> str:
    """`1.0` (codebook CSVs, spreadsheets) as `1`; labels as they are."""
    return value[:-2] if value.endswith(".0") and value[:-2].isascii() and value[:-2].isdigit() else value


def remember[K, V](cache: dict[K, V], key: K, value: V) -> None:
    """Keep `value` for `key`; a cache that reaches CACHE_LIMIT (only a file of junk values gets there)
    starts again, so memory stays flat whatever the file."""
    if len(cache) >= CACHE_LIMIT:
        cache.clear()
    cache[key] = value


def _clean(value: Any) -> str:
    return value.strip() if type(value) is str else text(value)


@dataclass(frozen=True)
class EventKind:
    """What the importer makes of one (event_type, sub_event_type, disorder_type) combination."""

    who_ssa_types: tuple[str, ...]
    attack_families: tuple[str, ...]
    perpetrator_side: int  # 1 or 2, or 0 when nobody is the perpetrator
    health_possible: bool  # the rule's event filters let events of this kind be about health care
    warnings: tuple[tuple[str, str, str], ...]  # (column, value, problem)


class AcledImporter(TableImporter):
    name = "acled_events"
    version = "1"
    source = SourceInfo(
        slug="acled",
        name="Armed Conflict Location & Event Data (ACLED)",
        unit="event",
        licence="ACLED Terms of Use",
        url="https://acleddata.com",
    )
    id_column = "event_id"
    # ACLED's export tool names files after the query's first date (2024-01-01-2024-12-31-...csv), which is
    # not when the data were taken: the operator says so with --vintage.
    vintage_from_file_name = False
    columns = (
        Column("event_id", ("event_id_cnty",), required=True),
        Column("event_date", ("event_date",), required=True),
        Column("time_precision", ("time_precision",)),
        Column("disorder_type", ("disorder_type",)),
        Column("event_type", ("event_type",), required=True),
        Column("sub_event_type", ("sub_event_type",), required=True),
        Column("actor1", ("actor1",)),
        Column("assoc_actor_1", ("assoc_actor_1",)),
        Column("inter1", ("inter1",)),
        Column("actor2", ("actor2",)),
        Column("assoc_actor_2", ("assoc_actor_2",)),
        Column("inter2", ("inter2",)),
        Column("civilian_targeting", ("civilian_targeting",)),
        Column("iso", ("iso",)),
        Column("iso3", ("iso3",)),
        Column("country", ("country",), required=True),
        Column("admin1", ("admin1",)),
        Column("latitude", ("latitude",)),
        Column("longitude", ("longitude",)),
        Column("geo_precision", ("geo_precision",)),
        Column("notes", ("notes",)),
        Column("fatalities", ("fatalities",), required=True),
    )

    rule: AcledHealthRule

    def check_options(self) -> None:
        unknown = sorted(set(self.options) - {OPTION})
        if unknown:
            raise BadFile(
                f"the acled importer takes only the option {OPTION!r} (given: {', '.join(unknown)})"
            )
        try:
            self.rule = rule_from_options(self.options)
        except RuleProblem as problem:
            raise BadFile(f"health rule: {problem}") from None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        table = crosswalks()
        self._crosswalks = table
        width = len(self.table.headers)
        # A column the file lacks reads the blank cell appended after the row's last one.
        self._width = width + 1
        self._pick: Callable[[Sequence[Any]], tuple[Any, ...]] = operator.itemgetter(
            *(self.map.index.get(name, width) for name in READ)
        )
        self._actor_cells = tuple(
            (self.map.header(name), self.map.index[name])
            for name in self.rule.actor_columns
            if name in self.map
        )
        self._notes_header = self.map.header("notes") or "notes"
        # A CSV cell is always text: strip it without asking (most of the per-row cost is such small calls).
        self._clean: Callable[[Any], str] = str.strip if self.table.file_format == "csv" else _clean
        self._blank: Any = "" if self.table.file_format == "csv" else None
        self._dates: dict[Any, datetime.date | str] = {}
        self._precisions: dict[str, tuple[str, str]] = {}
        self._countries: dict[tuple[str, str, str], Country | tuple[str, str, str]] = {}
        self._geo: dict[str, str | None] = {}
        self._kinds: dict[tuple[str, str, str], EventKind] = {}
        self._inter: dict[str, str | None] = {}

    def release_options(self) -> dict[str, Any]:
        return {"health_rule": self.rule.stored()}

    @classmethod
    def default_product(cls, file_name: str) -> str | None:
        """`events`: every ACLED download is a slice of one living dataset, compared with the one before."""
        return "events"

    def _date(self, value: Any) -> datetime.date:
        key = value if isinstance(value, str | int | float | datetime.date) else repr(value)
        found = self._dates.get(key)
        if found is None:
            try:
                day = acled_date(value)
                found = day if day is not None else "no date"
            except ValueProblem as problem:
                found = str(problem)
            remember(self._dates, key, found)
        if isinstance(found, str):
            raise self.problem("event_date", value, found)
        return found

    def _precision(self, code: str) -> tuple[str, str]:
        """(date precision, problem or "")."""
        found = self._precisions.get(code)
        if found is None:
            precision = self._crosswalks.acled.time_precision.get(_inter_code(code)) if code else None
            if precision is not None:
                found = (precision, "")
            elif code:
                found = (
                    DatePrecision.DAY.value,
                    "time precision not in the crosswalk; the date is taken as a day",
                )
            elif "time_precision" in self.map:
                found = (DatePrecision.DAY.value, "no time precision; the date is taken as a day")
            else:
                found = (DatePrecision.DAY.value, "")
            remember(self._precisions, code, found)
        return found

    def _country(self, iso3: str, iso: str, name: str) -> Country:
        key = (iso3, iso, name)
        found = self._countries.get(key)
        if found is None:
            found = self._resolve_country(iso3, iso, name)
            remember(self._countries, key, found)
        if isinstance(found, tuple):
            raise self.problem(*found)
        return found

    def _resolve_country(self, iso3: str, iso: str, name: str) -> Country | tuple[str, str, str]:
        """The country, or the (column, value, reason) of the problem with it."""
        if iso3:
            try:
                return resolve_country(name, iso3)
            except CountryProblem as problem:
                return ("iso3", iso3, str(problem))
        from_iso = numeric_iso_to_iso3(iso) if iso else None
        if from_iso is not None:
            alias = self._crosswalks.country_aliases.get(name) if name else None
            return Country(from_iso, alias.admin1 if alias is not None and alias.iso3 == from_iso else "")
        try:
            return resolve_country(name)
        except CountryProblem as problem:
            return ("country", name, str(problem))

    def _kind(self, event_type: str, sub_event_type: str, disorder_type: str) -> EventKind:
        key = (event_type, sub_event_type, disorder_type)
        found = self._kinds.get(key)
        if found is None:
            found = self._make_kind(*key)
            remember(self._kinds, key, found)
        return found

    def _make_kind(self, event_type: str, sub_event_type: str, disorder_type: str) -> EventKind:
        table = self._crosswalks
        warnings: list[tuple[str, str, str]] = []
        implied = table.attack_types["acled_sub_event_types"].get(sub_event_type)
        if implied is None:
            warnings.append(("sub_event_type", sub_event_type, "sub-event type not in the crosswalk"))
            implied = ()
        types = table.ordered_types(implied)
        subs_of_type = next(
            (
                subs
                for name, subs in table.acled.event_types.items()
                if normalise(name) == normalise(event_type)
            ),
            None,
        )
        if subs_of_type is None:
            warnings.append(("event_type", event_type, "event type not in the crosswalk"))
        elif implied and normalise(sub_event_type) not in {normalise(sub) for sub in subs_of_type}:
            warnings.append(("sub_event_type", sub_event_type, f"not a sub-event type of {event_type!r}"))
        disorder = table.acled.disorder_types.get(disorder_type) if disorder_type else ""
        if disorder is None:
            warnings.append(("disorder_type", disorder_type, "disorder type not in the crosswalk"))
            disorder = disorder_type
        side = table.acled.perpetrator_side.get(sub_event_type) or "actor1"
        names = {normalise(name) for name in (event_type, sub_event_type, disorder) if name}
        return EventKind(
            who_ssa_types=tuple(types),
            attack_families=tuple(table.families(types)),
            perpetrator_side={"actor1": 1, "actor2": 2}.get(side, 0),
            health_possible=self.rule.applies_to(names),
            warnings=tuple(warnings),
        )

    def _category(self, inter: str) -> str | None:
        found = self._inter.get(inter, "")
        if found == "":
            found = self._crosswalks.perpetrators["acled_actor_types"].get(_inter_code(inter))
            remember(self._inter, inter, found)
        return found

    def _geo_precision(self, code: str) -> str | None:
        found = self._geo.get(code, "")
        if found == "":
            found = self._crosswalks.geo_precision_of["acled"].get(_inter_code(code))
            remember(self._geo, code, found)
        return found

    def _coordinate(self, value: Any, name: str, limit: float) -> float | None:
        if type(value) is str:
            if not value.strip():
                return None
            try:
                number = float(value)
            except ValueError:
                number = None
            if number is not None and -limit <= number <= limit:
                return number
        try:
            return parse_float(value, minimum=-limit, maximum=limit)
        except ValueProblem as problem:
            raise self.problem(name, value, str(problem)) from None

    def read_row(self, cells: Sequence[Any]) -> ImportedRow:
        if len(cells) < self._width:
            cells = [*cells, *([self._blank] * (self._width - len(cells)))]
        clean = self._clean
        (
            raw_date,
            time_precision,
            disorder_type,
            event_type,
            sub_event_type,
            actor1,
            inter1,
            actor2,
            inter2,
            civilian_targeting,
            iso,
            iso3,
            country_name,
            admin1,
            latitude,
            longitude,
            geo_precision,
            notes,
            fatalities,
        ) = self._pick(cells)
        warnings: list[dict[str, str]] = []

        event_date = self._date(raw_date)
        precision, problem = self._precision(clean(time_precision))
        if problem:
            warnings.append(self._warning("time_precision", time_precision, problem))
        if precision == DatePrecision.MONTH.value:
            event_date = event_date.replace(day=1)

        country_name = clean(country_name)
        country = self._country(clean(iso3), clean(iso), country_name)

        lat = self._coordinate(latitude, "latitude", 90.0)
        lon = self._coordinate(longitude, "longitude", 180.0)
        if (lat is None) != (lon is None):
            warnings.append(
                self._warning("latitude", "", "only one of latitude and longitude is given; both left out")
            )
            lat = lon = None
        geo = clean(geo_precision)
        geo_code = self._geo_precision(geo) if geo else ""
        if geo_code is None:
            warnings.append(self._warning("geo_precision", geo, "geo precision not in the crosswalk"))
            geo_code = ""

        sub_event_type = clean(sub_event_type)
        kind = self._kind(clean(event_type), sub_event_type, clean(disorder_type))
        for name, value, message in kind.warnings:
            warnings.append(self._warning(name, value, message))

        perpetrator, category = "", ""
        if kind.perpetrator_side:
            actor, inter = (actor1, inter1) if kind.perpetrator_side == 1 else (actor2, inter2)
            perpetrator, inter = clean(actor), clean(inter)
            if inter not in NO_ACTOR:
                found = self._category(inter)
                if found is None:
                    side = f"inter{kind.perpetrator_side}"
                    warnings.append(self._warning(side, inter, "actor type not in the crosswalk"))
                else:
                    category = found

        if type(fatalities) is str and fatalities.isascii() and fatalities.isdigit() and len(fatalities) < 10:
            killed: int | None = int(fatalities)
        else:
            try:
                killed = parse_count(fatalities)
            except ValueProblem as problem:
                raise self.problem("fatalities", fatalities, str(problem)) from None

        targeting = clean(civilian_targeting)
        if targeting and targeting.casefold() != CIVILIAN_TARGETING:
            warnings.append(
                self._warning("civilian_targeting", targeting, "expected 'Civilian targeting' or blank")
            )

        description = clean(notes)
        related, matched, resources = False, "", []
        if kind.health_possible:
            actors = [
                (header, cell)
                for header, position in self._actor_cells
                if type(cell := cells[position]) is str
            ]
            health = self.rule.match(self._notes_header, description, actors)
            related, matched, resources = health.related, health.matched, health.resources

        row = Harmonised(
            event_date=event_date,
            date_precision=precision,
            country_iso3=country.iso3,
            country_as_given=country_name,
            admin1=clean(admin1) or country.admin1,
            latitude=lat,
            longitude=lon,
            geo_precision=geo_code,
            who_ssa_types=list(kind.who_ssa_types),
            attack_families=list(kind.attack_families),
            attack_types_as_given=sub_event_type,
            resources=resources,
            people_killed=killed,
            perpetrator_category=category,
            perpetrator_as_given=perpetrator,
            perpetrator_name=perpetrator,
            description=description,
            health_related=related,
            health_rule_match=matched,
        )
        return ImportedRow(row, warnings)

    def _warning(self, name: str, value: Any, problem: str) -> dict[str, str]:
        return {
            "column": self.map.header(name) or name,
            "value": "" if is_blank(value) else text(value),
            "problem": problem,
        }
