"""The rule set as frozen dataclasses: what guidance/loader.py builds from the YAML files.

Every object remembers the file (relative to the rules directory) and line it came from, so the validator,
overlays and the web pages can point at the rule that produced a step. Those positions take no part in
equality: two rule sets with the same content compare equal wherever their rules were written.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

# Urgencies in the order a plan shows them.
URGENCIES: tuple[str, ...] = ("now", "today", "this_week")


@dataclass(frozen=True)
class Text:
    """A human text in both languages of the site."""

    nl: str
    en: str

    def get(self, language: str) -> str:
        """The text in `language` ("nl", "en" or a variant such as "en-gb"); Dutch for any other language."""
        return self.en if language.lower().startswith("en") else self.nl


@dataclass(frozen=True)
class Fact:
    """One question of the wizard: its name and the codes it may be answered with."""

    name: str
    codes: tuple[str, ...]
    multi: bool = False


@dataclass(frozen=True)
class Framework:
    version: str
    released: datetime.date
    facts: tuple[Fact, ...]
    file: str = field(default="framework.yaml", compare=False)
    line: int = field(default=1, compare=False)

    @cached_property
    def fact_map(self) -> Mapping[str, Fact]:
        return {fact.name: fact for fact in self.facts}


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    url: str | None = None
    citation: str | None = None
    section: str | None = None
    file: str = field(default="sources.yaml", compare=False)
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Contact:
    phone: str | None = None
    url: str | None = None
    email: str | None = None

    def __bool__(self) -> bool:
        return bool(self.phone or self.url or self.email)


@dataclass(frozen=True)
class Partner:
    id: str
    name: Text
    help: Text
    contact: Contact
    source: str | None = None
    file: str = field(default="partners.yaml", compare=False)
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Basis:
    """One legal or professional claim behind a step, with the id of its source."""

    claim: Text
    source: str


@dataclass(frozen=True)
class Condition:
    """`fact` matches when the answer (for a multi fact: any of the answers) is one of `codes`."""

    fact: str
    codes: frozenset[str]

    def matches(self, answers: Mapping[str, frozenset[str]]) -> bool:
        return not self.codes.isdisjoint(answers.get(self.fact, frozenset()))


@dataclass(frozen=True)
class Step:
    id: str
    order: int
    urgency: str
    title: Text
    what: Text
    why: Text
    basis: tuple[Basis, ...] = ()
    partners: tuple[str, ...] = ()
    when: tuple[Condition, ...] = ()
    unless: tuple[Condition, ...] = ()
    excludes: frozenset[str] = frozenset()
    # The file's name without .yaml under steps/: the theme the step belongs to.
    theme: str = ""
    # What a profession overlay did to the step: "" (as in the rule files), "added" or "changed".
    overlay_change: str = ""
    file: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return (URGENCIES.index(self.urgency), self.order, self.id)

    def applies(self, answers: Mapping[str, frozenset[str]]) -> bool:
        """True when every `when` condition matches and not every `unless` condition does.

        No `when`: the step always applies. No `unless`: nothing rules it out.
        """
        if not all(condition.matches(answers) for condition in self.when):
            return False
        return not (self.unless and all(condition.matches(answers) for condition in self.unless))

    def conflicts_with(self, other: Step) -> bool:
        """Whether the two steps may not be shown together (either one excludes the other)."""
        return other.id in self.excludes or self.id in other.excludes


@dataclass(frozen=True)
class Boundary:
    """Per kind of behaviour: what may be expected or tolerated, and what is not acceptable."""

    kind: str
    acceptable: tuple[Text, ...]
    not_acceptable: tuple[Text, ...]
    source: str | None = None
    file: str = field(default="boundaries.yaml", compare=False)
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class HiddenStep:
    """A generic step a profession overlay leaves out, with the reason it gives."""

    step: Step
    reason: Text


@dataclass(frozen=True)
class RuleSet:
    framework: Framework
    sources: tuple[Source, ...]
    partners: tuple[Partner, ...]
    steps: tuple[Step, ...]
    boundaries: tuple[Boundary, ...]
    # Set when a profession overlay was applied: the steps it hides, a label for logs and problem locations
    # ("huisarts, version 3"), the profession and the published version number (0 for a draft). Pages name
    # the overlay with guidance.labels.overlay_name.
    hidden: tuple[HiddenStep, ...] = ()
    overlay: str = ""
    overlay_profession: str = ""
    overlay_version: int = 0

    @property
    def version(self) -> str:
        return self.framework.version

    @cached_property
    def source_map(self) -> Mapping[str, Source]:
        return {source.id: source for source in self.sources}

    @cached_property
    def partner_map(self) -> Mapping[str, Partner]:
        return {partner.id: partner for partner in self.partners}

    @cached_property
    def step_map(self) -> Mapping[str, Step]:
        return {step.id: step for step in self.steps}

    @cached_property
    def boundary_map(self) -> Mapping[str, Boundary]:
        return {boundary.kind: boundary for boundary in self.boundaries}

    def source(self, source_id: str) -> Source:
        return self.source_map[source_id]

    def partner(self, partner_id: str) -> Partner:
        return self.partner_map[partner_id]

    def step(self, step_id: str) -> Step:
        return self.step_map[step_id]
