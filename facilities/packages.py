"""The package of a deconfliction notification: the notified facilities as GeoJSON, KML and CSV, and a
letter to the parties as PDF, in one ZIP (docs/facilities.md, "Packages").

The ZIP is made once, when the notification is made, and kept with it with its SHA-256: what was sent
stays what it was, whatever changes in the registry afterwards. Its entries carry the notification's
creation time, so the same inputs give the same bytes (the PDF aside, whose metadata hold the time it was
made). The PDF is made with WeasyPrint from facilities/letter_pdf.html and letter_pdf.css, offline: every
address other than a data: URL is refused.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from facilities.models import Facility, Notification, Party

LETTER_TEMPLATE = "facilities/letter_pdf.html"
LETTER_STYLESHEET = Path(__file__).resolve().parent / "templates" / "facilities" / "letter_pdf.css"
KML_NAMESPACE = "http://www.opengis.net/kml/2.2"
CSV_COLUMNS = (
    "number",
    "name",
    "type",
    "latitude",
    "longitude",
    "country",
    "admin1",
    "operator",
    "status",
    "external_id",
)


def _facility_properties(facility: Facility) -> dict[str, Any]:
    return {
        "number": facility.number,
        "name": facility.name,
        "type": facility.facility_type,
        "type_label": str(facility.get_facility_type_display()),
        "operator": facility.operator,
        "country": facility.country_iso3,
        "admin1": facility.admin1,
        "status": facility.status,
        "status_label": str(facility.get_status_display()),
        "external_id": facility.external_id,
    }


def geojson_bytes(facilities: Sequence[Facility]) -> bytes:
    """A FeatureCollection of Points; GeoJSON (RFC 7946) puts the longitude first."""
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": facility.number,
                "geometry": {"type": "Point", "coordinates": [facility.longitude, facility.latitude]},
                "properties": _facility_properties(facility),
            }
            for facility in facilities
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def kml_bytes(facilities: Sequence[Facility], title: str) -> bytes:
    """KML 2.2: one Placemark per facility, its facts as ExtendedData, coordinates "longitude,latitude"."""
    ET.register_namespace("", KML_NAMESPACE)

    def tag(name: str) -> str:
        return f"{{{KML_NAMESPACE}}}{name}"

    root = ET.Element(tag("kml"))
    document = ET.SubElement(root, tag("Document"))
    ET.SubElement(document, tag("name")).text = title
    for facility in facilities:
        placemark = ET.SubElement(document, tag("Placemark"), id=facility.number)
        ET.SubElement(placemark, tag("name")).text = facility.name
        ET.SubElement(placemark, tag("description")).text = ", ".join(
            part
            for part in (
                str(facility.get_facility_type_display()),
                facility.operator,
                facility.admin1,
                facility.country_iso3,
            )
            if part
        )
        extended = ET.SubElement(placemark, tag("ExtendedData"))
        for key, value in _facility_properties(facility).items():
            data = ET.SubElement(extended, tag("Data"), name=key)
            ET.SubElement(data, tag("value")).text = str(value)
        point = ET.SubElement(placemark, tag("Point"))
        ET.SubElement(point, tag("coordinates")).text = f"{facility.longitude!r},{facility.latitude!r},0"
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def csv_bytes(facilities: Sequence[Facility]) -> bytes:
    """The columns of the import (docs/facilities.md), plus the facility's number, so a package can be read
    back into another registry."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for facility in facilities:
        writer.writerow(
            [
                facility.number,
                _cell(facility.name),
                facility.facility_type,
                repr(facility.latitude),
                repr(facility.longitude),
                facility.country_iso3,
                _cell(facility.admin1),
                _cell(facility.operator),
                facility.status,
                _cell(facility.external_id),
            ]
        )
    return buffer.getvalue().encode("utf-8")


def _cell(text: str) -> str:
    # A cell starting with = + - @ would be run as a formula by a spreadsheet that opens the file.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


# The letter ----------------------------------------------------------------------------------------------


@functools.cache
def _offline_fetcher_class() -> type[Any]:
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    class OfflineFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data",), allow_redirects=False)

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.lower().startswith("data:"):
                raise ValueError(f"ZorgVeilig makes PDFs offline and does not fetch {url}")
            return super().fetch(url, headers)

    return OfflineFetcher


def letter_context(
    notification: Notification, facilities: Sequence[Facility], parties: Sequence[Party]
) -> dict[str, Any]:
    return {
        "notification": notification,
        "facilities": facilities,
        "parties": parties,
        "organisation": notification.organisation,
        "day": timezone.localtime(notification.created_at).date(),
    }


def letter_html(context: dict[str, Any]) -> str:
    return render_to_string(LETTER_TEMPLATE, context)


def letter_pdf(html: str) -> bytes:
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]

    fetcher = _offline_fetcher_class()()
    stylesheet = CSS(string=LETTER_STYLESHEET.read_text(encoding="utf-8"), url_fetcher=fetcher)
    pdf: bytes = HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf(stylesheets=[stylesheet])
    return pdf


# The ZIP ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Package:
    content: bytes
    sha256: str
    names: tuple[str, ...]


def file_names(notification: Notification) -> dict[str, str]:
    prefix = notification.number
    return {
        "geojson": f"{prefix}-facilities.geojson",
        "kml": f"{prefix}-facilities.kml",
        "csv": f"{prefix}-facilities.csv",
        "pdf": f"{prefix}-letter.pdf",
    }


def zip_name(notification: Notification) -> str:
    return f"deconfliction-{notification.number}.zip"


def build(notification: Notification) -> Package:
    """The package of `notification` (saved, with its facilities and parties), in its letter's language."""
    facilities = list(notification.facilities.order_by("country_iso3", "name", "pk"))
    parties = list(notification.parties.order_by("name"))
    with translation.override(notification.language):
        title = _("Medical facilities notified in %(number)s") % {"number": notification.number}
        files = file_names(notification)
        contents = {
            files["pdf"]: letter_pdf(letter_html(letter_context(notification, facilities, parties))),
            files["geojson"]: geojson_bytes(facilities),
            files["kml"]: kml_bytes(facilities, title),
            files["csv"]: csv_bytes(facilities),
        }
    moment = timezone.localtime(notification.created_at)
    stamp = (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, moment.second)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    content = buffer.getvalue()
    return Package(content, hashlib.sha256(content).hexdigest(), tuple(contents))
