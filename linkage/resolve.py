"""From scored pairs to clusters: constraints, one-to-one assignment per source pair, clustering.

1. Reviewers' decisions win: "different" pairs are dropped, "same" pairs are linked first. Known links come
   next: records of sources that share identifiers (SHCC and Insecurity Insight) with the same identifier.
2. A cross-source pair is eligible when its probability reaches the link threshold, or the claimed-link
   threshold when one record names the other's source as co-reporting (AWSD's `Source: ACLED`, SiND's WHO
   SSA flag), or `unambiguous_link` when neither record has another candidate of the other's source from
   `contender_from` on. Pairs in the review band that are not eligible are questions for reviewers: each
   record's best one per other source goes to the review queue, the others count as contenders.
3. Per source pair, eligible pairs are assigned one to one (Hungarian assignment on match weights, per
   connected group of candidates): a record is linked to at most one record of each other source; the
   runners-up are counted as contenders.
4. Clusters grow from the assigned pairs, strongest first, joining two clusters only when they share no
   source and no "different" decision separates them. Pairs of one source are never merged: above the link
   threshold they are flagged as possible duplicates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

FORCED_WEIGHT = 1e6  # decided and known pairs: always assigned


@dataclass(frozen=True)
class Candidate:
    uid_a: int
    uid_b: int
    probability: float
    weight: float
    how: str  # model, claimed, known, decision


@dataclass
class Resolution:
    clusters: list[list[int]]
    links: list[Candidate]
    review: list[Candidate]
    duplicates: list[Candidate]
    figures: dict[str, int] = field(default_factory=dict)


class _Clusters:
    """Union-find that keeps, per cluster, its members' sources and record keys."""

    def __init__(self, uids: Iterable[int], source_of: dict[int, str]) -> None:
        self.parent = {uid: uid for uid in uids}
        self.sources = {uid: {source_of[uid]} for uid in self.parent}
        self.members = {uid: [uid] for uid in self.parent}

    def find(self, uid: int) -> int:
        root = uid
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[uid] != root:
            self.parent[uid], uid = root, self.parent[uid]
        return root

    def join(self, a: int, b: int, cannot: dict[int, set[int]]) -> str:
        """Join the clusters of a and b: "joined", "same", or why not ("source", "decision")."""
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return "same"
        if self.sources[root_a] & self.sources[root_b]:
            return "source"
        small, large = sorted((root_a, root_b), key=lambda root: len(self.members[root]))
        large_members = set(self.members[large])
        if any(cannot.get(uid, set()) & large_members for uid in self.members[small]):
            return "decision"
        self.parent[small] = large
        self.sources[large] |= self.sources.pop(small)
        self.members[large].extend(self.members.pop(small))
        return "joined"

    def groups(self) -> list[list[int]]:
        return sorted(sorted(members) for members in self.members.values())


def _best_questions(questions: list[Candidate], source_of: dict[int, str]) -> list[Candidate]:
    """The questions for reviewers: a pair stays when it is the best open candidate, in the other's source,
    of at least one of its records. So every record still waiting for a counterpart has its best candidate
    asked, and a pair that is nobody's best is a contender: once its rival is decided "different", the next
    run asks about it."""
    best: dict[tuple[int, str], float] = {}
    for question in questions:
        for uid, other in ((question.uid_a, question.uid_b), (question.uid_b, question.uid_a)):
            key = (uid, source_of[other])
            best[key] = max(best.get(key, 0.0), question.probability)
    return [
        question
        for question in questions
        if question.probability >= best[(question.uid_a, source_of[question.uid_b])]
        or question.probability >= best[(question.uid_b, source_of[question.uid_a])]
    ]


def _assign(candidates: list[Candidate], first: set[int]) -> tuple[list[Candidate], int]:
    """One-to-one assignment within one source pair (`first`: the records of one of the two sources): the
    best total weight per connected group of candidates."""
    adjacency: dict[int, set[int]] = defaultdict(set)
    for candidate in candidates:
        adjacency[candidate.uid_a].add(candidate.uid_b)
        adjacency[candidate.uid_b].add(candidate.uid_a)
    # Each pair oriented (record of the first source, record of the other).
    by_pair = {((c.uid_a, c.uid_b) if c.uid_a in first else (c.uid_b, c.uid_a)): c for c in candidates}
    component: dict[int, int] = {}
    for start in adjacency:
        if start in component:
            continue
        stack = [start]
        while stack:
            node = stack.pop()
            if node in component:
                continue
            component[node] = start
            stack.extend(other for other in adjacency[node] if other not in component)
    groups: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for oriented in by_pair:
        groups[component[oriented[0]]].append(oriented)
    chosen: list[Candidate] = []
    for edges in groups.values():
        if len(edges) == 1:
            chosen.append(by_pair[edges[0]])
            continue
        left = sorted({a for a, _ in edges})
        right = sorted({b for _, b in edges})
        row, column = {uid: i for i, uid in enumerate(left)}, {uid: j for j, uid in enumerate(right)}
        weights = np.full((len(left), len(right)), -FORCED_WEIGHT * 10)
        for a, b in edges:
            weights[row[a], column[b]] = _weight(by_pair[(a, b)])
        rows, columns = linear_sum_assignment(weights, maximize=True)
        for i, j in zip(rows, columns, strict=True):
            edge = by_pair.get((left[i], right[j]))
            if edge is not None:
                chosen.append(edge)
    return chosen, len(candidates) - len(chosen)


def _weight(candidate: Candidate) -> float:
    return FORCED_WEIGHT if candidate.how in ("decision", "known") else candidate.weight


def resolve(
    uids: list[int],
    source_of: dict[int, str],
    scored: Iterable[Candidate],
    *,
    link_threshold: float,
    review_threshold: float,
    claimed_link: float,
    claims_of: dict[int, set[str]],
    unambiguous_link: float | None = None,
    contender_from: float | None = None,
    must: Iterable[tuple[int, int]] = (),
    cannot: Iterable[tuple[int, int]] = (),
    known: Iterable[tuple[int, int]] = (),
) -> Resolution:
    """Clusters of `uids` from scored pairs and constraints (pairs of unique ids); see the module docstring."""
    cannot_of: dict[int, set[int]] = defaultdict(set)
    for a, b in cannot:
        cannot_of[a].add(b)
        cannot_of[b].add(a)
    forced: dict[tuple[int, int], Candidate] = {}
    for how, pairs in (("decision", must), ("known", known)):
        for a, b in pairs:
            key = (min(a, b), max(a, b))
            if key not in forced and b not in cannot_of.get(a, set()):
                forced[key] = Candidate(key[0], key[1], 1.0, FORCED_WEIGHT, how)

    scored = list(scored)
    # How many candidates from `contender_from` on (default: the review threshold) each record has in each
    # other source: a pair that is the only one of both its records (MELTT's "no contender") is linked from
    # `unambiguous_link` on.
    rivals: dict[tuple[int, str], int] = defaultdict(int)
    if unambiguous_link is not None:
        counted_from = review_threshold if contender_from is None else contender_from
        for candidate in scored:
            if candidate.probability >= counted_from:
                rivals[(candidate.uid_a, source_of[candidate.uid_b])] += 1
                rivals[(candidate.uid_b, source_of[candidate.uid_a])] += 1
    eligible: dict[tuple[str, str], list[Candidate]] = defaultdict(list)
    review: list[Candidate] = []
    duplicates: list[Candidate] = []
    figures = {"candidate_pairs": 0, "decided_different": 0, "claimed_links": 0, "unambiguous_links": 0}
    for candidate in scored:
        figures["candidate_pairs"] += 1
        a, b = candidate.uid_a, candidate.uid_b
        key = (min(a, b), max(a, b))
        if key in forced:
            continue
        if b in cannot_of.get(a, set()):
            figures["decided_different"] += 1
            continue
        source_a, source_b = source_of[a], source_of[b]
        if source_a == source_b:
            if candidate.probability >= link_threshold:
                duplicates.append(candidate)
            continue
        claimed = source_b in claims_of.get(a, set()) or source_a in claims_of.get(b, set())
        if candidate.probability >= link_threshold:
            eligible[tuple(sorted((source_a, source_b)))].append(candidate)  # type: ignore[index]
        elif claimed and candidate.probability >= claimed_link:
            figures["claimed_links"] += 1
            eligible[tuple(sorted((source_a, source_b)))].append(  # type: ignore[index]
                Candidate(a, b, candidate.probability, candidate.weight, "claimed")
            )
        elif (
            unambiguous_link is not None
            and candidate.probability >= unambiguous_link
            and rivals[(a, source_b)] == 1
            and rivals[(b, source_a)] == 1
        ):
            figures["unambiguous_links"] += 1
            eligible[tuple(sorted((source_a, source_b)))].append(  # type: ignore[index]
                Candidate(a, b, candidate.probability, candidate.weight, "unambiguous")
            )
        elif candidate.probability >= review_threshold:
            review.append(candidate)
    for candidate in forced.values():
        source_pair = tuple(sorted((source_of[candidate.uid_a], source_of[candidate.uid_b])))
        eligible[source_pair].append(candidate)  # type: ignore[index]

    assigned: list[Candidate] = []
    contenders = 0
    members: dict[str, set[int]] = defaultdict(set)
    for uid in uids:
        members[source_of[uid]].add(uid)
    for source_pair in sorted(eligible):
        chosen, left_over = _assign(eligible[source_pair], members[source_pair[0]])
        assigned.extend(chosen)
        contenders += left_over

    clusters = _Clusters(uids, source_of)
    links: list[Candidate] = []
    refused = {"source": 0, "decision": 0}
    order = sorted(assigned, key=lambda c: (_weight(c) != FORCED_WEIGHT, -c.probability, c.uid_a, c.uid_b))
    for candidate in order:
        outcome = clusters.join(candidate.uid_a, candidate.uid_b, cannot_of)
        if outcome == "joined":
            links.append(candidate)
        elif outcome in refused:
            refused[outcome] += 1
    # A pair whose record already sits with a record of the other's source lost to a stronger candidate: it
    # is a contender, not a question for a reviewer. Nor is a pair that is neither record's best question.
    open_questions = []
    for candidate in review:
        root_a, root_b = clusters.find(candidate.uid_a), clusters.find(candidate.uid_b)
        if (
            source_of[candidate.uid_b] in clusters.sources[root_a]
            or source_of[candidate.uid_a] in clusters.sources[root_b]
        ):
            contenders += 1
            continue
        open_questions.append(candidate)
    review = _best_questions(open_questions, source_of)
    contenders += len(open_questions) - len(review)
    groups = clusters.groups()
    figures.update(
        records=len(uids),
        eligible_pairs=sum(len(pairs) for pairs in eligible.values()),
        contenders=contenders,
        links=len(links),
        refused_same_source=refused["source"],
        refused_by_decision=refused["decision"],
        clusters=len(groups),
        multi_source_clusters=sum(1 for group in groups if len(group) > 1),
        review_pairs=len(review),
        duplicate_pairs=len(duplicates),
    )
    return Resolution(clusters=groups, links=links, review=review, duplicates=duplicates, figures=figures)
