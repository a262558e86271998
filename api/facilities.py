"""`/api/v1/facilities/…`: the registry of medical facilities (docs/facilities.md, "API").

Public without a token: only facilities whose location may be published (`location_public`), with their
public facts (name, type, status, country, area, coordinates). With a staff credential (an API token,
`Authorization: Bearer zv_…`, or a logged-in session past the second factor) of someone who documents
attacks or analyses data: every facility, with its operator, organisation, external identifier and the
incidents near it. A token that is sent must be valid (401 otherwise), and its account must document
attacks or analyse data (403): a caller who sends one never silently gets the public answer instead.

`/map` is the GeoJSON layer of the public map (insights.map_views.extra_overlays), public or staff by the
same rule: the map's own script fetches it with the visitor's session.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import EmptyPage, Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from accounts.twofactor import is_verified
from api.auth import token_access
from api.errors import ApiError, invalid_input
from api.schemas import ErrorOut
from facilities import access
from facilities.geojson import feature_collection, public_facilities, with_counts
from facilities.models import Facility, FacilityStatus, FacilityType

router = Router(tags=["facilities"], auth=None)

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}


# Who is asking ---------------------------------------------------------------------------------------------


def staff_user(request: HttpRequest) -> Any | None:
    """The staff member behind the request when they may see every facility; None for the public.

    A token that is sent is checked (and failures throttled as for the cases API); a session counts once
    past the second factor."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _space, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(
                401,
                _("Send an API token as the header “Authorization: Bearer zv_…”, or no header at all."),
                headers={"WWW-Authenticate": "Bearer"},
            )
        user = _token_user(request, token)
        if not access.may_view(user):
            raise ApiError(
                403,
                _(
                    "This account neither documents attacks nor analyses data, so it sees public facilities only."
                ),
            )
        return user
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and is_verified(request) and access.may_view(user):
        return user
    return None


def _token_user(request: HttpRequest, token: str) -> Any:
    return token_access(request, token).user


def _staff_required(request: HttpRequest) -> Any:
    user = staff_user(request)
    if user is None:
        raise ApiError(
            401,
            _("This needs an API token, sent as the header “Authorization: Bearer zv_…”."),
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


# Schemas ---------------------------------------------------------------------------------------------------


class FacilityFilters(Schema):
    country: str = Field("", description="ISO 3166-1 alpha-3 code, e.g. SYR. None: every country.")
    type: str = Field(
        "", description="Facility type.", json_schema_extra={"enum": ["", *FacilityType.values]}
    )
    status: str = Field("", description="Status.", json_schema_extra={"enum": ["", *FacilityStatus.values]})
    page: int = Field(1, ge=1, description="Page, from 1.")
    per_page: int = Field(DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE, description="Facilities per page.")


class FacilityOut(Schema):
    id: int
    number: str
    name: str
    type: str
    type_label: str
    status: str
    status_label: str
    country: str
    admin1: str
    latitude: float
    longitude: float
    # Staff only (left out of public answers):
    operator: str | None = Field(None, description="Staff only.")
    organisation: str | None = Field(None, description="Staff only: the organisation that registered it.")
    external_id: str | None = Field(None, description="Staff only.")
    location_public: bool | None = Field(None, description="Staff only.")
    incidents_nearby: int | None = Field(None, description="Staff only.")
    attacks_after_notification: int | None = Field(
        None, description="Staff only: incidents nearby after the facility had been notified to the parties."
    )
    notified: bool | None = Field(None, description="Staff only: in a notification that was sent.")


class FacilityPage(Schema):
    count: int
    page: int
    pages: int
    per_page: int
    items: list[FacilityOut]


class NearbyIncidentOut(Schema):
    incident: int
    number: str
    event_date: str | None
    distance_m: int
    notified_before_attack: bool
    notification: str | None = Field(None, description="The first notification sent before the attack.")
    notification_sent_at: str | None = None


# Answers ---------------------------------------------------------------------------------------------------


def facility_out(facility: Facility, *, staff: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": facility.pk,
        "number": facility.number,
        "name": facility.name,
        "type": facility.facility_type,
        "type_label": str(facility.get_facility_type_display()),
        "status": facility.status,
        "status_label": str(facility.get_status_display()),
        "country": facility.country_iso3,
        "admin1": facility.admin1,
        "latitude": facility.latitude,
        "longitude": facility.longitude,
    }
    if staff:
        out.update(
            {
                "operator": facility.operator,
                "organisation": facility.organisation.slug,
                "external_id": facility.external_id,
                "location_public": facility.location_public,
                "incidents_nearby": getattr(facility, "nearby", 0),
                "attacks_after_notification": getattr(facility, "flagged", 0),
                "notified": bool(getattr(facility, "sent_notifications", 0)),
            }
        )
    return out


def _visible(staff: bool) -> QuerySet[Facility]:
    facilities = Facility.objects.all() if staff else public_facilities()
    facilities = facilities.select_related("organisation")
    if staff:
        facilities = with_counts(facilities).annotate(
            sent_notifications=Count(
                "notifications", filter=Q(notifications__sent_at__isnull=False), distinct=True
            )
        )
    return facilities


def _filter(facilities: QuerySet[Facility], filters: FacilityFilters) -> QuerySet[Facility]:
    problems: dict[str, list[str]] = {}
    country = filters.country.strip().upper()
    if country and (len(country) != 3 or not country.isalpha()):
        problems["country"] = [_("Give an ISO 3166-1 alpha-3 code, such as SYR.")]
    if filters.type and filters.type not in FacilityType.values:
        problems["type"] = [
            _("Unknown type: use one of %(codes)s.") % {"codes": ", ".join(FacilityType.values)}
        ]
    if filters.status and filters.status not in FacilityStatus.values:
        problems["status"] = [
            _("Unknown status: use one of %(codes)s.") % {"codes": ", ".join(FacilityStatus.values)}
        ]
    if problems:
        raise invalid_input(problems)
    if country:
        facilities = facilities.filter(country_iso3=country)
    if filters.type:
        facilities = facilities.filter(facility_type=filters.type)
    if filters.status:
        facilities = facilities.filter(status=filters.status)
    return facilities


@router.get(
    "",
    response={200: FacilityPage, **ERRORS},
    exclude_none=True,
    summary="List facilities",
    description=(
        "Facilities by country and name. Public: only those whose location may be published, with their "
        "public facts. With a staff token (documenting attacks or analysing data): every facility, with "
        "the staff fields."
    ),
)
def list_facilities(request: HttpRequest, filters: Query[FacilityFilters]) -> dict[str, Any]:
    staff = staff_user(request) is not None
    facilities = _filter(_visible(staff), filters).order_by("country_iso3", "name", "pk")
    paginator = Paginator(facilities, filters.per_page)
    try:
        page = paginator.page(filters.page)
    except EmptyPage:
        raise ApiError(404, _("There is no page %(page)s.") % {"page": filters.page}) from None
    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "per_page": filters.per_page,
        "items": [facility_out(facility, staff=staff) for facility in page.object_list],
    }


@router.get(
    "/map",
    url_name="facilities_map",
    response={200: dict, **ERRORS},
    summary="Facilities as GeoJSON",
    description=(
        "A GeoJSON FeatureCollection of Points ([longitude, latitude]) for maps: the public map's "
        "facilities layer. Public: facilities whose location may be published; staff: every facility."
    ),
)
def facilities_map(request: HttpRequest) -> JsonResponse:
    staff = staff_user(request) is not None
    facilities = _visible(staff).order_by("pk")
    response = JsonResponse(
        feature_collection(facilities, staff=staff),
        content_type="application/geo+json",
        json_dumps_params={"separators": (",", ":")},
    )
    patch_cache_control(response, no_store=True, private=True)
    return response


def _facility(pk: int, *, staff: bool) -> Facility:
    found = _visible(staff).filter(pk=pk).first()
    if found is None:
        # A facility whose location is not public is not there for the public: the same 404.
        raise ApiError(404, _("There is no facility %(id)s.") % {"id": pk})
    return found


@router.get(
    "/{int:facility_id}",
    response={200: FacilityOut, **ERRORS},
    exclude_none=True,
    summary="One facility",
    description="Public when its location may be published; every facility with a staff token.",
)
def facility_detail(request: HttpRequest, facility_id: int) -> dict[str, Any]:
    staff = staff_user(request) is not None
    return facility_out(_facility(facility_id, staff=staff), staff=staff)


@router.get(
    "/{int:facility_id}/incidents",
    response={200: list[NearbyIncidentOut], **ERRORS},
    summary="Incidents near a facility",
    description=(
        "Staff only: the incidents within the proximity distance of the facility, those after a "
        "notification of the facility first, then nearest first."
    ),
)
def nearby_incidents(request: HttpRequest, facility_id: int) -> list[dict[str, Any]]:
    _staff_required(request)
    facility = _facility(facility_id, staff=True)
    links = facility.incident_links.select_related("incident", "notification").order_by(
        "-notified_before_attack", "distance_m", "pk"
    )
    return [
        {
            "incident": link.incident_id,
            "number": link.incident.number,
            "event_date": link.incident.event_date.isoformat() if link.incident.event_date else None,
            "distance_m": link.distance_m,
            "notified_before_attack": link.notified_before_attack,
            "notification": link.notification.number if link.notification else None,
            "notification_sent_at": (
                link.notification.sent_at.isoformat()
                if link.notification and link.notification.sent_at
                else None
            ),
        }
        for link in links
    ]
