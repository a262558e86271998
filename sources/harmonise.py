"""Turning source vocabularies into harmonised codes, shared by the importers.

Multi-valued cells (SSA `Attack Type`, II `Weapon Carried/Used`, ...) are never split on commas: some
values contain commas themselves and one SSA label has an unbalanced parenthesis (datasets.md §7.1, §11).
`match_labels` finds the known labels in the cell, longest first, each bounded by the cell's ends, commas
or white space, and returns whatever is left over so the importer can report it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sources.crosswalks import Vocabulary, crosswalks
from sources.schema import Harmonised

SEPARATORS = ",;|\n"


@dataclass(frozen=True)
class LabelMatch:
    labels: list[
        str
    ]  # known labels found, as written in the vocabulary, in the order they appear in the cell
    leftover: list[str]  # pieces of the cell that are no known label


def _pattern(label: str) -> re.Pattern[str]:
    # Inner white space may vary; the label must not run into neighbouring text.
    body = r"\s+".join(re.escape(part) for part in label.split())
    return re.compile(
        rf"(?<![^\s{re.escape(SEPARATORS)}]){body}(?![^\s{re.escape(SEPARATORS)}])", re.IGNORECASE
    )


_patterns: dict[str, re.Pattern[str]] = {}


def match_labels(cell: str, labels: Iterable[str]) -> LabelMatch:
    remaining = cell
    found: list[tuple[int, str]] = []
    for label in sorted(set(labels), key=len, reverse=True):
        pattern = _patterns.get(label)
        if pattern is None:
            pattern = _patterns[label] = _pattern(label)
        for match in pattern.finditer(remaining):
            found.append((match.start(), label))
        # Blank out the matches (same length keeps the positions of later matches comparable).
        remaining = pattern.sub(lambda m: "," + " " * (len(m.group(0)) - 1), remaining)
    leftover = [piece.strip() for piece in re.split(rf"[{re.escape(SEPARATORS)}]", remaining)]
    ordered = [label for _position, label in sorted(found)]
    return LabelMatch(list(dict.fromkeys(ordered)), [piece for piece in leftover if piece])


def ssa_types_from_vocabulary(vocabulary: Vocabulary[tuple[str, ...]], values: Iterable[str]) -> list[str]:
    types: list[str] = []
    for value in values:
        types.extend(vocabulary.get(value) or ())
    return types


def indicator_types(harmonised: Harmonised) -> list[str]:
    """WHO SSA types implied by II/SHCC count and flag columns (a count above 0, or a true flag)."""
    vocabulary = crosswalks().attack_types["insecurity_insight_indicators"]
    types: list[str] = []
    for field_name, implied in vocabulary.entries.values():
        value = getattr(harmonised, field_name)
        if value is True or (isinstance(value, int) and not isinstance(value, bool) and value > 0):
            types.extend(implied)
    return types


def set_attack_types(harmonised: Harmonised, ssa_types: Iterable[str]) -> None:
    table = crosswalks()
    harmonised.who_ssa_types = table.ordered_types(ssa_types)
    harmonised.attack_families = table.families(harmonised.who_ssa_types)
