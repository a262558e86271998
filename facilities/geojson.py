"""Facilities as a GeoJSON FeatureCollection for maps: the public map's layer (insights.map_views
.extra_overlays, served by api.facilities) and the staff pages' maps.

The public get the facilities whose location may be published, with their public facts only; staff who
document attacks or analyse data get every facility, with its number, the address of its page, and how
many incidents happened near it (and how many after it was notified).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from facilities.models import Facility


def public_facilities() -> QuerySet[Facility]:
    return Facility.objects.filter(location_public=True)


def with_counts(facilities: QuerySet[Facility]) -> QuerySet[Facility]:
    return facilities.annotate(
        nearby=Count("incident_links", distinct=True),
        flagged=Count("incident_links", filter=Q(incident_links__notified_before_attack=True), distinct=True),
    )


def public_properties(facility: Facility) -> dict[str, Any]:
    return {
        "name": facility.name,
        "type": facility.facility_type,
        "type_label": str(facility.get_facility_type_display()),
        "status": facility.status,
        "status_label": str(facility.get_status_display()),
        "country": facility.country_iso3,
        "admin1": facility.admin1,
    }


def feature(facility: Facility, *, staff: bool) -> dict[str, Any]:
    properties = public_properties(facility)
    if staff:
        properties.update(
            {
                "id": facility.pk,
                "number": facility.number,
                "url": reverse("facilities:detail", args=[facility.pk]),
                "location_public": facility.location_public,
                "incidents_nearby": getattr(facility, "nearby", None),
                "attacks_after_notification": getattr(facility, "flagged", None),
            }
        )
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [facility.longitude, facility.latitude]},
        "properties": properties,
    }


def feature_collection(facilities: Iterable[Facility], *, staff: bool) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [feature(facility, staff=staff) for facility in facilities],
    }
