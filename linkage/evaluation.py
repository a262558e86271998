"""How good a linkage is: measures of predicted clusters against the truth, and against known links.

Pure functions over plain values, so the synthetic benchmark (linkage.synthetic), the command
`zorgveilig evaluate_linkage`, the benchmark (bench/record_linkage.py) and the tests share them.

* Pairwise precision, recall and F1 count pairs of records **of different sources** that share a cluster: the
  linkage never merges two records of one source (they are flagged as duplicates instead), so same-source
  pairs are not what it is judged on.
* B-cubed precision and recall (Bagga & Baldwin 1998) average, over records, the share of a record's
  predicted cluster that truly belongs with it, and the share of its true event that was put with it.
* Cluster counts: predicted against true, and the share of true events reported by two or more sources whose
  records came out as exactly one cluster, nothing missing and nothing extra ("fully recovered").
* Silver labels (datasets.md §12.1): a record that names another source as also reporting it (a SiND record
  with the WHO SSA flag, an AWSD incident whose source is ACLED) should end up with a record of that source.
* Hand-labelled pairs (tests/fixtures/linkage/labelled_pairs.yaml): verdicts on real pairs of records, by
  record key, compared with whether the two keys share a cluster.

A record of the truth that is in no predicted cluster counts as a cluster of its own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class PairScores:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 1.0

    @property
    def f1(self) -> float:
        return _harmonic(self.precision, self.recall)


@dataclass(frozen=True)
class BCubed:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        return _harmonic(self.precision, self.recall)


@dataclass(frozen=True)
class Evaluation:
    records: int
    pairs: PairScores
    bcubed: BCubed
    predicted_clusters: int
    true_clusters: int
    multi_source_events: int
    fully_recovered: int

    @property
    def recovered_share(self) -> float:
        return self.fully_recovered / self.multi_source_events if self.multi_source_events else 1.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "records": self.records,
            "pairwise_precision": self.pairs.precision,
            "pairwise_recall": self.pairs.recall,
            "pairwise_f1": self.pairs.f1,
            "true_pairs": self.pairs.true_positives + self.pairs.false_negatives,
            "predicted_pairs": self.pairs.true_positives + self.pairs.false_positives,
            "bcubed_precision": self.bcubed.precision,
            "bcubed_recall": self.bcubed.recall,
            "bcubed_f1": self.bcubed.f1,
            "predicted_clusters": self.predicted_clusters,
            "true_clusters": self.true_clusters,
            "multi_source_events": self.multi_source_events,
            "fully_recovered": self.fully_recovered,
            "fully_recovered_share": self.recovered_share,
        }


@dataclass(frozen=True)
class SilverRecall:
    claimed: int  # claims of a source that has records in the linkage input
    linked: int  # of those, records that share a cluster with a record of the claimed source
    per_source: dict[str, tuple[int, int]] = field(
        default_factory=dict
    )  # claimed source -> (claimed, linked)

    @property
    def recall(self) -> float:
        return self.linked / self.claimed if self.claimed else 1.0


def _harmonic(a: float, b: float) -> float:
    return 2 * a * b / (a + b) if a + b else 0.0


def _pairs(size: int) -> int:
    return size * (size - 1) // 2


def _cross_source_pairs(sources: Counter[str]) -> int:
    """Pairs of records of different sources in a group with these counts per source."""
    return _pairs(sum(sources.values())) - sum(_pairs(n) for n in sources.values())


def predicted_labels(clusters: Iterable[Iterable[int]], universe: Iterable[int]) -> dict[int, int]:
    """unique_id -> cluster number; ids of `universe` in no cluster get a cluster of their own. A record in two
    clusters is an error of the caller, not something to score."""
    labels: dict[int, int] = {}
    number = -1
    for number, cluster in enumerate(clusters):
        for uid in cluster:
            if uid in labels:
                raise ValueError(f"record {uid} is in two clusters")
            labels[uid] = number
    for uid in universe:
        if uid not in labels:
            number += 1
            labels[uid] = number
    return labels


def evaluate(
    clusters: Iterable[Iterable[int]], truth: Mapping[int, int], sources: Mapping[int, str]
) -> Evaluation:
    """Every measure of the module for `clusters` (lists of unique_ids) against `truth` (unique_id -> true
    event) with `sources` (unique_id -> source code). Only records in `truth` are scored."""
    labels = predicted_labels(clusters, truth)
    cells: Counter[tuple[int, int]] = Counter()  # (predicted, true) -> records
    cell_sources: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
    predicted_sources: dict[int, Counter[str]] = defaultdict(Counter)
    true_sources: dict[int, Counter[str]] = defaultdict(Counter)
    for uid, event in truth.items():
        cluster = labels[uid]
        source = sources[uid]
        cells[cluster, event] += 1
        cell_sources[cluster, event][source] += 1
        predicted_sources[cluster][source] += 1
        true_sources[event][source] += 1
    predicted_size = {cluster: sum(counts.values()) for cluster, counts in predicted_sources.items()}
    true_size = {event: sum(counts.values()) for event, counts in true_sources.items()}

    found = sum(_cross_source_pairs(counts) for counts in predicted_sources.values())
    wanted = sum(_cross_source_pairs(counts) for counts in true_sources.values())
    correct = sum(_cross_source_pairs(counts) for counts in cell_sources.values())
    pairs = PairScores(correct, found - correct, wanted - correct)

    precision_sum = recall_sum = 0.0
    for (cluster, event), size in cells.items():
        precision_sum += size * size / predicted_size[cluster]
        recall_sum += size * size / true_size[event]
    records = len(truth)
    bcubed = BCubed(precision_sum / records if records else 1.0, recall_sum / records if records else 1.0)

    multi = [event for event, counts in true_sources.items() if len(counts) > 1]
    recovered = 0
    for (cluster, event), size in cells.items():
        if size == true_size[event] == predicted_size[cluster] and len(true_sources[event]) > 1:
            recovered += 1
    return Evaluation(
        records=records,
        pairs=pairs,
        bcubed=bcubed,
        predicted_clusters=len(predicted_sources),
        true_clusters=len(true_sources),
        multi_source_events=len(multi),
        fully_recovered=recovered,
    )


def silver_recall(
    clusters: Iterable[Iterable[int]],
    sources: Mapping[int, str],
    claims: Mapping[int, Sequence[str] | None],
) -> SilverRecall:
    """Of the records that name another source as also reporting them (`claims`, unique_id -> source codes),
    the share that share a cluster with a record of that source. Claims of sources with no record in
    `sources` (the Ukrainian Healthcare Centre, PHR) cannot be met and are not counted."""
    present = set(sources.values())
    labels = predicted_labels(clusters, sources)
    in_cluster: dict[int, set[str]] = defaultdict(set)
    for uid, cluster in labels.items():
        in_cluster[cluster].add(sources[uid])
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for uid, named in claims.items():
        if uid not in sources:
            continue
        for source in set(named or ()):
            if source == sources[uid] or source not in present:
                continue
            tally[source][0] += 1
            tally[source][1] += source in in_cluster[labels[uid]]
    per_source = {source: (counts[0], counts[1]) for source, counts in sorted(tally.items())}
    return SilverRecall(
        claimed=sum(claimed for claimed, _ in per_source.values()),
        linked=sum(linked for _, linked in per_source.values()),
        per_source=per_source,
    )


# Hand-labelled real pairs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelledRecord:
    source: str
    source_id: str
    file: str
    occurrence: int = 1

    @property
    def key(self) -> str:
        return f"{self.source}:{self.source_id}#{self.occurrence}"


@dataclass(frozen=True)
class LabelledPair:
    a: LabelledRecord
    b: LabelledRecord
    same: bool
    reason: str


@dataclass(frozen=True)
class LabelledScore:
    """Verdicts against the linkage. Same-source pairs judged "same" are duplicates: the linkage flags them
    and never merges them, so they count as found when they are among the flagged pairs."""

    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int
    missing: int  # pairs with a record that is not in the linkage input (not about health care, no date)
    misses: list[tuple[LabelledPair, str]]  # wrong verdicts, with what the linkage did

    @property
    def pairs(self) -> PairScores:
        return PairScores(self.true_positives, self.false_positives, self.false_negatives)

    @property
    def scored(self) -> int:
        return self.true_positives + self.false_positives + self.false_negatives + self.true_negatives

    @property
    def accuracy(self) -> float:
        return (self.true_positives + self.true_negatives) / self.scored if self.scored else 1.0


class LabelledPairsError(Exception):
    """The labelled-pairs file is wrong; the message names the file and the entry."""


def _labelled_record(value: Any, where: str) -> LabelledRecord:
    if not isinstance(value, dict) or not all(value.get(name) for name in ("source", "id", "file")):
        raise LabelledPairsError(f"{where}: expected a mapping with source, id and file")
    occurrence = value.get("occurrence", 1)
    if not isinstance(occurrence, int) or occurrence < 1:
        raise LabelledPairsError(f"{where}.occurrence: expected a whole number from 1, got {occurrence!r}")
    return LabelledRecord(str(value["source"]), str(value["id"]), str(value["file"]), occurrence)


def load_labelled_pairs(path: Path | str) -> list[LabelledPair]:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise LabelledPairsError(f"{path}: cannot be read ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise LabelledPairsError(f"{path}: not valid YAML ({error})") from None
    entries = data.get("pairs") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise LabelledPairsError(f"{path}: expected a list under 'pairs'")
    pairs = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path.name}: pair {number}"
        if not isinstance(entry, dict):
            raise LabelledPairsError(f"{where}: expected a mapping")
        if entry.get("verdict") not in ("same", "different"):
            raise LabelledPairsError(
                f"{where}.verdict: expected same or different, got {entry.get('verdict')!r}"
            )
        if not str(entry.get("reason") or "").strip():
            raise LabelledPairsError(f"{where}.reason: every verdict says why")
        pairs.append(
            LabelledPair(
                _labelled_record(entry.get("a"), f"{where}.a"),
                _labelled_record(entry.get("b"), f"{where}.b"),
                entry["verdict"] == "same",
                str(entry["reason"]).strip(),
            )
        )
    return pairs


def score_labelled_pairs(
    pairs: Iterable[LabelledPair],
    cluster_of: Mapping[str, int],
    duplicates: Collection[tuple[str, str]] = (),
) -> LabelledScore:
    """`cluster_of`: record key -> predicted cluster, for every record of the linkage input; `duplicates`:
    the flagged same-source pairs of record keys (sorted)."""
    tp = fp = fn = tn = missing = 0
    misses: list[tuple[LabelledPair, str]] = []
    flagged = {tuple(sorted(pair)) for pair in duplicates}
    for pair in pairs:
        key_a, key_b = pair.a.key, pair.b.key
        if key_a not in cluster_of or key_b not in cluster_of:
            missing += 1
            continue
        if pair.a.source == pair.b.source:
            linked = tuple(sorted((key_a, key_b))) in flagged
            done = "flagged as duplicates" if linked else "not flagged as duplicates"
        else:
            linked = cluster_of[key_a] == cluster_of[key_b]
            done = "linked" if linked else "not linked"
        if pair.same and linked:
            tp += 1
        elif pair.same:
            fn += 1
            misses.append((pair, done))
        elif linked:
            fp += 1
            misses.append((pair, done))
        else:
            tn += 1
    return LabelledScore(tp, fp, fn, tn, missing, misses)
