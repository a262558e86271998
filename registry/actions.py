"""Changing which records make up an incident by hand: merging two incidents, splitting records off one.

Both keep the rule every incident follows: at most one record of each source (two records of one source are
two reports the source itself counts apart). The reviewer's reasons (Decisions) are linkage's business:
linkage.decisions records them and then calls these. Each action runs in one transaction, writes one audit
event, and recomputes the canonical fields (registry.incidents.refresh) of every incident it changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.chain import record
from registry.incidents import refresh
from registry.models import Incident, IncidentLink
from registry.signals import announce_incidents_changed


class IncidentChangeRefused(Exception):
    """The change would break a rule of the registry; the message says which and names the records."""


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


def _active(incident: Incident) -> None:
    if incident.status != Incident.Status.ACTIVE:
        raise IncidentChangeRefused(
            _("Incident %(number)s is retired; only active incidents can be changed.")
            % {"number": incident.number}
        )


def source_clashes(links: Iterable[IncidentLink]) -> dict[str, list[str]]:
    """Sources with more than one of these records, each with the record keys (sorted)."""
    by_source: dict[str, list[str]] = defaultdict(list)
    for link in links:
        by_source[link.source].append(link.record_key)
    return {source: sorted(keys) for source, keys in sorted(by_source.items()) if len(keys) > 1}


def clash_message(clashes: dict[str, list[str]]) -> str:
    source, keys = next(iter(clashes.items()))
    return _(
        "The incident would hold two records of %(source)s (%(keys)s): an incident holds at most one record "
        "of each source."
    ) % {"source": source, "keys": ", ".join(keys)}


def merge_incidents(actor: Any, keep: Incident, other: Incident) -> Incident:
    """Move every record of `other` into `keep`; `other` is retired, pointing to `keep`."""
    if keep.pk == other.pk:
        raise IncidentChangeRefused(_("An incident cannot be merged with itself."))
    with transaction.atomic():
        keep, other = _locked(keep), _locked(other)
        _active(keep)
        _active(other)
        clashes = source_clashes([*keep.links.all(), *other.links.all()])
        if clashes:
            raise IncidentChangeRefused(clash_message(clashes))
        moved = other.links.update(
            incident=keep, how=IncidentLink.How.DECISION, probability=None, linked_at=timezone.now()
        )
        other.status = Incident.Status.RETIRED
        other.merged_into = keep
        refresh(other)
        refresh(keep)
        record(
            "registry.incidents_merged",
            actor=actor,
            target=keep,
            details={"kept": keep.pk, "retired": other.pk, "records_moved": moved},
        )
        announce_incidents_changed("merge")
    return keep


def split_incident(actor: Any, incident: Incident, record_keys: Iterable[str]) -> Incident:
    """Move the links of `record_keys` out of `incident` into a new incident, which is returned."""
    keys = sorted(set(record_keys))
    with transaction.atomic():
        incident = _locked(incident)
        _active(incident)
        present = set(incident.links.values_list("record_key", flat=True))
        unknown = [key for key in keys if key not in present]
        if not keys:
            raise IncidentChangeRefused(_("Choose at least one record to split off."))
        if unknown:
            raise IncidentChangeRefused(
                _("Record %(key)s is not part of incident %(number)s.")
                % {"key": unknown[0], "number": incident.number}
            )
        if len(keys) == len(present):
            raise IncidentChangeRefused(
                _("At least one record has to stay in incident %(number)s.") % {"number": incident.number}
            )
        now = timezone.now()
        created = Incident.objects.create(created_at=now, updated_at=now)
        incident.links.filter(record_key__in=keys).update(
            incident=created, how=IncidentLink.How.DECISION, probability=None, linked_at=now
        )
        refresh(incident)
        refresh(created)
        record(
            "registry.incident_split",
            actor=actor,
            target=incident,
            details={"from": incident.pk, "new": created.pk, "records_moved": len(keys)},
        )
        announce_incidents_changed("split")
    return created
