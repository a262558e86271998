"""Linkage options: linkage/linkage.yaml (or ZORGVEILIG_LINKAGE_CONFIG) plus the backend setting."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings


class OptionsError(Exception):
    """The linkage settings file is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class LinkageOptions:
    backend: str = "duckdb"
    default_window: int = 3
    pair_windows: dict[tuple[str, str], int] = field(default_factory=dict)
    link_threshold: float = 0.975
    review_threshold: float = 0.5
    claimed_link: float = 0.05
    unambiguous_link: float | None = 0.85
    contender_from: float = 0.5
    shared_identifiers: tuple[tuple[str, ...], ...] = (("shcc", "insecurity-insight"),)
    deterministic_recall: float = 0.6
    u_sample_pairs: int = 2_000_000
    seed: int = 20261124
    minimum_records_for_em: int = 500

    def window(self, source_a: str, source_b: str) -> int:
        return self.pair_windows.get(tuple(sorted((source_a, source_b))), self.default_window)  # type: ignore[arg-type]

    @property
    def widest_window(self) -> int:
        return max([self.default_window, *self.pair_windows.values()])

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "date_window_days": {
                "default": self.default_window,
                "pairs": {"|".join(key): days for key, days in sorted(self.pair_windows.items())},
            },
            "thresholds": {"link": self.link_threshold, "review": self.review_threshold},
            "claimed_link": self.claimed_link,
            "unambiguous_link": self.unambiguous_link,
            "contender_from": self.contender_from,
            "shared_identifiers": [list(group) for group in self.shared_identifiers],
            "training": {
                "deterministic_recall": self.deterministic_recall,
                "u_sample_pairs": self.u_sample_pairs,
                "seed": self.seed,
                "minimum_records_for_em": self.minimum_records_for_em,
            },
        }


SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def _slug(value: Any, where: str) -> str:
    # Source codes end up in the model's SQL: only the characters of a source code are allowed.
    if not isinstance(value, str) or not SLUG.match(value):
        raise OptionsError(f"{where}: {value!r} is not a source code (lowercase letters, digits and hyphens)")
    return value


def _number(data: dict[str, Any], key: str, where: str, low: float, high: float, default: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise OptionsError(f"{where}.{key}: expected a number from {low} to {high}, got {value!r}")
    return float(value)


def load_options(path: Path | str | None = None, *, backend: str | None = None) -> LinkageOptions:
    path = Path(path or settings.LINKAGE_CONFIG)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise OptionsError(f"{path}: cannot read the linkage settings ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise OptionsError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(data, dict):
        raise OptionsError(f"{path}: expected a mapping of settings at the top")
    where = path.name
    windows = data.get("date_window_days") or {}
    if not isinstance(windows, dict):
        raise OptionsError(f"{where}.date_window_days: expected a mapping")
    default_window = int(_number(windows, "default", f"{where}.date_window_days", 0, 366, 3))
    pair_windows: dict[tuple[str, str], int] = {}
    for name, days in (windows.get("pairs") or {}).items():
        parts = str(name).split("|")
        if len(parts) != 2 or not all(parts):
            raise OptionsError(f"{where}.date_window_days.pairs: {name!r} is not two source codes as 'a|b'")
        parts = [_slug(part, f"{where}.date_window_days.pairs") for part in parts]
        pair_windows[tuple(sorted(parts))] = int(  # type: ignore[index]
            _number({"days": days}, "days", f"{where}.date_window_days.pairs.{name}", 0, 366, 0)
        )
    thresholds = data.get("thresholds") or {}
    link = _number(thresholds, "link", f"{where}.thresholds", 0.5, 1.0, 0.975)
    review = _number(thresholds, "review", f"{where}.thresholds", 0.0, link, 0.5)
    groups = data.get("shared_identifiers") or []
    if not isinstance(groups, list) or not all(
        isinstance(group, list) and len(group) >= 2 for group in groups
    ):
        raise OptionsError(
            f"{where}.shared_identifiers: expected a list of lists of two or more source codes"
        )
    training = data.get("training") or {}
    chosen = backend or settings.LINKAGE_BACKEND
    if chosen not in ("duckdb", "spark"):
        raise OptionsError(f"backend: expected duckdb or spark, got {chosen!r}")
    return LinkageOptions(
        backend=chosen,
        default_window=default_window,
        pair_windows=pair_windows,
        link_threshold=link,
        review_threshold=review,
        claimed_link=_number(data, "claimed_link", where, 0.0, 1.0, 0.05),
        unambiguous_link=None
        if data.get("unambiguous_link", 0.85) is None
        else _number(data, "unambiguous_link", where, 0.0, 1.0, 0.85),
        contender_from=_number(data, "contender_from", where, 0.0, 1.0, 0.5),
        shared_identifiers=tuple(
            tuple(_slug(slug, f"{where}.shared_identifiers") for slug in group) for group in groups
        ),
        deterministic_recall=_number(training, "deterministic_recall", f"{where}.training", 0.01, 1.0, 0.6),
        u_sample_pairs=int(_number(training, "u_sample_pairs", f"{where}.training", 1000, 1e9, 2e6)),
        seed=int(_number(training, "seed", f"{where}.training", 0, 2**31 - 1, 20261124)),
        minimum_records_for_em=int(
            _number(training, "minimum_records_for_em", f"{where}.training", 0, 1e9, 500)
        ),
    )
