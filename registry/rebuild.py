"""Rebuild the incidents from a linkage run's clusters, keeping numbers stable.

A cluster keeps the number of the incident it shares most record keys with (ties: the older incident); each
earlier incident goes to at most one cluster. Clusters with no earlier incident get a new number. An earlier
incident left without a cluster is retired, pointing to the incident that took most of its records. Only
incidents whose records changed are recomputed, so a re-run over unchanged data writes nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from registry.incidents import RECORD_FIELDS, canonical_fields
from registry.models import Incident, IncidentLink

BATCH = 5000


@dataclass(frozen=True)
class Member:
    """One record of a cluster: its stable key, its row in the latest vintage, and how it got in."""

    record_key: str
    record_id: int
    source: str
    how: str
    probability: float | None


@dataclass
class Rebuilt:
    created: int = 0
    kept: int = 0
    changed: int = 0
    retired: int = 0
    links_written: int = 0


def _record_values(record_ids: list[int]) -> dict[int, dict[str, Any]]:
    from sources.models import Record

    values: dict[int, dict[str, Any]] = {}
    for start in range(0, len(record_ids), BATCH):
        chunk = record_ids[start : start + BATCH]
        for row in Record.objects.filter(pk__in=chunk).values("pk", *RECORD_FIELDS):
            values[row.pop("pk")] = row
    return values


def _match_incidents(clusters: Sequence[Sequence[Member]], owner: dict[str, int]) -> list[int | None]:
    overlaps: list[tuple[int, int, int]] = []  # (-shared keys, incident, cluster)
    for index, members in enumerate(clusters):
        shared = Counter(owner[m.record_key] for m in members if m.record_key in owner)
        overlaps.extend((-count, incident, index) for incident, count in shared.items())
    chosen: list[int | None] = [None] * len(clusters)
    taken: set[int] = set()
    for _negative, incident, index in sorted(overlaps):
        if chosen[index] is None and incident not in taken:
            chosen[index] = incident
            taken.add(incident)
    return chosen


@transaction.atomic
def rebuild(
    clusters: Sequence[Sequence[Member]], *, progress: Callable[[str], None] | None = None
) -> Rebuilt:
    say = progress or (lambda _stage: None)
    now = timezone.now()
    result = Rebuilt()
    link_ids: dict[str, int] = {}
    existing: dict[str, tuple[int, int | None, str, float | None]] = {}
    for pk, key, owner_id, record_id, how, probability, status in IncidentLink.objects.values_list(
        "pk", "record_key", "incident_id", "record_id", "how", "probability", "incident__status"
    ):
        link_ids[key] = pk
        if status == Incident.Status.ACTIVE:
            existing[key] = (owner_id, record_id, how, probability)
    owner = {key: values[0] for key, values in existing.items()}
    chosen = _match_incidents(clusters, owner)

    say("creating incidents")
    fresh = [index for index, incident in enumerate(chosen) if incident is None]
    values = _record_values([m.record_id for index in fresh for m in clusters[index]])
    created = Incident.objects.bulk_create(
        [Incident(created_at=now, updated_at=now, **_fields(clusters[index], values)) for index in fresh],
        batch_size=BATCH,
    )
    for index, incident in zip(fresh, created, strict=True):
        chosen[index] = incident.pk
    result.created = len(created)

    say("writing links")
    fresh_ids = {incident.pk for incident in created}
    touched: set[int] = set()
    wanted: dict[str, tuple[int, Member]] = {}
    for index, members in enumerate(clusters):
        incident_id = chosen[index]
        assert incident_id is not None
        for member in members:
            wanted[member.record_key] = (incident_id, member)
    new_links, changed_links = [], []
    for key, (incident_id, member) in wanted.items():
        before = existing.get(key)
        after = (incident_id, member.record_id, member.how, member.probability)
        if before == after:
            continue
        touched.add(incident_id)
        if before is not None:
            touched.add(before[0])
        link = IncidentLink(
            incident_id=incident_id,
            record_key=key,
            record_id=member.record_id,
            source=member.source,
            how=member.how,
            probability=member.probability,
            linked_at=now,
        )
        if key in link_ids:
            link.pk = link_ids[key]
            changed_links.append(link)
        else:
            new_links.append(link)
    gone = [key for key in link_ids if key not in wanted]
    for start in range(0, len(gone), BATCH):
        chunk = gone[start : start + BATCH]
        touched.update(
            IncidentLink.objects.filter(record_key__in=chunk).values_list("incident_id", flat=True).distinct()
        )
        IncidentLink.objects.filter(record_key__in=chunk).delete()
    IncidentLink.objects.bulk_create(new_links, batch_size=BATCH)
    _update(IncidentLink, changed_links, ["incident", "record", "source", "how", "probability", "linked_at"])
    result.links_written = len(new_links) + len(changed_links)

    say("retiring incidents left without records")
    kept = {incident for incident in chosen if incident is not None}
    orphans = set(owner.values()) - kept
    successor: dict[int, Counter[int]] = defaultdict(Counter)
    for key, owner_id in owner.items():
        if owner_id in orphans and key in wanted:
            successor[owner_id][wanted[key][0]] += 1
    for incident_id in sorted(orphans):
        heirs = successor.get(incident_id)
        merged_into = min(heirs, key=lambda pk: (-heirs[pk], pk)) if heirs else None
        Incident.objects.filter(pk=incident_id).update(
            status=Incident.Status.RETIRED, merged_into_id=merged_into, updated_at=now
        )
    result.retired = len(orphans)
    touched -= orphans

    say("recomputing incident fields")
    touched -= fresh_ids
    members_of: dict[int, list[Member]] = defaultdict(list)
    for index, members in enumerate(clusters):
        incident_id = chosen[index]
        if incident_id in touched:
            members_of[incident_id].extend(members)
    values = _record_values([m.record_id for members in members_of.values() for m in members])
    incidents = [
        Incident(pk=incident_id, status=Incident.Status.ACTIVE, updated_at=now, **_fields(members, values))
        for incident_id, members in members_of.items()
    ]
    _update(Incident, incidents, ["status", "updated_at", *canonical_fields([]).keys()])
    result.changed = len(incidents)
    result.kept = len(clusters) - len(incidents) - result.created
    return result


def _fields(members: Sequence[Member], values: dict[int, dict[str, Any]]) -> dict[str, Any]:
    return canonical_fields([(m.source, values[m.record_id]) for m in members if m.record_id in values])


def _update(model: type[Model], objects: Sequence[Model], names: Sequence[str]) -> None:
    """UPDATE ... WHERE id = ? for each object, with executemany: Django's bulk_update builds one CASE per
    field over the whole batch, which grows with the square of the batch on SQLite."""
    if not objects:
        return
    fields: list[Any] = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    key_column = quote(str(model._meta.pk.column if model._meta.pk else "id"))
    sql = f"UPDATE {quote(model._meta.db_table)} SET {columns} WHERE {key_column} = %s"  # noqa: S608
    rows = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in fields] + [obj.pk]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])
