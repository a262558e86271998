"""WHO SSA export: CSV and XLSX, attack types matched whole, certainty levels, quarantine with reasons."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from sources.models import Record, Release
from sources.releases import import_file
from tests.sources_helpers import FIXTURES, csv_rows, write_xlsx

pytestmark = pytest.mark.django_db

CSV = FIXTURES / "who_ssa_attacks.csv"
VINTAGE = datetime.date(2024, 3, 8)


def _import_csv() -> Release:
    return import_file("who-ssa", CSV, vintage=VINTAGE).release


def test_csv_rows_are_imported_or_quarantined_and_none_is_lost() -> None:
    release = _import_csv()
    assert (release.rows_read, release.rows_imported, release.rows_quarantined, release.rows_blank) == (
        8,
        4,
        4,
        1,
    )
    assert release.product.slug == "dashboard-report"
    assert release.file_format == "csv"
    assert release.headers[0] == "Attack ID"


def test_quarantine_names_row_column_and_reason() -> None:
    release = _import_csv()
    problems = {(q.row_number, q.column, q.value): q.reason for q in release.quarantine.all()}
    assert "not a date in a known form" in problems[(5, "Attack Date", "03/04/2022")]
    assert "unknown certainty level" in problems[(6, "Certainty Level", "Maybe")]
    assert "unknown country 'Atlantis'" in problems[(9, "Country / Territory", "Atlantis")]
    assert "0 or more" in problems[(10, "Total Injured", "-1")]
    quarantined = release.quarantine.get(row_number=5)
    assert quarantined.raw[0] == "UKR900004" and quarantined.source_id == "UKR900004"


def test_attack_types_with_commas_and_an_open_parenthesis_are_matched_whole() -> None:
    record = Record.objects.get(release=_import_csv(), source_id="UKR900001")
    assert record.who_ssa_types == ["individual_weapons", "armed_search"]
    assert record.attack_families == ["individual_weapons", "armed_entry"]
    assert record.warnings == []


def test_unknown_attack_type_text_is_kept_as_a_warning() -> None:
    record = Record.objects.get(release=_import_csv(), source_id="HTI900006")
    assert record.who_ssa_types == ["assault"]
    assert {
        "column": "Attack Type",
        "value": "Hitting with a stick",
        "problem": "not a known SSA attack type",
    } in record.warnings
    assert any(w["problem"] == "unknown type of facility" for w in record.warnings)


def test_harmonised_fields_of_an_ssa_row() -> None:
    release = _import_csv()
    first = Record.objects.get(release=release, source_id="UKR900001")
    assert first.event_date == datetime.date(2023, 5, 2)
    assert (first.country_iso3, first.certainty, first.certainty_as_given) == (
        "UKR",
        "confirmed",
        "Confirmed",
    )
    assert (first.people_injured, first.people_killed) == (2, 1)
    assert first.health_workers_arrested == 2  # HW Arrest + HW Detention
    assert first.resources == ["facility", "personnel"]
    assert first.facility_type == "secondary"
    assert first.raw[5].startswith(" Violence with individual weapons")

    second = Record.objects.get(release=release, source_id="oPt900002")
    assert (second.event_date, second.country_iso3, second.certainty) == (
        datetime.date(2024, 3, 5),
        "PSE",
        "probable",
    )
    assert second.patients_kidnapped == 1 and second.patients_arrested == 2
    assert second.resources == ["facility", "transport", "patients", "other"]

    third = Record.objects.get(release=release, source_id="NGK900003")
    assert (third.country_iso3, third.admin1, third.certainty) == ("AZE", "Nagorno-Karabakh", "possible")
    assert third.people_killed is None  # blank: not reported, not zero


def test_the_same_export_as_xlsx_imports_alike(tmp_path: Path) -> None:
    rows = csv_rows(CSV)
    rows[1][1] = datetime.datetime(2023, 5, 2, 14, 10)  # a real spreadsheet date
    rows[1][6] = 2  # numbers as numbers
    path = write_xlsx(tmp_path / "ssa-dashboard-report.xlsx", rows, sheet="Dashboard Report")
    release = import_file("who-ssa", path, vintage=VINTAGE).release
    assert (release.file_format, release.sheet) == ("xlsx", "Dashboard Report")
    assert (release.rows_imported, release.rows_quarantined, release.rows_blank) == (4, 4, 1)
    record = Record.objects.get(release=release, source_id="UKR900001")
    assert record.event_date == datetime.date(2023, 5, 2)
    assert record.raw[1] == {"datetime": "2023-05-02T14:10:00"}


def test_vintage_comes_from_the_date_in_the_export_name(tmp_path: Path) -> None:
    path = tmp_path / "data_20240308.csv"
    path.write_bytes(CSV.read_bytes())
    assert import_file("who-ssa", path).release.vintage_date == datetime.date(2024, 3, 8)
