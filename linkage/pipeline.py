"""Link a frame of records: score pairs with the model, resolve them into clusters under the constraints.

This is pure: a frame in, clusters and pairs out, no database. linkage.actions runs it over the current
records and turns the result into registry incidents; linkage.evaluation runs it over labelled benchmarks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from linkage.model import score
from linkage.options import LinkageOptions
from linkage.resolve import Candidate, resolve

Progress = Callable[[str], None]

# Comparisons that can tell two records of one source apart (see the duplicates in `link`).
IDENTIFYING = ("latitude_longitude", "tokens")


@dataclass(frozen=True)
class Link:
    uid_a: int
    uid_b: int
    probability: float
    how: str


@dataclass(frozen=True)
class Scored:
    uid_a: int
    uid_b: int
    probability: float
    weight: float
    agreement: dict[str, dict[str, Any]]


@dataclass
class Outcome:
    clusters: list[list[int]]
    links: list[Link]
    review: list[Scored]
    duplicates: list[Scored]
    model: dict[str, Any]
    figures: dict[str, Any]


def known_pairs(frame: pa.Table, groups: Iterable[Iterable[str]]) -> list[tuple[int, int]]:
    """Records of sources that share identifiers (settings `shared_identifiers`) with the same identifier."""
    pairs: list[tuple[int, int]] = []
    columns = frame.select(["unique_id", "source", "source_id", "record_key"]).to_pylist()
    for group in groups:
        wanted = set(group)
        by_id: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for row in columns:
            if row["source"] in wanted:
                occurrence = row["record_key"].rsplit("#", 1)[-1]
                by_id[f"{row['source_id']}#{occurrence}"][row["source"]].append(row["unique_id"])
        for per_source in by_id.values():
            if len(per_source) < 2:
                continue
            firsts = [uids[0] for _, uids in sorted(per_source.items())]
            pairs.extend((firsts[0], other) for other in firsts[1:])
    return pairs


def _agreement(row: dict[str, Any], levels: dict[str, list[tuple[float, str]]]) -> dict[str, dict[str, Any]]:
    """Per comparison: the level the pair reached, its weight, and whether it counts for (True), against
    (False) or neither (None: a side has no value) the two being one incident."""
    found: dict[str, dict[str, Any]] = {}
    for name, weights in levels.items():
        weight = row.get(f"mw_{name}")
        if weight is None:
            continue
        if weight == 0 or not weights:
            found[name] = {"level": "", "weight": 0.0, "agrees": None}
            continue
        # Levels run from the closest agreement down; the pair reached the one with its weight.
        nearest = min(range(len(weights)), key=lambda index: abs(weights[index][0] - weight))
        found[name] = {
            "level": weights[nearest][1],
            "weight": round(weight, 3),
            "agrees": weight > 0,
            "closest": nearest == 0,
        }
    return found


def _identical_where_known(agreement: dict[str, dict[str, Any]]) -> bool:
    known = [agreement[name] for name in IDENTIFYING if agreement.get(name, {}).get("agrees") is not None]
    return bool(known) and all(found.get("closest") for found in known)


def link(
    frame: pa.Table,
    options: LinkageOptions | None = None,
    *,
    must: Iterable[tuple[str, str]] = frozenset(),
    cannot: Iterable[tuple[str, str]] = frozenset(),
    progress: Progress | None = None,
) -> Outcome:
    """Cluster the records of `frame` (linkage.frame.SCHEMA). `must` and `cannot` are pairs of record keys
    (reviewers' decisions); keys not in the frame are ignored."""
    options = options or LinkageOptions()
    say = progress or (lambda _stage: None)
    dated = frame.filter(frame.column("day_number").is_valid())
    uids = dated.column("unique_id").to_pylist()
    sources = dated.column("source").to_pylist()
    source_of = dict(zip(uids, sources, strict=True))
    uid_of = dict(zip(dated.column("record_key").to_pylist(), uids, strict=True))
    claims_of = {
        uid: set(claims)
        for uid, claims in zip(uids, dated.column("claims").to_pylist(), strict=True)
        if claims
    }

    def by_uid(pairs: Iterable[tuple[str, str]]) -> list[tuple[int, int]]:
        return [(uid_of[a], uid_of[b]) for a, b in pairs if a in uid_of and b in uid_of]

    if dated.num_rows < 2:
        scored_rows: list[dict[str, Any]] = []
        model: dict[str, Any] = {}
        levels: dict[str, list[tuple[float, str]]] = {}
        trained: list[str] = []
    else:
        scored = score(dated, options, say)
        scored_rows = scored.pairs.to_pylist()
        model, levels, trained = scored.model, scored.levels, scored.trained
    say("resolving clusters")
    candidates = [
        Candidate(
            row["unique_id_l"], row["unique_id_r"], row["match_probability"], row["match_weight"], "model"
        )
        for row in scored_rows
    ]
    resolution = resolve(
        uids,
        source_of,
        candidates,
        link_threshold=options.link_threshold,
        review_threshold=options.review_threshold,
        claimed_link=options.claimed_link,
        claims_of=claims_of,
        unambiguous_link=options.unambiguous_link,
        contender_from=options.contender_from,
        must=by_uid(must),
        cannot=by_uid(cannot),
        known=known_pairs(dated, options.shared_identifiers),
    )
    rows_by_pair = {(row["unique_id_l"], row["unique_id_r"]): row for row in scored_rows}

    def scored_pair(candidate: Candidate) -> Scored:
        row = rows_by_pair.get((candidate.uid_a, candidate.uid_b), {})
        return Scored(
            candidate.uid_a, candidate.uid_b, candidate.probability, candidate.weight, _agreement(row, levels)
        )

    # Records of one source close in time and place are often different attacks (a source that publishes
    # neither place nor text cannot tell them apart): a pair is flagged as a possible duplicate only when it
    # is dated to the same day, and its coordinates and descriptions, where both records have them, agree at
    # their closest level.
    duplicates = [
        found
        for found in map(scored_pair, resolution.duplicates)
        if found.agreement.get("date", {}).get("closest") and _identical_where_known(found.agreement)
    ]
    figures: dict[str, Any] = dict(resolution.figures)
    figures["duplicate_pairs"] = len(duplicates)
    figures["records_without_date"] = frame.num_rows - dated.num_rows
    figures["trained"] = trained
    per_source: dict[str, int] = defaultdict(int)
    for source in sources:
        per_source[source] += 1
    figures["records_per_source"] = dict(sorted(per_source.items()))
    return Outcome(
        clusters=resolution.clusters,
        links=[Link(c.uid_a, c.uid_b, c.probability, c.how) for c in resolution.links],
        review=[scored_pair(c) for c in resolution.review],
        duplicates=duplicates,
        model=model,
        figures=figures,
    )
