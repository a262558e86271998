"""`/api/v1/facilities`: the public get only facilities whose location may be published, with their public
facts; staff (token or verified session, documenting attacks or analysing data) get every facility; the map
layer of the public map follows the same rule."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import Organisation
from accounts.roles import Role
from facilities import actions, proximity
from facilities.models import Facility, Party
from insights.map_views import extra_overlays
from registry.models import Incident
from tests.conftest import login_verified
from tests.test_api_helpers import API, call, handler_with_token

pytestmark = pytest.mark.django_db

PUBLIC_FIELDS = {
    "id",
    "number",
    "name",
    "type",
    "type_label",
    "status",
    "status_label",
    "country",
    "admin1",
    "latitude",
    "longitude",
}


def register(organisation: Organisation, name: str, *, public: bool, latitude: float = 36.2) -> Facility:
    return actions.register_facility(
        None,
        organisation,
        {
            "name": name,
            "facility_type": "hospital",
            "operator": "Secret operator",
            "country_iso3": "SYR",
            "latitude": latitude,
            "longitude": 37.1,
            "location_public": public,
        },
    )


@pytest.fixture
def facilities(organisation: Organisation) -> tuple[Facility, Facility]:
    return register(organisation, "Public Hospital", public=True), register(
        organisation, "Hidden Hospital", public=False, latitude=35.0
    )


def test_public_list_has_only_public_facilities_and_public_fields(facilities: Any) -> None:
    response = call("get", "/facilities")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and [item["name"] for item in body["items"]] == ["Public Hospital"]
    assert set(body["items"][0]) == PUBLIC_FIELDS
    assert "Secret operator" not in response.content.decode()


def test_hidden_facility_is_a_404_for_the_public(facilities: Any) -> None:
    public, hidden = facilities

    assert call("get", f"/facilities/{public.pk}").status_code == 200
    response = call("get", f"/facilities/{hidden.pk}")
    assert response.status_code == 404 and response.json()["detail"] == f"There is no facility {hidden.pk}."


def test_staff_token_sees_every_facility_with_staff_fields(facilities: Any, make_member: Any) -> None:
    _user, token, _key = handler_with_token(make_member, Role.ADMIN)

    body = call("get", "/facilities", token).json()

    assert body["count"] == 2
    hidden = next(item for item in body["items"] if item["name"] == "Hidden Hospital")
    assert hidden["operator"] == "Secret operator" and hidden["location_public"] is False
    assert hidden["organisation"] == "test-beroepsvereniging" and hidden["notified"] is False


def test_token_of_someone_who_neither_documents_nor_analyses_is_refused(
    facilities: Any, make_member: Any
) -> None:
    _user, token, _key = handler_with_token(make_member, Role.CASE_HANDLER)

    response = call("get", "/facilities", token)

    assert response.status_code == 403


def test_wrong_token_is_refused_not_answered_as_public(facilities: Any) -> None:
    response = call("get", "/facilities", "zv_not-a-real-token")

    assert response.status_code == 401 and response.json()["code"]


def test_filters_are_checked(facilities: Any) -> None:
    response = call("get", "/facilities?type=castle&country=SY")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"type", "country"}


def test_nearby_incidents_need_staff_and_list_the_flag(
    facilities: Any, make_member: Any, organisation: Organisation
) -> None:
    public, _hidden = facilities
    party = Party.objects.create(name="Forces", kind=Party.Kind.ARMED_FORCES)
    actions.create_notification(
        None,
        organisation,
        facilities=[public],
        parties=[party],
        language="en",
        sent_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
        method="email",
    )
    incident = Incident.objects.create(
        latitude=public.latitude + 300 / proximity.METRES_PER_DEGREE,
        longitude=public.longitude,
        event_date=datetime.date(2024, 6, 1),
        date_precision="day",
    )
    proximity.check()
    _user, token, _key = handler_with_token(make_member, Role.ADMIN)

    assert call("get", f"/facilities/{public.pk}/incidents").status_code == 401
    body = call("get", f"/facilities/{public.pk}/incidents", token).json()

    assert body == [
        {
            "incident": incident.pk,
            "number": incident.number,
            "event_date": "2024-06-01",
            "distance_m": 300,
            "notified_before_attack": True,
            "notification": public.notifications.get().number,
            "notification_sent_at": "2024-01-01T00:00:00+00:00",
        }
    ]


def test_map_layer_is_public_facilities_for_visitors(client: Client, facilities: Any) -> None:
    response = client.get(f"{API}/facilities/map")

    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    features = response.json()["features"]
    assert [feature["properties"]["name"] for feature in features] == ["Public Hospital"]
    assert features[0]["geometry"]["coordinates"] == [37.1, 36.2]
    assert "url" not in features[0]["properties"]


@pytest.mark.parametrize("role", [Role.ANALYST, Role.FIELD_DOCUMENTER])
def test_map_layer_is_every_facility_for_staff(
    client: Client, facilities: Any, make_member: Any, role: Role
) -> None:
    login_verified(client, make_member(role))

    features = client.get(f"{API}/facilities/map").json()["features"]

    assert sorted(feature["properties"]["name"] for feature in features) == [
        "Hidden Hospital",
        "Public Hospital",
    ]
    hidden = next(feature for feature in features if feature["properties"]["name"] == "Hidden Hospital")
    assert hidden["properties"]["url"] == reverse("facilities:detail", args=[facilities[1].pk])


def test_map_layer_is_public_only_for_staff_without_the_permissions(
    client: Client, facilities: Any, make_member: Any
) -> None:
    login_verified(client, make_member(Role.VIEWER))

    features = client.get(f"{API}/facilities/map").json()["features"]

    assert [feature["properties"]["name"] for feature in features] == ["Public Hospital"]


def test_public_map_offers_the_facilities_layer(rf: Any) -> None:
    with translation.override("en"):
        overlays = extra_overlays(rf.get("/"))

    assert overlays == [{"id": "facilities", "label": "Medical facilities", "url": "/api/v1/facilities/map"}]
