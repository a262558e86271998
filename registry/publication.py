"""What may be published: the one definition of the public/restricted split (docs/publication.md).

It follows WHO SSA's practice. The SSA methodology (WHO/WHE/EMO/2019.2) keeps its "Category B" out of public
view: the province or city, GPS coordinates, the facility's name and affiliation, the description, the
identities of sources, and breakdowns by sex, age and type of person. Reports at the level "rumour" are not
published at all (§7.3 of the dataset reference). Here that becomes:

* Rows: a record or incident whose certainty is in UNPUBLISHED_CERTAINTY is never published, nor counted
  in a public figure (`publishable`).
* Fields: PUBLIC_FIELDS are the most any public output may carry for a row. A description, a name, a
  source's own wording, the sources of information and where a row sits in a file are never among them.
* Per source: an imported dataset keeps what its publisher already published (Insecurity Insight, SHCC,
  AWSD and ACLED publish the first administrative level and coordinates; WHO SSA does not), while the field
  reports of our own documenters (source "local") follow Category B: no place below the country and no
  counts broken down by type of person. A source not named in SOURCE_FIELDS publishes no more than the
  local one (a new source is restricted until someone decides otherwise, here).
* Incidents: an incident takes each field whole from one of its records (registry/incidents.py), so each
  field is public only when the source it was taken from publishes that field. A row of an incident says
  where each field came from in `<field>_from` keys (see `public_incident`).

Every public output (exports, map, API, public pages) applies `publishable` to its rows and
`public_record` or `public_incident` to each row it shows. The analytics layer applies the same rules in
SQL for speed (insights.exports.published_facts), built from the tables here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# SSA §7.3: "Rumour" is not in the public export.
UNPUBLISHED_CERTAINTY: frozenset[str] = frozenset({"rumour"})

# Which row and which sources: identifiers, never anything about the people who told us.
IDENTIFIERS: tuple[str, ...] = ("incident_id", "source", "source_id", "sources")
# When, in which country, what happened, by whom in categories, how certain: every source publishes these.
WHAT: tuple[str, ...] = (
    "event_date",
    "date_precision",
    "country_iso3",
    "attack_families",
    "resources",
    "perpetrator_category",
    "certainty",
)
# Totals that say nothing about who the people were.
TOTALS: tuple[str, ...] = (
    "people_killed",
    "people_injured",
    "facilities_destroyed",
    "facilities_damaged",
)
# Category B: the place below the country.
PLACE: tuple[str, ...] = ("admin1", "latitude", "longitude", "geo_precision")
# Category B: counts broken down by type of person (health workers, patients).
BY_PERSON_TYPE: tuple[str, ...] = (
    "health_workers_killed",
    "health_workers_injured",
    "health_workers_kidnapped",
    "health_workers_arrested",
    "health_workers_threatened",
    "health_workers_assaulted",
    "health_workers_sexually_assaulted",
    "patients_kidnapped",
    "patients_arrested",
)

# The most a public output may hold for one row, in the order the exports use.
PUBLIC_FIELDS: tuple[str, ...] = (
    *IDENTIFIERS,
    "event_date",
    "date_precision",
    "country_iso3",
    *PLACE,
    "attack_families",
    "resources",
    "perpetrator_category",
    "certainty",
    "people_killed",
    "people_injured",
    "health_workers_killed",
    "health_workers_injured",
    "health_workers_kidnapped",
    "health_workers_arrested",
    "facilities_destroyed",
    "facilities_damaged",
)

# Never public, whatever the source (the exports' staff level and the registry's pages have them).
RESTRICTED_FIELDS: tuple[str, ...] = (
    "description",
    "perpetrator_name",
    "perpetrator_as_given",
    "attack_types_as_given",
    "country_as_given",
    "certainty_as_given",
    "facility",
    "facility_name",
    "sources_of_information",
    "release_id",
    "row_number",
    "source_records",
)

_EVERY_SOURCE = frozenset((*IDENTIFIERS, *WHAT, *TOTALS))
_EVERYTHING = frozenset(PUBLIC_FIELDS) | frozenset(BY_PERSON_TYPE)
_CATEGORY_B = frozenset(PLACE) | frozenset(BY_PERSON_TYPE)

# What each source itself publishes (and so what we may publish of its records).
SOURCE_FIELDS: dict[str, frozenset[str]] = {
    "insecurity-insight": _EVERYTHING,
    "shcc": _EVERYTHING,
    "awsd": _EVERYTHING,
    "acled": _EVERYTHING,
    # The SSA public export has the country and the counts it gives (deaths, injuries, health workers and
    # patients abducted or arrested), but no province, city or coordinates.
    "who-ssa": _EVERYTHING - frozenset(PLACE),
    # Field reports of our own documenters: SSA Category B stays in.
    "local": _EVERYTHING - _CATEGORY_B,
}
DEFAULT_FIELDS: frozenset[str] = _EVERYTHING - _CATEGORY_B

# An incident's row says where a field came from in these keys; a field not here is one every source
# publishes, so its origin does not matter.
COORDINATES_FROM = "coordinates_from"
ADMIN1_FROM = "admin1_from"
_ORIGIN_KEYS = {
    "latitude": COORDINATES_FROM,
    "longitude": COORDINATES_FROM,
    "geo_precision": COORDINATES_FROM,
    "admin1": ADMIN1_FROM,
}


def origin_key(field: str) -> str:
    """The key of an incident row that names the source `field` was taken from."""
    return _ORIGIN_KEYS.get(field, f"{field}_from")


def source_fields(source: str | None) -> frozenset[str]:
    """The fields `source` publishes."""
    return SOURCE_FIELDS.get(source or "", DEFAULT_FIELDS)


def publishes(source: str | None, field: str) -> bool:
    """Whether `source` publishes `field` (so that we may publish it for a row of that source)."""
    return field in source_fields(source)


def sources_publishing(field: str, known: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The named sources (or those of `known`) that publish `field`, sorted."""
    return tuple(sorted(slug for slug in (known or tuple(SOURCE_FIELDS)) if publishes(slug, field)))


def needs_origin(field: str) -> bool:
    """Whether a public field is published by some sources only, so that an incident's value of it may be
    shown only when the source it came from publishes it."""
    return field in PUBLIC_FIELDS and field not in _EVERY_SOURCE


def restricted_everywhere(field: str) -> bool:
    """True for fields no public output may carry, whatever the source."""
    return field not in PUBLIC_FIELDS


def withheld(source: str | None) -> tuple[str, ...]:
    """The public fields a row of `source` leaves empty, in PUBLIC_FIELDS order."""
    fields = source_fields(source)
    return tuple(name for name in PUBLIC_FIELDS if name not in fields)


def publishable(row: Mapping[str, Any]) -> bool:
    """Whether a record or incident may appear in public at all (SSA: rumours are not published)."""
    return (row.get("certainty") or "") not in UNPUBLISHED_CERTAINTY


def public_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A record's row as it may be published: the PUBLIC_FIELDS it has, with those its source does not
    publish set to None. Raises ValueError for a row that may not be published at all."""
    if not publishable(row):
        raise ValueError("a record at an unpublished certainty level is never published")
    fields = source_fields(row.get("source"))
    return {name: (row[name] if name in fields else None) for name in PUBLIC_FIELDS if name in row}


def public_incident(row: Mapping[str, Any]) -> dict[str, Any]:
    """An incident's row as it may be published: the PUBLIC_FIELDS it has; a field that only some sources
    publish is kept when the source named by its origin key (`origin_key(field)`: "coordinates_from",
    "admin1_from", "<count>_from") publishes it, and set to None otherwise, also when the origin is not
    known. Raises ValueError for an incident that may not be published at all."""
    if not publishable(row):
        raise ValueError("an incident at an unpublished certainty level is never published")
    found: dict[str, Any] = {}
    for name in PUBLIC_FIELDS:
        if name not in row:
            continue
        if name in _EVERY_SOURCE:
            found[name] = row[name]
        else:
            found[name] = row[name] if publishes(row.get(origin_key(name)), name) else None
    return found


def public_row(row: Mapping[str, Any], *, incident: bool) -> dict[str, Any]:
    """`public_incident` or `public_record`, as the row is one or the other."""
    return public_incident(row) if incident else public_record(row)
