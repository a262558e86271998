"""How many incidents each source has, how many there are once the same attack is counted once, and how the
sources overlap, for a filter by year, countries and attack-type family.

* A source's count is its current records: the health-related records, with a date and a country, of the
  latest vintage of each of its incident products (a record published in two products counts once): the
  records the linkage compares (linkage.frame.current_record_rows).
* The de-duplicated union is the number of active registry incidents that match the filter; an incident
  matches on its canonical fields (date, country, attack-type families).
* The overlap matrix counts, for each pair of sources, the matching incidents that hold a record of both,
  and for each source the incidents that hold a record of it and of no other source.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from linkage import frame
from registry.incidents import source_rank
from registry.models import Incident, IncidentLink


def _families_q(field: str, families: Iterable[str]) -> Q:
    """Rows whose JSON list `field` holds any of `families` (SQLite has no JSON `contains`: there the list's
    text is searched for the quoted code, which the codes, lowercase snake_case, make exact)."""
    query = Q()
    for family in families:
        if connection.features.supports_json_field_contains:
            query |= Q(**{f"{field}__contains": [family]})
        else:
            query |= Q(**{f"{field}__icontains": json.dumps(family)})
    return query


def _filter_q(
    *, date: str, country: str, families_field: str, year: int | None, countries: Any, families: Any
) -> Q:
    query = Q()
    if year is not None:
        query &= Q(**{f"{date}__gte": datetime.date(year, 1, 1), f"{date}__lte": datetime.date(year, 12, 31)})
    if countries:
        query &= Q(**{f"{country}__in": sorted({code.upper() for code in countries})})
    if families:
        query &= _families_q(families_field, families)
    return query


def ordered_sources(slugs: Iterable[str]) -> list[str]:
    """Source slugs in the registry's order of precedence (registry.incidents.SOURCE_RANK), then by name."""
    return sorted(set(slugs), key=lambda slug: (source_rank(slug), slug))


def current_releases() -> dict[str, list[int]]:
    """{source slug: ids of the latest release of each of its incident products} (linkage.frame's choice)."""
    by_source: dict[str, list[int]] = defaultdict(list)
    for release in frame.current_releases():
        by_source[release.product.source.slug].append(release.pk)
    return dict(by_source)


def _incident_filter(year: int | None, countries: Iterable[str] | None, families: Iterable[str] | None) -> Q:
    return _filter_q(
        date="event_date",
        country="country_iso3",
        families_field="attack_families",
        year=year,
        countries=list(countries or ()),
        families=list(families or ()),
    )


def matching_incidents(
    year: int | None = None, countries: Iterable[str] | None = None, families: Iterable[str] | None = None
) -> QuerySet[Incident]:
    return Incident.objects.filter(_incident_filter(year, countries, families), status=Incident.Status.ACTIVE)


def source_counts(
    year: int | None = None, countries: Iterable[str] | None = None, families: Iterable[str] | None = None
) -> dict[str, Any]:
    """{"by_source": {slug: current records}, "sum": their sum, "union": matching active incidents}."""
    from sources.models import Record

    wanted = _incident_filter(year, countries, families)
    by_source: dict[str, int] = {}
    releases = current_releases()
    for slug in ordered_sources(releases):
        records = (
            Record.objects.filter(wanted, release_id__in=releases[slug], health_related=True)
            .exclude(event_date=None)
            .exclude(country_iso3="")
        )
        if len(releases[slug]) > 1:
            by_source[slug] = records.values("source_id", "occurrence").distinct().count()
        else:
            by_source[slug] = records.count()
    return {
        "by_source": by_source,
        "sum": sum(by_source.values()),
        "union": matching_incidents(year, countries, families).count(),
    }


def overlap_matrix(
    year: int | None = None, countries: Iterable[str] | None = None, families: Iterable[str] | None = None
) -> dict[str, Any]:
    """For the matching active incidents:
    {"sources": [slugs in order], "shared": {a: {b: incidents with records of both}} (both ways, a != b),
     "only": {slug: incidents with records of this source alone}, "incidents": {slug: incidents with a
     record of this source}, "total": matching incidents}."""
    matching = matching_incidents(year, countries, families)
    sources_of: dict[int, set[str]] = defaultdict(set)
    links = IncidentLink.objects.filter(incident__in=matching.values("pk")).values_list(
        "incident_id", "source"
    )
    for incident_id, source in links.iterator(chunk_size=10_000):
        sources_of[incident_id].add(source)
    slugs = ordered_sources({*current_releases(), *(s for found in sources_of.values() for s in found)})
    shared = {a: {b: 0 for b in slugs if b != a} for a in slugs}
    only = dict.fromkeys(slugs, 0)
    incidents = dict.fromkeys(slugs, 0)
    for found in sources_of.values():
        for source in found:
            incidents[source] += 1
            for other in found:
                if other != source:
                    shared[source][other] += 1
        if len(found) == 1:
            only[next(iter(found))] += 1
    return {
        "sources": slugs,
        "shared": shared,
        "only": only,
        "incidents": incidents,
        "total": matching.count(),
    }
