"""Loading and validating sources/crosswalks.yaml, the one reviewed file of vocabulary crosswalks.

`validate(data)` returns every problem in the parsed file as "key path: problem" texts and never raises;
`load(path)` returns the Crosswalks or raises CrosswalkError with those problems; `crosswalks()` is the
validated default file, read once per process.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pycountry
import yaml

from sources.schema import HARMONISED_FIELDS, DatePrecision

DEFAULT_PATH = Path(__file__).with_name("crosswalks.yaml")

ATTACK_TYPE_VOCABULARIES = (
    "insecurity_insight_weapons",
    "insecurity_insight_indicators",
    "awsd_means_of_attack",
    "acled_sub_event_types",
)
PERPETRATOR_VOCABULARIES = ("insecurity_insight", "awsd", "acled_actor_types")
CERTAINTY_VOCABULARIES = ("who_ssa", "insecurity_insight", "awsd")
GEO_PRECISION_VOCABULARIES = ("insecurity_insight", "acled")
CO_REPORTING_VOCABULARIES = ("awsd", "insecurity_insight_flags")
# Sources that report events without an importer here (SiND API flags, §4.4).
OTHER_REPORTING_SOURCES = ("uhc", "phr")
HEALTH_KEYWORD_SOURCES = ("awsd",)
PERPETRATOR_SIDES = ("actor1", "actor2", "none")
CONTEXT_FIELDS = (
    "context_conflict",
    "context_political",
    "context_covid",
    "context_ebola",
    "context_vaccination",
)


class CrosswalkError(Exception):
    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


def normalise(text: str) -> str:
    """The form in which source values are compared: trimmed, white space collapsed, case ignored."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Vocabulary[V]:
    """A source's values, each with what it maps to. Lookups ignore case and extra white space."""

    name: str
    entries: Mapping[str, tuple[str, V]]  # normalised value -> (value as written in the file, mapped value)

    @classmethod
    def of(cls, name: str, mapping: Mapping[str, V]) -> Vocabulary[V]:
        return cls(name, {normalise(key): (key, value) for key, value in mapping.items()})

    def get(self, text: str) -> V | None:
        found = self.entries.get(normalise(text))
        return None if found is None else found[1]

    def canonical(self, text: str) -> str | None:
        found = self.entries.get(normalise(text))
        return None if found is None else found[0]

    @property
    def labels(self) -> list[str]:
        return [label for label, _value in self.entries.values()]


@dataclass(frozen=True)
class AttackType:
    code: str
    label: str
    family: str


@dataclass(frozen=True)
class CountryAlias:
    name: str
    iso3: str | None
    admin1: str


@dataclass(frozen=True)
class ContextFlag:
    field: str
    column: str
    yes: str
    no: str


@dataclass(frozen=True)
class KeywordRule:
    """Keyword patterns that make a row about health care, and text removed before they are looked for
    (syntax: sources.health_rule)."""

    keywords: tuple[str, ...]
    ignore: tuple[str, ...]


@dataclass(frozen=True)
class AcledCodes:
    event_types: Mapping[str, tuple[str, ...]]  # event type -> its sub-event types, as in the codebook
    disorder_types: Vocabulary[str]  # as given -> canonical spelling
    time_precision: Vocabulary[str]  # code -> sources.schema.DatePrecision value
    perpetrator_side: Vocabulary[str]  # sub-event type -> actor1 | actor2 | none (actor1 when not listed)


@dataclass(frozen=True)
class Crosswalks:
    version: int
    who_ssa_attack_types: tuple[AttackType, ...]
    attack_families: Mapping[str, str]
    attack_types: Mapping[str, Vocabulary[tuple[str, ...]]]
    perpetrator_categories: Mapping[str, str]
    perpetrators: Mapping[str, Vocabulary[str]]
    certainty_levels: Mapping[str, str]
    certainty: Mapping[str, Vocabulary[str]]
    geo_precisions: Mapping[str, str]
    geo_precision: Vocabulary[str]  # Insecurity Insight's, the same as geo_precision_of["insecurity_insight"]
    geo_precision_of: Mapping[str, Vocabulary[str]]
    context_flags: tuple[ContextFlag, ...]
    facility_types: Vocabulary[str]
    user_assigned_codes: Mapping[str, str]
    country_aliases: Vocabulary[CountryAlias]
    co_reporting: Mapping[str, Vocabulary[tuple[str, ...]]]
    acled: AcledCodes
    health_keywords: Mapping[str, KeywordRule]

    def family_of(self, ssa_type: str) -> str:
        return self._families[ssa_type]

    @functools.cached_property
    def _families(self) -> dict[str, str]:
        return {attack_type.code: attack_type.family for attack_type in self.who_ssa_attack_types}

    def families(self, ssa_types: Iterable[str]) -> list[str]:
        """The families of these WHO SSA types, each once, in the order of the attack_families table."""
        wanted = {self.family_of(code) for code in ssa_types}
        return [family for family in self.attack_families if family in wanted]

    def ordered_types(self, ssa_types: Iterable[str]) -> list[str]:
        """These WHO SSA type codes, each once, in the order of the §7.1 table."""
        wanted = set(ssa_types)
        return [t.code for t in self.who_ssa_attack_types if t.code in wanted]


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _mapping(data: Any, path: str, problems: list[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        problems.append(f"{path}: expected a mapping")
        return {}
    return data


def _check_codes_table(data: dict[str, Any], key: str, problems: list[str]) -> dict[str, str]:
    table = _mapping(data.get(key), key, problems)
    for code, description in table.items():
        if not (isinstance(code, str) and code.isidentifier() and code == code.lower()):
            problems.append(f"{key}.{code}: codes are lowercase snake_case")
        if not _is_text(description):
            problems.append(f"{key}.{code}: needs a description")
    return table


def _check_vocabulary(
    mapping: Any,
    path: str,
    problems: list[str],
    *,
    allowed: Iterable[str] | None = None,
    is_list: bool = False,
) -> dict[str, Any]:
    table = _mapping(mapping, path, problems)
    allowed_set = set(allowed) if allowed is not None else None
    seen: dict[str, str] = {}
    for key, value in table.items():
        where = f'{path}["{key}"]'
        if not _is_text(key):
            problems.append(f"{where}: the source value must be non-empty text (quote numbers and yes/no)")
            continue
        if normalise(key) in seen:
            problems.append(
                f'{where}: same value as "{seen[normalise(key)]}" (matching ignores case and spaces)'
            )
        seen[normalise(key)] = key
        values = value if is_list else [value]
        if is_list and not isinstance(value, list):
            problems.append(f"{where}: expected a list of codes")
            continue
        for item in values:
            if allowed_set is not None and item not in allowed_set:
                problems.append(f"{where}: unknown code {item!r}")
    return table


def _check_acled(top: dict[str, Any], problems: list[str]) -> None:
    acled = _mapping(top.get("acled"), "acled", problems)
    sub_event_types = _mapping(top.get("attack_types"), "attack_types", []).get("acled_sub_event_types")
    known_sub_types = {normalise(key) for key in sub_event_types or {} if isinstance(key, str)}
    event_types = _mapping(acled.get("event_types"), "acled.event_types", problems)
    for event_type, subs in event_types.items():
        where = f'acled.event_types["{event_type}"]'
        if not _is_text(event_type) or not isinstance(subs, list) or not subs:
            problems.append(f"{where}: expected an event type with a list of its sub-event types")
            continue
        for sub in subs:
            if not _is_text(sub) or normalise(sub) not in known_sub_types:
                problems.append(f"{where}: {sub!r} is not in attack_types.acled_sub_event_types")
    _check_vocabulary(acled.get("disorder_types"), "acled.disorder_types", problems)
    _check_vocabulary(
        acled.get("time_precision"),
        "acled.time_precision",
        problems,
        allowed=[precision.value for precision in DatePrecision],
    )
    sides = _check_vocabulary(
        acled.get("perpetrator_side"), "acled.perpetrator_side", problems, allowed=PERPETRATOR_SIDES
    )
    for sub in sides:
        if isinstance(sub, str) and normalise(sub) not in known_sub_types:
            problems.append(f'acled.perpetrator_side["{sub}"]: not in attack_types.acled_sub_event_types')


def _check_co_reporting_and_keywords(top: dict[str, Any], problems: list[str]) -> None:
    # Imported here: both modules read this one, and the keyword syntax is the health rule's.
    from sources.health_rule import check_patterns
    from sources.importers import IMPORTERS

    co_reporting = _mapping(top.get("co_reporting"), "co_reporting", problems)
    for name in CO_REPORTING_VOCABULARIES:
        _check_vocabulary(
            co_reporting.get(name),
            f"co_reporting.{name}",
            problems,
            allowed=[*IMPORTERS, *OTHER_REPORTING_SOURCES],
            is_list=True,
        )
    for name in set(co_reporting) - set(CO_REPORTING_VOCABULARIES):
        problems.append(f"co_reporting.{name}: not a vocabulary the importers know")
    keywords = _mapping(top.get("health_keywords"), "health_keywords", problems)
    for name in HEALTH_KEYWORD_SOURCES:
        rule = _mapping(keywords.get(name), f"health_keywords.{name}", problems)
        for key in set(rule) - {"keywords", "ignore"}:
            problems.append(f"health_keywords.{name}.{key}: expected only keywords and ignore")
        check_patterns(rule.get("keywords"), f"health_keywords.{name}.keywords", problems, required=True)
        check_patterns(rule.get("ignore"), f"health_keywords.{name}.ignore", problems, required=False)
    for name in set(keywords) - set(HEALTH_KEYWORD_SOURCES):
        problems.append(f"health_keywords.{name}: not a source whose importer reads keywords")


def iso3_exists(code: str, user_assigned: Iterable[str] = ()) -> bool:
    return pycountry.countries.get(alpha_3=code) is not None or code in set(user_assigned)


def validate(data: Any) -> list[str]:
    """Every problem in the parsed crosswalk file, as 'key path: problem' texts (empty when it is sound)."""
    problems: list[str] = []
    top = _mapping(data, "(file)", problems)
    if not top:
        return problems or ["(file): empty"]
    if not isinstance(top.get("version"), int):
        problems.append("version: expected a whole number")

    families = _check_codes_table(top, "attack_families", problems)
    ssa_codes: list[str] = []
    ssa_types = top.get("who_ssa_attack_types")
    if not isinstance(ssa_types, list) or not ssa_types:
        problems.append("who_ssa_attack_types: expected a list")
        ssa_types = []
    labels_seen: set[str] = set()
    for index, entry in enumerate(ssa_types):
        where = f"who_ssa_attack_types[{index}]"
        if not isinstance(entry, dict) or set(entry) != {"code", "label", "family"}:
            problems.append(f"{where}: expected exactly code, label and family")
            continue
        if not _is_text(entry["code"]) or entry["code"] in ssa_codes:
            problems.append(f"{where}: code missing or used twice")
        ssa_codes.append(entry["code"])
        if not _is_text(entry["label"]) or entry["label"] != entry["label"].strip():
            problems.append(f"{where}: label must be the exact export text, without outer spaces")
        elif normalise(entry["label"]) in labels_seen:
            problems.append(f"{where}: label used twice")
        else:
            labels_seen.add(normalise(entry["label"]))
        if entry["family"] not in families:
            problems.append(f"{where}: unknown family {entry['family']!r}")
    unused = set(families) - {e.get("family") for e in ssa_types if isinstance(e, dict)}
    for family in sorted(unused):
        problems.append(f"attack_families.{family}: no WHO SSA type belongs to it")

    attack_types = _mapping(top.get("attack_types"), "attack_types", problems)
    for name in ATTACK_TYPE_VOCABULARIES:
        if name not in attack_types:
            problems.append(f"attack_types.{name}: missing")
            continue
        table = _check_vocabulary(
            attack_types[name], f"attack_types.{name}", problems, allowed=ssa_codes, is_list=True
        )
        if name == "insecurity_insight_indicators":
            for key in table:
                if key not in HARMONISED_FIELDS:
                    problems.append(f"attack_types.{name}.{key}: not a harmonised field")
    for name in set(attack_types) - set(ATTACK_TYPE_VOCABULARIES):
        problems.append(f"attack_types.{name}: not a vocabulary the importers know")

    categories = _check_codes_table(top, "perpetrator_categories", problems)
    perpetrators = _mapping(top.get("perpetrators"), "perpetrators", problems)
    for name in PERPETRATOR_VOCABULARIES:
        _check_vocabulary(perpetrators.get(name), f"perpetrators.{name}", problems, allowed=categories)

    levels = _check_codes_table(top, "certainty_levels", problems)
    certainty = _mapping(top.get("certainty"), "certainty", problems)
    for name in CERTAINTY_VOCABULARIES:
        _check_vocabulary(certainty.get(name), f"certainty.{name}", problems, allowed=levels)

    precisions = _check_codes_table(top, "geo_precisions", problems)
    geo = _mapping(top.get("geo_precision"), "geo_precision", problems)
    for name in GEO_PRECISION_VOCABULARIES:
        _check_vocabulary(geo.get(name), f"geo_precision.{name}", problems, allowed=precisions)
    for name in set(geo) - set(GEO_PRECISION_VOCABULARIES):
        problems.append(f"geo_precision.{name}: not a vocabulary the importers know")

    flags = _mapping(top.get("context_flags"), "context_flags", problems)
    for name in CONTEXT_FIELDS:
        entry = flags.get(name)
        if not isinstance(entry, dict) or set(entry) != {"column", "yes", "no"}:
            problems.append(f"context_flags.{name}: expected column, yes and no")
        elif not all(_is_text(entry[key]) for key in ("column", "yes", "no")):
            problems.append(f"context_flags.{name}: column, yes and no must be non-empty text")
    for name in set(flags) - set(CONTEXT_FIELDS):
        problems.append(f"context_flags.{name}: not a context field of the schema")

    facility = _mapping(top.get("facility_types"), "facility_types", problems)
    _check_vocabulary(facility.get("who_ssa"), "facility_types.who_ssa", problems)

    countries = _mapping(top.get("countries"), "countries", problems)
    user_assigned = _mapping(countries.get("user_assigned_codes"), "countries.user_assigned_codes", problems)
    for code, note in user_assigned.items():
        if pycountry.countries.get(alpha_3=code) is not None:
            problems.append(f"countries.user_assigned_codes.{code}: is an ISO 3166-1 code, not user-assigned")
        if not _is_text(note):
            problems.append(f"countries.user_assigned_codes.{code}: needs a note")
    aliases = countries.get("aliases")
    if not isinstance(aliases, list):
        problems.append("countries.aliases: expected a list")
        aliases = []
    names_seen: set[str] = set()
    for index, alias in enumerate(aliases):
        where = f"countries.aliases[{index}]"
        if not isinstance(alias, dict) or not {"name", "iso3"} <= set(alias) <= {"name", "iso3", "admin1"}:
            problems.append(f"{where}: expected name, iso3 and optionally admin1")
            continue
        if not _is_text(alias["name"]):
            problems.append(f"{where}: name must be non-empty text")
            continue
        if normalise(alias["name"]) in names_seen:
            problems.append(f"{where}: {alias['name']!r} is listed twice")
        names_seen.add(normalise(alias["name"]))
        iso3 = alias["iso3"]
        if iso3 is not None and not (isinstance(iso3, str) and iso3_exists(iso3, user_assigned)):
            problems.append(f"{where}: {iso3!r} is not an ISO 3166-1 alpha-3 code (nor user-assigned)")
        if iso3 is None and alias.get("admin1"):
            problems.append(f"{where}: a place without a country cannot have an admin1")

    _check_acled(top, problems)
    _check_co_reporting_and_keywords(top, problems)
    return problems


def _build(top: dict[str, Any]) -> Crosswalks:
    countries = top["countries"]
    acled = top["acled"]
    return Crosswalks(
        version=top["version"],
        who_ssa_attack_types=tuple(AttackType(**entry) for entry in top["who_ssa_attack_types"]),
        attack_families=dict(top["attack_families"]),
        attack_types={
            name: Vocabulary.of(name, {key: tuple(value) for key, value in table.items()})
            for name, table in top["attack_types"].items()
        },
        perpetrator_categories=dict(top["perpetrator_categories"]),
        perpetrators={name: Vocabulary.of(name, table) for name, table in top["perpetrators"].items()},
        certainty_levels=dict(top["certainty_levels"]),
        certainty={name: Vocabulary.of(name, table) for name, table in top["certainty"].items()},
        geo_precisions=dict(top["geo_precisions"]),
        geo_precision=Vocabulary.of("geo_precision", top["geo_precision"]["insecurity_insight"]),
        geo_precision_of={
            name: Vocabulary.of(f"geo_precision.{name}", table)
            for name, table in top["geo_precision"].items()
        },
        context_flags=tuple(
            ContextFlag(name, entry["column"], entry["yes"], entry["no"])
            for name, entry in top["context_flags"].items()
        ),
        facility_types=Vocabulary.of("facility_types", top["facility_types"]["who_ssa"]),
        user_assigned_codes=dict(countries["user_assigned_codes"]),
        country_aliases=Vocabulary.of(
            "countries",
            {
                alias["name"]: CountryAlias(alias["name"], alias["iso3"], alias.get("admin1") or "")
                for alias in countries["aliases"]
            },
        ),
        co_reporting={
            name: Vocabulary.of(f"co_reporting.{name}", {key: tuple(value) for key, value in table.items()})
            for name, table in top["co_reporting"].items()
        },
        acled=AcledCodes(
            event_types={name: tuple(subs) for name, subs in acled["event_types"].items()},
            disorder_types=Vocabulary.of("acled.disorder_types", acled["disorder_types"]),
            time_precision=Vocabulary.of("acled.time_precision", acled["time_precision"]),
            perpetrator_side=Vocabulary.of("acled.perpetrator_side", acled["perpetrator_side"]),
        ),
        health_keywords={
            name: KeywordRule(tuple(rule["keywords"]), tuple(rule.get("ignore") or ()))
            for name, rule in top["health_keywords"].items()
        },
    )


def load(path: Path = DEFAULT_PATH) -> Crosswalks:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise CrosswalkError(path, [f"cannot be read: {error}"]) from error
    problems = validate(data)
    if problems:
        raise CrosswalkError(path, problems)
    return _build(data)


@functools.cache
def crosswalks() -> Crosswalks:
    return load(DEFAULT_PATH)
