"""Importing facilities from CSV and GeoJSON: all or nothing, every problem named by row (or feature) and
column, a dry run, a second import of the same identifiers changing facilities, the web upload and the
command."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import Organisation
from accounts.roles import Role
from audit.models import Event
from facilities.actions import import_facilities
from facilities.models import Facility, FacilityStatusChange
from tests.conftest import login_verified

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]

GOOD_CSV = (
    "name,type,latitude,longitude,country,admin1,operator,status,external_id,location_public\r\n"
    "Al-Shifa Hospital,hospital,31.5236,34.4440,PSE,Gaza,Ministry of Health,functional,MOH-1,yes\r\n"
    "Clinic Nord,clinic,36.2021,37.1343,SYR,Aleppo,,partly_functional,MOH-2,\r\n"
    "\r\n"
    "Warehouse 3,Warehouse,48.5,35.0,ukr,Dnipropetrovsk,,,,no\r\n"
)


def geojson(*features: dict[str, Any]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def point(longitude: Any, latitude: Any, *elevation: float, **properties: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [longitude, latitude, *elevation]},
        "properties": properties,
    }


def test_good_csv_registers_every_facility_with_its_first_status(organisation: Organisation) -> None:
    outcome = import_facilities(None, organisation, GOOD_CSV.encode(), file_name="facilities.csv")

    assert outcome.ok and len(outcome.created) == 3
    shifa = Facility.objects.get(external_id="MOH-1")
    assert (shifa.name, shifa.facility_type, shifa.country_iso3) == ("Al-Shifa Hospital", "hospital", "PSE")
    assert (shifa.latitude, shifa.longitude) == (31.5236, 34.444)
    assert shifa.location_public is True and shifa.organisation == organisation
    clinic = Facility.objects.get(external_id="MOH-2")
    assert clinic.status == "partly_functional" and clinic.location_public is False
    # A type given as a label in another case, a lower-case country code, and no status: functional.
    warehouse = Facility.objects.get(name="Warehouse 3")
    assert (warehouse.facility_type, warehouse.country_iso3, warehouse.status) == (
        "warehouse",
        "UKR",
        "functional",
    )
    assert FacilityStatusChange.objects.filter(facility=clinic, status="partly_functional").count() == 1
    event = Event.objects.get(action="facilities.imported")
    assert event.details["created"] == 3 and event.details["rows"] == 3


def test_semicolon_csv_with_byte_order_mark_and_aliases_is_read(organisation: Organisation) -> None:
    data = "\ufeffName;Facility type;Lat;Lon;Country ISO3\nHôpital Central;hospital;12,5;-1,5;BFA\n".encode()

    outcome = import_facilities(None, organisation, data, file_name="export.csv")

    assert outcome.ok
    facility = Facility.objects.get()
    assert (facility.name, facility.latitude, facility.longitude) == ("Hôpital Central", 12.5, -1.5)


def test_bad_csv_stores_nothing_and_names_every_row_and_column(organisation: Organisation) -> None:
    data = (
        b"name,type,latitude,longitude,country,status,external_id\n"
        b"Good Hospital,hospital,10,10,SDN,,A\n"
        b",castle,95,10,SDN,,B\n"
        b"Other,clinic,10,abc,XXX,closed,A\n"
        b"Zero,clinic,0,0,SDN,,\n"
    )

    outcome = import_facilities(None, organisation, data, file_name="bad.csv")

    assert not outcome.ok
    assert Facility.objects.count() == 0 and not Event.objects.filter(action="facilities.imported").exists()
    found = {(problem.number, problem.column) for problem in outcome.problems}
    assert found == {
        (3, "name"),
        (3, "type"),
        (3, "latitude"),
        (4, "longitude"),
        (4, "country"),
        (4, "status"),
        (4, "external_id"),
        (5, "latitude"),
    }
    messages = [str(problem) for problem in outcome.problems]
    assert "row 3, column “latitude”: The latitude 95 is outside -90 to 90." in messages
    assert (
        "row 4, column “external_id”: “A” was already used in row 2: each facility needs its own." in messages
    )


def test_missing_and_unknown_columns_are_named_in_the_header_row(organisation: Organisation) -> None:
    data = b"name,kind,lattitude,longitude,country\nX,hospital,1,1,SDN\n"

    outcome = import_facilities(None, organisation, data, file_name="x.csv")

    assert {(problem.number, problem.column) for problem in outcome.problems} == {
        (1, "kind"),
        (1, "lattitude"),
        (1, "type"),
        (1, "latitude"),
    }
    assert Facility.objects.count() == 0


def test_file_that_is_not_utf8_is_refused_as_a_whole(organisation: Organisation) -> None:
    outcome = import_facilities(None, organisation, "name\nHôpital".encode("latin-1"), file_name="x.csv")

    assert [str(problem) for problem in outcome.problems] == [
        "the file: The file is not UTF-8 text: save it as CSV UTF-8."
    ]


def test_good_geojson_takes_longitude_first(organisation: Organisation) -> None:
    data = geojson(
        point(37.1343, 36.2021, name="Aleppo University Hospital", type="hospital", country="SYR"),
        point(30.5, 50.45, 100, name="Kyiv Pharmacy", type="pharmacy", country="UKR", location_public=True),
    )

    outcome = import_facilities(None, organisation, data, file_name="facilities.geojson")

    assert outcome.ok and outcome.read.file_format == "geojson"
    aleppo = Facility.objects.get(name="Aleppo University Hospital")
    assert (aleppo.latitude, aleppo.longitude) == (36.2021, 37.1343)
    assert Facility.objects.get(name="Kyiv Pharmacy").location_public is True


def test_bad_geojson_stores_nothing_and_names_every_feature_and_property(organisation: Organisation) -> None:
    data = geojson(
        point(37.1, 36.2, name="Fine", type="hospital", country="SYR"),
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]},
            "properties": {"name": "Line", "type": "clinic", "country": "SYR"},
        },
        point(200, 36.2, name="Far east", type="clinic", country="SYR", colour="red"),
        point(37.1, 36.2, type="clinic", country="SY"),
    )

    outcome = import_facilities(None, organisation, data, file_name="bad.geojson")

    assert Facility.objects.count() == 0
    assert {(problem.number, problem.column) for problem in outcome.problems} == {
        (2, "geometry"),
        (3, "geometry"),
        (3, "colour"),
        (4, "name"),
        (4, "country"),
    }
    assert "feature 3, property “geometry”: The longitude 200 is outside -180 to 180." in [
        str(problem) for problem in outcome.problems
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"{not json",
            "the file: Not valid JSON: Expecting property name enclosed in double quotes (line 1, column 2).",
        ),
        (
            b'{"type": "Feature"}',
            "the file: A GeoJSON FeatureCollection is expected (“type”: “FeatureCollection”).",
        ),
        (
            b'{"type": "FeatureCollection", "features": []}',
            "the file: The FeatureCollection has no features.",
        ),
    ],
)
def test_geojson_that_is_no_feature_collection_is_refused(
    organisation: Organisation, data: bytes, message: str
) -> None:
    outcome = import_facilities(None, organisation, data, file_name="x.geojson")

    assert [str(problem) for problem in outcome.problems] == [message]


def test_dry_run_reports_what_would_change_and_stores_nothing(organisation: Organisation) -> None:
    import_facilities(None, organisation, GOOD_CSV.encode(), file_name="facilities.csv")
    changed = GOOD_CSV.replace("Clinic Nord", "Clinic North")

    outcome = import_facilities(
        None, organisation, changed.encode(), file_name="facilities.csv", dry_run=True
    )

    assert outcome.ok and (outcome.would_create, outcome.would_update, outcome.would_leave) == (1, 1, 1)
    assert Facility.objects.filter(name="Clinic Nord").exists()
    assert Facility.objects.count() == 3


def test_second_import_with_the_same_identifiers_changes_those_facilities(organisation: Organisation) -> None:
    import_facilities(None, organisation, GOOD_CSV.encode(), file_name="facilities.csv")
    again = (
        "name,type,latitude,longitude,country,status,external_id\n"
        "Al-Shifa Hospital,hospital,31.5236,34.4440,PSE,not_functional,MOH-1\n"
    )

    outcome = import_facilities(None, organisation, again.encode(), file_name="update.csv")

    shifa = Facility.objects.get(external_id="MOH-1")
    assert outcome.updated == [shifa.pk] and not outcome.created
    assert shifa.status == "not_functional"
    assert list(shifa.status_changes.values_list("status", flat=True)) == ["not_functional", "functional"]
    # location_public was left out of the file: it is "no" now.
    assert shifa.location_public is False


def test_same_identifier_in_another_organisation_is_another_facility(
    organisation: Organisation, other_organisation: Organisation
) -> None:
    import_facilities(None, organisation, GOOD_CSV.encode(), file_name="facilities.csv")

    outcome = import_facilities(None, other_organisation, GOOD_CSV.encode(), file_name="facilities.csv")

    assert len(outcome.created) == 3 and Facility.objects.count() == 6


def test_web_upload_shows_each_problem_and_stores_nothing(client: Client, make_member: Any) -> None:
    login_verified(client, make_member(Role.FIELD_DOCUMENTER))
    upload = SimpleUploadedFile("bad.csv", b"name,type,latitude,longitude,country\nX,clinic,91,0,SDN\n")

    response = client.post(reverse("facilities:import"), {"file": upload})

    assert response.status_code == 400
    text = response.content.decode()
    assert "Nothing was imported: the file has 1 problem" in text
    assert '<th scope="row">row 2</th><td>latitude</td><td>The latitude 91 is outside -90 to 90.</td>' in text
    assert Facility.objects.count() == 0


def test_web_upload_of_a_good_file_imports_and_goes_to_the_list(client: Client, make_member: Any) -> None:
    login_verified(client, make_member(Role.FIELD_DOCUMENTER))
    upload = SimpleUploadedFile("good.csv", GOOD_CSV.encode())

    response = client.post(reverse("facilities:import"), {"file": upload}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("facilities:list")
    assert "Imported: 3 new facilities, 0 changed, 0 unchanged." in response.content.decode()
    assert Facility.objects.count() == 3


def test_web_dry_run_says_what_an_import_would_do(client: Client, make_member: Any) -> None:
    login_verified(client, make_member(Role.FIELD_DOCUMENTER))
    upload = SimpleUploadedFile("good.csv", GOOD_CSV.encode())

    response = client.post(reverse("facilities:import"), {"file": upload, "dry_run": "on"})

    assert response.status_code == 200
    assert "3 facilities read: an import would register 3, change 0 and leave 0 as they are." in " ".join(
        response.content.decode().split()
    )
    assert Facility.objects.count() == 0


def test_command_imports_a_file(organisation: Organisation, tmp_path: Path) -> None:
    path = tmp_path / "facilities.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    out = io.StringIO()

    call_command("import_facilities", str(path), organisation=organisation.slug, quiet=True, stdout=out)

    assert "3 registered, 0 changed, 0 unchanged" in out.getvalue()
    assert Facility.objects.count() == 3


def test_command_prints_every_problem_and_fails(organisation: Organisation, tmp_path: Path) -> None:
    path = tmp_path / "facilities.geojson"
    path.write_bytes(geojson(point(10, 10, name="A", type="spaceport", country="SDN")))
    err = io.StringIO()

    with translation.override("en"), pytest.raises(CommandError, match=r"1 problem.*nothing was imported"):
        call_command("import_facilities", str(path), organisation=organisation.slug, quiet=True, stderr=err)

    assert "facilities.geojson: feature 1, property “type”: Unknown type “spaceport”" in err.getvalue()
    assert Facility.objects.count() == 0


def test_command_names_an_unknown_organisation(tmp_path: Path, organisation: Organisation) -> None:
    path = tmp_path / "f.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")

    with pytest.raises(CommandError, match="--organisation nope: no such organisation"):
        call_command("import_facilities", str(path), organisation="nope")
