"""The linkage input: one row per current source record, in the columns the model compares.

The columns are listed in docs/linkage.md ("The input"). Everything the comparisons need is computed here,
once, in Python, so the SQL the model runs is the same on DuckDB and Spark: dates become day numbers, the
admin1 name is normalised, descriptions become sets of distinctive words.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa

EPOCH = datetime.date(1970, 1, 1)
COARSE_PRECISIONS = frozenset({"month", "year"})

SCHEMA = pa.schema(
    [
        ("unique_id", pa.int64()),
        ("record_key", pa.string()),
        ("source", pa.string()),
        ("source_id", pa.string()),
        ("day_number", pa.int32()),
        ("date_precision", pa.string()),
        ("month_number", pa.int32()),
        ("coarse_month", pa.int32()),
        ("country", pa.string()),
        ("admin1", pa.string()),
        ("latitude", pa.float64()),
        ("longitude", pa.float64()),
        ("resources", pa.list_(pa.string())),
        ("families", pa.list_(pa.string())),
        ("kinds", pa.list_(pa.string())),
        ("perpetrator", pa.string()),
        ("killed", pa.int32()),
        ("injured", pa.int32()),
        ("tokens", pa.list_(pa.string())),
        ("claims", pa.list_(pa.string())),
    ]
)

# Attack-type families grouped one level coarser (MELTT's taxonomy levels): sources that code one attack in
# neighbouring families (a shooting as individual weapons or as assault) still agree on its kind.
KIND_OF_FAMILY = {
    "heavy_weapons": "violence",
    "individual_weapons": "violence",
    "physical_assault": "violence",
    "arson": "violence",
    "chemical": "violence",
    "threat": "intimidation",
    "obstruction": "obstruction",
    "armed_entry": "obstruction",
    "deprivation_of_liberty": "deprivation_of_liberty",
    "looting": "looting",
}

# The harmonised fields of sources.Record the frame is made from (plus the record's own keys).
RECORD_FIELDS = (
    "event_date",
    "date_precision",
    "country_iso3",
    "admin1",
    "latitude",
    "longitude",
    "resources",
    "attack_families",
    "perpetrator_category",
    "people_killed",
    "health_workers_killed",
    "people_injured",
    "health_workers_injured",
    "description",
    "co_reported_by",
)

# Words that say where or what in almost every record, and so tell two records apart no better than chance.
_STOPWORDS = frozenset(
    [
        "about",
        "after",
        "against",
        "also",
        "among",
        "and",
        "another",
        "area",
        "armed",
        "around",
        "attack",
        "attacked",
        "attacks",
        "been",
        "before",
        "being",
        "between",
        "both",
        "by",
        "city",
        "could",
        "district",
        "during",
        "each",
        "from",
        "furtherground",
        "have",
        "having",
        "health",
        "healthcare",
        "hospital",
        "including",
        "into",
        "local",
        "medical",
        "more",
        "near",
        "other",
        "over",
        "people",
        "province",
        "region",
        "reported",
        "reportedly",
        "reports",
        "said",
        "some",
        "such",
        "than",
        "that",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "under",
        "unknown",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "with",
        "within",
        "without",
        "would",
        "village",
        "town",
        "staff",
        "workers",
        "worker",
        "facility",
        "centre",
        "center",
        "clinic",
    ]
)
_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
_ADMIN_WORDS = re.compile(
    r"\b(province|provincia|oblast|governorate|gouvernorat|region|state|district|division|department|"
    r"departement|county|prefecture|muhafazah|wilayah|raion|krai|territory)\b"
)
MAX_TOKENS = 40
# What sources write in a place column when they do not know the place.
_NO_PLACE = frozenset({"no information", "unknown", "not known", "n a", "na", "none", "undisclosed", "other"})


def record_key(source: str, source_id: str, occurrence: int) -> str:
    """A record's key across vintages: the same row in a later file of the same source has the same key."""
    return f"{source}:{source_id}#{occurrence}"


def pair(key_a: str, key_b: str) -> tuple[str, str]:
    return (key_a, key_b) if key_a < key_b else (key_b, key_a)


def normalise_admin1(name: str | None) -> str | None:
    if not name:
        return None
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = _ADMIN_WORDS.sub(" ", text)
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return None if not text or text in _NO_PLACE else text


def _within(country: str | None, admin1: str | None) -> str | None:
    """The area with its country (UKR:kharkiv): two countries may have an area of the same name."""
    return f"{country}:{admin1}" if country and admin1 else None


def description_tokens(text: str | None) -> list[str] | None:
    """The distinctive words of a description, folded to ASCII lowercase (at most MAX_TOKENS, longest first:
    names of places and groups are long, and two reports of one event tend to share them)."""
    if not text:
        return None
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = {word for word in _WORD.findall(folded) if word not in _STOPWORDS}
    if not words:
        return None
    return sorted(sorted(words, key=lambda word: (-len(word), word))[:MAX_TOKENS])


def _count(*values: Any) -> int | None:
    for value in values:
        if value is not None:
            return int(value)
    return None


def _list(values: Iterable[str] | None) -> list[str] | None:
    items = sorted({str(value) for value in values or () if value})
    return items or None


def frame_row(row: dict[str, Any]) -> dict[str, Any]:
    """One frame row from a dict with the harmonised fields of sources.Record (RECORD_FIELDS) plus
    unique_id, source, source_id and occurrence."""
    date: datetime.date | None = row.get("event_date")
    precision = row.get("date_precision") or ("day" if date else "")
    day_number = month_number = coarse_month = None
    if date is not None:
        day_number = (date - EPOCH).days
        month_number = date.year * 12 + date.month - 1
        coarse_month = month_number if precision in COARSE_PRECISIONS else None
    perpetrator = row.get("perpetrator_category") or None
    latitude, longitude = row.get("latitude"), row.get("longitude")
    if latitude is None or longitude is None:
        latitude = longitude = None
    return {
        "unique_id": int(row["unique_id"]),
        "record_key": record_key(row["source"], row["source_id"], int(row.get("occurrence") or 1)),
        "source": row["source"],
        "source_id": row["source_id"],
        "day_number": day_number,
        "date_precision": precision,
        "month_number": month_number,
        "coarse_month": coarse_month,
        "country": row.get("country_iso3") or None,
        "admin1": _within(row.get("country_iso3"), normalise_admin1(row.get("admin1"))),
        "latitude": latitude,
        "longitude": longitude,
        "resources": _list(row.get("resources")),
        "families": _list(family for family in row.get("attack_families") or () if family != "unknown"),
        "kinds": _list(KIND_OF_FAMILY.get(family, "") for family in row.get("attack_families") or ()),
        "perpetrator": None if perpetrator == "unknown" else perpetrator,
        "killed": _count(row.get("people_killed"), row.get("health_workers_killed")),
        "injured": _count(row.get("people_injured"), row.get("health_workers_injured")),
        "tokens": description_tokens(row.get("description")),
        "claims": _list(row.get("co_reported_by")),
    }


def frame_from_rows(rows: Iterable[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist([frame_row(row) for row in rows], schema=SCHEMA)


def current_releases() -> list[Any]:
    """The latest vintage (sources.Release, with its product and source) of every incident product, newest
    vintage first: the releases whose records are linked and counted."""
    from sources.models import Product, Release

    latest: dict[int, Release] = {}
    for release in (
        Release.objects.filter(product__kind=Product.Kind.INCIDENTS)
        .select_related("product__source")
        .order_by("product_id", "-vintage_date", "-pk")
    ):
        latest.setdefault(release.product_id, release)
    return sorted(latest.values(), key=lambda release: (release.vintage_date, release.pk), reverse=True)


def current_record_rows(*, sources: Iterable[str] | None = None) -> Iterator[dict[str, Any]]:
    """The health-related records of the latest vintage of every incident product, one dict per record.

    A source that publishes one record in several products (Insecurity Insight's global file and a country
    file) gives it once: from the product whose latest vintage is newest. Records without a country or date
    cannot be compared and are left out (docs/linkage.md says so).
    """
    from sources.models import Record

    chosen = current_releases()
    if sources is not None:
        wanted = set(sources)
        chosen = [release for release in chosen if release.product.source.slug in wanted]
    seen: set[tuple[str, str, int]] = set()
    fields = ("pk", "source_id", "occurrence", *RECORD_FIELDS)
    for release in chosen:
        source = release.product.source.slug
        records = (
            Record.objects.filter(release=release, health_related=True)
            .exclude(event_date=None)
            .exclude(country_iso3="")
            .values_list(*fields)
            .order_by("pk")
        )
        for values in records.iterator(chunk_size=5000):
            row = dict(zip(fields, values, strict=True))
            key = (source, row["source_id"], row["occurrence"])
            if key in seen:
                continue
            seen.add(key)
            row["unique_id"] = row.pop("pk")
            row["source"] = source
            yield row


def current_frame(*, sources: Iterable[str] | None = None) -> pa.Table:
    batch: list[dict[str, Any]] = []
    tables = []
    for row in current_record_rows(sources=sources):
        batch.append(frame_row(row))
        if len(batch) == 50_000:
            tables.append(pa.Table.from_pylist(batch, schema=SCHEMA))
            batch = []
    tables.append(pa.Table.from_pylist(batch, schema=SCHEMA))
    return pa.concat_tables(tables)
