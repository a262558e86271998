"""`/api/v1/insights/…`: the dashboard's aggregates as JSON, public, with the known data set's figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from insights import analytics_db
from tests.insights_helpers import KnownData, build_analytics

pytestmark = pytest.mark.django_db

BASE = "/api/v1/insights"
ENDPOINTS = (
    "totals",
    "per-year",
    "per-month",
    "per-country",
    "per-family",
    "per-resource",
    "per-perpetrator",
    "source-comparison",
    "vintages",
)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@pytest.fixture
def known(settings: Any, tmp_path: Path) -> KnownData:
    return build_analytics(settings, tmp_path)


def get(client: Client, endpoint: str, **query: Any) -> Any:
    response = client.get(f"{BASE}/{endpoint}", query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    return response.json()


def test_totals_count_incidents_by_default_and_records_per_source(client: Client, known: KnownData) -> None:
    incidents = get(client, "totals")
    records = get(client, "totals", view="per_source")

    assert incidents["events"] == 6
    assert incidents["countries"] == 3
    assert (incidents["first_date"], incidents["last_date"]) == ("2023-05-02", "2024-03-05")
    assert incidents["health_workers_killed"] == 4  # UKR 2 (the registry's figure), SYR 1, AWSD 1
    assert incidents["health_workers_kidnapped"] == 2
    assert incidents["facilities_destroyed"] == 1
    assert incidents["facilities_damaged"] == 1
    assert incidents["selection"]["query"] == {"view": "deduplicated"}
    assert records["events"] == 8
    assert records["health_workers_killed"] == 2 + 3 + 1 + 1
    assert records["selection"]["view"] == "records per source"


def test_totals_follow_the_selection(client: Client, known: KnownData) -> None:
    afghanistan = get(client, "totals", country="afg")
    assert afghanistan["events"] == 3
    assert afghanistan["selection"]["query"]["country"] == ["AFG"]

    ssa_2024 = get(client, "totals", source="who-ssa", view="per_source", **{"from": "2024", "to": "2024"})
    assert ssa_2024["events"] == 2
    assert get(client, "totals", certainty="confirmed,probable")["events"] == 3
    assert get(client, "totals", country=["UKR", "SYR"])["events"] == 3


def test_per_year_gives_the_change_against_the_year_before(client: Client, known: KnownData) -> None:
    assert get(client, "per-year")["rows"] == [
        {"year": 2023, "events": 2, "change_percent": None},
        {"year": 2024, "events": 4, "change_percent": 100.0},
    ]
    assert [row["events"] for row in get(client, "per-year", view="per_source")["rows"]] == [3, 5]


def test_per_month_counts_each_month(client: Client, known: KnownData) -> None:
    rows = get(client, "per-month")["rows"]
    assert [(row["month"], row["events"]) for row in rows] == [
        ("2023-05-01", 1),
        ("2023-06-01", 1),
        ("2024-01-01", 1),
        ("2024-02-01", 1),
        ("2024-03-01", 2),
    ]
    assert rows[1]["change_percent"] == 0.0
    assert rows[2]["change_percent"] is None  # no events in December 2023


def test_per_country_names_the_countries_and_takes_a_limit(client: Client, known: KnownData) -> None:
    rows = get(client, "per-country")["rows"]
    assert [(row["country"], row["label"], row["events"]) for row in rows] == [
        ("AFG", "Afghanistan", 3),
        ("UKR", "Ukraine", 2),
        ("SYR", "Syria", 1),
    ]
    assert rows[0]["health_workers_kidnapped"] == 2
    assert [row["country"] for row in get(client, "per-country", limit="1")["rows"]] == ["AFG"]


def test_per_family_and_per_resource_count_an_event_under_each_of_its_codes(
    client: Client, known: KnownData
) -> None:
    families = {row["code"]: row for row in get(client, "per-family")["rows"]}
    assert families["heavy_weapons"]["events"] == 2
    assert families["individual_weapons"]["events"] == 2
    assert families["threat"]["events"] == 1
    assert families["deprivation_of_liberty"]["events"] == 1
    assert families["heavy_weapons"]["label"] == "Heavy weapons"
    assert families["arson"]["events"] == 0

    records = {row["code"]: row["events"] for row in get(client, "per-family", view="per_source")["rows"]}
    assert records["heavy_weapons"] == 4

    resources = {row["code"]: row for row in get(client, "per-resource", view="per_source")["rows"]}
    assert resources["personnel"]["events"] == 3
    assert resources["facility"]["events"] == 3
    assert resources["personnel"]["label"] == "Health personnel"


def test_per_perpetrator_gives_the_share_of_state_actors(client: Client, known: KnownData) -> None:
    found = get(client, "per-perpetrator", view="per_source")
    rows = {row["code"]: row["events"] for row in found["rows"]}

    assert rows == {"state": 2, "non_state_armed_group": 1, "unknown": 1, "not_given": 4}
    assert found["known"] == 3
    assert found["state"] == 2
    assert found["state_share_percent"] == 66.7
    assert {row["code"]: row["label"] for row in found["rows"]}["state"] == "State actors"


def test_source_comparison_indexes_every_source_and_gives_the_overlap(
    client: Client, known: KnownData
) -> None:
    found = get(client, "source-comparison")

    assert found["base_year"] == 2024  # the first year in which every line has events (AWSD: only 2024)
    lines = {(row["source"], row["year"]): (row["events"], row["index"]) for row in found["rows"]}
    assert lines[("who-ssa", 2023)] == (2, 100.0)
    assert lines[("insecurity-insight", 2023)] == (1, 50.0)
    assert lines[("deduplicated", 2024)] == (4, 100.0)
    assert lines[("awsd", 2024)] == (1, 100.0)
    assert {row["source"]: row["label"] for row in found["rows"]}["deduplicated"] == "De-duplicated incidents"
    overlap = found["overlap"]
    assert {"source_a": "insecurity-insight", "source_b": "who-ssa", "incidents": 2} in overlap["pairs"]
    assert {row["source"]: row["incidents"] for row in overlap["alone"]} == {
        "awsd": 1,
        "insecurity-insight": 1,
        "who-ssa": 2,
    }
    assert overlap["in_several_sources"] == 2

    rebased = get(client, "source-comparison", base_year="2023")
    assert rebased["base_year"] == 2023
    assert {(r["source"], r["year"]): r["index"] for r in rebased["rows"]}[("deduplicated", 2024)] == 200.0


def test_vintages_give_each_vintages_count_per_year(client: Client, known: KnownData) -> None:
    rows = get(client, "vintages", source="who-ssa")["rows"]

    assert [(row["year"], row["events"]) for row in rows] == [(2023, 2), (2024, 2)]
    assert rows[0]["is_latest"] is True
    assert rows[0]["release_id"] == known.records["ssa-1"].release_id
    assert rows[0]["label"] == "WHO SSA"
    assert len(get(client, "vintages")["rows"]) == 5


@pytest.mark.parametrize(
    ("endpoint", "query", "parameter"),
    [
        ("totals", {"country": "XX1"}, "country"),
        ("per-year", {"from": "last year"}, "from"),
        ("per-month", {"to": "2023-13-01"}, "to"),
        ("per-country", {"limit": "0"}, "limit"),
        ("per-country", {"limit": "many"}, "limit"),
        ("per-family", {"source": "somebody"}, "source"),
        ("per-resource", {"view": "everything"}, "view"),
        ("per-perpetrator", {"certainty": "sure"}, "certainty"),
        ("source-comparison", {"base_year": "soon"}, "base_year"),
        ("vintages", {"source": "somebody"}, "source"),
    ],
)
def test_bad_parameters_get_400_naming_the_parameter(
    client: Client, known: KnownData, endpoint: str, query: dict[str, str], parameter: str
) -> None:
    response = client.get(f"{BASE}/{endpoint}", query, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    found = response.json()
    assert list(found["errors"]) == [parameter]
    assert found["detail"] == "The request has errors: see the fields named in “errors”."
    assert next(iter(query.values())) in found["errors"][parameter][0]


def test_every_bad_parameter_is_named_at_once_in_dutch_by_default(client: Client, known: KnownData) -> None:
    response = client.get(f"{BASE}/totals", {"from": "2025", "to": "2024", "country": "1"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"to", "country"}
    assert response["Content-Language"] == "nl"


def test_the_endpoints_are_public_and_not_cached_by_clients(client: Client, known: KnownData) -> None:
    for endpoint in ENDPOINTS:
        response = client.get(f"{BASE}/{endpoint}")
        assert response.status_code == 200, endpoint
        assert "no-store" in response["Cache-Control"]


def test_without_the_analytics_database_the_endpoints_answer_503(
    client: Client, settings: Any, tmp_path: Path
) -> None:
    settings.ANALYTICS_DIR = tmp_path / "nothing"
    analytics_db.close()
    for endpoint in ENDPOINTS:
        response = client.get(f"{BASE}/{endpoint}", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 503, endpoint
        assert response.json()["detail"] == "The figures are not available yet; try again later."


def test_openapi_document_lists_the_insights_endpoints_with_their_parameters(client: Client) -> None:
    document = client.get("/api/v1/openapi.json").json()

    paths = {path for path in document["paths"] if path.startswith(BASE)}
    assert paths == {f"{BASE}/{endpoint}" for endpoint in ENDPOINTS}
    for endpoint in ENDPOINTS:
        operation = document["paths"][f"{BASE}/{endpoint}"]["get"]
        assert "security" not in operation
        assert operation["tags"] == ["insights"]
        assert {"200", "400", "503"} <= set(operation["responses"])
    totals = document["paths"][f"{BASE}/totals"]["get"]
    assert {parameter["name"] for parameter in totals["parameters"]} == {
        "from",
        "to",
        "country",
        "source",
        "view",
        "certainty",
    }
    names = {p["name"] for p in document["paths"][f"{BASE}/per-country"]["get"]["parameters"]}
    assert "limit" in names
    names = {p["name"] for p in document["paths"][f"{BASE}/source-comparison"]["get"]["parameters"]}
    assert "base_year" in names
