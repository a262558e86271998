"""The proximity check: which incidents happened within a set distance of a registered facility.

Each active incident with coordinates is compared with the facilities in a latitude band around it (the
facilities are sorted by latitude once, and each incident finds its band by bisection), then by longitude
(across the antimeridian too), and only those inside the bounding box get the exact great-circle distance
(haversine, mean Earth radius). So a check costs about (incidents + facilities) times log(facilities), not
incidents times facilities.

A link is flagged `notified_before_attack` when the facility was in a notification sent before the
earliest day the incident may have happened on: the day itself for a date given to the day, the Monday
before for one given to the week (the source says only which week), the first of the month or of the year
for coarser dates. A notification sent on that same day does not count: which came first cannot be told.
An incident without a date is linked but never flagged.

`check()` replaces the stored links (facilities.models.FacilityIncident) with what it finds, in one
transaction, and says what changed.
"""

from __future__ import annotations

import bisect
import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.chain import record
from facilities.models import Facility, FacilityIncident, Notification
from registry.models import Incident

EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG)
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180.0
DEFAULT_DISTANCE_M = 1000


def distance_setting() -> int:
    """FACILITY_PROXIMITY_METRES (ZORGVEILIG_FACILITY_PROXIMITY_METRES), 1,000 m unless set."""
    return int(getattr(settings, "FACILITY_PROXIMITY_METRES", DEFAULT_DISTANCE_M))


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(latitude: float, longitude: float, metres: float) -> tuple[float, float, float, float]:
    """(south, north, west, east) of a box that holds every point within `metres`; west > east when it
    crosses the antimeridian; the whole circle of longitudes near the poles."""
    d_lat = metres / METRES_PER_DEGREE
    south, north = max(-90.0, latitude - d_lat), min(90.0, latitude + d_lat)
    widest = max(abs(south), abs(north))
    if widest >= 89.9:
        return south, north, -180.0, 180.0
    d_lon = d_lat / math.cos(math.radians(widest))
    if d_lon >= 180.0:
        return south, north, -180.0, 180.0
    west, east = longitude - d_lon, longitude + d_lon
    if west < -180.0:
        west += 360.0
    if east > 180.0:
        east -= 360.0
    return south, north, west, east


def in_longitudes(longitude: float, west: float, east: float) -> bool:
    if west <= east:
        return west <= longitude <= east
    return longitude >= west or longitude <= east


def earliest_day(event_date: datetime.date, precision: str) -> datetime.date:
    """The first day on which an incident dated `event_date` with `precision` may have happened."""
    if precision == "week":
        return event_date - datetime.timedelta(days=6)
    if precision == "month":
        return event_date.replace(day=1)
    if precision == "year":
        return event_date.replace(month=1, day=1)
    return event_date


@dataclass(frozen=True)
class Point:
    pk: int
    latitude: float
    longitude: float


class FacilityIndex:
    """Facilities sorted by latitude, for finding those near a point."""

    def __init__(self, facilities: Iterable[Point]) -> None:
        self.points = sorted(facilities, key=lambda point: point.latitude)
        self.latitudes = [point.latitude for point in self.points]

    def near(self, latitude: float, longitude: float, metres: float) -> list[tuple[Point, float]]:
        south, north, west, east = bounding_box(latitude, longitude, metres)
        found = []
        start = bisect.bisect_left(self.latitudes, south)
        stop = bisect.bisect_right(self.latitudes, north)
        for point in self.points[start:stop]:
            if not in_longitudes(point.longitude, west, east):
                continue
            distance = haversine_m(latitude, longitude, point.latitude, point.longitude)
            if distance <= metres:
                found.append((point, distance))
        return found


@dataclass(frozen=True)
class Link:
    facility_id: int
    incident_id: int
    distance_m: int
    notification_id: int | None

    @property
    def notified_before_attack(self) -> bool:
        return self.notification_id is not None


@dataclass(frozen=True)
class CheckResult:
    distance_m: int
    incidents_checked: int
    facilities: int
    links: int
    added: int
    changed: int
    removed: int
    flagged: int


def _first_notifications(facility_ids: Iterable[int]) -> dict[int, list[tuple[datetime.date, int]]]:
    """For each facility, the (day sent, notification id) of every sent notification it was in, oldest
    first. The day is taken in the site's time zone, as staff enter it."""
    wanted = set(facility_ids)
    sent: dict[int, list[tuple[datetime.date, int]]] = {}
    through = Notification.facilities.through
    rows = (
        through.objects.filter(facility_id__in=wanted, notification__sent_at__isnull=False)
        .values_list("facility_id", "notification_id", "notification__sent_at")
        .iterator()
    )
    for facility_id, notification_id, sent_at in rows:
        day = timezone.localtime(sent_at).date()
        sent.setdefault(facility_id, []).append((day, notification_id))
    for entries in sent.values():
        entries.sort()
    return sent


def _notification_before(
    entries: list[tuple[datetime.date, int]] | None, event_date: datetime.date | None, precision: str
) -> int | None:
    if not entries or event_date is None:
        return None
    first_day = earliest_day(event_date, precision)
    day, notification_id = entries[0]
    return notification_id if day < first_day else None


def find_links(*, metres: int, facility_ids: Iterable[int] | None = None) -> tuple[list[Link], int, int]:
    """Every (facility, incident) pair within `metres` (only of `facility_ids` when given), with the
    flag; and the numbers of incidents and facilities compared."""
    facilities = Facility.objects.all()
    if facility_ids is not None:
        facilities = facilities.filter(pk__in=list(facility_ids))
    points = [Point(pk, lat, lon) for pk, lat, lon in facilities.values_list("pk", "latitude", "longitude")]
    index = FacilityIndex(points)
    notifications = _first_notifications(point.pk for point in points)
    incidents = Incident.objects.filter(
        status=Incident.Status.ACTIVE, latitude__isnull=False, longitude__isnull=False
    )
    if facility_ids is not None:
        # Only incidents in the facilities' boxes can be near them.
        if not points:
            return [], 0, 0
        south = min(point.latitude for point in points) - metres / METRES_PER_DEGREE
        north = max(point.latitude for point in points) + metres / METRES_PER_DEGREE
        incidents = incidents.filter(latitude__gte=south, latitude__lte=north)
    links: list[Link] = []
    checked = 0
    for pk, latitude, longitude, event_date, precision in incidents.values_list(
        "pk", "latitude", "longitude", "event_date", "date_precision"
    ).iterator(chunk_size=5000):
        if latitude is None or longitude is None:
            continue
        if not (-90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0):
            continue
        checked += 1
        for point, distance in index.near(latitude, longitude, metres):
            links.append(
                Link(
                    facility_id=point.pk,
                    incident_id=pk,
                    distance_m=round(distance),
                    notification_id=_notification_before(
                        notifications.get(point.pk), event_date, precision or ""
                    ),
                )
            )
    return links, checked, len(points)


def check(
    *, facility_ids: Iterable[int] | None = None, metres: int | None = None, actor: object = None
) -> CheckResult:
    """Find the links (of every facility, or of `facility_ids`) and store them instead of the old ones."""
    metres = distance_setting() if metres is None else metres
    chosen = None if facility_ids is None else sorted(set(facility_ids))
    links, checked, facility_count = find_links(metres=metres, facility_ids=chosen)
    wanted = {(link.facility_id, link.incident_id): link for link in links}
    now = timezone.now()
    added = changed = removed = 0
    with transaction.atomic():
        stored = FacilityIncident.objects.all()
        if chosen is not None:
            stored = stored.filter(facility_id__in=chosen)
        existing = {(row.facility_id, row.incident_id): row for row in stored.select_for_update()}
        gone = [row.pk for key, row in existing.items() if key not in wanted]
        if gone:
            FacilityIncident.objects.filter(pk__in=gone).delete()
            removed = len(gone)
        new_rows = []
        updated_rows = []
        for key, link in wanted.items():
            row = existing.get(key)
            if row is None:
                new_rows.append(
                    FacilityIncident(
                        facility_id=link.facility_id,
                        incident_id=link.incident_id,
                        distance_m=link.distance_m,
                        notified_before_attack=link.notified_before_attack,
                        notification_id=link.notification_id,
                        checked_at=now,
                    )
                )
            elif (row.distance_m, row.notification_id) != (link.distance_m, link.notification_id):
                row.distance_m = link.distance_m
                row.notification_id = link.notification_id
                row.notified_before_attack = link.notified_before_attack
                row.checked_at = now
                updated_rows.append(row)
        FacilityIncident.objects.bulk_create(new_rows, batch_size=1000)
        FacilityIncident.objects.bulk_update(
            updated_rows,
            ["distance_m", "notification_id", "notified_before_attack", "checked_at"],
            batch_size=1000,
        )
        added, changed = len(new_rows), len(updated_rows)
        flagged = sum(1 for link in links if link.notified_before_attack)
        result = CheckResult(
            distance_m=metres,
            incidents_checked=checked,
            facilities=facility_count,
            links=len(links),
            added=added,
            changed=changed,
            removed=removed,
            flagged=flagged,
        )
        if added or changed or removed:
            record(
                "facilities.proximity_checked",
                actor=actor,
                target=("facilities.proximity", "all" if chosen is None else ",".join(map(str, chosen[:50]))),
                details={
                    "distance_m": metres,
                    "links": result.links,
                    "added": added,
                    "changed": changed,
                    "removed": removed,
                    "flagged": flagged,
                },
            )
    return result
