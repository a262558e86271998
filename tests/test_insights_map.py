"""The map of attacks on health care: its page, the GeoJSON of located events, the counts per country for
the choropleth, and the server-drawn image, on the known data of tests/insights_helpers.py.

Located in that data: ii-1 (Kyiv, 50.45 N 30.52 E), ii-2 (36.2 N 37.1 E), ii-3 (34.5 N 69.2 E) and awsd-1
(34.6 N 69.1 E); so four de-duplicated incidents (ssa-1 + ii-1, ssa-3 + ii-2, ii-3, awsd-1) and four
records. Per country: de-duplicated AFG 3, UKR 2, SYR 1; per source AFG 3, UKR 3, SYR 2.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from insights import analytics_db, geo
from tests.conftest import MakeMember, verified_client
from tests.insights_helpers import KnownData, build_analytics

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]

PUBLIC_PROPERTIES = {
    "date",
    "country",
    "admin1",
    "families",
    "sources",
    "health_workers_killed",
    "facilities_destroyed",
}


@pytest.fixture
def known(settings: Any, tmp_path: Any) -> KnownData:
    return build_analytics(settings, tmp_path)


def url(name: str, *args: Any) -> str:
    with translation.override("en"):
        return reverse(f"insights:{name}", args=args)


def by_place(collection: dict[str, Any]) -> dict[tuple[float, float], dict[str, Any]]:
    return {
        tuple(feature["geometry"]["coordinates"]): feature["properties"] for feature in collection["features"]
    }


# -- Points ---------------------------------------------------------------------------------------------------


def test_points_are_the_located_deduplicated_incidents_newest_first(client: Client, known: KnownData) -> None:
    response = client.get(url("map_points"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    assert (collection["total"], collection["shown"]) == (4, 4)
    assert [feature["properties"]["date"] for feature in collection["features"]] == [
        "2024-03-05",
        "2024-03-01",
        "2024-01-15",
        "2023-05-02",
    ]
    places = by_place(collection)
    assert set(places) == {(30.52, 50.45), (37.1, 36.2), (69.2, 34.5), (69.1, 34.6)}
    kyiv = places[(30.52, 50.45)]
    assert kyiv["country"] == "UKR" and kyiv["admin1"] == "Kyiv"
    assert kyiv["families"] == ["heavy_weapons"]
    assert sorted(kyiv["sources"]) == ["insecurity-insight", "who-ssa"]
    assert places[(37.1, 36.2)]["facilities_destroyed"] == 1
    assert places[(69.1, 34.6)] == {
        "date": "2024-03-05",
        "country": "AFG",
        "admin1": "",
        "families": ["individual_weapons"],
        "sources": ["awsd"],
        "health_workers_killed": 1,
        "facilities_destroyed": None,
    }


def test_points_name_the_codes_they_use_in_the_language_of_the_request(
    client: Client, known: KnownData
) -> None:
    labels = client.get(url("map_points")).json()["labels"]

    assert labels["countries"] == {"AFG": "Afghanistan", "SYR": "Syria", "UKR": "Ukraine"}
    assert labels["families"]["heavy_weapons"] == "Heavy weapons"
    assert labels["sources"] == {
        "awsd": "AWSD",
        "insecurity-insight": "Insecurity Insight",
        "who-ssa": "WHO SSA",
    }


def test_points_per_source_are_the_located_records(client: Client, known: KnownData) -> None:
    collection = client.get(url("map_points"), {"view": "per_source"}).json()

    places = by_place(collection)
    assert (collection["total"], collection["shown"]) == (4, 4)
    assert {place: properties["sources"] for place, properties in places.items()} == {
        (30.52, 50.45): ["insecurity-insight"],
        (37.1, 36.2): ["insecurity-insight"],
        (69.2, 34.5): ["insecurity-insight"],
        (69.1, 34.6): ["awsd"],
    }
    assert places[(30.52, 50.45)]["health_workers_killed"] == 3  # ii-1's own figure, not the incident's
    assert places[(37.1, 36.2)]["date"] == "2024-01-16"


def test_points_follow_the_filters(client: Client, known: KnownData) -> None:
    afghanistan = client.get(url("map_points"), {"country": "AFG"}).json()
    from_2024 = client.get(url("map_points"), {"from": "2024"}).json()
    awsd = client.get(url("map_points"), {"source": "awsd", "view": "per_source"}).json()
    confirmed = client.get(url("map_points"), {"certainty": "confirmed"}).json()

    assert set(by_place(afghanistan)) == {(69.2, 34.5), (69.1, 34.6)}
    assert set(by_place(from_2024)) == {(37.1, 36.2), (69.2, 34.5), (69.1, 34.6)}
    assert set(by_place(awsd)) == {(69.1, 34.6)}
    assert confirmed["total"] == len(confirmed["features"])


def test_anonymous_visitors_get_only_public_fields_of_an_event(client: Client, known: KnownData) -> None:
    for view in ("deduplicated", "per_source"):
        collection = client.get(url("map_points"), {"view": view}).json()

        assert "incident_url" not in collection
        for feature in collection["features"]:
            assert set(feature["properties"]) == PUBLIC_PROPERTIES
            assert set(feature) == {"type", "geometry", "properties"}


def test_analysts_get_the_incident_of_each_event_and_its_page(
    known: KnownData, make_member: MakeMember
) -> None:
    analyst = verified_client(make_member(Role.ANALYST))
    ukraine = known.incidents["ukr"]

    incidents = analyst.get(url("map_points")).json()
    records = analyst.get(url("map_points"), {"view": "per_source"}).json()

    kyiv = by_place(incidents)[(30.52, 50.45)]
    assert kyiv["incident_id"] == ukraine.pk and kyiv["incident"] == ukraine.number
    assert by_place(records)[(30.52, 50.45)]["incident_id"] == ukraine.pk  # ii-1 is part of that incident
    page = incidents["incident_url"].replace("{id}", str(ukraine.pk))
    assert page == reverse("registry:detail", args=[ukraine.pk])
    assert analyst.get(page).status_code == 200


def test_staff_without_the_analyst_permission_get_only_public_fields(
    known: KnownData, make_member: MakeMember
) -> None:
    handler = verified_client(make_member(Role.CASE_HANDLER))

    collection = handler.get(url("map_points")).json()

    assert "incident_url" not in collection
    assert all(set(feature["properties"]) == PUBLIC_PROPERTIES for feature in collection["features"])


def test_points_are_capped_and_say_how_many_there_are(
    client: Client, known: KnownData, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(geo, "POINT_LIMIT", 3)

    collection = client.get(url("map_points")).json()
    page = client.get(url("map"))

    assert (collection["total"], collection["shown"], len(collection["features"])) == (4, 3, 3)
    assert "2023-05-02" not in {feature["properties"]["date"] for feature in collection["features"]}
    assert "Showing 3 of 4 located events" in re.sub(r"\s+", " ", page.content.decode())


# -- Countries ------------------------------------------------------------------------------------------------


def test_countries_have_their_counts_and_both_iso_codes(client: Client, known: KnownData) -> None:
    response = client.get(url("map_countries"))

    assert response.status_code == 200
    document = response.json()
    assert document["total"] == 6
    assert [(row["iso3"], row["numeric"], row["name"], row["events"]) for row in document["countries"]] == [
        ("AFG", "004", "Afghanistan", 3),
        ("UKR", "804", "Ukraine", 2),
        ("SYR", "760", "Syria", 1),
    ]
    afghanistan, ukraine, syria = document["countries"]
    assert (afghanistan["health_workers_killed"], afghanistan["health_workers_kidnapped"]) == (1, 2)
    assert (ukraine["health_workers_killed"], ukraine["health_workers_injured"]) == (2, 1)
    assert syria["facilities_destroyed"] == 1


def test_countries_per_source_count_records(client: Client, known: KnownData) -> None:
    document = client.get(url("map_countries"), {"view": "per_source"}).json()

    assert {row["iso3"]: row["events"] for row in document["countries"]} == {"AFG": 3, "UKR": 3, "SYR": 2}
    assert next(row for row in document["countries"] if row["iso3"] == "UKR")["health_workers_killed"] == 5


def test_each_country_is_in_the_class_of_its_count(client: Client, known: KnownData) -> None:
    document = client.get(url("map_countries")).json()

    assert [(item["lower"], item["upper"], item["label"]) for item in document["classes"]] == [
        (1, 1, "1"),
        (2, 2, "2"),
        (3, 3, "3"),
    ]
    assert {row["iso3"]: row["class"] for row in document["countries"]} == {"SYR": 0, "UKR": 1, "AFG": 2}
    colours = [item["color"] for item in document["classes"]]
    assert len(set(colours)) == 3 and all(re.fullmatch(r"#[0-9a-f]{6}", colour) for colour in colours)


def test_a_selection_without_events_has_no_countries_and_no_classes(client: Client, known: KnownData) -> None:
    document = client.get(url("map_countries"), {"from": "2030"}).json()

    assert document == {"total": 0, "countries": [], "classes": []}


# -- Bad parameters and a missing database ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "wrong"),
    [
        ({"from": "last week"}, "from"),
        ({"to": "2024-13-01"}, "to"),
        ({"from": "2024", "to": "2023"}, "to"),
        ({"view": "sideways"}, "view"),
        ({"country": "12"}, "country"),
        ({"source": "rumours-weekly"}, "source"),
        ({"certainty": "sure"}, "certainty"),
    ],
)
@pytest.mark.parametrize("endpoint", ["map_points", "map_countries"])
def test_bad_parameters_get_a_400_naming_the_parameter(
    client: Client, known: KnownData, endpoint: str, params: dict[str, str], wrong: str
) -> None:
    response = client.get(url(endpoint), params)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [wrong]
    assert str(params[wrong])[:4] in errors[wrong] or wrong == "to"


def test_the_page_shows_what_is_wrong_with_a_parameter_with_a_400(client: Client, known: KnownData) -> None:
    response = client.get(url("map"), {"from": "last week", "source": "rumours-weekly"})

    assert response.status_code == 400
    content = response.content.decode()
    assert "These figures cannot be shown" in content  # the dashboard's summary of refused parameters
    assert "&#x27;last week&#x27; is not a date" in content
    assert "unknown source rumours-weekly" in content
    assert 'id="map-config"' not in content  # no map for a selection it cannot read
    assert 'value="last week"' in content  # what the visitor typed stays in the field


def test_without_an_analytics_database_the_page_and_data_say_so(
    client: Client, settings: Any, tmp_path: Any
) -> None:
    settings.ANALYTICS_DIR = tmp_path / "nothing-built"
    analytics_db.close()

    page = client.get(url("map"))
    points = client.get(url("map_points"))
    countries = client.get(url("map_countries"))

    assert page.status_code == 200 and "not available yet" in page.content.decode()  # as the dashboard
    assert points.status_code == countries.status_code == 503
    assert "analytics" in points.json()["errors"]


# -- The page -------------------------------------------------------------------------------------------------


def test_the_page_has_the_map_its_data_addresses_and_the_table_of_countries(
    client: Client, known: KnownData
) -> None:
    response = client.get(url("map"), {"from": "2024", "view": "per_source"})

    assert response.status_code == 200
    content = response.content.decode()
    text = re.sub(r"\s+", " ", content)
    assert text.count("<h1>") == 1 and "Map of attacks on health care" in text
    assert (
        '<div id="map" class="map-canvas" role="region" aria-label="World map of attacks on health care"'
        in content
    )
    config = response.context["config"]
    assert config["pointsUrl"] == url("map_points") + "?view=per_source&from=2024-01-01"
    assert config["countriesUrl"] == url("map_countries") + "?view=per_source&from=2024-01-01"
    assert config["worldUrl"].endswith("vendor/world/countries-50m.json")
    assert config["imagePath"].endswith("vendor/leaflet/images/")
    assert config["tileUrl"] is None
    assert config["overlays"] == [
        {"id": "facilities", "label": "Medical facilities", "url": "/api/v1/facilities/map"}
    ]
    assert config["strings"]["points"] == "Records"
    # 2024, per source: ssa-3, ssa-4, ii-2, ii-3 and awsd-1; three of them located.
    assert "3 of the 5 events in this selection have a place on the map." in text
    assert "<caption>Events per country, most first (2 countries)</caption>" in text
    assert '<th scope="row">Afghanistan</th> <td>AFG</td> <td class="number">3</td>' in text
    assert '<th scope="row">Syria</th> <td>SYR</td> <td class="number">2</td>' in text


def test_the_page_loads_nothing_from_another_origin_and_has_no_inline_styles_or_scripts(
    client: Client, known: KnownData
) -> None:
    content = client.get(url("map")).content.decode()

    assert "style=" not in content
    for source in re.findall(r'<script src="([^"]+)"', content) + re.findall(
        r'<link[^>]+href="([^"]+)"', content
    ):
        assert source.startswith("/"), source
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", content)
    assert inline_scripts == [' id="map-config" type="application/json"']


def test_a_tile_server_in_the_settings_goes_to_the_map(
    client: Client, known: KnownData, settings: Any
) -> None:
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "© Example tiles"

    config = client.get(url("map")).context["config"]

    assert config["tileUrl"] == "https://tiles.example.org/{z}/{x}/{y}.png"
    assert config["tileAttribution"] == "© Example tiles"


def test_the_filters_show_the_sources_and_countries_of_the_data(client: Client, known: KnownData) -> None:
    content = client.get(url("map"), {"country": "SYR,UKR"}).content.decode()

    assert re.search(r'<option value="SYR" selected>\s*Syria\s*</option>', content)
    assert re.search(r'<option value="AFG">\s*Afghanistan\s*</option>', content)
    assert re.findall(r'name="source" value="([^"]+)"', content) == [
        "who-ssa",
        "insecurity-insight",
        "awsd",
    ]


def test_the_choropleth_downloads_as_svg(client: Client, known: KnownData) -> None:
    response = client.get(url("map_image", "svg"))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert 'filename="attacks-per-country.svg"' in response["Content-Disposition"]
    assert response.content.lstrip().startswith(b"<svg")


def test_an_unknown_image_format_gets_a_400(client: Client, known: KnownData) -> None:
    response = client.get(url("map_image", "gif"))

    assert response.status_code == 400
    assert "gif" in response.json()["errors"]["format"]


# -- Codes and classes ----------------------------------------------------------------------------------------


def test_iso_codes_translate_both_ways() -> None:
    assert geo.numeric_code("UKR") == "804"
    assert geo.numeric_code("afg") == "004"
    assert geo.numeric_code("XKX") is None
    assert geo.alpha3_code("4") == "AFG"
    assert geo.alpha3_code("760") == "SYR"
    assert geo.alpha3_code("999") is None
    assert geo.alpha3_code("abc") is None


def test_classes_round_quantiles_up_to_one_two_or_five() -> None:
    counts = [1, 1, 2, 3, 4, 7, 9, 12, 30, 45, 80, 150, 400, 1200]

    found = geo.classes(counts)

    assert [(item["lower"], item["upper"]) for item in found] == [
        (1, 2),
        (3, 5),
        (6, 10),
        (11, 50),
        (51, 200),
        (201, 1200),
    ]
    assert [item["label"] for item in found][:2] == ["1\u20132", "3\u20135"]  # en dashes
    assert all(geo.class_of(count, found) is not None for count in counts)


def test_few_distinct_counts_get_a_class_each() -> None:
    assert [(item["lower"], item["upper"]) for item in geo.classes([5, 5, 1])] == [(1, 1), (2, 5)]
    assert geo.classes([]) == []
