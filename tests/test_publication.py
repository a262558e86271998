"""The public/restricted split (registry.publication, docs/publication.md): every public output, asked for by
an anonymous visitor, holds no restricted value and no rumour.

The data: records whose restricted fields carry the marker "Zq7" (place names, descriptions, names) or
coordinates found nowhere else, of our own field reports (source "local", SSA Category B), of WHO SSA (which
publishes no place) and a rumour of Insecurity Insight (which publishes places, but rumours are never
published), next to Insecurity Insight records whose places may be shown.

| record      | source             | date       | country | what                                                        |
|-------------|--------------------|------------|---------|-------------------------------------------------------------|
| FR-1        | local              | 2024-04-04 | SOM     | area, coordinates (town), 4817 health workers killed         |
| FR-3        | local              | 2024-05-05 | SDN     | area, coordinates (town): the place of incident B            |
| ii-b        | insecurity-insight | 2024-05-05 | SDN     | Khartoum, coordinates without precision                       |
| ssa-9       | who-ssa            | 2024-06-06 | MLI     | area, coordinates                                            |
| ii-e        | insecurity-insight | 2024-07-07 | SYR     | coordinates, no area, 2 health workers killed                |
| FR-5        | local              | 2024-07-07 | SYR     | area (no coordinates), 6029 health workers killed            |
| ii-f        | insecurity-insight | 2024-08-08 | UKR     | Kharkiv, coordinates, 1 health worker killed                  |
| ii-rumour   | insecurity-insight | 2024-02-29 | UKR     | a rumour: area, coordinates, 9133 health workers killed      |

Incidents: A = FR-1, B = FR-3 + ii-b, C = ssa-9, E = ii-e + FR-5, F = ii-f, R = ii-rumour. Incident E takes its
coordinates from ii-e but its area from FR-5 (ii-e has none): the area must stay hidden although the
registry's `place_from` says Insecurity Insight.
"""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import openpyxl
import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation

from insights import analytics_db, exports, mirror, queries, report_blocks
from insights.filters import Selection
from registry import publication
from registry.models import Incident
from sources.models import Record
from tests.incident_helpers import incident, record, release

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]

D = datetime.date
MARKER = "Zq7"
# Coordinates of restricted places, as the first digits any output would show of them.
HIDDEN_COORDINATES = ("12.3456", "45.6789", "13.5791", "24.6802", "11.1111", "22.2222", "9.8765", "8.7654")
RUMOUR_DATE = "2024-02-29"
RUMOUR_KILLED = "9133"
API = "/api/v1/insights"


def _make_data() -> dict[str, Incident]:
    local = release("local", product="field-reports")
    ssa = release("who-ssa")
    ii = release("insecurity-insight")
    made: dict[str, Record] = {}
    made["FR-1"] = record(
        local,
        "FR-1",
        date=D(2024, 4, 4),
        country="SOM",
        admin1=f"{MARKER}-Baidoa",
        latitude=12.3456789,
        longitude=45.6789123,
        geo_precision="town",
        health_workers_killed=4817,
        people_killed=3,
        description=f"{MARKER} what the documenter saw",
        perpetrator_name=f"{MARKER} unit name",
        perpetrator_as_given=f"{MARKER} as told",
        certainty="confirmed",
    )
    made["FR-3"] = record(
        local,
        "FR-3",
        date=D(2024, 5, 5),
        country="SDN",
        admin1=f"{MARKER}-Omdurman",
        latitude=13.5791357,
        longitude=24.6802468,
        geo_precision="town",
        certainty="probable",
    )
    made["ii-b"] = record(
        ii, "ii-b", date=D(2024, 5, 5), country="SDN", admin1="Khartoum", latitude=15.5, longitude=32.5
    )
    made["ssa-9"] = record(
        ssa,
        "ssa-9",
        date=D(2024, 6, 6),
        country="MLI",
        admin1=f"{MARKER}-Mopti",
        latitude=11.1111119,
        longitude=22.2222229,
        people_killed=2,
        certainty="probable",
    )
    made["ii-e"] = record(
        ii, "ii-e", date=D(2024, 7, 7), country="SYR", latitude=35.5, longitude=36.5, health_workers_killed=2
    )
    made["FR-5"] = record(
        local,
        "FR-5",
        date=D(2024, 7, 7),
        country="SYR",
        admin1=f"{MARKER}-Idlib",
        health_workers_killed=6029,
        certainty="confirmed",
    )
    made["ii-f"] = record(
        ii,
        "ii-f",
        date=D(2024, 8, 8),
        country="UKR",
        admin1="Kharkiv",
        latitude=49.99,
        longitude=36.23,
        health_workers_killed=1,
    )
    made["ii-rumour"] = record(
        ii,
        f"ii-rumour-{MARKER}",
        date=D(2024, 2, 29),
        country="UKR",
        admin1=f"{MARKER}-rumoured-area",
        latitude=9.8765432,
        longitude=8.7654321,
        health_workers_killed=int(RUMOUR_KILLED),
        certainty="rumour",
    )
    return {
        "A": incident(made["FR-1"]),
        "B": incident(made["FR-3"], made["ii-b"]),
        "C": incident(made["ssa-9"]),
        "E": incident(made["ii-e"], made["FR-5"]),
        "F": incident(made["ii-f"]),
        "R": incident(made["ii-rumour"]),
    }


@pytest.fixture
def incidents(settings: Any, tmp_path: Path) -> dict[str, Incident]:
    settings.ANALYTICS_DIR = tmp_path / "analytics"
    analytics_db.close()
    cache.clear()
    made = _make_data()
    mirror.refresh_all()
    analytics_db.build()
    return made


def url(name: str, *args: Any, **query: Any) -> str:
    with translation.override("en"):
        found = reverse(name, args=args)
    return f"{found}?{urlencode(query, doseq=True)}" if query else found


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def text_of(response: Any) -> str:
    """What a response holds, as text: the cells of an XLSX workbook, the body of anything else."""
    content = body(response)
    if content[:2] == b"PK":
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            "\t".join("" if value is None else str(value) for value in row)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    return content.decode("utf-8")


def assert_nothing_restricted(where: str, text: str, *, coordinates: bool = True) -> None:
    assert MARKER not in text, f"{where}: a restricted value"
    assert RUMOUR_DATE not in text, f"{where}: the rumour's date"
    assert RUMOUR_KILLED not in text, f"{where}: the rumour's count"
    if coordinates:
        for digits in HIDDEN_COORDINATES:
            assert digits not in text, f"{where}: restricted coordinates {digits}"


def public_outputs() -> list[str]:
    """The address of every public output of the conflict figures (each export format and unit, with its
    metadata; the map's data and image; the API's aggregates in both views; the pages)."""
    found = []
    for unit in exports.UNITS:
        for fmt in exports.FORMATS:
            found.append(url("insights:export", format=fmt, unit=unit))
            found.append(url("insights:export", format=fmt, unit=unit, metadata="1"))
            found.append(url("insights:export", format=fmt, unit=unit, source="local"))
    for view in ("deduplicated", "per_source"):
        found.append(url("insights:map_points", view=view))
        found.append(url("insights:map_countries", view=view))
        found.append(url("insights:map", view=view))
        found.append(url("insights:dashboard", view=view))
        found.append(url("insights:exports", format="csv", unit="records", view=view))
        for name in (
            "totals",
            "per-year",
            "per-month",
            "per-country",
            "per-family",
            "per-resource",
            "per-perpetrator",
            "source-comparison",
        ):
            found.append(f"{API}/{name}?view={view}")
    found.append(url("insights:sources"))
    found.append(url("accountability_public:figure"))
    found.append("/api/v1/accountability/figure")
    return found


# -- Every public output --------------------------------------------------------------------------------------


def test_no_public_output_holds_a_restricted_value_or_the_rumour(
    client: Client, incidents: dict[str, Incident]
) -> None:
    for address in public_outputs():
        response = client.get(address, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, (address, body(response)[:300])
        assert_nothing_restricted(address, text_of(response))


def test_the_map_image_holds_no_restricted_value(client: Client, incidents: dict[str, Incident]) -> None:
    response = client.get(url("insights:map_image", "svg"))

    assert response.status_code == 200
    # An SVG is full of numbers: only the markers and the rumour's date are looked for.
    assert_nothing_restricted("map image", text_of(response), coordinates=False)


def test_staff_exports_do_hold_the_restricted_values(
    client: Client, incidents: dict[str, Incident], make_member: Any
) -> None:
    # The proof above is not empty: the restricted values are in the analytics database, for staff.
    from accounts.roles import Role
    from tests.conftest import login_verified

    login_verified(client, make_member(Role.ANALYST))
    text = text_of(client.get(url("insights:export", format="csv", unit="records", fields="staff")))

    assert f"{MARKER}-Baidoa" in text
    assert "12.3456789" in text
    assert f"ii-rumour-{MARKER}" in text


# -- What stays public ----------------------------------------------------------------------------------------


def _csv(client: Client, unit: str) -> dict[str, dict[str, str]]:
    import csv

    rows = list(csv.reader(io.StringIO(text_of(client.get(url("insights:export", format="csv", unit=unit))))))
    key = rows[0].index("source_id" if unit == "records" else "incident_id")
    return {row[key]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}


def test_public_records_keep_what_their_source_publishes(
    client: Client, incidents: dict[str, Incident]
) -> None:
    records = _csv(client, "records")

    assert sorted(records) == ["FR-1", "FR-3", "FR-5", "ii-b", "ii-e", "ii-f", "ssa-9"]
    field_report = records["FR-1"]
    assert (field_report["event_date"], field_report["country_iso3"]) == ("2024-04-04", "SOM")
    assert field_report["people_killed"] == "3"  # a total: public
    assert field_report["health_workers_killed"] == ""  # by type of person: Category B
    assert field_report["admin1"] == field_report["latitude"] == field_report["geo_precision"] == ""
    assert (records["ssa-9"]["admin1"], records["ssa-9"]["latitude"], records["ssa-9"]["people_killed"]) == (
        "",
        "",
        "2",
    )
    assert (records["ii-f"]["admin1"], records["ii-f"]["latitude"]) == ("Kharkiv", "49.99")
    assert records["ii-f"]["health_workers_killed"] == "1"


def test_an_incident_shows_a_value_only_when_its_source_publishes_it(
    client: Client, incidents: dict[str, Incident]
) -> None:
    rows = _csv(client, "incidents")
    row = {name: rows[str(made.pk)] for name, made in incidents.items() if name != "R"}

    assert str(incidents["R"].pk) not in rows
    assert row["A"]["latitude"] == row["A"]["admin1"] == row["A"]["health_workers_killed"] == ""
    assert row["A"]["people_killed"] == "3"
    # B's place came from the field report (more precise than Insecurity Insight's): hidden, not replaced.
    assert incidents["B"].place_from == "local"
    assert row["B"]["latitude"] == row["B"]["admin1"] == ""
    assert row["C"]["latitude"] == row["C"]["admin1"] == ""
    # E: Insecurity Insight's coordinates, the field report's area and count.
    assert incidents["E"].place_from == "insecurity-insight" and incidents["E"].admin1 == f"{MARKER}-Idlib"
    assert (row["E"]["latitude"], row["E"]["longitude"], row["E"]["admin1"]) == ("35.5", "36.5", "")
    assert row["E"]["health_workers_killed"] == ""
    assert (row["F"]["admin1"], row["F"]["latitude"], row["F"]["health_workers_killed"]) == (
        "Kharkiv",
        "49.99",
        "1",
    )


def test_the_public_map_shows_only_places_that_may_be_published(
    client: Client, incidents: dict[str, Incident]
) -> None:
    deduplicated = client.get(url("insights:map_points")).json()
    per_source = client.get(url("insights:map_points", view="per_source")).json()

    places = {tuple(feature["geometry"]["coordinates"]) for feature in deduplicated["features"]}
    assert places == {(36.5, 35.5), (36.23, 49.99)}
    assert (deduplicated["total"], deduplicated["shown"]) == (2, 2)
    by_place = {tuple(feature["geometry"]["coordinates"]): feature for feature in deduplicated["features"]}
    assert by_place[(36.5, 35.5)]["properties"]["admin1"] == ""
    assert by_place[(36.5, 35.5)]["properties"]["health_workers_killed"] is None
    assert {tuple(feature["geometry"]["coordinates"]) for feature in per_source["features"]} == {
        (32.5, 15.5),
        (36.5, 35.5),
        (36.23, 49.99),
    }


def test_geojson_exports_leave_out_events_whose_place_is_restricted(
    client: Client, incidents: dict[str, Incident]
) -> None:
    document = json.loads(text_of(client.get(url("insights:export", format="geojson", unit="incidents"))))

    assert {feature["id"] for feature in document["features"]} == {incidents["E"].pk, incidents["F"].pk}
    assert (document["metadata"]["rows"], document["metadata"]["without_coordinates"]) == (2, 3)


def test_public_figures_do_not_count_the_rumour(client: Client, incidents: dict[str, Incident]) -> None:
    incidents_total = client.get(f"{API}/totals", HTTP_ACCEPT_LANGUAGE="en").json()
    records_total = client.get(f"{API}/totals?view=per_source", HTTP_ACCEPT_LANGUAGE="en").json()
    ukraine = client.get(f"{API}/per-country?country=UKR", HTTP_ACCEPT_LANGUAGE="en").json()["rows"]

    assert incidents_total["events"] == 5
    assert records_total["events"] == 7
    # The field reports' health-worker counts (4817, 6029) are Category B: not in any public figure.
    assert records_total["health_workers_killed"] == 2 + 1
    assert ukraine == [
        {
            "country": "UKR",
            "label": "Ukraine",
            "events": 1,
            "health_workers_killed": 1,
            "health_workers_injured": None,
            "health_workers_kidnapped": None,
            "health_workers_arrested": None,
            "facilities_destroyed": None,
            "facilities_damaged": None,
        }
    ]
    # Asking for rumours explicitly finds none.
    rumours = client.get(f"{API}/totals?certainty=rumour&view=per_source", HTTP_ACCEPT_LANGUAGE="en").json()
    assert rumours["events"] == 0


def test_public_figures_sum_only_the_counts_that_may_be_published(
    client: Client, incidents: dict[str, Incident]
) -> None:
    """A count is summed in public only where its source publishes it: a narrow selection cannot give away a
    field report's withheld count. Staff figures (not public) sum everything."""
    staff_records = queries.totals(Selection(view="per_source"))
    staff_incidents = queries.totals(Selection())
    public_local = client.get(f"{API}/totals?view=per_source&source=local", HTTP_ACCEPT_LANGUAGE="en").json()
    one_day = client.get(
        f"{API}/totals?view=per_source&source=local&from=2024-04-04&to=2024-04-04",
        HTTP_ACCEPT_LANGUAGE="en",
    ).json()
    public_incidents = client.get(f"{API}/totals", HTTP_ACCEPT_LANGUAGE="en").json()
    syria = client.get(f"{API}/per-country?country=SYR", HTTP_ACCEPT_LANGUAGE="en").json()["rows"]
    per_year = queries.counts_per_year(Selection(public=True))

    assert staff_records["health_workers_killed"] == 4817 + 2 + 6029 + 1 + int(RUMOUR_KILLED)
    # E's count came from its field report (ranked first), so the incident's figure is withheld, not
    # replaced by Insecurity Insight's 2.
    assert staff_incidents["health_workers_killed"] == 4817 + 6029 + 1 + int(RUMOUR_KILLED)
    assert (public_local["events"], public_local["health_workers_killed"]) == (3, 0)
    assert (one_day["events"], one_day["health_workers_killed"]) == (1, 0)
    assert public_incidents["health_workers_killed"] == 1
    assert syria[0]["health_workers_killed"] is None
    assert [(row["year"], row["health_workers_killed"]) for row in per_year] == [(2024, 1)]
    # People killed: every source publishes those totals, the field report's 3 included.
    assert queries.totals(Selection(public=True))["events"] == 5
    areas = report_blocks.per_area(Selection(public=True))
    assert sum(row["health_workers_killed"] or 0 for row in areas["rows"]) == 1
    assert all(MARKER not in row["area"] for row in areas["rows"])


def test_the_vintage_figures_do_not_count_the_rumour(client: Client, incidents: dict[str, Incident]) -> None:
    rows = client.get(f"{API}/vintages?source=insecurity-insight", HTTP_ACCEPT_LANGUAGE="en").json()["rows"]

    assert [(row["year"], row["events"]) for row in rows] == [(2024, 3)]


def test_the_public_dashboard_does_not_count_the_rumour(
    client: Client, incidents: dict[str, Incident]
) -> None:
    content = client.get(url("insights:dashboard")).content.decode()

    spec = json.loads(
        content.split('<script id="per-year" type="application/json">', 1)[1].split("</script>")[0]
    )
    assert [(row["year"], row["events"]) for row in spec["data"]["values"]] == [(2024, 5)]


def test_the_public_filters_do_not_offer_the_rumour_level(
    client: Client, incidents: dict[str, Incident]
) -> None:
    content = client.get(url("insights:dashboard")).content.decode()

    assert 'value="rumour"' not in content


# -- The rules themselves -------------------------------------------------------------------------------------


def test_the_exports_public_fields_are_the_publication_rules_fields() -> None:
    assert exports.PUBLIC_FIELDS == publication.PUBLIC_FIELDS
    for name in publication.RESTRICTED_FIELDS:
        assert name not in publication.PUBLIC_FIELDS


def test_each_source_publishes_what_its_publisher_does() -> None:
    for source in ("insecurity-insight", "shcc", "awsd", "acled"):
        assert publication.publishes(source, "admin1") and publication.publishes(source, "latitude")
    assert not publication.publishes("who-ssa", "admin1")
    assert not publication.publishes("who-ssa", "latitude")
    assert publication.publishes("who-ssa", "health_workers_kidnapped")
    assert publication.withheld("local") == (
        "admin1",
        "latitude",
        "longitude",
        "geo_precision",
        "health_workers_killed",
        "health_workers_injured",
        "health_workers_kidnapped",
        "health_workers_arrested",
    )
    # A source nobody has decided on yet publishes no more than our own field reports.
    assert publication.withheld("new-dataset") == publication.withheld("local")


def test_a_row_is_made_public_field_by_field() -> None:
    row = {"source": "local", "certainty": "confirmed", "admin1": "x", "people_killed": 2, "description": "y"}

    assert publication.public_record(row) == {
        "source": "local",
        "certainty": "confirmed",
        "admin1": None,
        "people_killed": 2,
    }
    assert publication.publishable({"certainty": "possible"})
    assert not publication.publishable({"certainty": "rumour"})
    with pytest.raises(ValueError, match="never published"):
        publication.public_record({**row, "certainty": "rumour"})
    incident_row = {
        "certainty": "confirmed",
        "latitude": 1.5,
        "admin1": "Area",
        "health_workers_killed": 4,
        "coordinates_from": "awsd",
        "admin1_from": "local",
        "health_workers_killed_from": None,
    }
    assert publication.public_incident(incident_row) == {
        "certainty": "confirmed",
        "latitude": 1.5,
        "admin1": None,
        "health_workers_killed": None,
    }
