"""Health rules: which rows of a source without a health-care field are about health care (ACLED, AWSD).

Neither source says whether an event touched health care (datasets.md §8, §9), so a keyword rule over the
description (ACLED `notes`, AWSD `Details`) and, for ACLED, over the actor names decides. Every row is imported
either way; the record says whether the rule chose it (`health_related`) and why (`health_rule_match`).

* The ACLED rule is data: sources/acled_health_rule.yaml by default, another file of the same shape when the
  operator gives one (importer option `health_rule`, `zorgveilig import acled FILE --health-rule RULE.yaml`).
  `load_rule` validates it and reports every problem as `file:line: key: problem`. The release stores the rule
  as applied: the file's text, its SHA-256 and its version (`AcledHealthRule.stored`).
* The AWSD keywords are a section of sources/crosswalks.yaml (`health_keywords.awsd`): AWSD has no products or
  operators to choose between rules, and the crosswalks version on the release says which list was used.

Patterns: plain text matches whole words, ignoring case and runs of white space; a `*` ending a word matches
any ending (`paramedic*`); a pattern starting `re:` is a Python regular expression over the lower-cased text.
The ACLED import reads a million rows, so all literal patterns are compiled into one regular expression whose
alternatives share their prefixes (a trie): the engine then tries a handful of first letters at each position
instead of every keyword, and matches are sorted into resources only for the few rows that have one.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sources.crosswalks import crosswalks, normalise
from sources.schema import Resource

DEFAULT_RULE_PATH = Path(__file__).with_name("acled_health_rule.yaml")
OPTION = "health_rule"
MATCH_LENGTH = 200  # sources.models.Record.health_rule_match
RULE_KEYS = frozenset({"version", "name", "description", "keywords", "ignore", "actors", "events"})
ACTOR_COLUMNS = ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2")
RESOURCES = tuple(resource.value for resource in Resource)


class RuleProblem(ValueError):
    """The rule cannot be used; the message names the file, the line and what is wrong."""


def _units(pattern: str) -> list[str]:
    """A literal pattern as regular-expression pieces, one per character (the trie's edges)."""
    pieces: list[str] = []
    for index, word in enumerate(pattern.lower().split()):
        if index:
            pieces.append(r"\s+")
        star = word.endswith("*")
        pieces.extend(re.escape(character) for character in word.rstrip("*"))
        if star:
            pieces.append(r"\w*")
    return pieces


def _trie(patterns: Iterable[str]) -> str:
    root: dict[str, Any] = {}
    for pattern in patterns:
        node = root
        for piece in _units(pattern):
            node = node.setdefault(piece, {})
        node[""] = {}  # a pattern ends here

    def emit(node: dict[str, Any]) -> str:
        branches = [piece + emit(child) for piece, child in sorted(node.items()) if piece]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" not in node:
            return body
        # Greedy: the longer keyword is tried first, the shorter one when the longer does not fit.
        return f"(?:{body})?"

    return emit(root)


def _alternation(patterns: Sequence[str]) -> str:
    literal = [pattern for pattern in patterns if not pattern.startswith("re:")]
    regular = [f"(?:{pattern[3:]})" for pattern in patterns if pattern.startswith("re:")]
    parts = ([_trie(literal)] if literal else []) + regular
    return "|".join(parts)


def _compile(patterns: Sequence[str]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + _alternation(patterns) + r")(?!\w)")


class KeywordMatcher:
    """Keyword patterns, by group (a health-care resource), compiled once; `find` returns the keywords found
    in a text as (group, keyword as written in the text, lower-cased), each once, in the order found."""

    def __init__(self, groups: Mapping[str, Sequence[str]], ignore: Sequence[str] = ()) -> None:
        self.groups = {name: list(patterns) for name, patterns in groups.items() if patterns}
        self._all = _compile([pattern for patterns in self.groups.values() for pattern in patterns])
        self._single = len(self.groups) == 1
        self._by_group = {name: _compile(patterns) for name, patterns in self.groups.items()}
        self._ignore = _compile(ignore) if ignore else None

    def find(self, value: str) -> list[tuple[str, str]]:
        if not value:
            return []
        lowered = value.lower()
        if self._all.search(lowered) is None:
            return []
        if self._ignore is not None:
            lowered = self._ignore.sub(" ", lowered)
        found: dict[str, str] = {}
        for match in self._all.finditer(lowered):
            word = " ".join(match.group().split())
            if word not in found:
                found[word] = self._group_of(word)
        return [(group, word) for word, group in found.items()]

    def _group_of(self, word: str) -> str:
        if self._single:
            return next(iter(self.groups))
        for name, expression in self._by_group.items():
            if expression.fullmatch(word):
                return name
        # A regular expression may match across groups' boundaries; the first group that has one claims it.
        return next(iter(self.groups))


def check_patterns(value: Any, where: str, problems: list[str], *, required: bool) -> list[str]:
    """The patterns of a list, with a problem for each one that is not a usable pattern."""
    if value is None and not required:
        return []
    if not isinstance(value, list) or (required and not value):
        problems.append(f"{where}: expected a list of patterns")
        return []
    patterns = []
    for index, pattern in enumerate(value):
        here = f"{where}[{index}]"
        if not isinstance(pattern, str) or not pattern.strip():
            problems.append(f"{here}: expected non-empty text")
            continue
        if pattern.startswith("re:"):
            try:
                re.compile(pattern[3:])
            except re.error as error:
                problems.append(f"{here}: not a regular expression ({error})")
                continue
        elif any("*" in word[:-1] or word == "*" for word in pattern.split()):
            problems.append(f"{here}: `*` may only end a word")
            continue
        patterns.append(pattern)
    return patterns


@dataclass(frozen=True)
class HealthMatch:
    related: bool
    matched: str = ""  # e.g. "notes: hospital, nurses; assoc_actor_1: Health Workers (Mali)"
    resources: list[str] = field(default_factory=list)


NOT_RELATED = HealthMatch(False)


def describe_matches(found: dict[str, list[str]]) -> str:
    matched = "; ".join(f"{column}: {', '.join(words)}" for column, words in found.items())
    return matched if len(matched) <= MATCH_LENGTH else matched[: MATCH_LENGTH - 1] + "…"


@functools.cache
def awsd_matcher(version: int) -> KeywordMatcher:
    """The AWSD keywords of the crosswalks (`version` keys the cache to the file that was read)."""
    rule = crosswalks().health_keywords["awsd"]
    return KeywordMatcher({Resource.PERSONNEL.value: rule.keywords}, rule.ignore)


@dataclass(frozen=True)
class AcledHealthRule:
    """A validated ACLED health rule (the shape is described in sources/acled_health_rule.yaml)."""

    path: str
    text: str
    version: int
    name: str
    keywords: KeywordMatcher
    actors: KeywordMatcher | None
    actor_columns: tuple[str, ...]
    include: frozenset[str]  # normalised event, sub-event or disorder types; empty: every type
    exclude: frozenset[str]

    @functools.cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def stored(self) -> dict[str, Any]:
        """The rule as applied, for Release.options["health_rule"]."""
        return {
            "file": self.path,
            "default": self.path == str(DEFAULT_RULE_PATH),
            "version": self.version,
            "name": self.name,
            "sha256": self.sha256,
            "contents": self.text,
        }

    def applies_to(self, event_types: Iterable[str]) -> bool:
        """Whether events of these types (event type, sub-event type, disorder type; normalised) can be about
        health care at all."""
        names = set(event_types)
        if self.include and not names & self.include:
            return False
        return not names & self.exclude

    def match(self, notes_header: str, notes: str, actors: Iterable[tuple[str, str]]) -> HealthMatch:
        """`actors`: (column header, cell) of the actor columns the rule reads."""
        found: dict[str, list[str]] = {}
        resources: set[str] = set()
        for resource, word in self.keywords.find(notes):
            resources.add(resource)
            found.setdefault(notes_header, []).append(word)
        if self.actors is not None:
            for header, value in actors:
                if value and self.actors.find(value):
                    resources.add(Resource.PERSONNEL.value)
                    # ACLED joins several associated actors with "; ": name the one that matched.
                    names = [name.strip() for name in value.split(";") if self.actors.find(name)]
                    found.setdefault(header, []).extend(names or [value.strip()])
        if not found:
            return NOT_RELATED
        return HealthMatch(True, describe_matches(found), [r for r in RESOURCES if r in resources])


def _positions(node: yaml.Node, path: str = "", lines: dict[str, int] | None = None) -> dict[str, int]:
    """The line of every key and list item of a YAML document, by key path (`keywords.facility[2]`)."""
    lines = {} if lines is None else lines
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = f"{path}.{key.value}" if path else str(key.value)
            lines[name] = key.start_mark.line + 1
            _positions(value, name, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            name = f"{path}[{index}]"
            lines[name] = item.start_mark.line + 1
            _positions(item, name, lines)
    return lines


def _known_event_names() -> set[str]:
    codes = crosswalks().acled
    names = {normalise(name) for name in codes.event_types}
    names |= {normalise(sub) for subs in codes.event_types.values() for sub in subs}
    names |= {normalise(value) for value in codes.disorder_types.labels}
    names |= {normalise(canonical) for _label, canonical in codes.disorder_types.entries.values()}
    return names


def _validate(data: Any) -> tuple[list[str], dict[str, Any]]:
    """(problems as 'key: problem', the parts of a sound rule)."""
    problems: list[str] = []
    if not isinstance(data, dict):
        return ["(file): expected a mapping with version, keywords and the other keys of a health rule"], {}
    for key in sorted(set(data) - RULE_KEYS, key=str):
        problems.append(f"{key}: not a key of a health rule (known: {', '.join(sorted(RULE_KEYS))})")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append("version: expected a whole number of 1 or more")
    for key in ("name", "description"):
        if key in data and not isinstance(data[key], str):
            problems.append(f"{key}: expected text")
    groups: dict[str, list[str]] = {}
    keywords = data.get("keywords")
    if not isinstance(keywords, dict) or not keywords:
        problems.append(f"keywords: expected a mapping of resource ({', '.join(RESOURCES)}) to patterns")
    else:
        for resource, patterns in keywords.items():
            if resource not in RESOURCES:
                problems.append(f"keywords.{resource}: not a resource (known: {', '.join(RESOURCES)})")
            groups[str(resource)] = check_patterns(patterns, f"keywords.{resource}", problems, required=True)
    ignore = check_patterns(data.get("ignore"), "ignore", problems, required=False)
    actors = data.get("actors")
    actor_patterns: list[str] = []
    columns: list[str] = list(ACTOR_COLUMNS)
    if actors is None:
        pass
    elif not isinstance(actors, dict) or set(actors) - {"columns", "patterns"}:
        problems.append("actors: expected a mapping with columns and patterns")
    else:
        actor_patterns = check_patterns(actors.get("patterns"), "actors.patterns", problems, required=True)
        given = actors.get("columns", columns)
        if not isinstance(given, list) or not given:
            problems.append(f"actors.columns: expected a list of {', '.join(ACTOR_COLUMNS)}")
        else:
            for index, column in enumerate(given):
                if column not in ACTOR_COLUMNS:
                    problems.append(
                        f"actors.columns[{index}]: {column!r} is not one of {', '.join(ACTOR_COLUMNS)}"
                    )
            columns = [column for column in given if column in ACTOR_COLUMNS]
    events = data.get("events") or {}
    chosen: dict[str, frozenset[str]] = {"include": frozenset(), "exclude": frozenset()}
    if not isinstance(events, dict) or set(events) - set(chosen):
        problems.append("events: expected a mapping with include and/or exclude")
    else:
        known = _known_event_names()
        for key in chosen:
            names = events.get(key) or []
            if not isinstance(names, list):
                problems.append(f"events.{key}: expected a list of event, sub-event or disorder types")
                continue
            for index, name in enumerate(names):
                if not isinstance(name, str) or normalise(name) not in known:
                    problems.append(
                        f"events.{key}[{index}]: {name!r} is not an ACLED event, sub-event or disorder type "
                        "(sources/crosswalks.yaml, acled.event_types and acled.disorder_types)"
                    )
            chosen[key] = frozenset(normalise(name) for name in names if isinstance(name, str))
    parts = {
        "groups": groups,
        "ignore": ignore,
        "actor_patterns": actor_patterns,
        "columns": tuple(columns),
        **chosen,
    }
    return problems, parts


def parse_rule(text: str, path: str) -> AcledHealthRule:
    """The rule in `text` (the contents of the file at `path`), or RuleProblem with every problem found."""
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise RuleProblem(f"{path}{line}: not valid YAML ({error.problem or error})") from None
    except yaml.YAMLError as error:
        raise RuleProblem(f"{path}: not valid YAML ({error})") from None
    problems, parts = _validate(data)
    if not problems:
        try:
            keywords = KeywordMatcher(parts["groups"], parts["ignore"])
            actors = (
                KeywordMatcher({"personnel": parts["actor_patterns"]}) if parts["actor_patterns"] else None
            )
        except re.error as error:
            problems.append(f"keywords: the patterns do not combine into one expression ({error})")
    if problems:
        lines = _positions(node) if node is not None else {}
        located = []
        for problem in problems:
            key = problem.split(":", 1)[0]
            number = lines.get(key) or lines.get(key.split("[", 1)[0]) or lines.get(key.split(".", 1)[0])
            located.append(f"{path}:{number}: {problem}" if number else f"{path}: {problem}")
        raise RuleProblem("; ".join(located))
    return AcledHealthRule(
        path=path,
        text=text,
        version=data["version"],
        name=str(data.get("name") or ""),
        keywords=keywords,
        actors=actors,
        actor_columns=parts["columns"],
        include=parts["include"],
        exclude=parts["exclude"],
    )


def load_rule(path: Path) -> AcledHealthRule:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RuleProblem(f"{path}: no such health rule file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RuleProblem(f"{path}: cannot be read ({error})") from None
    return parse_rule(text, str(path))


@functools.cache
def default_rule() -> AcledHealthRule:
    return load_rule(DEFAULT_RULE_PATH)


def rule_from_options(options: Mapping[str, Any]) -> AcledHealthRule:
    """The rule an importer's options name (`{"health_rule": path}`), or the default rule. Raises RuleProblem
    for an option that is not a path, or a rule file that cannot be used."""
    given = options.get(OPTION)
    if given is None:
        return default_rule()
    if not isinstance(given, str | Path) or not str(given).strip():
        raise RuleProblem(f"the {OPTION} option must be the path of a YAML rule file, not {given!r}")
    return load_rule(Path(given))
