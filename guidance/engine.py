"""The plan for an incident: which steps apply, in which order, with which boundaries.

A step applies when every fact in its `when` matches and not every fact in its `unless` does; a fact matches
when the answer (for a multi fact: any of the answers) is one of the listed codes, and an unanswered fact
matches nothing. Steps are sorted by urgency (now, today, this_week), then `order`, then id.

Contradictory steps (`excludes`, in either direction): the steps are taken in plan order and a step is dropped
when it conflicts with a step already kept, so of two such steps the more urgent one (then the lower order,
then the smaller id) stays. A dropped step rules nothing out itself. Plan.dropped records what was dropped.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from guidance.loader import load
from guidance.ruleset import URGENCIES, Boundary, HiddenStep, Partner, RuleSet, Source, Step

Answers = Mapping[str, str | Sequence[str] | None]


@dataclass(frozen=True)
class Plan:
    version: str
    answers: Mapping[str, frozenset[str]]
    steps: tuple[Step, ...]
    boundaries: tuple[Boundary, ...]
    # (dropped step, the kept step it conflicts with)
    dropped: tuple[tuple[Step, Step], ...]
    rules: RuleSet
    # Steps that would apply but that the profession overlay hides, with its reason.
    hidden: tuple[HiddenStep, ...] = ()

    @property
    def step_ids(self) -> tuple[str, ...]:
        return tuple(step.id for step in self.steps)

    def by_urgency(self) -> list[tuple[str, tuple[Step, ...]]]:
        """The steps grouped by urgency, in plan order; urgencies without steps are left out."""
        groups = [
            (urgency, tuple(step for step in self.steps if step.urgency == urgency)) for urgency in URGENCIES
        ]
        return [(urgency, steps) for urgency, steps in groups if steps]

    @property
    def partners(self) -> tuple[Partner, ...]:
        """The partners of the plan's steps, each once, in the order they first appear."""
        ids = dict.fromkeys(partner for step in self.steps for partner in step.partners)
        return tuple(self.rules.partner(partner_id) for partner_id in ids)

    @property
    def sources(self) -> tuple[Source, ...]:
        """Every source the plan's steps, partners and boundaries rely on, each once."""
        ids = dict.fromkeys(
            [basis.source for step in self.steps for basis in step.basis]
            + [partner.source for partner in self.partners if partner.source]
            + [boundary.source for boundary in self.boundaries if boundary.source]
        )
        return tuple(self.rules.source(source_id) for source_id in ids)


@functools.cache
def default_rules() -> RuleSet:
    """The rule set under guidance/rules/, read once per process (default_rules.cache_clear() to reread)."""
    return load()


def normalise_answers(answers: Answers, rules: RuleSet) -> dict[str, frozenset[str]]:
    """The answers as fact -> set of codes; ValueError naming an unknown fact or code.

    A single-valued fact takes one code (a string); a multi fact takes a list of codes or one code as a
    string. None, "" and [] mean "not answered".
    """
    facts = rules.framework.fact_map
    normalised: dict[str, frozenset[str]] = {}
    for name, value in answers.items():
        fact = facts.get(name)
        if fact is None:
            raise ValueError(f"unknown fact {name!r} (known: {', '.join(facts)})")
        if value is None or value == "":
            continue
        if isinstance(value, str):
            codes = [value]
        elif fact.multi:
            codes = list(value)
        else:
            raise ValueError(f"fact {name!r} takes one code, not a list")
        for code in codes:
            if code not in fact.codes:
                raise ValueError(f"unknown code {code!r} for fact {name!r}")
        if codes:
            normalised[name] = frozenset(codes)
    return normalised


def plan(answers: Answers, rules: RuleSet | str | Path | None = None) -> Plan:
    """The plan for `answers` under `rules` (a RuleSet, a rules directory to read, or None for the default)."""
    if rules is None:
        ruleset = default_rules()
    elif isinstance(rules, RuleSet):
        ruleset = rules
    else:
        ruleset = load(rules)
    normalised = normalise_answers(answers, ruleset)
    kept: list[Step] = []
    dropped: list[tuple[Step, Step]] = []
    for step in sorted((s for s in ruleset.steps if s.applies(normalised)), key=lambda s: s.sort_key):
        conflict = next((other for other in kept if step.conflicts_with(other)), None)
        if conflict is None:
            kept.append(step)
        else:
            dropped.append((step, conflict))
    kinds = normalised.get("kind", frozenset())
    kind_fact = ruleset.framework.fact_map.get("kind")
    order = kind_fact.codes if kind_fact is not None else ()
    boundaries = tuple(
        ruleset.boundary_map[kind] for kind in order if kind in kinds and kind in ruleset.boundary_map
    )
    return Plan(
        version=ruleset.version,
        answers=normalised,
        steps=tuple(kept),
        boundaries=boundaries,
        dropped=tuple(dropped),
        rules=ruleset,
        hidden=tuple(hidden for hidden in ruleset.hidden if hidden.step.applies(normalised)),
    )
