"""The package of a deconfliction notification: a ZIP with the facilities as GeoJSON, KML and CSV and a
letter as PDF, made once and kept with its SHA-256; the download gives those same bytes."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Organisation
from accounts.roles import Role
from audit.models import Event
from facilities import actions
from facilities.models import Facility, Notification, Party
from tests.conftest import login_verified

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]

KML = "{http://www.opengis.net/kml/2.2}"


@pytest.fixture
def notification(organisation: Organisation) -> Notification:
    hospital = actions.register_facility(
        None,
        organisation,
        {
            "name": "Aleppo University Hospital",
            "facility_type": "hospital",
            "operator": "Ministry of Health",
            "country_iso3": "SYR",
            "admin1": "Aleppo",
            "latitude": 36.2021,
            "longitude": 37.1343,
        },
    )
    clinic = actions.register_facility(
        None,
        organisation,
        {
            "name": '=HYPERLINK("http://example.invalid")',
            "facility_type": "clinic",
            "country_iso3": "SYR",
            "latitude": -33.5,
            "longitude": 151.25,
        },
    )
    forces = Party.objects.create(
        name="Armed forces of X", kind=Party.Kind.ARMED_FORCES, contact="hq@x.invalid"
    )
    ocha = Party.objects.create(
        name="UN OCHA HNS", kind=Party.Kind.HUMANITARIAN_NOTIFICATION_SYSTEM, contact="hns@un.invalid"
    )
    return actions.create_notification(
        None, organisation, facilities=[hospital, clinic], parties=[forces, ocha], language="en"
    )


def members(notification: Notification) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(bytes(notification.package))) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_package_holds_four_files_and_its_hash_is_stored(notification: Notification) -> None:
    number = notification.number

    files = members(notification)

    assert sorted(files) == sorted(
        [
            f"{number}-letter.pdf",
            f"{number}-facilities.geojson",
            f"{number}-facilities.kml",
            f"{number}-facilities.csv",
        ]
    )
    assert notification.package_sha256 == hashlib.sha256(bytes(notification.package)).hexdigest()
    event = Event.objects.get(action="facilities.notification_created")
    assert event.details["package_sha256"] == notification.package_sha256


def test_geojson_gives_longitude_then_latitude(notification: Notification) -> None:
    document = json.loads(members(notification)[f"{notification.number}-facilities.geojson"])

    assert document["type"] == "FeatureCollection"
    by_name = {feature["properties"]["name"]: feature for feature in document["features"]}
    hospital = by_name["Aleppo University Hospital"]
    assert hospital["geometry"] == {"type": "Point", "coordinates": [37.1343, 36.2021]}
    assert hospital["properties"]["type"] == "hospital" and hospital["properties"]["country"] == "SYR"


def test_kml_is_valid_xml_with_a_placemark_per_facility(notification: Notification) -> None:
    root = ET.fromstring(members(notification)[f"{notification.number}-facilities.kml"])  # noqa: S314 (our own output)

    assert root.tag == f"{KML}kml"
    placemarks = root.findall(f"{KML}Document/{KML}Placemark")
    assert len(placemarks) == 2
    coordinates = {
        placemark.findtext(f"{KML}name"): placemark.findtext(f"{KML}Point/{KML}coordinates")
        for placemark in placemarks
    }
    assert coordinates["Aleppo University Hospital"] == "37.1343,36.2021,0"
    assert coordinates['=HYPERLINK("http://example.invalid")'] == "151.25,-33.5,0"


def test_csv_has_a_row_per_facility_in_the_import_columns(notification: Notification) -> None:
    text = members(notification)[f"{notification.number}-facilities.csv"].decode("utf-8")

    rows = list(csv.DictReader(io.StringIO(text)))

    # By country and name; a name that a spreadsheet would run as a formula is quoted.
    assert [row["name"] for row in rows] == [
        '\'=HYPERLINK("http://example.invalid")',
        "Aleppo University Hospital",
    ]
    hospital = rows[1]
    assert (hospital["latitude"], hospital["longitude"], hospital["country"]) == ("36.2021", "37.1343", "SYR")
    assert hospital["type"] == "hospital" and hospital["operator"] == "Ministry of Health"


def test_letter_is_a_pdf(notification: Notification) -> None:
    pdf = members(notification)[f"{notification.number}-letter.pdf"]

    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 2000


def test_download_gives_the_stored_bytes_and_is_audited(
    client: Client, make_member: Any, notification: Notification
) -> None:
    login_verified(client, make_member(Role.ANALYST))

    response = client.get(reverse("facilities:notification_package", args=[notification.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert f'filename="deconfliction-{notification.number}.zip"' in response["Content-Disposition"]
    assert hashlib.sha256(response.content).hexdigest() == notification.package_sha256
    assert Event.objects.filter(
        action="facilities.package_downloaded", object_id=str(notification.pk)
    ).exists()


def test_package_stays_what_was_sent_when_the_facility_moves(notification: Notification) -> None:
    before = notification.package_sha256
    facility = Facility.objects.get(name="Aleppo University Hospital")

    actions.change_facility(None, facility, {"latitude": 36.3})

    notification.refresh_from_db()
    assert notification.package_sha256 == before
    document = json.loads(members(notification)[f"{notification.number}-facilities.geojson"])
    assert [37.1343, 36.2021] in [feature["geometry"]["coordinates"] for feature in document["features"]]
