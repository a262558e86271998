"""Profession overlays as content: the changes a profession makes to the generic rules, checked and applied.

An overlay is a list of changes, each a mapping with exactly one key:

    - add:                      a step of the profession's own, with the keys and checks of a steps/*.yaml
        id: ...                 entry (see guidance/loader.py); its id may not be an id of the generic rules,
        ...                     and `profession` may not appear in its when/unless: the overlay implies it
    - replace:                  a text of a generic step
        step: call_112
        field: what             title, what or why
        text: {nl: ..., en: ...}
    - hide:                     a generic step, with the reason shown to the profession
        step: ...
        reason: {nl: ..., en: ...}

As a file (the editor's YAML export, and `zorgveilig guidance check --overlay FILE.yaml`):

    profession: huisarts
    rules_version: "2026.1"     optional: the version of the generic rules it was made against
    changes: [...]

Changes from the database are checked in the same YAML form (`overlay_yaml`), so every problem has a line in
the export and the number of its change. Added steps are read by the loader's own RuleReader, on top of the
generic rules, so they are checked exactly like the steps in the rule files.

No database here: guidance/overlays.py keeps drafts and versions, guidance/published.py serves them.
"""

from __future__ import annotations

import bisect
import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from guidance.loader import Map, RuleReader, Seq
from guidance.ruleset import Condition, HiddenStep, RuleSet, Step, Text

logger = logging.getLogger(__name__)

CHANGE_KINDS: tuple[str, ...] = ("add", "replace", "hide")
TEXT_FIELDS: tuple[str, ...] = ("title", "what", "why")
# The theme of the steps an overlay adds (the generic steps take the name of their file under steps/).
ADDED_THEME = "profession"

# One change as stored and exported: {"add": {...}}, {"replace": {...}} or {"hide": {...}}.
Change = dict[str, Any]


@dataclass(frozen=True, order=True)
class OverlayProblem:
    """One thing wrong with an overlay: `change` counts from 1 (0: the overlay as a whole), `line` is the
    line in the overlay's YAML form."""

    change: int
    line: int
    message: str


@dataclass(frozen=True)
class CheckedOverlay:
    """The problems of an overlay, and what its sound changes do (keyed by change number)."""

    problems: tuple[OverlayProblem, ...]
    added: dict[int, Step] = field(default_factory=dict)
    replaced: dict[int, tuple[str, str, Text]] = field(default_factory=dict)
    hidden: dict[int, tuple[str, Text]] = field(default_factory=dict)
    profession: str | None = None

    def problems_of(self, number: int) -> list[OverlayProblem]:
        return [problem for problem in self.problems if problem.change == number]


class _OverlayReader(RuleReader):
    """Reads the changes of one overlay on top of the generic rules (see RuleReader.on_top_of)."""

    generic_steps: dict[str, tuple[str, int]]

    def first(
        self, seen: dict[str, tuple[str, int]], kind: str, key: str | None, file: str, entry: Map
    ) -> bool:
        if key is not None and seen is self.step_ids and key in self.generic_steps:
            generic_file, generic_line = self.generic_steps[key]
            self.problem(
                file,
                entry.value_line("id"),
                f"step id {key!r} is already a step of the generic rules ({generic_file} line "
                f"{generic_line}): choose another id",
            )
            return False
        return super().first(seen, kind, key, file, entry)

    def generic_step(self, file: str, body: Map, what: str) -> str | None:
        step_id = self.string(file, body, "step", what)
        if step_id is not None and step_id not in self.generic_steps:
            self.problem(
                file, body.value_line("step"), f"{what}: unknown step {step_id!r} of the generic rules"
            )
            return None
        return step_id

    def read_overlay(self, file: str, data: Any, profession: str | None) -> CheckedOverlay:
        top = self.mapping(file, data, getattr(data, "line", 1), "the overlay")
        if top is None:
            return self.result(None, None, {}, {}, {})
        self.keys(file, top, "overlay", ("profession", "changes"), ("rules_version",))
        named = self.code(file, top, "profession", "overlay")
        professions = self.framework.fact_map["profession"].codes if self.framework is not None else ()
        if named is not None and named not in professions:
            self.problem(file, top.value_line("profession"), f"overlay: unknown profession {named!r}")
        elif named is not None and profession is not None and named != profession:
            self.problem(
                file,
                top.value_line("profession"),
                f"overlay: this is the overlay of {profession!r}, not of {named!r}",
            )
        self.string(file, top, "rules_version", "overlay", required=False)
        changes: Seq | None = None
        if "changes" in top and top["changes"] is not None:
            changes = self.sequence(file, top["changes"], top.value_line("changes"), "overlay: changes")
        added: dict[int, Step] = {}
        replaced: dict[int, tuple[str, str, Text]] = {}
        hidden: dict[int, tuple[str, Text]] = {}
        replaced_where: dict[tuple[str, str], int] = {}
        hidden_where: dict[str, int] = {}
        for index, item in enumerate(changes or []):
            assert changes is not None
            number = index + 1
            line = changes.item_line(index)
            entry = self.mapping(file, item, line, f"change {number}")
            if entry is None:
                continue
            if len(entry) != 1 or next(iter(entry)) not in CHANGE_KINDS:
                found = ", ".join(repr(key) for key in entry) or "nothing"
                self.problem(
                    file, line, f"a change needs exactly one of add, replace or hide (found {found})"
                )
                continue
            kind = next(iter(entry))
            body = self.mapping(file, entry[kind], entry.value_line(kind), f"change {number} ({kind})")
            if body is None:
                continue
            if kind == "add":
                step = self.read_added_step(file, body)
                if step is not None:
                    added[number] = step
            elif kind == "replace":
                what = "text replacement"
                self.keys(file, body, what, ("step", "field", "text"), ())
                step_id = self.generic_step(file, body, what)
                text_field = body.get("field")
                if "field" in body and text_field not in TEXT_FIELDS:
                    self.problem(
                        file,
                        body.value_line("field"),
                        f"{what}: field {text_field!r} is not one of {', '.join(TEXT_FIELDS)}",
                    )
                    text_field = None
                text = self.text_field(file, body, "text", what)
                if step_id is None or text_field is None or text is None:
                    continue
                first = replaced_where.setdefault((step_id, text_field), number)
                if first != number:
                    self.problem(
                        file,
                        line,
                        f"{what}: the {text_field} of step {step_id!r} is replaced twice "
                        f"(first in change {first})",
                    )
                    continue
                replaced[number] = (step_id, text_field, text)
            else:
                what = "hidden step"
                self.keys(file, body, what, ("step", "reason"), ())
                step_id = self.generic_step(file, body, what)
                reason = self.text_field(file, body, "reason", what)
                if step_id is None or reason is None:
                    continue
                first = hidden_where.setdefault(step_id, number)
                if first != number:
                    self.problem(
                        file, line, f"{what}: step {step_id!r} is hidden twice (first in change {first})"
                    )
                    continue
                hidden[number] = (step_id, reason)
        self.check_excludes()
        for number, (step_id, text_field, _text) in replaced.items():
            if step_id in hidden_where:
                self.problem(
                    file,
                    changes.item_line(number - 1) if changes is not None else 1,
                    f"text replacement: step {step_id!r} is hidden by change "
                    f"{hidden_where[step_id]}, so its new {text_field} would never show",
                )
        return self.result(changes, named, added, replaced, hidden)

    def read_added_step(self, file: str, body: Map) -> Step | None:
        step_id = body.get("id")
        what = f"added step {step_id!r}" if isinstance(step_id, str) else "added step"
        for key in ("when", "unless"):
            conditions = body.get(key)
            if isinstance(conditions, Map) and "profession" in conditions:
                self.problem(
                    file,
                    conditions.key_line("profession"),
                    f"{what} {key}: leave out profession, the overlay's profession is implied",
                )
        known = set(self.steps)
        self.read_step(file, ADDED_THEME, body, what)
        if isinstance(step_id, str) and step_id not in known:
            return self.steps.get(step_id)
        return None

    def result(
        self,
        changes: Seq | None,
        profession: str | None,
        added: dict[int, Step],
        replaced: dict[int, tuple[str, str, Text]],
        hidden: dict[int, tuple[str, Text]],
    ) -> CheckedOverlay:
        starts = list(changes.item_lines) if changes is not None else []
        problems = sorted(
            {
                OverlayProblem(bisect.bisect_right(starts, problem.line), problem.line, problem.message)
                for problem in self.problems
            }
        )
        spoilt = {problem.change for problem in problems}
        return CheckedOverlay(
            problems=tuple(problems),
            added={number: step for number, step in added.items() if number not in spoilt},
            replaced={number: change for number, change in replaced.items() if number not in spoilt},
            hidden={number: change for number, change in hidden.items() if number not in spoilt},
            profession=profession,
        )


def overlay_yaml(profession: str, changes: Sequence[Change], rules_version: str | None = None) -> str:
    """The overlay as a YAML file: what the editor exports and `guidance check --overlay` reads."""
    document: dict[str, Any] = {"profession": profession}
    if rules_version:
        document["rules_version"] = rules_version
    document["changes"] = list(changes)
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=110, default_flow_style=False)


def check_text(text: str, rules: RuleSet, *, file: str, profession: str | None = None) -> CheckedOverlay:
    """Check an overlay in its YAML form against `rules`; `profession`, when given, must be the one it names."""
    reader = _OverlayReader.on_top_of(rules)
    reader.generic_steps = {step.id: (step.file, step.line) for step in rules.steps}
    data = reader.parse(file, text)
    if data is None:
        return reader.result(None, None, {}, {}, {})
    return reader.read_overlay(file, data, profession)


def check_changes(changes: Sequence[Change], profession: str, rules: RuleSet) -> CheckedOverlay:
    """Check the changes of `profession`'s overlay (as stored) against `rules`."""
    return check_text(overlay_yaml(profession, changes), rules, file="overlay", profession=profession)


def check_file(path: Path, rules: RuleSet) -> CheckedOverlay:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        problem = OverlayProblem(0, 1, f"not UTF-8: {error.reason} at byte {error.start}")
        return CheckedOverlay(problems=(problem,))
    return check_text(text, rules, file=str(path))


def apply_overlay(rules: RuleSet, profession: str, changes: Sequence[Change], label: str) -> RuleSet:
    """`rules` with the changes applied; `label` names the overlay ("huisarts, version 3").

    A change that does not fit `rules` (its generic step was removed, its source is gone, ...) is left out
    with a logged warning: a health-care worker gets the rest of the overlay, never an error.
    """
    checked = check_changes(changes, profession, rules)
    for problem in checked.problems:
        logger.warning("overlay %s: change %d left out: %s", label, problem.change, problem.message)
    steps = dict(rules.step_map)
    for step_id, text_field, text in checked.replaced.values():
        step = steps[step_id]
        steps[step_id] = dataclasses.replace(
            step,
            title=text if text_field == "title" else step.title,
            what=text if text_field == "what" else step.what,
            why=text if text_field == "why" else step.why,
            overlay_change="changed",
        )
    for number, step in checked.added.items():
        steps[step.id] = dataclasses.replace(
            step,
            when=(*step.when, Condition("profession", frozenset({profession}))),
            overlay_change="added",
            file=label,
            line=number,
        )
    hidden = [HiddenStep(steps.pop(step_id), reason) for step_id, reason in checked.hidden.values()]
    return dataclasses.replace(
        rules,
        steps=tuple(sorted(steps.values(), key=lambda step: step.sort_key)),
        hidden=tuple(hidden),
        overlay=label,
        overlay_profession=profession,
    )


# ---------------------------------------------------------------------------------------------------------
# Describing and comparing changes


@dataclass(frozen=True)
class ChangeSummary:
    """What one change does, for people: its kind, the step it is about and that step's title."""

    kind: str
    step: str
    field: str  # the text a replacement changes; "" otherwise
    title: Text | None
    change: Change

    @property
    def key(self) -> tuple[str, str, str]:
        """Two versions' changes with the same key are the same change, perhaps with other content."""
        return (self.kind, self.step, self.field)


def summarise(change: Change, rules: RuleSet) -> ChangeSummary:
    kind = next(iter(change), "") if isinstance(change, dict) else ""
    body = change.get(kind) if isinstance(change, dict) else None
    body = body if isinstance(body, dict) else {}
    if kind == "add":
        step_id = str(body.get("id", ""))
        title = body.get("title")
        text = (
            Text(nl=str(title.get("nl", "")), en=str(title.get("en", "")))
            if isinstance(title, dict)
            else None
        )
        return ChangeSummary(kind, step_id, "", text, change)
    step_id = str(body.get("step", ""))
    generic = rules.step_map.get(step_id)
    text_field = str(body.get("field", "")) if kind == "replace" else ""
    return ChangeSummary(kind, step_id, text_field, generic.title if generic else None, change)


@dataclass(frozen=True)
class Difference:
    """One way two overlays differ: a change only in the newer ("added"), only in the older ("removed"), or
    in both with other content ("modified", `fields` naming what differs)."""

    status: str
    summary: ChangeSummary
    fields: tuple[str, ...] = ()


def compare(older: Sequence[Change], newer: Sequence[Change], rules: RuleSet) -> list[Difference]:
    """How `newer` differs from `older`, in the order of `newer` and then the changes `newer` dropped."""
    old = {summary.key: summary for summary in (summarise(change, rules) for change in older)}
    new = {summary.key: summary for summary in (summarise(change, rules) for change in newer)}
    differences: list[Difference] = []
    for key, summary in new.items():
        before = old.get(key)
        if before is None:
            differences.append(Difference("added", summary))
            continue
        old_body = before.change.get(before.kind, {})
        new_body = summary.change.get(summary.kind, {})
        if old_body != new_body:
            keys = dict.fromkeys([*new_body, *old_body])
            fields = tuple(str(name) for name in keys if old_body.get(name) != new_body.get(name))
            differences.append(Difference("modified", summary, fields))
    differences.extend(Difference("removed", summary) for key, summary in old.items() if key not in new)
    return differences
