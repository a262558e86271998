"""Canonical incident fields from the records of a cluster (precedence: docs/linkage.md, "Canonical incidents").

Each field is taken whole from one record, and the incident says which source it came from:
* date: the most precise (day, then week, month, year); among equals, the higher-ranked source;
* place: a record with coordinates (the most precise geo_precision first), else one with admin1; the area
  (admin1) from the record with the coordinates when it has one, else from the highest-ranked record with
  one, so `admin1_from` can name another source than `place_from`;
* counts: per count, the value of the highest-ranked source that gives it, with every source's value kept
  beside it (sources count differently; adding them up would count one attack twice);
* attack-type families, WHO SSA types and resources: the union (each source sees part of the attack);
* perpetrator category: the highest-ranked source that names one (not "unknown");
* certainty: the most certain level any source gives; description: the highest-ranked source with text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from registry.models import Incident

# Field reports of the local source first (documented by our own people, with evidence), then WHO SSA (which
# verifies with partners), then the SiND family, then the event datasets.
SOURCE_RANK = ("local", "who-ssa", "insecurity-insight", "shcc", "acled", "awsd", "inso")
DATE_PRECISION_RANK = ("day", "week", "month", "year", "")
GEO_PRECISION_RANK = (
    "site",
    "town",
    "km25",
    "district",
    "linear",
    "province",
    "estimated",
    "country",
    "censored",
    "",
)
CERTAINTY_RANK = ("confirmed", "probable", "possible", "rumour", "unverified", "unknown", "")

FIGURES = (
    "people_killed",
    "people_injured",
    "health_workers_killed",
    "health_workers_injured",
    "health_workers_kidnapped",
    "health_workers_arrested",
    "health_workers_threatened",
    "health_workers_assaulted",
    "health_workers_sexually_assaulted",
    "patients_kidnapped",
    "patients_arrested",
    "facilities_destroyed",
    "facilities_damaged",
    "transport_destroyed",
    "transport_damaged",
    "supplies_looted",
)

# What incidents read from each record (sources.Record field names).
RECORD_FIELDS = (
    "event_date",
    "date_precision",
    "country_iso3",
    "admin1",
    "latitude",
    "longitude",
    "geo_precision",
    "attack_families",
    "who_ssa_types",
    "resources",
    "perpetrator_category",
    "certainty",
    "description",
    *FIGURES,
)


def _rank(order: Sequence[str], value: str | None) -> int:
    return order.index(value) if value in order else len(order)


def source_rank(source: str) -> int:
    return _rank(SOURCE_RANK, source)


def canonical_fields(records: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The incident's fields from (source slug, record fields) pairs; see the module docstring."""
    by_source = sorted(records, key=lambda item: (source_rank(item[0]), item[0]))
    fields: dict[str, Any] = {
        "event_date": None,
        "date_precision": "",
        "date_from": "",
        "country_iso3": "",
        "admin1": "",
        "admin1_from": "",
        "latitude": None,
        "longitude": None,
        "geo_precision": "",
        "place_from": "",
        "perpetrator_category": "",
        "perpetrator_from": "",
        "certainty": "",
        "description": "",
        "description_from": "",
    }
    dated = [item for item in by_source if item[1].get("event_date")]
    if dated:
        source, record = min(
            dated, key=lambda item: _rank(DATE_PRECISION_RANK, item[1].get("date_precision"))
        )
        fields.update(event_date=record["event_date"], date_precision=record.get("date_precision") or "")
        fields["date_from"] = source
    countries = [record["country_iso3"] for _, record in by_source if record.get("country_iso3")]
    fields["country_iso3"] = countries[0] if countries else ""
    placed = [item for item in by_source if item[1].get("latitude") is not None]
    if placed:
        source, record = min(placed, key=lambda item: _rank(GEO_PRECISION_RANK, item[1].get("geo_precision")))
        fields.update(latitude=record["latitude"], longitude=record["longitude"])
        fields.update(geo_precision=record.get("geo_precision") or "", admin1=record.get("admin1") or "")
        fields["place_from"] = source
        fields["admin1_from"] = source if fields["admin1"] else ""
    if not fields["admin1"]:
        named = [item for item in by_source if item[1].get("admin1")]
        if named:
            fields["admin1"] = named[0][1]["admin1"]
            fields["admin1_from"] = named[0][0]
            fields["place_from"] = fields["place_from"] or named[0][0]
    for source, record in by_source:
        if record.get("perpetrator_category") and record["perpetrator_category"] != "unknown":
            fields.update(perpetrator_category=record["perpetrator_category"], perpetrator_from=source)
            break
    certainties = [record.get("certainty") or "" for _, record in by_source]
    fields["certainty"] = (
        min(certainties, key=lambda level: _rank(CERTAINTY_RANK, level)) if certainties else ""
    )
    for source, record in by_source:
        if record.get("description"):
            fields.update(description=record["description"], description_from=source)
            break
    for name in ("attack_families", "who_ssa_types", "resources"):
        fields[name] = sorted({value for _, record in by_source for value in record.get(name) or ()})
    figures: dict[str, Any] = {}
    for name in FIGURES:
        given = {
            source: record[name] for source, record in reversed(by_source) if record.get(name) is not None
        }
        if given:
            first = min(given, key=lambda source: (source_rank(source), source))
            figures[name] = {"value": given[first], "source": first, "by_source": dict(sorted(given.items()))}
    fields["figures"] = figures
    fields["sources"] = sorted({source for source, _ in by_source})
    fields["record_count"] = len(records)
    return fields


def records_of(incident: Incident) -> list[tuple[str, dict[str, Any]]]:
    from sources.models import Record

    links = list(incident.links.exclude(record=None).values_list("source", "record_id"))
    values = {
        row["pk"]: row
        for row in Record.objects.filter(pk__in=[pk for _, pk in links]).values("pk", *RECORD_FIELDS)
    }
    return [(source, values[pk]) for source, pk in links if pk in values]


def refresh(incident: Incident) -> Incident:
    """Recompute the canonical fields from the incident's linked records, and save."""
    for name, value in canonical_fields(records_of(incident)).items():
        setattr(incident, name, value)
    incident.updated_at = timezone.now()
    incident.save()
    return incident
