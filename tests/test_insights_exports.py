"""Exports of records and incidents (figures/export/): every format with the known data set, the public
fields only for everyone but analysts, errors that name the parameter, and the per-network rate limit."""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import json
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from accounts.roles import Role
from insights import analytics_db, export_throttle, exports
from insights.filters import Selection
from tests.conftest import MakeMember, login_verified
from tests.insights_helpers import KnownData, build_analytics

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]

# HXL 1.1: a hashtag, then attributes, each a letter followed by letters, digits or underscores.
HXL_SYNTAX = re.compile(r"^#[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*$")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # The rate limit counts in the cache: no test inherits another's exports.
    cache.clear()


@pytest.fixture
def known(settings: Any, tmp_path: Path) -> KnownData:
    return build_analytics(settings, tmp_path)


def url(**query: Any) -> str:
    from urllib.parse import urlencode

    with translation.override("en"):
        return f"{reverse('insights:export')}?{urlencode(query, doseq=True)}"


def page_url(**query: Any) -> str:
    from urllib.parse import urlencode

    with translation.override("en"):
        return f"{reverse('insights:exports')}?{urlencode(query, doseq=True)}"


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body(response).decode("utf-8"))))


def exported_fields(client: Client, fmt: str, unit: str, **query: Any) -> set[str]:
    """The field names an export holds, whatever its format."""
    response = client.get(url(format=fmt, unit=unit, **query))
    assert response.status_code == 200, body(response)
    if fmt in ("csv", "hxl"):
        return set(csv_rows(response)[0])
    if fmt == "xlsx":
        workbook = openpyxl.load_workbook(io.BytesIO(body(response)), read_only=True)
        header = next(workbook[unit].iter_rows(max_row=1, values_only=True))
        return {str(name) for name in header}
    document = json.loads(body(response))
    names = set(document["metadata"]["columns"])
    for feature in document["features"]:
        names |= set(feature["properties"])
    return names


# -- Rows and formats -----------------------------------------------------------------------------------------


def test_records_give_a_row_per_current_record_and_incidents_one_per_incident(
    client: Client, known: KnownData
) -> None:
    records = client.get(url(format="csv", unit="records"))
    incidents = client.get(url(format="csv", unit="incidents"))

    assert records.status_code == incidents.status_code == 200
    assert records["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert records["Content-Disposition"] == f'attachment; filename="zorgveilig-records-{today}.csv"'
    assert incidents["Content-Disposition"] == f'attachment; filename="zorgveilig-incidents-{today}.csv"'
    record_rows, incident_rows = csv_rows(records), csv_rows(incidents)
    assert len(record_rows) == 1 + 8
    assert len(incident_rows) == 1 + 6
    # The first line is the header, never a comment: the metadata is a separate document.
    assert record_rows[0][:3] == ["source", "source_id", "incident_id"]
    assert incident_rows[0][:2] == ["incident_id", "sources"]
    assert records["Link"].endswith('metadata=1>; rel="describedby"')


def test_values_are_written_as_codes_with_empty_cells_for_counts_not_reported(
    client: Client, known: KnownData
) -> None:
    rows = csv_rows(client.get(url(format="csv", unit="records")))
    header, data = rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    ii_1 = next(row for row in data if row["source_id"] == "ii-1")
    assert ii_1["source"] == "insecurity-insight"
    assert ii_1["incident_id"] == str(known.incidents["ukr"].pk)
    assert ii_1["event_date"] == "2023-05-02"
    assert ii_1["admin1"] == "Kyiv"
    assert (ii_1["latitude"], ii_1["longitude"]) == ("50.45", "30.52")
    assert ii_1["health_workers_killed"] == "3"
    assert ii_1["health_workers_injured"] == ""  # not reported
    assert ii_1["perpetrator_category"] == "state"
    # Rows come in date order.
    assert [row["event_date"] for row in data] == sorted(row["event_date"] for row in data)
    assert len(header) == len(set(header))

    incidents = csv_rows(client.get(url(format="csv", unit="incidents")))
    by_id = {row[0]: dict(zip(incidents[0], row, strict=True)) for row in incidents[1:]}
    ukr = by_id[str(known.incidents["ukr"].pk)]
    assert ukr["sources"] == "insecurity-insight; who-ssa"
    assert ukr["country_iso3"] == "UKR"


def test_a_country_filter_keeps_only_that_countrys_records_and_incidents(
    client: Client, known: KnownData
) -> None:
    records = csv_rows(client.get(url(format="csv", unit="records", country="UKR")))
    incidents = csv_rows(client.get(url(format="csv", unit="incidents", country="ukr")))

    assert sorted(row[1] for row in records[1:]) == ["ii-1", "ssa-1", "ssa-2"]
    assert len(incidents) == 1 + 2
    assert {row[incidents[0].index("country_iso3")] for row in incidents[1:]} == {"UKR"}


def test_the_unit_decides_between_records_and_incidents_whatever_the_view(
    client: Client, known: KnownData
) -> None:
    assert len(csv_rows(client.get(url(format="csv", unit="records", view="deduplicated")))) == 1 + 8
    assert len(csv_rows(client.get(url(format="csv", unit="incidents", view="per_source")))) == 1 + 6
    # Without a unit the view decides.
    assert len(csv_rows(client.get(url(format="csv", view="per_source")))) == 1 + 8
    assert len(csv_rows(client.get(url(format="csv")))) == 1 + 6


def test_hxl_export_has_the_hxl_hashtags_in_its_second_row(client: Client, known: KnownData) -> None:
    response = client.get(url(format="hxl", unit="incidents"))

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.hxl.csv"')
    rows = csv_rows(response)
    header, tags = rows[0], rows[1]
    assert len(rows) == 2 + 6
    by_field = dict(zip(header, tags, strict=True))
    assert by_field["event_date"] == "#date+occurred"
    assert by_field["country_iso3"] == "#country+code"
    assert by_field["admin1"] == "#adm1+name"
    assert by_field["latitude"] == "#geo+lat"
    assert by_field["longitude"] == "#geo+lon"
    assert by_field["attack_families"] == "#event+type+list"
    assert by_field["people_killed"] == "#affected+killed"
    assert by_field["health_workers_killed"] == "#affected+killed+health_workers"
    for tag in tags:
        assert HXL_SYNTAX.match(tag), tag
    assert len(set(tags)) == len(tags)


def test_geojson_has_longitude_first_and_says_how_many_rows_were_left_out(
    client: Client, known: KnownData
) -> None:
    response = client.get(url(format="geojson", unit="records"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    document = json.loads(body(response))
    assert document["type"] == "FeatureCollection"
    features = {feature["properties"]["source_id"]: feature for feature in document["features"]}
    assert set(features) == {"ii-1", "ii-2", "ii-3", "awsd-1"}
    assert features["ii-1"]["geometry"] == {"type": "Point", "coordinates": [30.52, 50.45]}
    assert features["ii-1"]["properties"]["attack_families"] == ["heavy_weapons"]
    assert "latitude" not in features["ii-1"]["properties"]
    assert document["metadata"]["rows"] == 4
    assert document["metadata"]["without_coordinates"] == 4
    assert any("4 of the 8" in note for note in document["metadata"]["notes"])

    incidents = json.loads(body(client.get(url(format="geojson", unit="incidents"))))
    assert len(incidents["features"]) == 4
    assert incidents["metadata"]["without_coordinates"] == 2
    ukr = next(f for f in incidents["features"] if f["id"] == known.incidents["ukr"].pk)
    assert ukr["geometry"]["coordinates"] == [30.52, 50.45]
    assert ukr["properties"]["sources"] == ["insecurity-insight", "who-ssa"]


def test_xlsx_is_readable_with_openpyxl_and_describes_itself_on_a_second_sheet(
    client: Client, known: KnownData
) -> None:
    response = client.get(url(format="xlsx", unit="records", country="AFG"))

    assert response.status_code == 200
    assert response["Content-Type"] == exports.CONTENT_TYPES["xlsx"]
    assert response["Content-Disposition"].endswith('.xlsx"')
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)), read_only=True)
    assert workbook.sheetnames == ["records", "metadata"]
    rows = list(workbook["records"].iter_rows(values_only=True))
    assert len(rows) == 1 + 3
    header = rows[0]
    # A read-only sheet leaves out empty cells at the end of a row.
    data = [dict(itertools.zip_longest(header, row)) for row in rows[1:]]
    ii_3 = next(row for row in data if row["source_id"] == "ii-3")
    assert ii_3["health_workers_kidnapped"] == 2
    assert ii_3["latitude"] == 34.5
    assert ii_3["event_date"] == datetime.datetime(2024, 3, 1)  # a date cell, read back as a datetime
    about = {row[0]: row[1] for row in workbook["metadata"].iter_rows(values_only=True) if row}
    assert about["unit"] == "records"
    assert about["rows"] == "3"
    assert about["selection.countries"] == "AFG"
    releases = [
        row for row in workbook["metadata"].iter_rows(values_only=True) if row and row[0] == "release"
    ]
    assert sorted(str(row[2]) for row in releases) == ["awsd", "insecurity-insight", "who-ssa"]


def test_metadata_names_the_selection_the_releases_and_the_rows(client: Client, known: KnownData) -> None:
    response = client.get(url(format="csv", unit="incidents", country="AFG", source="who-ssa", metadata="1"))

    assert response.status_code == 200
    about = response.json()
    assert about["unit"] == "incidents"
    assert about["format"] == "csv"
    assert about["fields"] == "public"
    assert about["rows"] == 1  # ssa-4
    assert about["selection"]["query"] == {"country": ["AFG"], "source": ["who-ssa"]}
    assert about["selection"]["view"] == "de-duplicated incidents"
    assert [release["source"] for release in about["releases"]] == ["who-ssa"]
    assert about["columns"] == list(exports.columns("incidents"))

    hxl = client.get(url(format="hxl", unit="records", metadata="1")).json()
    assert hxl["rows"] == 8
    assert hxl["hxl"]["country_iso3"] == "#country+code"


def test_rows_are_fetched_and_written_in_batches(
    client: Client, known: KnownData, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "BATCH_ROWS", 3)
    response = client.get(url(format="csv", unit="records"))

    assert response.streaming
    chunks = list(response.streaming_content)  # type: ignore[attr-defined]
    assert len(chunks) >= 3
    assert len(list(csv.reader(io.StringIO(b"".join(chunks).decode())))) == 1 + 8

    geojson = client.get(url(format="geojson", unit="records"))
    assert len(json.loads(body(geojson))["features"]) == 4


def test_the_export_function_writes_any_format_to_a_stream(known: KnownData) -> None:
    stream = io.BytesIO()
    job = exports.export(Selection(countries=("SYR",)), "records", "hxl", stream)

    assert job.selection.view == "per_source"
    lines = stream.getvalue().decode().splitlines()
    assert len(lines) == 2 + 2
    assert lines[1].startswith("#meta+source,#event+id+source")

    stream = io.BytesIO()
    exports.export(Selection(), "incidents", "xlsx", stream)
    workbook = openpyxl.load_workbook(io.BytesIO(stream.getvalue()), read_only=True)
    assert len(list(workbook["incidents"].iter_rows())) == 1 + 6


# -- Public and staff fields ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", exports.FORMATS)
@pytest.mark.parametrize("unit", exports.UNITS)
def test_anonymous_exports_hold_only_public_fields(
    client: Client, known: KnownData, fmt: str, unit: str
) -> None:
    fields = exported_fields(client, fmt, unit)
    assert fields <= set(exports.PUBLIC_FIELDS), fields - set(exports.PUBLIC_FIELDS)
    assert "country_iso3" in fields
    # Asking for the public fields explicitly is the same.
    assert exported_fields(client, fmt, unit, fields="public") == fields
    about = client.get(url(format=fmt, unit=unit, metadata="1")).json()
    assert set(about["columns"]) <= set(exports.PUBLIC_FIELDS)


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_staff_fields_are_refused_to_anonymous_visitors_and_members_without_the_permission(
    client: Client, known: KnownData, make_member: MakeMember, fmt: str
) -> None:
    response = client.get(url(format=fmt, unit="records", fields="staff"))
    assert response.status_code == 403
    assert "fields" in response.json()["errors"]
    assert b"perpetrator_name" not in response.content

    login_verified(client, make_member(Role.CASE_HANDLER))
    assert client.get(url(format=fmt, unit="records", fields="staff")).status_code == 403


def test_public_fields_are_the_staff_fields_without_the_staff_only_ones() -> None:
    assert set(exports.PUBLIC_FIELDS) < set(exports.STAFF_FIELDS)
    for name in ("description", "perpetrator_name", "perpetrator_as_given", "release_id", "row_number"):
        assert name not in exports.PUBLIC_FIELDS
    assert "description" not in exports.STAFF_FIELDS  # long text stays in the database
    for unit in exports.UNITS:
        assert set(exports.columns(unit, "public")) <= set(exports.PUBLIC_FIELDS)
        assert set(exports.columns(unit, "staff")) <= set(exports.STAFF_FIELDS)


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_analysts_may_export_every_harmonised_field(
    client: Client, known: KnownData, make_member: MakeMember, fmt: str
) -> None:
    login_verified(client, make_member(Role.ANALYST))

    fields = exported_fields(client, fmt, "records", fields="staff")
    assert {"release_id", "row_number", "perpetrator_name", "country_as_given", "weapons"} <= fields
    response = client.get(url(format=fmt, unit="records", fields="staff"))
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_an_incidents_records_are_a_staff_field(
    client: Client, known: KnownData, make_member: MakeMember
) -> None:
    login_verified(client, make_member(Role.ANALYST))
    rows = csv_rows(client.get(url(format="csv", unit="incidents", fields="staff")))
    by_id = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}

    assert by_id[str(known.incidents["ukr"].pk)]["source_records"] == "insecurity-insight:ii-1; who-ssa:ssa-1"
    assert by_id[str(known.incidents["awsd-1"].pk)]["source_records"] == "awsd:awsd-1"


def test_staff_record_fields_come_from_the_mirror(
    client: Client, known: KnownData, make_member: MakeMember
) -> None:
    login_verified(client, make_member(Role.ANALYST))
    rows = csv_rows(client.get(url(format="csv", unit="records", fields="staff", country="AFG")))
    data = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}

    assert set(data) == {"ssa-4", "ii-3", "awsd-1"}
    ii_3 = known.records["ii-3"]
    assert data["ii-3"]["release_id"] == str(ii_3.release_id)
    assert data["ii-3"]["row_number"] == str(ii_3.row_number)
    assert data["ii-3"]["health_workers_kidnapped"] == "2"


# -- Bad requests ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "parameter", "value"),
    [
        ({"format": "pdf"}, "format", "pdf"),
        ({"unit": "events"}, "unit", "events"),
        ({"fields": "everything"}, "fields", "everything"),
        ({"metadata": "yes"}, "metadata", "yes"),
        ({"country": "XX1"}, "country", "XX1"),
        ({"from": "yesterday"}, "from", "yesterday"),
        ({"source": "somebody"}, "source", "somebody"),
        ({"view": "all"}, "view", "all"),
        ({"certainty": "sure"}, "certainty", "sure"),
    ],
)
def test_bad_parameters_get_400_naming_the_parameter_and_the_value(
    client: Client, known: KnownData, query: dict[str, str], parameter: str, value: str
) -> None:
    response = client.get(url(**query))

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [parameter]
    assert value in errors[parameter]


def test_every_bad_parameter_is_named_at_once(client: Client, known: KnownData) -> None:
    response = client.get(url(format="doc", unit="x", country="1"))
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"format", "unit", "country"}


def test_without_the_analytics_database_the_export_says_so(
    client: Client, settings: Any, tmp_path: Path
) -> None:
    settings.ANALYTICS_DIR = tmp_path / "nothing"
    analytics_db.close()

    response = client.get(url(format="csv"))
    assert response.status_code == 503
    assert "analytics" in response.json()["errors"]
    assert client.get(url(format="xlsx")).status_code == 503
    assert client.get(page_url()).status_code == 503


# -- Rate limit -----------------------------------------------------------------------------------------------


def test_public_exports_are_limited_per_network(
    client: Client, known: KnownData, settings: Any, make_member: MakeMember
) -> None:
    settings.INSIGHTS_EXPORT_RATE_LIMIT = 2
    assert client.get(url(format="csv")).status_code == 200
    assert client.get(url(format="geojson")).status_code == 200

    refused = client.get(url(format="xlsx"))
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= export_throttle.WINDOW_SECONDS
    assert "rate_limit" in refused.json()["errors"]
    # The metadata is small and not counted; another network is not limited; nor are analysts.
    assert client.get(url(format="csv", metadata="1")).status_code == 200
    assert Client(REMOTE_ADDR="198.51.100.7").get(url(format="csv")).status_code == 200
    analyst = login_verified(Client(), make_member(Role.ANALYST))
    assert analyst.get(url(format="csv")).status_code == 200


def test_refused_and_bad_exports_do_not_count(client: Client, known: KnownData, settings: Any) -> None:
    settings.INSIGHTS_EXPORT_RATE_LIMIT = 1
    assert client.get(url(format="nope")).status_code == 400
    assert client.get(url(format="csv", fields="staff")).status_code == 403
    assert client.get(url(format="csv")).status_code == 200
    assert client.get(url(format="csv")).status_code == 429


# -- The page -------------------------------------------------------------------------------------------------


def test_exports_page_explains_the_formats_and_the_fields(client: Client, known: KnownData) -> None:
    response = client.get(page_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1>") == 1
    for words in ("CSV", "Excel (XLSX)", "GeoJSON", "HXL-tagged CSV", "hxlstandard.org", "#country+code"):
        assert words in html
    assert "<caption>" in html
    # No staff-only field is offered or listed to the public.
    assert 'name="fields"' not in html
    assert "perpetrator_name" not in html
    assert "style=" not in html


def test_exports_page_builds_the_links_for_the_chosen_selection(client: Client, known: KnownData) -> None:
    response = client.get(page_url(format="geojson", unit="incidents", country="AFG"))

    assert response.status_code == 200
    html = response.content.decode().replace("&amp;", "&")
    assert url(country="AFG", format="geojson", unit="incidents") in html
    assert url(country="AFG", format="geojson", unit="incidents", metadata="1") in html
    assert url(country="AFG", format="xlsx", unit="incidents") in html
    assert "2 rows of 3 have coordinates" in html
    assert "/api/v1/insights/totals?country=AFG&view=deduplicated" in html


def test_exports_page_shows_what_is_wrong_with_the_choices(client: Client, known: KnownData) -> None:
    response = client.get(page_url(format="pdf", country="XX1"))

    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="#field-format"' in html
    assert 'href="#field-country"' in html
    assert "XX1" in html
    assert 'aria-invalid="true"' in html


def test_analysts_see_the_staff_fields_on_the_exports_page(
    client: Client, known: KnownData, make_member: MakeMember
) -> None:
    login_verified(client, make_member(Role.ANALYST))
    response = client.get(page_url(fields="staff", unit="records"))

    assert response.status_code == 200
    html = response.content.decode().replace("&amp;", "&")
    assert 'name="fields"' in html
    assert "perpetrator_name" in html
    assert "fields=staff" in html
    assert "private" in response["Cache-Control"]
