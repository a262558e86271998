"""Reading and validating the rule files under guidance/rules/.

The files (all UTF-8 YAML; every human text a mapping {nl, en}, both required and non-empty; codes are
lowercase snake_case):

    framework.yaml     version (quoted), released (date), facts (fact -> codes), multi (facts taking several)
    sources.yaml       - id, title, url and/or citation, section
    partners.yaml      - id, name, help, contact {phone, url, email: at least one}, source
    steps/*.yaml       - id, order, urgency (now | today | this_week), title, what, why,
                         basis [- claim, source], partners [ids], when {fact: [codes]}, unless {...}, excludes [ids]
    boundaries.yaml    - kind (one entry per kind code), acceptable [texts], not_acceptable [texts], source

The facts kind, channel, perpetrator, in_care, profession and sector must have exactly the codes of
meldpunt.vocabulary, so that a plan's answers can prefill the report form.

`validate(path)` returns every problem it finds, each with the file (relative to the rules directory) and the
line, and never raises for bad content. `load(path)` returns the RuleSet, or raises RuleSetError carrying the
problems. Both read the YAML with a safe loader that keeps line numbers and that, unlike YAML 1.1, reads only
true/false as booleans: `yes`, `no`, `on` and `off` stay strings (in_care is answered `yes` or `no`).
A problem in one entry is reported once: an entry with problems is left out of the rule set, but references
to its id are not reported as unknown again.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Container, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import yaml
from yaml.nodes import MappingNode, SequenceNode

from guidance.ruleset import (
    URGENCIES,
    Basis,
    Boundary,
    Condition,
    Contact,
    Fact,
    Framework,
    Partner,
    RuleSet,
    Source,
    Step,
    Text,
)

RULES_DIR = Path(__file__).resolve().parent / "rules"

CODE = re.compile(r"^[a-z][a-z0-9_]*$")
URL = re.compile(r"^https?://\S+$")

# The facts whose codes must be exactly those of the report form's vocabulary (meldpunt.vocabulary), so a
# plan's answers can prefill a report.
VOCABULARY_FACTS: dict[str, str] = {
    "kind": "Kind",
    "channel": "Channel",
    "perpetrator": "Perpetrator",
    "in_care": "InCare",
    "profession": "Profession",
    "sector": "Sector",
}


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the rule files: `file` is relative to the rules directory, `line` starts at 1."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class RuleSetError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "\n".join(str(problem) for problem in problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s) in the guidance rule files:\n{shown}{more}")


# ---------------------------------------------------------------------------------------------------------
# YAML with line numbers


class Map(dict[Any, Any]):
    """A YAML mapping that knows the line of itself, of each key and of each value."""

    line: int
    key_lines: dict[Any, int]
    value_lines: dict[Any, int]

    def key_line(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)

    def value_line(self, key: Any) -> int:
        return self.value_lines.get(key, self.line)


class Seq(list[Any]):
    """A YAML sequence that knows the line of itself and of each item."""

    line: int
    item_lines: list[int]

    def item_line(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class _LineLoader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[tuple[int, Any]] = []


# YAML 1.2 booleans only: drop the YAML 1.1 resolver (yes/no/on/off) and add one for true/false.
_BOOL_TAG = "tag:yaml.org,2002:bool"
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_LineLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_map(loader: _LineLoader, node: MappingNode) -> Iterator[Map]:
    data = Map()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    data.value_lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                "found an unhashable key",
                key_node.start_mark,
            ) from None
        if key in data:
            loader.duplicate_keys.append((key_node.start_mark.line + 1, key))
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = key_node.start_mark.line + 1
        data.value_lines[key] = value_node.start_mark.line + 1


def _construct_seq(loader: _LineLoader, node: SequenceNode) -> Iterator[Seq]:
    data = Seq()
    data.line = node.start_mark.line + 1
    data.item_lines = [child.start_mark.line + 1 for child in node.value]
    yield data
    data.extend(loader.construct_object(child, deep=True) for child in node.value)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


# ---------------------------------------------------------------------------------------------------------
# Checking


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (Map, dict)):
        return "a mapping"
    if isinstance(value, (Seq, list)):
        return "a list"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, datetime.date):
        return f"a date ({value})"
    return f"{type(value).__name__}"


class _Checker:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []

    def problem(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, message))

    # --- reading files ---

    def read(self, relative: str) -> Any:
        """The YAML document in `relative`, or None (with a problem) when it is missing or not YAML."""
        path = self.root / relative
        if not path.is_file():
            self.problem(relative, 1, "file is missing")
            return None
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            self.problem(relative, 1, f"not UTF-8: {error.reason} at byte {error.start}")
            return None
        return self.parse(relative, text)

    def parse(self, relative: str, text: str) -> Any:
        """The YAML document `text` (problems reported against `relative`), or None when it is not YAML."""
        loader = _LineLoader(text)
        try:
            data = loader.get_single_data()
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = mark.line + 1 if mark is not None else 1
            detail = " ".join(part for part in (error.context, error.problem) if part)
            self.problem(relative, line, f"YAML syntax error: {detail}")
            return None
        except yaml.YAMLError as error:
            self.problem(relative, 1, f"YAML syntax error: {error}")
            return None
        finally:
            loader.dispose()
        for line, key in loader.duplicate_keys:
            self.problem(relative, line, f"duplicate key {key!r} (the later value wins in YAML; remove one)")
        if data is None:
            self.problem(relative, 1, "file is empty")
        return data

    # --- generic shape checks ---

    def keys(
        self, file: str, data: Map, what: str, required: tuple[str, ...], optional: tuple[str, ...]
    ) -> None:
        for key in data:
            if key not in required and key not in optional:
                allowed = ", ".join((*required, *optional))
                self.problem(file, data.key_line(key), f"{what}: unknown key {key!r} (allowed: {allowed})")
        for key in required:
            if key not in data:
                self.problem(file, data.line, f"{what}: missing required key {key!r}")

    def mapping(self, file: str, value: Any, line: int, what: str) -> Map | None:
        if isinstance(value, Map):
            return value
        self.problem(file, line, f"{what} must be a mapping, not {_describe(value)}")
        return None

    def sequence(self, file: str, value: Any, line: int, what: str) -> Seq | None:
        if isinstance(value, Seq):
            return value
        self.problem(file, line, f"{what} must be a list, not {_describe(value)}")
        return None

    def string(self, file: str, data: Map, key: str, what: str, *, required: bool = True) -> str | None:
        value = data.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str):
            if key in data:
                hint = " (quote it)" if isinstance(value, (int, float, datetime.date)) else ""
                self.problem(
                    file, data.value_line(key), f"{what}: {key} must be text, not {_describe(value)}{hint}"
                )
            return None
        if not value.strip():
            self.problem(file, data.value_line(key), f"{what}: {key} is empty")
            return None
        return value.strip()

    def code(self, file: str, data: Map, key: str, what: str) -> str | None:
        value = self.string(file, data, key, what)
        if value is not None and not CODE.match(value):
            self.problem(
                file, data.value_line(key), f"{what}: {key} {value!r} is not a lowercase snake_case code"
            )
            return None
        return value

    def text(self, file: str, value: Any, line: int, what: str) -> Text | None:
        """A {nl, en} text; a missing or empty language is reported as a missing translation."""
        data = self.mapping(file, value, line, f"{what} (a text {{nl, en}})")
        if data is None:
            return None
        self.keys(file, data, what, (), ("nl", "en"))
        texts: dict[str, str] = {}
        for language in ("nl", "en"):
            text = data.get(language)
            if isinstance(text, str) and text.strip():
                texts[language] = text.strip()
            elif language in data and text is not None and not isinstance(text, str):
                self.problem(
                    file, data.value_line(language), f"{what}.{language} must be text, not {_describe(text)}"
                )
            else:
                self.problem(
                    file,
                    data.value_line(language),
                    f"missing translation: {what}.{language} is missing or empty",
                )
        if len(texts) < 2:
            return None
        return Text(nl=texts["nl"], en=texts["en"])

    def text_field(self, file: str, data: Map, key: str, what: str) -> Text | None:
        if key not in data:
            return None  # reported by keys()
        return self.text(file, data[key], data.value_line(key), f"{what} {key}")

    def items(self, file: str, data: Any, what: str) -> Iterator[tuple[Map, str]]:
        """The mappings of a top-level list, each with a description ("step 'call_112'" or "step #3")."""
        top = self.sequence(file, data, getattr(data, "line", 1), f"the content of {file}")
        if top is None:
            return
        for index, item in enumerate(top):
            entry = self.mapping(file, item, top.item_line(index), f"{what} #{index + 1}")
            if entry is None:
                continue
            key = "kind" if what == "boundary" else "id"
            name = entry.get(key)
            yield entry, (f"{what} {name!r}" if isinstance(name, str) else f"{what} #{index + 1}")


# ---------------------------------------------------------------------------------------------------------
# The files


class RuleReader(_Checker):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.framework: Framework | None = None
        self.sources: dict[str, Source] = {}
        self.partners: dict[str, Partner] = {}
        self.steps: dict[str, Step] = {}
        self.boundaries: dict[str, Boundary] = {}
        # Every id seen, also of entries with problems: references to them are not reported again.
        # (id -> file and line where it first appeared)
        self.source_ids: dict[str, tuple[str, int]] = {}
        self.partner_ids: dict[str, tuple[str, int]] = {}
        self.step_ids: dict[str, tuple[str, int]] = {}
        # Checked once every step is read: (file, line, step id, excluded id).
        self.excludes: list[tuple[str, int, str, str]] = []

    @classmethod
    def on_top_of(cls, rules: RuleSet) -> Self:
        """A reader that already knows everything in `rules`: for reading more steps against them.

        Profession overlays (guidance/overlay_content.py) read their added steps with it, so that an added
        step is checked exactly like a step in the rule files, and its references resolve to the rules'
        facts, sources, partners and steps.
        """
        reader = cls(RULES_DIR)
        reader.framework = rules.framework
        reader.sources = dict(rules.source_map)
        reader.partners = dict(rules.partner_map)
        reader.steps = dict(rules.step_map)
        reader.boundaries = dict(rules.boundary_map)
        reader.source_ids = {source.id: (source.file, source.line) for source in rules.sources}
        reader.partner_ids = {partner.id: (partner.file, partner.line) for partner in rules.partners}
        reader.step_ids = {step.id: (step.file, step.line) for step in rules.steps}
        return reader

    def run(self) -> RuleSet | None:
        self.read_framework()
        self.read_sources()
        self.read_partners()
        self.read_steps()
        self.read_boundaries()
        self.check_excludes()
        # Only on otherwise sound files: a step left out for another problem would make this a false alarm.
        if (
            not self.problems
            and self.steps
            and not any(not step.when and not step.unless for step in self.steps.values())
        ):
            self.problem(
                "steps",
                1,
                "no step applies to every incident (no step without when/unless): a plan could be empty",
            )
        if self.problems or self.framework is None:
            return None
        steps = tuple(sorted(self.steps.values(), key=lambda step: step.sort_key))
        return RuleSet(
            framework=self.framework,
            sources=tuple(self.sources.values()),
            partners=tuple(self.partners.values()),
            steps=steps,
            boundaries=tuple(self.boundaries.values()),
        )

    def first(
        self, seen: dict[str, tuple[str, int]], kind: str, key: str | None, file: str, entry: Map
    ) -> bool:
        """Records where id `key` first appeared; False (with a problem) for a duplicate or a missing id."""
        if key is None:
            return False
        if key in seen:
            first_file, first_line = seen[key]
            where = f"line {first_line}" if first_file == file else f"{first_file} line {first_line}"
            self.problem(file, entry.value_line("id"), f"duplicate {kind} id {key!r} (first at {where})")
            return False
        seen[key] = (file, entry.line)
        return True

    # --- framework.yaml ---

    def read_framework(self) -> None:
        file = "framework.yaml"
        data = self.read(file)
        if data is None:
            return
        top = self.mapping(file, data, getattr(data, "line", 1), "framework.yaml")
        if top is None:
            return
        self.keys(file, top, "framework", ("version", "released", "facts", "multi"), ())
        version = self.string(file, top, "version", "framework")
        released = top.get("released")
        if isinstance(released, str):
            try:
                released = datetime.date.fromisoformat(released.strip())
            except ValueError:
                released = None
        if "released" in top and not isinstance(released, datetime.date):
            self.problem(file, top.value_line("released"), "framework: released must be a date (YYYY-MM-DD)")
        facts: dict[str, tuple[str, ...]] = {}
        fact_lines: dict[str, int] = {}
        raw_facts = top.get("facts")
        if "facts" in top:
            facts_map = self.mapping(file, raw_facts, top.value_line("facts"), "framework: facts")
            for name, codes in (facts_map or {}).items():
                assert facts_map is not None
                line = facts_map.key_line(name)
                if not isinstance(name, str) or not CODE.match(name):
                    self.problem(
                        file, line, f"framework: fact name {name!r} is not a lowercase snake_case code"
                    )
                    continue
                codes_seq = self.sequence(
                    file, codes, facts_map.value_line(name), f"framework: fact {name!r}"
                )
                if codes_seq is None:
                    continue
                seen: list[str] = []
                for index, code in enumerate(codes_seq):
                    code_line = codes_seq.item_line(index)
                    if not isinstance(code, str) or not CODE.match(code):
                        self.problem(
                            file,
                            code_line,
                            f"framework: fact {name!r}: {code!r} is not a lowercase snake_case code",
                        )
                    elif code in seen:
                        self.problem(file, code_line, f"framework: fact {name!r}: duplicate code {code!r}")
                    else:
                        seen.append(code)
                if not seen:
                    self.problem(file, facts_map.value_line(name), f"framework: fact {name!r} has no codes")
                facts[name] = tuple(seen)
                fact_lines[name] = line
            self.check_vocabulary(file, facts, fact_lines, top.key_line("facts"))
        multi: list[str] = []
        if "multi" in top:
            multi_seq = self.sequence(file, top["multi"], top.value_line("multi"), "framework: multi")
            for index, name in enumerate(multi_seq or []):
                assert multi_seq is not None
                if name not in facts:
                    self.problem(
                        file, multi_seq.item_line(index), f"framework: multi names unknown fact {name!r}"
                    )
                else:
                    multi.append(name)
        if version is None or not isinstance(released, datetime.date) or not facts:
            return
        self.framework = Framework(
            version=version,
            released=released,
            facts=tuple(Fact(name, codes, name in multi) for name, codes in facts.items()),
            file=file,
            line=top.line,
        )

    def check_vocabulary(
        self, file: str, facts: dict[str, tuple[str, ...]], lines: dict[str, int], facts_line: int
    ) -> None:
        from meldpunt import vocabulary

        for fact, class_name in VOCABULARY_FACTS.items():
            expected = [str(value) for value in getattr(vocabulary, class_name).values]
            if fact not in facts:
                self.problem(
                    file,
                    facts_line,
                    f"framework: fact {fact!r} is missing (codes of meldpunt.vocabulary.{class_name})",
                )
                continue
            missing = [code for code in expected if code not in facts[fact]]
            extra = [code for code in facts[fact] if code not in expected]
            if missing or extra:
                parts = []
                if missing:
                    parts.append(f"missing {', '.join(missing)}")
                if extra:
                    parts.append(f"not in the vocabulary: {', '.join(extra)}")
                self.problem(
                    file,
                    lines[fact],
                    f"framework: fact {fact!r} disagrees with meldpunt.vocabulary.{class_name}: {'; '.join(parts)}",
                )

    # --- sources.yaml ---

    def read_sources(self) -> None:
        file = "sources.yaml"
        data = self.read(file)
        if data is None:
            return
        for entry, what in self.items(file, data, "source"):
            self.keys(file, entry, what, ("id", "title"), ("url", "citation", "section"))
            source_id = self.code(file, entry, "id", what)
            if not self.first(self.source_ids, "source", source_id, file, entry):
                source_id = None
            title = self.string(file, entry, "title", what)
            url = self.string(file, entry, "url", what, required=False)
            citation = self.string(file, entry, "citation", what, required=False)
            section = self.string(file, entry, "section", what, required=False)
            if url is not None and not URL.match(url):
                self.problem(file, entry.value_line("url"), f"{what}: url {url!r} is not an http(s) address")
            if url is None and citation is None:
                self.problem(file, entry.line, f"{what}: needs a url or a citation")
            if source_id is None or title is None:
                continue
            self.sources[source_id] = Source(
                source_id, title, url, citation, section, file=file, line=entry.line
            )

    def source_ref(self, file: str, data: Map, key: str, what: str, *, required: bool) -> str | None:
        value = self.string(file, data, key, what, required=required)
        if value is not None and value not in self.source_ids:
            self.problem(file, data.value_line(key), f"{what}: unknown source {value!r}")
        return value

    # --- partners.yaml ---

    def read_partners(self) -> None:
        file = "partners.yaml"
        data = self.read(file)
        if data is None:
            return
        for entry, what in self.items(file, data, "partner"):
            self.keys(file, entry, what, ("id", "name", "help", "contact", "source"), ())
            partner_id = self.code(file, entry, "id", what)
            if not self.first(self.partner_ids, "partner", partner_id, file, entry):
                partner_id = None
            name = self.text_field(file, entry, "name", what)
            help_text = self.text_field(file, entry, "help", what)
            source = self.source_ref(file, entry, "source", what, required=True)
            contact = Contact()
            if "contact" in entry:
                contact_map = self.mapping(
                    file, entry["contact"], entry.value_line("contact"), f"{what} contact"
                )
                if contact_map is not None:
                    self.keys(file, contact_map, f"{what} contact", (), ("phone", "url", "email"))
                    contact = Contact(
                        phone=self.string(file, contact_map, "phone", f"{what} contact", required=False),
                        url=self.string(file, contact_map, "url", f"{what} contact", required=False),
                        email=self.string(file, contact_map, "email", f"{what} contact", required=False),
                    )
                    if contact.url is not None and not URL.match(contact.url):
                        self.problem(
                            file,
                            contact_map.value_line("url"),
                            f"{what}: url {contact.url!r} is not an http(s) address",
                        )
                    if contact.email is not None and "@" not in contact.email:
                        self.problem(
                            file,
                            contact_map.value_line("email"),
                            f"{what}: email {contact.email!r} is not an address",
                        )
                if not contact:
                    self.problem(
                        file, entry.key_line("contact"), f"{what} has no contact (a phone, url or email)"
                    )
            if partner_id is None or name is None or help_text is None:
                continue
            self.partners[partner_id] = Partner(
                partner_id, name, help_text, contact, source, file=file, line=entry.line
            )

    # --- steps/*.yaml ---

    def read_steps(self) -> None:
        folder = self.root / "steps"
        files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
        for stray in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
            self.problem(f"steps/{stray.name}", 1, "not read: step files end in .yaml")
        if not files:
            self.problem("steps", 1, "no step files (steps/*.yaml)")
            return
        for path in files:
            file = f"steps/{path.name}"
            data = self.read(file)
            if data is None:
                continue
            for entry, what in self.items(file, data, "step"):
                self.read_step(file, path.stem, entry, what)

    def read_step(self, file: str, theme: str, entry: Map, what: str) -> None:
        self.keys(
            file,
            entry,
            what,
            ("id", "order", "urgency", "title", "what", "why", "basis"),
            ("partners", "when", "unless", "excludes"),
        )
        step_id = self.code(file, entry, "id", what)
        if not self.first(self.step_ids, "step", step_id, file, entry):
            step_id = None
        order = entry.get("order")
        if "order" in entry and (isinstance(order, bool) or not isinstance(order, int)):
            self.problem(
                file,
                entry.value_line("order"),
                f"{what}: order must be a whole number, not {_describe(order)}",
            )
            order = None
        urgency = entry.get("urgency")
        if "urgency" in entry and urgency not in URGENCIES:
            self.problem(
                file,
                entry.value_line("urgency"),
                f"{what}: urgency {urgency!r} is not one of {', '.join(URGENCIES)}",
            )
            urgency = None
        title = self.text_field(file, entry, "title", what)
        what_text = self.text_field(file, entry, "what", what)
        why = self.text_field(file, entry, "why", what)
        basis = self.read_basis(file, entry, what)
        partners = self.read_ids(file, entry, "partners", what, self.partner_ids, "partner")
        when = self.read_conditions(file, entry, "when", what)
        unless = self.read_conditions(file, entry, "unless", what)
        excludes: list[str] = []
        if "excludes" in entry:
            seq = self.sequence(file, entry["excludes"], entry.value_line("excludes"), f"{what} excludes")
            for index, target in enumerate(seq or []):
                assert seq is not None
                if not isinstance(target, str):
                    self.problem(file, seq.item_line(index), f"{what} excludes: {target!r} is not a step id")
                elif step_id is not None:
                    self.excludes.append((file, seq.item_line(index), step_id, target))
                    excludes.append(target)
        if (
            step_id is None
            or order is None
            or urgency is None
            or title is None
            or what_text is None
            or why is None
            or basis is None
            or partners is None
            or when is None
            or unless is None
        ):
            return
        self.steps[step_id] = Step(
            id=step_id,
            order=order,
            urgency=urgency,
            title=title,
            what=what_text,
            why=why,
            basis=basis,
            partners=partners,
            when=when,
            unless=unless,
            excludes=frozenset(excludes),
            theme=theme,
            file=file,
            line=entry.line,
        )

    def read_basis(self, file: str, entry: Map, what: str) -> tuple[Basis, ...] | None:
        if "basis" not in entry:
            return None
        seq = self.sequence(file, entry["basis"], entry.value_line("basis"), f"{what} basis")
        if seq is None:
            return None
        if not seq:
            self.problem(
                file, entry.value_line("basis"), f"{what}: basis is empty (every step needs a sourced basis)"
            )
            return None
        claims: list[Basis] = []
        ok = True
        for index, item in enumerate(seq):
            label = f"{what} basis #{index + 1}"
            claim_map = self.mapping(file, item, seq.item_line(index), label)
            if claim_map is None:
                ok = False
                continue
            self.keys(file, claim_map, label, ("claim", "source"), ())
            claim = self.text_field(file, claim_map, "claim", label)
            source = self.source_ref(file, claim_map, "source", label, required=True)
            if claim is None or source is None:
                ok = False
                continue
            claims.append(Basis(claim, source))
        return tuple(claims) if ok else None

    def read_ids(
        self, file: str, entry: Map, key: str, what: str, known: Container[str], kind: str
    ) -> tuple[str, ...] | None:
        if key not in entry or entry[key] is None:
            return ()
        seq = self.sequence(file, entry[key], entry.value_line(key), f"{what} {key}")
        if seq is None:
            return None
        ids: list[str] = []
        for index, value in enumerate(seq):
            line = seq.item_line(index)
            if not isinstance(value, str) or value not in known:
                self.problem(file, line, f"{what}: unknown {kind} {value!r}")
            elif value in ids:
                self.problem(file, line, f"{what}: {kind} {value!r} listed twice")
            else:
                ids.append(value)
        return tuple(ids)

    def read_conditions(self, file: str, entry: Map, key: str, what: str) -> tuple[Condition, ...] | None:
        if key not in entry:
            return ()
        label = f"{what} {key}"
        conditions_map = self.mapping(file, entry[key], entry.value_line(key), label)
        if conditions_map is None:
            return None
        if not conditions_map:
            self.problem(file, entry.value_line(key), f"{label} is empty (leave it out instead)")
            return None
        facts = self.framework.fact_map if self.framework is not None else None
        conditions: list[Condition] = []
        for fact, codes in conditions_map.items():
            fact_line = conditions_map.key_line(fact)
            known = facts.get(fact) if facts is not None else None
            if facts is not None and known is None:
                self.problem(file, fact_line, f"{label}: unknown fact {fact!r}")
                continue
            seq = self.sequence(file, codes, conditions_map.value_line(fact), f"{label} {fact}")
            if seq is None:
                continue
            if not seq:
                self.problem(
                    file, conditions_map.value_line(fact), f"{label} {fact}: no codes (it could never match)"
                )
                continue
            for index, code in enumerate(seq):
                if known is not None and code not in known.codes:
                    self.problem(
                        file, seq.item_line(index), f"{label}: unknown code {code!r} for fact {fact!r}"
                    )
            conditions.append(Condition(str(fact), frozenset(str(code) for code in seq)))
        return tuple(conditions)

    def check_excludes(self) -> None:
        for file, line, step_id, target in self.excludes:
            if target == step_id:
                self.problem(file, line, f"step {step_id!r} excludes itself")
            elif target not in self.step_ids:
                self.problem(file, line, f"step {step_id!r} excludes unknown step {target!r}")

    # --- boundaries.yaml ---

    def read_boundaries(self) -> None:
        file = "boundaries.yaml"
        data = self.read(file)
        if data is None:
            return
        kinds = self.framework.fact_map.get("kind") if self.framework is not None else None
        top_line = getattr(data, "line", 1)
        for entry, what in self.items(file, data, "boundary"):
            self.keys(file, entry, what, ("kind", "acceptable", "not_acceptable"), ("source",))
            kind = self.code(file, entry, "kind", what)
            if kind is not None and kinds is not None and kind not in kinds.codes:
                self.problem(file, entry.value_line("kind"), f"{what}: unknown kind {kind!r}")
                kind = None
            lists: dict[str, tuple[Text, ...] | None] = {}
            for key in ("acceptable", "not_acceptable"):
                if key not in entry:
                    lists[key] = None
                    continue
                seq = self.sequence(file, entry[key], entry.value_line(key), f"{what} {key}")
                texts = (
                    [
                        self.text(file, item, seq.item_line(index), f"{what} {key} #{index + 1}")
                        for index, item in enumerate(seq or [])
                    ]
                    if seq is not None
                    else [None]
                )
                lists[key] = (
                    None if any(text is None for text in texts) else tuple(t for t in texts if t is not None)
                )
            acceptable, not_acceptable = lists["acceptable"], lists["not_acceptable"]
            if (
                acceptable is not None
                and not_acceptable is not None
                and not acceptable
                and not not_acceptable
            ):
                self.problem(file, entry.line, f"{what}: both lists are empty")
            source = self.source_ref(file, entry, "source", what, required=False)
            if kind is None or acceptable is None or not_acceptable is None:
                continue
            if kind in self.boundaries:
                first = self.boundaries[kind]
                self.problem(
                    file,
                    entry.value_line("kind"),
                    f"duplicate boundary for kind {kind!r} (first at line {first.line})",
                )
                continue
            self.boundaries[kind] = Boundary(
                kind, acceptable, not_acceptable, source, file=file, line=entry.line
            )
        if kinds is not None and isinstance(data, Seq):
            # Only kinds whose entry failed to read for no other reason are reported here.
            named = {entry.get("kind") for entry in data if isinstance(entry, Map)}
            for kind in kinds.codes:
                if kind not in named:
                    self.problem(file, top_line, f"no boundary for kind {kind!r}")


def validate(path: str | Path | None = None) -> list[Problem]:
    """Every problem in the rule files under `path` (default: guidance/rules/), sorted by file and line."""
    reader = RuleReader(Path(path) if path is not None else RULES_DIR)
    reader.run()
    return sorted(set(reader.problems))


def load(path: str | Path | None = None) -> RuleSet:
    """The rule set under `path` (default: guidance/rules/); RuleSetError when the files have problems."""
    reader = RuleReader(Path(path) if path is not None else RULES_DIR)
    rules = reader.run()
    if rules is None:
        raise RuleSetError(sorted(set(reader.problems)))
    return rules
