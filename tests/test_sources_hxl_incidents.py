"""SHCC and Insecurity Insight incident files: columns by header text, HXL row skipped, drift tolerated."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from sources.models import Record, Release
from sources.releases import ImportFailed, import_file
from tests.sources_helpers import FIXTURES, csv_rows, write_csv, write_xlsx

pytestmark = pytest.mark.django_db

DRIFT = FIXTURES / "shcc_incidents_drift.csv"


def _import(path: Path = DRIFT, source: str = "shcc", **options: object) -> Release:
    options.setdefault("vintage", datetime.date(2023, 5, 1))
    options.setdefault("product", "incident-data-2023")
    return import_file(source, path, **options).release  # type: ignore[arg-type]


def test_header_drift_is_tolerated_and_the_hxl_row_is_kept_not_used() -> None:
    release = _import()
    assert release.hxl_tags[0] == "#date"
    columns = release.columns
    assert columns["facilities_damaged"]["header"] == "Number of Attacks on Health Facilities Reporting Damag"
    assert columns["transport_stolen"]["header"] == "Health Transportation Stolen/Highjacked"
    assert columns["access_obstructed"]["header"] == "Obstruction to Health Care"
    assert columns["country_iso"]["header"] == "country iso"
    assert columns["health_workers_assaulted"]["header"] == "Health Workers  Assaulted"
    # The first of the duplicated `Health Workers Killed` columns is read (§5.2), the second is noted.
    assert columns["health_workers_killed"]["column"] == 16
    assert any(
        "column 25 'Health Workers Killed' repeats the header of column 16" in note for note in release.notes
    )


def test_swapped_hxl_tags_do_not_swap_kidnapped_and_arrested() -> None:
    record = Record.objects.get(release=_import(), source_id="90002")
    assert (record.health_workers_kidnapped, record.health_workers_arrested) == (1, 2)


def test_rows_are_harmonised() -> None:
    release = _import()
    first = Record.objects.get(release=release, source_id="90001")
    assert first.event_date == datetime.date(2023, 1, 1)  # an Excel serial in a CSV
    assert first.perpetrator_category == "state"
    assert first.weapons == ["Aerial Bomb: Plane", "Firearms"]
    assert first.who_ssa_types == ["heavy_weapons", "individual_weapons"]
    assert (first.facilities_destroyed, first.health_workers_killed, first.health_workers_injured) == (
        1,
        2,
        1,
    )
    assert first.resources == ["facility", "personnel"]
    assert (first.context_conflict, first.context_political) == (True, False)

    second = Record.objects.get(release=release, source_id="90002")
    assert (second.country_iso3, second.country_as_given) == ("CIV", "C\u00c3\u00b4te d'Ivoire")
    assert second.event_date == datetime.date(2023, 1, 2)
    assert second.weapons == ["Stones, Sticks and Gravel", "Tasers, Live and Rubber Bullets"]
    assert second.access_obstructed is True
    assert second.who_ssa_types == [
        "individual_weapons",
        "obstruction",
        "psychological_violence",
        "removal_of_assets",
        "abduction_arrest_detention",
    ]
    assert (second.context_political, second.context_covid, second.context_vaccination) == (True, True, True)
    assert second.resources == ["transport", "personnel", "supplies"]

    third = Record.objects.get(release=release, source_id="90003")
    assert third.who_ssa_types == ["assault"]
    assert third.warnings == [
        {"column": "Weapon Carried/Used", "value": "Catapult", "problem": "weapon not in the crosswalk"}
    ]
    assert third.perpetrator_as_given == "Foreign Forces - Military" and third.perpetrator_category == "state"


def test_bad_rows_are_quarantined_with_row_column_and_reason() -> None:
    release = _import()
    assert (release.rows_read, release.rows_imported, release.rows_quarantined) == (8, 4, 4)
    problems = {q.row_number: (q.column, q.value, q.reason) for q in release.quarantine.all()}
    assert problems[6][:2] == ("Number of Attacks on Health Facilities Reporting Damag", "-2")
    assert problems[8] == ("Date", "", "no date")
    assert problems[9] == ("SiND Event ID", "", "no identifier: the row cannot be tracked")
    assert problems[10][:2] == ("Conflict-Related Violence", "Maybe")
    martians = Record.objects.get(release=release, source_id="90005")
    assert martians.perpetrator_category == ""
    assert martians.warnings[0]["problem"] == "perpetrator not in the crosswalk"


def test_a_file_without_hxl_row_with_pandas_suffixes_and_iso_strings(tmp_path: Path) -> None:
    rows = csv_rows(DRIFT)
    header = [name + ".1" if index == 24 else name for index, name in enumerate(rows[0])]
    body = [rows[2]]
    body[0][0] = "2023-04-29T00:00:00.000Z"
    path = write_xlsx(tmp_path / "2023-MMR-attacks-on-health-care-incident-data.xlsx", [header, *body])
    release = import_file("insecurity-insight", path, vintage=datetime.date(2024, 8, 20)).release
    assert release.product.slug == "attacks-on-health-care-mmr"
    assert release.hxl_tags == []
    record = release.records.get()
    assert (record.row_number, record.event_date, record.health_workers_killed) == (
        2,
        datetime.date(2023, 4, 29),
        2,
    )


def test_ii_global_layout_with_description_coordinates_and_boolean_obstruction(tmp_path: Path) -> None:
    header = [
        "Date",
        "Event Description",
        "Country",
        "Country ISO",
        "Admin 1",
        "Latitude",
        "Longitude",
        "Geo Precision",
        "Reported Perpetrator",
        "Weapon Carried/Used",
        "Location ",
        "Access Denied or Obstructed",
        "Health Workers Killed",
        "SiND Event ID",
    ]
    tags = [
        "#date",
        "",
        "#country +name",
        "#country +ISO",
        "#admin1",
        "#lat",
        "#long",
        "",
        "#group +perp",
        "#weapons",
        "#loc",
        "#indicator +health_obstruction",
        "#affected +healthworker +killed",
        "",
    ]
    rows = [
        [
            datetime.datetime(2023, 12, 1),
            "A made-up event.",
            "OPT",
            "PSE",
            "Gaza Strip",
            31.5,
            34.46,
            "(2) 25 km Precision ",
            "No Information",
            "Unspecified IED",
            "Health Building",
            True,
            0,
            91001,
        ],
        [
            datetime.datetime(2023, 12, 2),
            "Another.",
            "International Waters",
            None,
            None,
            None,
            None,
            None,
            "NSA",
            "Mine",
            "Ship/Water",
            False,
            1,
            91002,
        ],
    ]
    path = write_xlsx(
        tmp_path / "2016-2023-attacks-on-health-care-incident-data.xlsx",
        [header, tags, *rows],
        metadata=[
            "Insecurity Insight. 2024. 2016-2023 Attacks on Health Care Incident Data, v. 05 January 2024. Geneva."
        ],
    )
    release = import_file("insecurity-insight", path).release
    assert release.product.slug == "attacks-on-health-care"
    assert (release.vintage_date, release.vintage_label) == (datetime.date(2024, 1, 5), "v. 05 January 2024")
    assert "Insecurity Insight. 2024." in release.citation
    first, second = release.records.order_by("row_number")
    assert (first.latitude, first.longitude, first.geo_precision, first.admin1) == (
        31.5,
        34.46,
        "km25",
        "Gaza Strip",
    )
    assert (first.access_obstructed, first.perpetrator_category, first.location_type) == (
        True,
        "unknown",
        "Health Building",
    )
    assert first.description == "A made-up event."
    assert first.who_ssa_types == ["individual_weapons", "obstruction"]
    assert (second.country_iso3, second.access_obstructed, second.latitude) == ("", False, None)


def test_a_missing_required_column_refuses_the_file_naming_it(tmp_path: Path) -> None:
    rows = csv_rows(DRIFT)
    without_id = [row[:-1] for row in rows]
    path = write_csv(tmp_path / "2023-shcc-incident-data.csv", without_id)
    with pytest.raises(ImportFailed, match="missing column\\(s\\) 'SiND Event ID'"):
        import_file("shcc", path, vintage=datetime.date(2024, 5, 1))
    assert not Release.objects.exists()


def test_products_are_told_from_file_names() -> None:
    from sources.importers.hxl_incidents import InsecurityInsightImporter, ShccImporter

    assert ShccImporter.default_product("2022-shcc-incident-data.xlsx") == "incident-data-2022"
    assert ShccImporter.default_product("2016-2020-shcc-incident-data.xlsx") == "incident-data-2016-2020"
    assert ShccImporter.default_product("shcc-data.xlsx") is None
    assert InsecurityInsightImporter.default_product(
        "2016-2025-pse-attacks-on-health-care-incident-data.xlsx"
    ) == ("attacks-on-health-care-pse")
    assert InsecurityInsightImporter.default_product(
        "2016-2025 Attacks on Health Care Incident Data.xlsx"
    ) == ("attacks-on-health-care")
    assert InsecurityInsightImporter.default_product("aid-worker-kika.xlsx") is None
