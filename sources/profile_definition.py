"""Mapping profiles: how to read a layout no importer knows, as data (docs/mapping-profiles.md).

A profile says which source the rows belong to, whether they are incidents or aggregate counts, which column
identifies a row (or that the row number does), and for each harmonised field (sources.schema) the header
texts of the column that holds it and how its values are read: a date in a stated format, a count, a number,
a flag with its yes/no words, text, a country, a category through a value map or a crosswalks.yaml
vocabulary, or multi-valued labels matched against one. Constants fill fields the file does not have.

`check_definition(data)` validates a parsed definition (YAML with line numbers, a form's or the database's
dict) and returns every problem, each naming the key path and what is wrong; `definition_from_yaml` raises
ProfileError whose messages read "file:line: where: problem". Like the crosswalk and rule-file checks, these
are English data texts. The actions that store profiles are in sources.profiles.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, SequenceNode

from sources.crosswalks import Crosswalks, Vocabulary, crosswalks, iso3_exists, normalise
from sources.importers.base import SourceInfo
from sources.models import MappingProfile
from sources.schema import COUNT_FIELDS, HARMONISED_FIELDS, AggregateFields, Resource
from sources.values import normalise_header

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")  # a profile's slug is its product's default slug too
SOURCE_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
KINDS = ("incidents", "aggregates")
ROW_NUMBER = "row number"
DATE_FORMATS = ("iso", "excel serial")
PRECISIONS = ("day", "month", "year")
PERIODS = ("year", "month")
TYPES = ("date", "year", "count", "number", "flag", "text", "country", "category", "labels")
# The keys each type of field mapping takes besides columns, type and optional.
SETTINGS: dict[str, tuple[str, ...]] = {
    "date": ("format",),
    "number": ("minimum", "maximum"),
    "flag": ("yes_words", "no_words", "unknown_words"),
    "country": ("form",),
    "category": ("values", "crosswalk", "unknown"),
    "labels": ("values", "crosswalk"),
}
DEFAULT_YES = ("yes", "true", "1")
DEFAULT_NO = ("no", "false", "0")
COORDINATE_LIMITS = {"latitude": 90.0, "longitude": 180.0}

_INCIDENT_TYPES: dict[str, tuple[str, ...]] = {
    "event_date": ("date", "year"),
    "country_iso3": ("country",),
    **dict.fromkeys(("admin1", "location_type", "perpetrator_name", "description"), ("text",)),
    **dict.fromkeys(("latitude", "longitude"), ("number",)),
    **dict.fromkeys(("geo_precision", "facility_type", "perpetrator_category", "certainty"), ("category",)),
    **dict.fromkeys(("who_ssa_types", "weapons", "resources", "co_reported_by"), ("labels",)),
    **dict.fromkeys(COUNT_FIELDS, ("count",)),
    **{name: ("flag",) for name in HARMONISED_FIELDS if name.startswith("context_")},
    "access_obstructed": ("flag",),
}
# The fields a profile fills, with the types each can be read as, in the schema's order. The others are
# derived: country_as_given and the *_as_given texts, attack families, date and period precision.
INCIDENT_FIELDS = {name: _INCIDENT_TYPES[name] for name in HARMONISED_FIELDS if name in _INCIDENT_TYPES}
AGGREGATE_FIELDS: dict[str, tuple[str, ...]] = {
    "country_iso3": ("country",),
    "period_start": ("date", "year"),
    "period_end": ("date",),
    **{f.name: ("count",) for f in dataclasses.fields(AggregateFields) if f.type == "int | None"},
}
AS_GIVEN = {
    "perpetrator_category": "perpetrator_as_given",
    "certainty": "certainty_as_given",
    "who_ssa_types": "attack_types_as_given",
    "weapons": "attack_types_as_given",
}


def fields_for(kind: str) -> dict[str, tuple[str, ...]]:
    return AGGREGATE_FIELDS if kind == "aggregates" else INCIDENT_FIELDS


def category_codes(name: str, table: Crosswalks) -> set[str]:
    """The codes a category or labels field takes; an empty set when any code goes (co_reported_by)."""
    codes: dict[str, Any] = {
        "perpetrator_category": table.perpetrator_categories,
        "certainty": table.certainty_levels,
        "geo_precision": table.geo_precisions,
        "facility_type": {code for _label, code in table.facility_types.entries.values()},
        "who_ssa_types": {attack_type.code for attack_type in table.who_ssa_attack_types},
        "resources": {resource.value for resource in Resource},
    }
    return set(codes.get("who_ssa_types" if name == "weapons" else name, ()))


def vocabularies(name: str, table: Crosswalks) -> dict[str, Vocabulary[Any]]:
    """The crosswalks.yaml vocabularies a field can be read with, by the name a profile gives them; for
    who_ssa_types and weapons they map to tuples of WHO SSA type codes."""
    if name in ("who_ssa_types", "weapons"):
        found = {k: v for k, v in table.attack_types.items() if k != "insecurity_insight_indicators"}
        if name == "who_ssa_types":
            found["who_ssa"] = Vocabulary.of(
                "who_ssa", {t.label: (t.code,) for t in table.who_ssa_attack_types}
            )
        return found
    return {
        "perpetrator_category": dict(table.perpetrators),
        "certainty": dict(table.certainty),
        "geo_precision": {"insecurity_insight": table.geo_precision},
        "facility_type": {"who_ssa": table.facility_types},
    }.get(name, {})


# ---------------------------------------------------------------------------------------------------------
# The definition


@dataclass(frozen=True)
class SourceSpec:
    slug: str
    name: str
    unit: str = ""
    licence: str = ""
    url: str = ""


@dataclass(frozen=True)
class FieldSpec:
    """One harmonised field, read from the first column whose header is one of `columns`."""

    field: str
    columns: tuple[str, ...]
    type: str
    optional: bool = False
    format: str = ""
    minimum: float | None = None
    maximum: float | None = None
    yes_words: tuple[str, ...] = ()
    no_words: tuple[str, ...] = ()
    unknown_words: tuple[str, ...] = ()
    form: str = ""
    values: Mapping[str, str | tuple[str, ...]] = dataclasses.field(default_factory=dict)
    crosswalk: str = ""
    unknown: str = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"columns": list(self.columns), "type": self.type}
        if self.optional:
            data["optional"] = True
        for key in SETTINGS.get(self.type, ()):
            value = getattr(self, key)
            if isinstance(value, Mapping):
                value = {k: list(v) if isinstance(v, tuple) else v for k, v in value.items()}
            if value not in ("", None, {}, ()):
                data[key] = list(value) if isinstance(value, tuple) else value
        return data


@dataclass(frozen=True)
class ProfileDefinition:
    slug: str
    name: str
    source: SourceSpec
    kind: str
    identifier: tuple[str, ...]  # header spellings of the identifier column; empty: the row number
    fields: tuple[FieldSpec, ...]
    description: str = ""
    constants: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    date_precision: str = "day"
    period: str = "year"
    measures: tuple[str, ...] = ()
    derive_from_counts: bool = True

    def field(self, name: str) -> FieldSpec | None:
        return next((spec for spec in self.fields if spec.field == name), None)

    def source_info(self) -> SourceInfo:
        s = self.source
        return SourceInfo(s.slug, s.name, s.unit, s.licence, s.url)

    def to_dict(self) -> dict[str, Any]:
        """The definition as plain data, YAML- and JSON-ready, in the order docs/mapping-profiles.md uses."""
        source = {key: getattr(self.source, key) for key in ("slug", "name", "unit", "licence", "url")}
        data: dict[str, Any] = {"slug": self.slug, "name": self.name}
        if self.description:
            data["description"] = self.description
        data["source"] = {key: value for key, value in source.items() if value}
        data["kind"] = self.kind
        data["identifier"] = list(self.identifier) if self.identifier else ROW_NUMBER
        if self.kind == "incidents":
            data["date_precision"] = self.date_precision
            data["derive_from_counts"] = self.derive_from_counts
        else:
            data["period"] = self.period
        data["fields"] = {spec.field: spec.to_dict() for spec in self.fields}
        if self.measures:
            data["measures"] = list(self.measures)
        if self.constants:
            data["constants"] = {
                name: value.isoformat() if isinstance(value, datetime.date) else value
                for name, value in self.constants.items()
            }
        return data

    def stored(self) -> dict[str, Any]:
        """What MappingProfile.definition holds: all but the model's own slug, name and description, and the
        order of the fields (PostgreSQL's jsonb keeps no key order; the YAML and the forms keep the author's)."""
        stored = {k: v for k, v in self.to_dict().items() if k not in ("slug", "name", "description")}
        stored[FIELD_ORDER] = list(stored.get("fields") or {})
        return stored


# ---------------------------------------------------------------------------------------------------------
# Problems, and YAML that keeps line numbers


@dataclass(frozen=True)
class Problem:
    where: str  # the key path, e.g. "fields.event_date.format"
    message: str
    line: int | None = None

    def __str__(self) -> str:
        return (
            f"line {self.line}: {self.where}: {self.message}"
            if self.line
            else f"{self.where}: {self.message}"
        )


class ProfileError(ValueError):
    def __init__(self, problems: list[Problem], file_name: str = "") -> None:
        self.problems = problems
        self.file_name = file_name
        super().__init__("; ".join(self.messages()))

    def messages(self) -> list[str]:
        if not self.file_name:
            return [str(problem) for problem in self.problems]
        return [f"{self.file_name}:{p.line or 1}: {p.where}: {p.message}" for p in self.problems]


class ProfileRefused(Exception):
    """An action that would lose or overwrite something; the message says why, in the page's language."""


class _Map(dict[Any, Any]):
    line: int = 0
    value_lines: dict[Any, int]


class _YamlLoader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, Any]] = []


# YAML 1.2 booleans only: flag words and value-map keys such as yes, no, on and off stay text.
_BOOL = "tag:yaml.org,2002:bool"
_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_YamlLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _construct_map(loader: _YamlLoader, node: MappingNode) -> Iterator[_Map]:
    data = _Map()
    data.line, data.value_lines = node.start_mark.line + 1, {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, dict | list):
            raise yaml.constructor.ConstructorError(None, None, "a key must be text", key_node.start_mark)
        if key in data:
            loader.duplicates.append((key_node.start_mark.line + 1, key))
        data[key] = loader.construct_object(value_node, deep=True)
        data.value_lines[key] = value_node.start_mark.line + 1


def _construct_seq(loader: _YamlLoader, node: SequenceNode) -> list[Any]:
    return [loader.construct_object(child, deep=True) for child in node.value]


_YamlLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_YamlLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _describe(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return "nothing" if value is None else "true/false"
    if isinstance(value, dict | list):
        return "a mapping" if isinstance(value, dict) else "a list"
    return f"a number ({value})" if isinstance(value, int | float) else type(value).__name__


# ---------------------------------------------------------------------------------------------------------
# Checking


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.table = crosswalks()

    def add(self, where: str, message: str, data: Any = None, key: Any = None) -> None:
        line = None
        if isinstance(data, _Map):
            line = data.value_lines.get(key, data.line)
        self.problems.append(Problem(where, message, line))

    def keys(
        self, data: dict[Any, Any], where: str, required: tuple[str, ...], optional: tuple[str, ...]
    ) -> None:
        for key in data:
            if key not in required and key not in optional:
                self.add(
                    f"{where}{key}", f"unknown key (allowed: {', '.join((*required, *optional))})", data, key
                )
        for key in required:
            if key not in data:
                self.add(f"{where}{key}", "missing", data)

    def text(self, data: dict[Any, Any], key: str, where: str, *, required: bool = True) -> str:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            self.add(where + key, f"expected text, got {_describe(value)} (quote it)", data, key)
            return ""
        if required and key in data and not (value or "").strip():
            self.add(where + key, "is empty", data, key)
        return (value or "").strip()

    def choice(
        self, data: dict[Any, Any], key: str, where: str, choices: tuple[str, ...], default: str
    ) -> str:
        value = data.get(key, default)
        if value not in choices:
            self.add(where + key, f"expected one of {', '.join(choices)}, got {value!r}", data, key)
            return default
        return str(value)

    def boolean(self, data: dict[Any, Any], key: str, where: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.add(where + key, f"expected true or false, got {_describe(value)}", data, key)
            return default
        return value

    def words(self, data: dict[Any, Any], key: str, where: str, *, required: bool) -> tuple[str, ...]:
        """A text or a list of texts (header spellings, flag words), each non-empty."""
        value = data.get(key)
        if value is None:
            if required:
                self.add(where + key, "missing: give at least one header text", data, key)
            return ()
        items = [value] if isinstance(value, str | int | float) else value
        if items == [] and not required:
            return ()
        if not isinstance(items, list) or not items:
            self.add(where + key, f"expected a text or a list of texts, got {_describe(value)}", data, key)
            return ()
        found = [str(item).strip() for item in items if isinstance(item, str | int | float)]
        if len(found) != len(items) or not all(found) or any(isinstance(item, bool) for item in items):
            self.add(where + key, "expected non-empty texts", data, key)
        return tuple(dict.fromkeys(word for word in found if word))

    def source(self, data: Any) -> SourceSpec:
        if not isinstance(data, dict):
            self.add("source", f"expected a mapping with slug and name, got {_describe(data)}", data)
            return SourceSpec("", "")
        self.keys(data, "source.", ("slug",), ("name", "unit", "licence", "url"))
        slug = self.text(data, "slug", "source.")
        if slug and not SOURCE_SLUG.fullmatch(slug):
            self.add("source.slug", "use lowercase letters, digits and hyphens (at most 40)", data, "slug")
        # A source with importers has its name and the rest already; a partner's source needs a name.
        known = _known_source(slug) or SourceInfo(slug, "", "", "", "")
        spec = SourceSpec(
            slug,
            *(self.text(data, key, "source.") or getattr(known, key) for key in ("name", "unit", "licence")),
        )
        url = self.text(data, "url", "source.")
        if url and not re.fullmatch(r"https?://\S+", url):
            self.add("source.url", "expected a web address starting with http:// or https://", data, "url")
        if slug and not spec.name:
            self.add("source.name", "missing: a source without an importer needs its name", data, "name")
        return SourceSpec(spec.slug, spec.name, spec.unit, spec.licence, url or known.url)

    def field_spec(self, name: str, data: Any, kind: str, where: str) -> FieldSpec | None:
        allowed = fields_for(kind)
        if name not in allowed:
            self.add(where, f"not a field of {kind} profiles (fields: {', '.join(allowed)})", data)
            return None
        if not isinstance(data, dict):
            self.add(where, f"expected a mapping with columns and type, got {_describe(data)}", data)
            return None
        value_type = data.get("type")
        if value_type not in allowed[name]:
            self.add(
                f"{where}.type", f"expected {' or '.join(allowed[name])}, got {value_type!r}", data, "type"
            )
            return None
        where += "."
        self.keys(data, where, ("columns", "type"), ("optional", *SETTINGS.get(value_type, ())))
        spec: dict[str, Any] = {"field": name, "type": value_type}
        spec["columns"] = self.words(data, "columns", where, required=True)
        spec["optional"] = self.boolean(data, "optional", where, False)
        if value_type == "date":
            spec["format"] = self.date_format(data, where)
        elif value_type == "number":
            limit = COORDINATE_LIMITS.get(name)
            for key, default in (("minimum", -limit if limit else None), ("maximum", limit)):
                value = data.get(key, default)
                if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                    self.add(where + key, f"expected a number, got {_describe(value)}", data, key)
                    value = default
                spec[key] = None if value is None else float(value)
        elif value_type == "flag":
            spec["yes_words"] = self.words(data, "yes_words", where, required=False) or DEFAULT_YES
            spec["no_words"] = self.words(data, "no_words", where, required=False) or DEFAULT_NO
            spec["unknown_words"] = self.words(data, "unknown_words", where, required=False)
            every = [normalise(w) for key in ("yes_words", "no_words", "unknown_words") for w in spec[key]]
            if len(set(every)) != len(every):
                self.add(where + "yes_words", "a word is among the yes, no or unknown words twice", data)
        elif value_type == "country":
            spec["form"] = self.choice(data, "form", where, ("name", "code"), "name")
        elif value_type in ("category", "labels"):
            self.value_map(name, data, where, spec, multiple=value_type == "labels")
            if value_type == "category":
                spec["unknown"] = self.choice(data, "unknown", where, ("warn", "quarantine"), "warn")
        return FieldSpec(**spec)

    def date_format(self, data: dict[Any, Any], where: str) -> str:
        fmt = self.text(data, "format", where) or "iso"
        if fmt in DATE_FORMATS:
            return fmt
        sample = datetime.datetime(2001, 2, 3, 4, 5, 6)
        try:
            readable = re.search(r"%[Yy]", fmt) and datetime.datetime.strptime(sample.strftime(fmt), fmt)
        except ValueError:
            readable = None
        if not readable or readable.date() != sample.date():
            message = "expected iso, excel serial, or a pattern with day, month and %Y such as %d/%m/%Y"
            if re.search(r"%[Yy]", fmt) and re.search(r"%[mbB]", fmt) and "%d" not in fmt:
                return fmt  # month and year only: dates fall on the first of the month
            self.add(where + "format", message, data, "format")
        return fmt

    def value_map(
        self, name: str, data: dict[Any, Any], where: str, spec: dict[str, Any], *, multiple: bool
    ) -> None:
        known = vocabularies(name, self.table)
        spec["crosswalk"] = crosswalk = self.text(data, "crosswalk", where)
        if crosswalk and crosswalk not in known:
            names = ", ".join(known) or "none for this field"
            self.add(
                where + "crosswalk",
                f"no crosswalk {crosswalk!r} for {name} (crosswalks: {names})",
                data,
                "crosswalk",
            )
        values = data.get("values", {})
        if not isinstance(values, dict):
            self.add(
                where + "values",
                f"expected a mapping of source values to codes, got {_describe(values)}",
                data,
                "values",
            )
            values = {}
        codes = category_codes(name, self.table)
        checked: dict[str, str | tuple[str, ...]] = {}
        for key, mapped in values.items():
            spot, word = f'{where}values["{key}"]', str(key).strip()
            items = mapped if isinstance(mapped, list) and multiple else [mapped]
            if isinstance(key, bool) or key is None or not word:
                self.add(spot, "the source value must be non-empty text (quote it)", values, key)
            elif any(normalise(word) == normalise(other) for other in checked):
                self.add(spot, "given twice (matching ignores case and spaces)", values, key)
            elif not items or not all(isinstance(item, str) and item.strip() for item in items):
                self.add(
                    spot,
                    f"expected {'codes' if multiple else 'one code'}, got {_describe(mapped)}",
                    values,
                    key,
                )
            elif unknown := [item for item in items if codes and item not in codes]:
                self.add(
                    spot, f"unknown code {unknown[0]!r} (codes: {', '.join(sorted(codes))})", values, key
                )
            else:
                checked[word] = tuple(items) if isinstance(mapped, list) else str(mapped)
        if not values and not crosswalk:
            self.add(where + "values", "give values (source value: code), a crosswalk, or both", data)
        spec["values"] = checked

    def constant(self, name: str, value: Any, kind: str, given: dict[Any, Any]) -> Any:
        """The constant in its stored form, or None (with a problem)."""
        value_type = fields_for(kind)[name][0]
        problem = ""
        if isinstance(value, str) and value_type in ("count", "number", "flag", "date", "year"):
            value = value.strip()
            words = {"true": True, "yes": True, "false": False, "no": False}
            if value_type == "flag" and value.casefold() in words:
                value = words[value.casefold()]
            elif value_type == "count" and value.isdigit():
                value = int(value)
            elif value_type == "number" and re.fullmatch(r"[+-]?\d+(\.\d+)?", value):
                value = float(value)
            elif value_type in ("date", "year") and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                value = datetime.date.fromisoformat(value) if _is_date(value) else value
        if value_type in ("date", "year"):
            if isinstance(value, int) and not isinstance(value, bool) and 1900 <= value <= 2200:
                value = datetime.date(value, 1, 1)
            problem = "" if isinstance(value, datetime.date) else "expected a date as YYYY-MM-DD or a year"
        elif value_type == "count":
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            problem = "" if ok else "expected a whole number of 0 or more"
        elif value_type == "number":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            value, problem = (float(value), "") if ok else (value, "expected a number")
        elif value_type == "flag":
            problem = "" if isinstance(value, bool) else "expected true or false"
        elif value_type == "labels":
            value = [item.strip() for item in value.split(",")] if isinstance(value, str) else value
            codes = category_codes(name, self.table) if name != "weapons" else set()
            if not isinstance(value, list) or not value or not all(isinstance(i, str) and i for i in value):
                problem = "expected a list of codes"
            elif unknown := [item for item in value if codes and item not in codes]:
                problem = f"unknown code {unknown[0]!r} (codes: {', '.join(sorted(codes))})"
        elif not isinstance(value, str) or not value.strip():
            problem = f"expected text, got {_describe(value)}"
        elif value_type == "country":
            value = value.strip().upper()
            if not iso3_exists(value, self.table.user_assigned_codes):
                problem = f"{value!r} is not an ISO 3166-1 alpha-3 code"
        elif value_type == "category" and value not in (codes := category_codes(name, self.table)):
            problem = f"unknown code {value!r} (codes: {', '.join(sorted(codes))})"
        if problem:
            self.add(f"constants.{name}", problem, given, name)
            return None
        return value.strip() if isinstance(value, str) else value


def _is_date(value: str) -> bool:
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _known_source(slug: str) -> SourceInfo | None:
    from sources.importers import IMPORTERS, importer_for

    if slug not in IMPORTERS:
        return None
    try:
        return importer_for(slug).source
    except ImportError:  # its importer is not written yet
        return None


TOP_REQUIRED = ("slug", "name", "source", "kind", "identifier", "fields")
TOP_OPTIONAL = ("description", "date_precision", "derive_from_counts", "period", "measures", "constants")
ONLY_FOR = {"date_precision": "incidents", "derive_from_counts": "incidents", "period": "aggregates"}


def check_definition(data: Any) -> tuple[ProfileDefinition | None, list[Problem]]:
    """The definition in `data` and every problem in it; the definition is None when there is any."""
    checker = _Checker()
    if not isinstance(data, dict):
        checker.add("(profile)", f"expected a mapping with {', '.join(TOP_REQUIRED)}, got {_describe(data)}")
        return None, checker.problems
    checker.keys(data, "", TOP_REQUIRED, TOP_OPTIONAL)
    slug, name = checker.text(data, "slug", ""), checker.text(data, "name", "")
    if slug and not SLUG.fullmatch(slug):
        checker.add("slug", "use lowercase letters, digits and hyphens (at most 80)", data, "slug")
    kind = checker.choice(data, "kind", "", KINDS, "incidents")
    source = checker.source(data["source"]) if "source" in data else SourceSpec("", "")
    identifier: tuple[str, ...] = ()
    if str(data.get("identifier")).strip().casefold() != ROW_NUMBER:
        identifier = checker.words(data, "identifier", "", required="identifier" in data)
    for key, wanted in {**ONLY_FOR, "measures": "aggregates"}.items():
        if key in data and kind != wanted:
            checker.add(key, f"only for {wanted} profiles", data, key)
    mapping = data.get("fields")
    if not isinstance(mapping, dict) or not mapping:
        if "fields" in data:
            checker.add("fields", "expected a mapping of field names to their columns", data, "fields")
        mapping = {}
    specs = [checker.field_spec(str(k), v, kind, f"fields.{k}") for k, v in mapping.items()]
    given = data.get("constants") or {}
    if not isinstance(given, dict):
        checker.add("constants", "expected a mapping of field names to values", data, "constants")
        given = {}
    constants: dict[str, Any] = {}
    for field_name, value in given.items():
        if field_name not in fields_for(kind):
            checker.add(f"constants.{field_name}", f"not a field of {kind} profiles", given, field_name)
        elif field_name in mapping:
            checker.add(
                f"constants.{field_name}", "is also read from a column; choose one", given, field_name
            )
        elif (constant := checker.constant(field_name, value, kind, given)) is not None:
            constants[field_name] = constant
    for needed in ("event_date", "country_iso3") if kind == "incidents" else ("country_iso3", "period_start"):
        if mapping and needed not in mapping and needed not in given:
            message = f"missing: every {kind} row needs it (map a column or set a constant)"
            checker.add(f"fields.{needed}", message, mapping or data, "fields")
    measures = checker.words(data, "measures", "", required=False) if kind == "aggregates" else ()
    owners: dict[str, str] = {}
    spellings = [("identifier", identifier), *((f"fields.{s.field}", s.columns) for s in specs if s)]
    for owner, headers in [*spellings, *(("measures", (header,)) for header in measures)]:
        for header in headers:
            if (other := owners.setdefault(normalise_header(header), owner)) != owner:
                message = f"header {header!r} is also given for {other}; a column is read for one field only"
                checker.add(owner, message, mapping or data, owner.removeprefix("fields."))
    precision = checker.choice(data, "date_precision", "", PRECISIONS, "day")
    period = checker.choice(data, "period", "", PERIODS, "year")
    derive = checker.boolean(data, "derive_from_counts", "", True)
    description = checker.text(data, "description", "", required=False)
    if checker.problems:
        return None, checker.problems
    fields_read = tuple(spec for spec in specs if spec is not None)
    return ProfileDefinition(
        slug,
        name,
        source,
        kind,
        identifier,
        fields_read,
        description,
        constants,
        precision,
        period,
        measures,
        derive,
    ), []


def parse_definition(data: Any, file_name: str = "") -> ProfileDefinition:
    definition, problems = check_definition(data)
    if definition is None:
        raise ProfileError(problems, file_name)
    return definition


def definition_from_yaml(text: str, file_name: str = "profile.yaml") -> ProfileDefinition:
    """The profile in YAML `text`; ProfileError, whose messages say file:line: where: problem."""
    loader = _YamlLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        detail = " ".join(part for part in (error.context, error.problem) if part)
        problem = Problem("(yaml)", f"not valid YAML: {detail}", mark.line + 1 if mark else 1)
        raise ProfileError([problem], file_name) from None
    except yaml.YAMLError as error:
        raise ProfileError([Problem("(yaml)", f"not valid YAML: {error}", 1)], file_name) from None
    finally:
        loader.dispose()
    problems = [Problem(str(key), "given twice (remove one)", line) for line, key in loader.duplicates]
    definition, found = check_definition(data) if data is not None else (None, [])
    problems += found if data is not None else [Problem("(profile)", "the file is empty", 1)]
    if problems or definition is None:
        raise ProfileError(sorted(problems, key=lambda p: p.line or 0), file_name)
    return definition


class _Dumper(yaml.SafeDumper):
    pass


def _represent_list(dumper: yaml.SafeDumper, items: list[Any]) -> yaml.Node:
    # Header spellings and words read best on one line: columns: [Date, Date of incident]
    flow = all(isinstance(item, str | int | float) for item in items)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def definition_to_yaml(data: ProfileDefinition | dict[str, Any]) -> str:
    document = data.to_dict() if isinstance(data, ProfileDefinition) else data
    header = f"# Mapping profile {document.get('slug')}: docs/mapping-profiles.md describes every key.\n"
    return header + yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=110)


FIELD_ORDER = "field_order"  # stored next to the definition only


def stored_document(profile: MappingProfile) -> dict[str, Any]:
    """The profile as stored, as one definition dict (what check_definition reads)."""
    head = {"slug": profile.slug, "name": profile.name, "description": profile.description}
    definition = dict(profile.definition)
    order = definition.pop(FIELD_ORDER, None)
    fields = definition.get("fields")
    if isinstance(order, list) and isinstance(fields, dict):
        ranks = {name: rank for rank, name in enumerate(order)}
        definition["fields"] = dict(sorted(fields.items(), key=lambda item: ranks.get(item[0], len(ranks))))
    return {**{k: v for k, v in head.items() if v}, **definition}


def definition_of(profile: MappingProfile) -> ProfileDefinition:
    """The validated definition of a stored profile; ProfileError when it no longer validates (e.g. a code
    was taken out of crosswalks.yaml since)."""
    return parse_definition(stored_document(profile), f"profile {profile.slug}")
