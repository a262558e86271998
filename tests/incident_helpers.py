"""Helpers for the review, incident and counts tests: source records, incidents and review pairs made directly
as rows (the importers have their own tests), small enough to know every expected number."""

from __future__ import annotations

import datetime
import hashlib
import itertools
from typing import Any

from linkage.frame import record_key
from linkage.models import LinkageRun, ReviewPair
from linkage.synthetic import fixture_rows
from registry.incidents import refresh
from registry.models import Incident, IncidentLink
from sources.models import Product, Record, Release, Source

VINTAGE = datetime.date(2024, 3, 1)
_numbers = itertools.count(1)


def release(
    source: str, *, product: str = "incidents", vintage: datetime.date = VINTAGE, kind: str = "incidents"
) -> Release:
    """A release of `source`'s `product` with a header row (its records are added with `record`)."""
    found, _created = Source.objects.get_or_create(slug=source, defaults={"name": source.upper()})
    made, _created = Product.objects.get_or_create(source=found, slug=product, defaults={"kind": kind})
    number = next(_numbers)
    return Release.objects.create(
        product=made,
        file_name=f"{source}-{product}-{number}.csv",
        file_size=100,
        sha256=hashlib.sha256(f"{source}{product}{number}".encode()).hexdigest(),
        file_format="csv",
        vintage_date=vintage,
        importer=source,
        importer_version="1",
        crosswalks_version=1,
        headers=["ID", "Date", "Country", "What happened"],
    )


def record(
    of: Release,
    source_id: str,
    *,
    date: datetime.date | None = datetime.date(2023, 5, 2),
    country: str = "UKR",
    families: list[str] | None = None,
    health_related: bool = True,
    **fields: Any,
) -> Record:
    row_number = (Record.objects.filter(release=of).count() or 0) + 2
    families = ["heavy_weapons"] if families is None else families
    raw = [source_id, date.isoformat() if date else "", country, fields.get("description", "")]
    return Record.objects.create(
        release=of,
        row_number=row_number,
        source_id=source_id,
        content_hash=hashlib.sha256(repr(raw).encode()).hexdigest(),
        raw=raw,
        change=Record.Change.ADDED,
        event_date=date,
        date_precision=fields.pop("date_precision", "day" if date else ""),
        country_iso3=country,
        attack_families=families,
        health_related=health_related,
        **fields,
    )


def key(of: Record) -> str:
    return record_key(of.release.product.source.slug, of.source_id, of.occurrence)


def incident(*records: Record, how: str = IncidentLink.How.MODEL) -> Incident:
    """An active incident of these records (one link each), with its canonical fields computed."""
    made = Incident.objects.create()
    for member in records:
        IncidentLink.objects.create(
            incident=made,
            record_key=key(member),
            record=member,
            source=member.release.product.source.slug,
            how=how,
            probability=0.95 if how == IncidentLink.How.MODEL else None,
        )
    return refresh(made)


def finished_run() -> LinkageRun:
    return LinkageRun.objects.create(backend="duckdb", status=LinkageRun.Status.DONE)


def review_pair(
    run: LinkageRun,
    first: Record,
    second: Record,
    *,
    kind: str = ReviewPair.Kind.UNCERTAIN,
    probability: float = 0.7,
    agreement: dict[str, Any] | None = None,
) -> ReviewPair:
    """A queued pair, stored with its keys in order as linkage.actions does."""
    (key_a, record_a), (key_b, record_b) = sorted([(key(first), first), (key(second), second)])
    return ReviewPair.objects.create(
        run=run,
        kind=kind,
        key_a=key_a,
        key_b=key_b,
        record_a=record_a,
        record_b=record_b,
        probability=probability,
        match_weight=1.5,
        agreement=agreement
        if agreement is not None
        else {
            "date": {"level": "one day apart", "agrees": True},
            "admin1": {"level": "All other comparisons", "agrees": False},
            "tokens": {"level": "", "agrees": None},
        },
    )


FIELDS = (
    "date_precision",
    "admin1",
    "latitude",
    "longitude",
    "resources",
    "perpetrator_category",
    "people_killed",
    "people_injured",
    "health_workers_killed",
    "health_workers_injured",
    "description",
    "co_reported_by",
)


def store_fixture(
    vintage: datetime.date = datetime.date(2024, 3, 1),
) -> tuple[dict[int, Record], dict[int, int]]:
    """The fixture records as sources.Record rows, one release per source; returns them by fixture number,
    and the truth (fixture number -> incident)."""
    rows, truth = fixture_rows()
    releases: dict[str, Release] = {}
    stored: dict[int, Record] = {}
    for row in rows:
        source = row["source"]
        if source not in releases:
            releases[source] = release(source, vintage=vintage)
        fields: dict[str, Any] = {name: row[name] for name in FIELDS if row.get(name) not in (None, "")}
        fields.setdefault("date_precision", "day" if row.get("event_date") else "")
        stored[row["unique_id"]] = record(
            releases[source],
            row["source_id"],
            date=row.get("event_date"),
            country=row["country_iso3"],
            families=row.get("attack_families") or [],
            occurrence=row.get("occurrence", 1),
            **fields,
        )
    return stored, truth
