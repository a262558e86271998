"""Reviewers' decisions on pairs of records, and what they change in the registry right away.

A Decision says of two record keys (linkage.frame.record_key) that they are the same incident or different
ones. There is one current Decision per pair: a new verdict replaces the old one, and both stay in the audit
log (the log holds the verdict and the keys, never the note). Every later run respects the decisions
(`constraints`). A decision also applies at once to the incidents that exist:

* "same": the two records' incidents are merged, unless the merged incident would hold two records of one
  source or two records decided to be different (DecisionRefused, naming them);
* "different": when both records are in one incident, the second is split off into an incident of its own.

Records not in an incident yet (no run has seen them) get the decision at the next run. Two records of one
source are never merged: an incident holds at most one record of each source. A "same" verdict on them (a
confirmed duplicate inside one source) is kept, but left out of the constraints the model must follow.

`split` and `merge` are the incident page's actions: they record the decisions that explain them, then call
registry.actions.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import product
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.chain import record
from linkage.frame import pair
from linkage.models import Decision, ReviewPair
from registry import actions as registry_actions
from registry.models import Incident, IncidentLink

Verdict = Decision.Verdict


class DecisionRefused(Exception):
    """The decision cannot be applied; the message says why and names the source or records."""


def source_of(key: str) -> str:
    return key.split(":", 1)[0]


def _store(actor: Any, key_a: str, key_b: str, verdict: str, note: str) -> Decision:
    """Create or replace the decision on this pair, audit it and close the review pairs it answers."""
    if verdict not in Verdict.values:
        raise DecisionRefused(_("Unknown verdict: %(verdict)s.") % {"verdict": verdict})
    if key_a == key_b:
        raise DecisionRefused(_("A record cannot be compared with itself."))
    first, second = pair(key_a, key_b)
    decision = Decision.objects.select_for_update().filter(key_a=first, key_b=second).first()
    previous = decision.verdict if decision is not None else None
    if decision is None:
        decision = Decision(key_a=first, key_b=second)
    decision.verdict = verdict
    decision.note = note
    decision.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    decision.decided_at = timezone.now()
    decision.save()
    ReviewPair.objects.filter(
        Q(key_a=first, key_b=second) | Q(key_a=second, key_b=first), decision=None
    ).update(decision=decision)
    record(
        "linkage.decision",
        actor=actor,
        target=decision,
        details={"verdict": verdict, "keys": [first, second], "replaced": previous},
    )
    return decision


def _link(key: str) -> IncidentLink | None:
    return IncidentLink.objects.select_related("incident").filter(record_key=key).first()


def _keys_of(incident: Incident | None, key: str) -> set[str]:
    """The record keys of `incident`, or only `key` when the record is in no incident yet."""
    if incident is None:
        return {key}
    return set(incident.links.values_list("record_key", flat=True))


def decided_different(group_a: Iterable[str], group_b: Iterable[str]) -> list[tuple[str, str]]:
    """The pairs across the two groups of record keys that a reviewer decided are different incidents."""
    wanted = {pair(a, b) for a, b in product(group_a, group_b) if a != b}
    if not wanted:
        return []
    firsts = {a for a, _b in wanted}
    found = Decision.objects.filter(verdict=Verdict.DIFFERENT, key_a__in=firsts).values_list("key_a", "key_b")
    return sorted(key_pair for key_pair in found if key_pair in wanted)


def _refuse_if_decided_different(group_a: set[str], group_b: set[str], exempt: tuple[str, str]) -> None:
    conflicts = [key_pair for key_pair in decided_different(group_a, group_b) if key_pair != exempt]
    if conflicts:
        first, second = conflicts[0]
        raise DecisionRefused(
            _(
                "Records %(first)s and %(second)s were decided to be different incidents, so their incidents "
                "cannot be merged. Decide that pair again first if it was wrong."
            )
            % {"first": first, "second": second}
        )


def _merge(actor: Any, keep: Incident, other: Incident) -> Incident:
    try:
        return registry_actions.merge_incidents(actor, keep, other)
    except registry_actions.IncidentChangeRefused as error:
        raise DecisionRefused(str(error)) from None


def decide(actor: Any, key_a: str, key_b: str, verdict: str, note: str = "") -> Decision:
    """Store the verdict on records `key_a` and `key_b` and apply it to their incidents (module docstring)."""
    with transaction.atomic():
        decision = _store(actor, key_a, key_b, verdict, note)
        if source_of(key_a) == source_of(key_b) and verdict == Verdict.SAME:
            return decision  # a confirmed duplicate: never two records of one source in one incident
        link_a, link_b = _link(key_a), _link(key_b)
        incident_a = link_a.incident if link_a is not None else None
        incident_b = link_b.incident if link_b is not None else None
        if verdict == Verdict.SAME:
            _refuse_if_decided_different(
                _keys_of(incident_a, key_a), _keys_of(incident_b, key_b), (decision.key_a, decision.key_b)
            )
            if incident_a is not None and incident_b is not None and incident_a.pk != incident_b.pk:
                # The older incident keeps its number.
                keep, other = sorted((incident_a, incident_b), key=lambda incident: incident.pk)
                _merge(actor, keep, other)
        elif incident_a is not None and incident_b is not None and incident_a.pk == incident_b.pk:
            try:
                registry_actions.split_incident(actor, incident_b, [key_b])
            except registry_actions.IncidentChangeRefused as error:
                raise DecisionRefused(str(error)) from None
    return decision


def split(actor: Any, incident: Incident, keys: Iterable[str], note: str = "") -> Incident:
    """Split the records `keys` off `incident` into a new incident, deciding each of them different from
    each record that stays."""
    chosen = sorted(set(keys))
    with transaction.atomic():
        present = set(incident.links.values_list("record_key", flat=True))
        staying = sorted(present - set(chosen))
        try:
            # registry.actions refuses an empty choice, unknown keys and taking every record; the decisions
            # are only recorded for a split that can happen (and roll back with it when it does not).
            if chosen and staying and set(chosen) <= present:
                for gone, kept in product(chosen, staying):
                    _store(actor, gone, kept, Verdict.DIFFERENT, note)
            return registry_actions.split_incident(actor, incident, chosen)
        except registry_actions.IncidentChangeRefused as error:
            raise DecisionRefused(str(error)) from None


def merge(actor: Any, keep: Incident, other: Incident, note: str = "") -> Incident:
    """Merge `other` into `keep`, deciding that a record of each is the same incident (the first record key
    of each, in sorted order: one decision is enough to keep them together in later runs)."""
    with transaction.atomic():
        keys_keep = sorted(keep.links.values_list("record_key", flat=True))
        keys_other = sorted(other.links.values_list("record_key", flat=True))
        if keep.pk != other.pk and keys_keep and keys_other:
            _refuse_if_decided_different(set(keys_keep), set(keys_other), ("", ""))
            clashes = registry_actions.source_clashes([*keep.links.all(), *other.links.all()])
            if clashes:
                raise DecisionRefused(registry_actions.clash_message(clashes))
            _store(actor, keys_keep[0], keys_other[0], Verdict.SAME, note)
        return _merge(actor, keep, other)


def constraints() -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(must, cannot): the sorted key pairs decided the same and decided different, for linkage.pipeline.
    "Same" pairs of one source (confirmed duplicates) are left out of `must`: they are never linked."""
    must: set[tuple[str, str]] = set()
    cannot: set[tuple[str, str]] = set()
    for key_a, key_b, verdict in Decision.objects.values_list("key_a", "key_b", "verdict").iterator():
        if verdict == Verdict.DIFFERENT:
            cannot.add((key_a, key_b))
        elif source_of(key_a) != source_of(key_b):
            must.add((key_a, key_b))
    return must, cannot
