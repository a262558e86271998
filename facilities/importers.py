"""Reading a file of facilities (CSV or GeoJSON) into checked rows, without touching the database.

Columns (CSV header names, GeoJSON property names; case and spaces do not matter, docs/facilities.md has
the table):

    name*, type*, latitude*, longitude*, country*, admin1, operator, status, external_id, location_public

(* required; in GeoJSON the coordinates come from the Point geometry, [longitude, latitude]). Every problem
is reported with where it is (CSV: the row as a spreadsheet numbers it, the header being row 1; GeoJSON: the
feature, counted from 1) and which column or property; facilities.actions.import_facilities stores nothing
while there is one.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pycountry
from django.utils.translation import gettext as _

from facilities.models import FacilityStatus, FacilityType

Progress = Callable[[int, int], None]

MAX_NAME = 200
MAX_TEXT = 200
MAX_EXTERNAL_ID = 100

COLUMNS = (
    "name",
    "type",
    "latitude",
    "longitude",
    "country",
    "admin1",
    "operator",
    "status",
    "external_id",
    "location_public",
)
REQUIRED = ("name", "type", "latitude", "longitude", "country")
ALIASES = {
    "facility_type": "type",
    "lat": "latitude",
    "lon": "longitude",
    "lng": "longitude",
    "long": "longitude",
    "country_iso3": "country",
    "iso3": "country",
    "id": "external_id",
    "public": "location_public",
}
TRUE_WORDS = {"1", "yes", "true", "y", "ja", "j", "waar"}
FALSE_WORDS = {"", "0", "no", "false", "n", "nee", "onwaar"}


class FileFormat:
    CSV = "csv"
    GEOJSON = "geojson"
    ALL = ("csv", "geojson")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the file: `place` is "row 4" / "feature 2" / "file", `column` the column or
    property (empty when the whole row or file is meant)."""

    kind: str  # "row", "feature" or "file"
    number: int  # the row or feature number; 0 for the file
    column: str
    message: str

    @property
    def place(self) -> str:
        if self.kind == "row":
            return _("row %(number)d") % {"number": self.number}
        if self.kind == "feature":
            return _("feature %(number)d") % {"number": self.number}
        return _("the file")

    def __str__(self) -> str:
        if self.column and self.kind == "feature":
            return _("%(place)s, property “%(column)s”: %(message)s") % {
                "place": self.place,
                "column": self.column,
                "message": self.message,
            }
        if self.column:
            return _("%(place)s, column “%(column)s”: %(message)s") % {
                "place": self.place,
                "column": self.column,
                "message": self.message,
            }
        return f"{self.place}: {self.message}"


@dataclass(frozen=True)
class FacilityRow:
    """One facility as the file gives it, checked."""

    number: int
    name: str
    facility_type: str
    latitude: float
    longitude: float
    country_iso3: str
    admin1: str = ""
    operator: str = ""
    status: str = ""  # empty: not given (a new facility is then functional)
    external_id: str = ""
    location_public: bool = False


@dataclass
class ReadResult:
    file_format: str
    rows: list[FacilityRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    read: int = 0  # rows or features read (blank CSV rows not counted)

    @property
    def ok(self) -> bool:
        return not self.problems


def _normalise(name: str) -> str:
    key = re.sub(r"[\s\-]+", "_", str(name).strip().lower()).lstrip("\ufeff")
    return ALIASES.get(key, key)


def _choice(value: str, choices: Iterable[tuple[str, Any]]) -> str | None:
    """The code of `value`, given as a code or as its label (English or the active language)."""
    wanted = re.sub(r"[\s\-_]+", " ", value.strip().lower())
    for code, label in choices:
        if wanted in (code.replace("_", " "), str(label).lower()):
            return code
    return None


def _country(value: str) -> str | None:
    code = value.strip().upper()
    if len(code) != 3:
        return None
    return code if pycountry.countries.get(alpha_3=code) is not None else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip().replace(",", ".") if value is not None else ""
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
            return None
        number = float(text)
    return number if math.isfinite(number) else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class _RowChecker:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.seen_ids: dict[str, int] = {}

    def check(
        self, number: int, values: dict[str, Any], *, coordinates: tuple[Any, Any] | None = None
    ) -> tuple[FacilityRow | None, list[Problem]]:
        problems: list[Problem] = []

        def problem(column: str, message: str) -> None:
            problems.append(Problem(self.kind, number, column, message))

        name = _text(values.get("name"))
        if not name:
            problem("name", _("A name is required."))
        elif len(name) > MAX_NAME:
            problem("name", _("At most %(limit)d characters.") % {"limit": MAX_NAME})

        type_text = _text(values.get("type"))
        facility_type = _choice(type_text, FacilityType.choices) if type_text else None
        if not type_text:
            problem("type", _("A type is required: one of %(codes)s.") % {"codes": ", ".join(FacilityType)})
        elif facility_type is None:
            problem(
                "type",
                _("Unknown type “%(value)s”: use one of %(codes)s.")
                % {"value": type_text[:60], "codes": ", ".join(FacilityType)},
            )

        latitude_raw, longitude_raw = (
            coordinates if coordinates is not None else (values.get("latitude"), values.get("longitude"))
        )
        # In GeoJSON the coordinates are the geometry's, and problems with them are reported there.
        in_geometry = coordinates is not None and self.kind == "feature"
        latitude = self._coordinate(
            latitude_raw, "geometry" if in_geometry else "latitude", _("latitude"), 90.0, problem
        )
        longitude = self._coordinate(
            longitude_raw, "geometry" if in_geometry else "longitude", _("longitude"), 180.0, problem
        )
        if latitude == 0.0 and longitude == 0.0:
            problem(
                "geometry" if in_geometry else "latitude",
                _("0, 0 lies in the ocean off West Africa: the coordinates are probably missing."),
            )

        country_text = _text(values.get("country"))
        country = _country(country_text) if country_text else None
        if not country_text:
            problem("country", _("A country is required, as an ISO 3166-1 alpha-3 code such as SYR."))
        elif country is None:
            problem(
                "country",
                _("“%(value)s” is not an ISO 3166-1 alpha-3 country code (such as SYR, UKR, SDN).")
                % {"value": country_text[:60]},
            )

        status_text = _text(values.get("status"))
        status = _choice(status_text, FacilityStatus.choices) if status_text else ""
        if status is None:
            problem(
                "status",
                _("Unknown status “%(value)s”: use one of %(codes)s.")
                % {"value": status_text[:60], "codes": ", ".join(FacilityStatus)},
            )

        texts = {}
        for column in ("admin1", "operator"):
            texts[column] = _text(values.get(column))
            if len(texts[column]) > MAX_TEXT:
                problem(column, _("At most %(limit)d characters.") % {"limit": MAX_TEXT})

        external_id = _text(values.get("external_id"))
        if len(external_id) > MAX_EXTERNAL_ID:
            problem("external_id", _("At most %(limit)d characters.") % {"limit": MAX_EXTERNAL_ID})
        elif external_id:
            first = self.seen_ids.get(external_id)
            if first is not None:
                problem(
                    "external_id",
                    _("“%(value)s” was already used in %(kind)s %(first)d: each facility needs its own.")
                    % {
                        "value": external_id[:60],
                        "kind": _("row") if self.kind == "row" else _("feature"),
                        "first": first,
                    },
                )
            else:
                self.seen_ids[external_id] = number

        public_raw = values.get("location_public")
        public = False
        if isinstance(public_raw, bool):
            public = public_raw
        else:
            word = _text(public_raw).lower()
            if word in TRUE_WORDS:
                public = True
            elif word not in FALSE_WORDS:
                problem(
                    "location_public",
                    _("“%(value)s” is not yes or no (also accepted: true/false, 1/0).")
                    % {"value": word[:20]},
                )

        if problems:
            return None, problems
        assert facility_type is not None and country is not None and status is not None
        assert latitude is not None and longitude is not None
        return (
            FacilityRow(
                number=number,
                name=name,
                facility_type=facility_type,
                latitude=latitude,
                longitude=longitude,
                country_iso3=country,
                admin1=texts["admin1"],
                operator=texts["operator"],
                status=status,
                external_id=external_id,
                location_public=public,
            ),
            [],
        )

    def _coordinate(
        self, raw: Any, column: str, what: str, limit: float, problem: Callable[[str, str], None]
    ) -> float | None:
        if raw is None or _text(raw) == "":
            problem(column, _("The %(what)s is required, in decimal degrees (WGS 84).") % {"what": what})
            return None
        value = _number(raw)
        if value is None:
            problem(
                column,
                _("The %(what)s “%(value)s” is not a decimal number of degrees.")
                % {"what": what, "value": _text(raw)[:40]},
            )
            return None
        if not -limit <= value <= limit:
            problem(
                column,
                _("The %(what)s %(value)s is outside %(low)s to %(high)s.")
                % {"what": what, "value": _text(raw)[:40], "low": -int(limit), "high": int(limit)},
            )
            return None
        return value


def _decode(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def read_csv(data: bytes, progress: Progress | None = None) -> ReadResult:
    result = ReadResult(FileFormat.CSV)
    text = _decode(data)
    if text is None:
        result.problems.append(Problem("file", 0, "", _("The file is not UTF-8 text: save it as CSV UTF-8.")))
        return result
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        result.problems.append(Problem("file", 0, "", _("The file is empty: it has no header row.")))
        return result
    except csv.Error as error:
        result.problems.append(Problem("row", 1, "", _("Not readable as CSV: %(error)s") % {"error": error}))
        return result
    columns = [_normalise(name) for name in header]
    problems = _header_problems(header, columns)
    if problems:
        result.problems.extend(problems)
        return result
    try:
        lines = list(reader)
    except csv.Error as error:
        result.problems.append(
            Problem("row", reader.line_num, "", _("Not readable as CSV: %(error)s") % {"error": error})
        )
        return result
    checker = _RowChecker("row")
    total = len(lines)
    for index, cells in enumerate(lines):
        number = index + 2
        if progress is not None:
            progress(index, total)
        if not any(cell.strip() for cell in cells):
            continue
        result.read += 1
        if len(cells) > len(columns):
            result.problems.append(
                Problem(
                    "row",
                    number,
                    "",
                    _("%(cells)d cells, but the header has %(columns)d columns.")
                    % {"cells": len(cells), "columns": len(columns)},
                )
            )
            continue
        values = dict(zip(columns, cells, strict=False))
        row, row_problems = checker.check(number, values)
        result.problems.extend(row_problems)
        if row is not None:
            result.rows.append(row)
    if progress is not None:
        progress(total, total)
    if result.read == 0 and not result.problems:
        result.problems.append(Problem("file", 0, "", _("The file has a header but no facilities.")))
    return result


def _header_problems(header: list[str], columns: list[str]) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for raw, column in zip(header, columns, strict=True):
        if column not in COLUMNS:
            problems.append(
                Problem(
                    "row",
                    1,
                    raw.strip()[:60],
                    _("Unknown column: the columns are %(columns)s.") % {"columns": ", ".join(COLUMNS)},
                )
            )
        elif column in seen:
            problems.append(Problem("row", 1, raw.strip()[:60], _("This column appears twice.")))
        seen.add(column)
    for column in REQUIRED:
        if column not in seen:
            problems.append(Problem("row", 1, column, _("This required column is missing.")))
    return problems


def read_geojson(data: bytes, progress: Progress | None = None) -> ReadResult:
    result = ReadResult(FileFormat.GEOJSON)

    def whole(message: str) -> ReadResult:
        result.problems.append(Problem("file", 0, "", message))
        return result

    text = _decode(data)
    if text is None:
        return whole(_("The file is not UTF-8 text."))
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return whole(
            _("Not valid JSON: %(error)s (line %(line)d, column %(column)d).")
            % {"error": error.msg, "line": error.lineno, "column": error.colno}
        )
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        return whole(_("A GeoJSON FeatureCollection is expected (“type”: “FeatureCollection”)."))
    features = document.get("features")
    if not isinstance(features, list):
        return whole(_("The FeatureCollection has no list of “features”."))
    if not features:
        return whole(_("The FeatureCollection has no features."))
    checker = _RowChecker("feature")
    total = len(features)
    for index, feature in enumerate(features):
        number = index + 1
        if progress is not None:
            progress(index, total)
        result.read += 1
        problems, values, coordinates = _feature_parts(number, feature)
        # The properties are checked even when the geometry is wrong, so that one pass reports everything.
        row, more = checker.check(number, values, coordinates=coordinates or (1.0, 1.0))
        if coordinates is None:
            more = [problem for problem in more if problem.column != "geometry"]
        problems.extend(more)
        if problems:
            result.problems.extend(problems)
        elif row is not None:
            result.rows.append(row)
    if progress is not None:
        progress(total, total)
    return result


COORDINATE_COLUMNS = ("latitude", "longitude")


def _feature_parts(number: int, feature: Any) -> tuple[list[Problem], dict[str, Any], tuple[Any, Any] | None]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return [Problem("feature", number, "", _("Not a GeoJSON Feature."))], {}, None
    problems: list[Problem] = []
    raw_properties = feature.get("properties")
    if raw_properties is None:
        raw_properties = {}
    if not isinstance(raw_properties, dict):
        return [Problem("feature", number, "properties", _("The properties must be an object."))], {}, None
    values: dict[str, Any] = {}
    for key, value in raw_properties.items():
        column = _normalise(key)
        if column in COORDINATE_COLUMNS:
            continue  # the geometry is what counts; a copy in the properties is ignored
        if column not in COLUMNS:
            problems.append(
                Problem(
                    "feature",
                    number,
                    str(key)[:60],
                    _("Unknown property: the properties are %(columns)s.")
                    % {
                        "columns": ", ".join(column for column in COLUMNS if column not in COORDINATE_COLUMNS)
                    },
                )
            )
            continue
        values[column] = value
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        problems.append(Problem("feature", number, "geometry", _("A Point geometry is required.")))
        return problems, values, None
    point = geometry.get("coordinates")
    if not isinstance(point, list) or len(point) not in (2, 3):
        problems.append(
            Problem("feature", number, "geometry", _("A Point has coordinates [longitude, latitude]."))
        )
        return problems, values, None
    longitude, latitude = point[0], point[1]
    return problems, values, (latitude, longitude)


def read(data: bytes, file_format: str, progress: Progress | None = None) -> ReadResult:
    if file_format == FileFormat.GEOJSON:
        return read_geojson(data, progress)
    return read_csv(data, progress)


def guess_format(file_name: str, data: bytes) -> str:
    """GeoJSON for .geojson/.json names or content that starts with "{", CSV otherwise."""
    lowered = file_name.lower()
    if lowered.endswith((".geojson", ".json")):
        return FileFormat.GEOJSON
    if lowered.endswith((".csv", ".txt")):
        return FileFormat.CSV
    return FileFormat.GEOJSON if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{" else FileFormat.CSV


def problems_text(problems: list[Problem], limit: int | None = None) -> Iterator[str]:
    shown = problems if limit is None else problems[:limit]
    for problem in shown:
        yield str(problem)
