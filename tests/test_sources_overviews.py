"""Country-year totals: SHCC overview files (datasets.md §5.3) and the SiND `healthcareOverview` and
`aidworkerKIKAOverview` API records (§4.7), imported as aggregate rows."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Sum

from sources.importers.overviews import InsecurityInsightOverviewImporter, ShccOverviewImporter
from sources.models import Aggregate, Record, Release
from sources.readers import open_table
from sources.releases import ImportFailed, import_file
from tests.sources_helpers import FIXTURES, REAL_DATA, write_xlsx

pytestmark = pytest.mark.django_db

HEALTHCARE_OVERVIEW = FIXTURES / "overview_healthcare.json"
SHCC_SAMPLE = REAL_DATA / "shcc" / "2021-shcc-overview-data.xlsx"
II_SAMPLE = REAL_DATA / "insecurity_insight" / "api-sample-healthcareOverview.json"

SHCC_HEADER = [
    "Country",
    "Number of reported incidents",
    "Number of health workers killed",
    "Number of health workers kidnapped",
    "Deprivation of liberty",
    "Number of health workers arrested ",
    "Number of health workers injured",
    "Total health worker assaulted",
    "Total number of attacks on facilities which reported destruction",
    "Total number of attacks on facilities which reported damage",
    "Obstruction to health care",
]
SHCC_TAGS = [
    "#country +name",
    "#event +num ",
    "#affected +healthworker +killed",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
]
SHCC_CITATION = (
    "Safeguarding Health in Conflict Coalition. 2022. 2021 SHCC Overview Data, v. May 2022. Geneva, "
    "Switzerland: SHCC and Insecurity Insight."
)


def _shcc_file(
    tmp_path: Path, rows: list[list[Any]], *, sheet: str = "2021 SHCC Overview Data", **kw: Any
) -> Path:
    return write_xlsx(
        tmp_path / kw.pop("name", "2021-shcc-overview-data.xlsx"),
        [SHCC_HEADER, SHCC_TAGS, *rows],
        sheet=sheet,
        metadata=kw.pop("metadata", ["Citation", SHCC_CITATION]),
    )


SHCC_ROWS = [
    ["Afghanistan", 107, 39, 8, 1, 1, 32, 1, 1, 23, None],
    ["Chechnya", 2, None, None, None, None, 1, None, None, None, 1],
    ["OPT", 40, 2, None, None, 12, 30, 6, 0, 9, None],
]


def _aggregates(release: Release) -> dict[str, Aggregate]:
    return {row.source_id: row for row in Aggregate.objects.filter(release=release)}


def test_shcc_overview_rows_are_country_year_aggregates(tmp_path: Path) -> None:
    release = import_file("shcc", _shcc_file(tmp_path, SHCC_ROWS)).release
    assert (release.importer, release.product.slug, release.product.kind) == (
        "shcc_overview",
        "overview-data-2021",
        "aggregates",
    )
    assert (release.vintage_date, release.vintage_label) == (datetime.date(2022, 5, 1), "v. May 2022")
    assert release.options["year"] == "2021" and release.options["year_from"] == "sheet title"
    assert release.hxl_tags[1] == "#event +num "
    assert (release.rows_imported, release.rows_quarantined) == (3, 0)
    assert Record.objects.filter(release=release).count() == 0
    rows = _aggregates(release)
    assert set(rows) == {"AFG 2021", "Chechnya 2021", "PSE 2021"}
    afghanistan = rows["AFG 2021"]
    assert (afghanistan.period_start, afghanistan.period_end, afghanistan.period_precision) == (
        datetime.date(2021, 1, 1),
        datetime.date(2021, 12, 31),
        "year",
    )
    assert (afghanistan.events, afghanistan.health_workers_killed, afghanistan.health_workers_arrested) == (
        107,
        39,
        1,
    )
    assert (afghanistan.facilities_destroyed, afghanistan.facilities_damaged) == (1, 23)
    assert afghanistan.facilities_destroyed_or_damaged is None  # not a column of this file
    assert afghanistan.measures == {"Deprivation of liberty": 1, "Obstruction to health care": None}
    chechnya = rows["Chechnya 2021"]
    assert (chechnya.country_iso3, chechnya.country_as_given, chechnya.health_workers_killed) == (
        "RUS",
        "Chechnya",
        None,
    )
    assert "column 5 'Deprivation of liberty' is read into measures" in release.notes


def test_the_year_comes_from_the_notes_or_the_option_when_the_sheet_has_none(tmp_path: Path) -> None:
    from_notes = import_file("shcc", _shcc_file(tmp_path, SHCC_ROWS, sheet="Sheet1")).release
    assert from_notes.options["year_from"] == "notes"
    assert _aggregates(from_notes)["AFG 2021"].period_start == datetime.date(2021, 1, 1)
    path = _shcc_file(tmp_path, SHCC_ROWS[:1], sheet="Data", metadata=["no citation"], name="overview.xlsx")
    with pytest.raises(ImportFailed, match="option 'year'"):
        import_file("shcc", path, product="overview-data-2020", vintage=datetime.date(2021, 6, 1))
    given = import_file(
        "shcc", path, product="overview-data-2020", vintage=datetime.date(2021, 6, 1), options={"year": 2020}
    ).release
    assert (given.options["year"], given.options["year_from"]) == ("2020", "option")
    assert set(_aggregates(given)) == {"AFG 2020"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"year": "last year"}, "expected a year such as 2021"),
        ({"year": 1850}, "outside 1990"),
        ({"month": 3}, "takes only the option 'year'"),
    ],
)
def test_bad_overview_options_are_refused(tmp_path: Path, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ImportFailed, match=message):
        import_file("shcc", _shcc_file(tmp_path, SHCC_ROWS), options=options)


def test_total_rows_unknown_countries_and_bad_counts_are_quarantined_with_their_key(tmp_path: Path) -> None:
    rows: list[list[Any]] = [*SHCC_ROWS, ["Narnia", 3], ["Total", 149], ["Mali", -2], [None, 4]]
    release = import_file("shcc", _shcc_file(tmp_path, rows)).release
    assert (release.rows_imported, release.rows_quarantined) == (3, 4)
    problems = {q.row_number: (q.source_id, q.column, q.reason) for q in release.quarantine.all()}
    assert problems[6][0] == "Narnia 2021" and "unknown country 'Narnia'" in problems[6][2]
    assert problems[7] == (
        "Total 2021",
        "Country",
        "a total row, not a country (left out so that it is not counted twice)",
    )
    assert problems[8][:2] == ("MLI 2021", "Number of reported incidents")
    assert problems[9] == ("", "Country", "no country or no period: the row cannot be tracked")


def test_a_new_overview_vintage_is_compared_by_country_and_year(tmp_path: Path) -> None:
    first = import_file("shcc", _shcc_file(tmp_path, SHCC_ROWS)).release
    later = [["Afghanistan", 110, 39, 8, 1, 1, 32, 1, 1, 23, None], SHCC_ROWS[2]]
    newer = tmp_path / "newer"
    newer.mkdir()
    second = import_file(
        "shcc",
        _shcc_file(newer, later, metadata=["Citation", SHCC_CITATION.replace("May 2022", "June 2022")]),
    ).release
    assert second.previous == first
    assert (second.changed, second.unchanged, second.added, second.withdrawn) == (1, 1, 0, 1)
    assert _aggregates(second)["AFG 2021"].previous == _aggregates(first)["AFG 2021"]


def test_healthcare_overview_json_reads_string_totals_and_the_truncated_header() -> None:
    release = import_file(
        "insecurity-insight", HEALTHCARE_OVERVIEW, vintage=datetime.date(2024, 3, 1)
    ).release
    assert (release.importer, release.product.slug) == ("insecurity_insight_overview", "healthcare-overview")
    assert release.options["year_from"] == "column"
    assert (release.rows_imported, release.rows_quarantined) == (4, 1)
    rows = _aggregates(release)
    assert set(rows) == {"AFG 2023", "AFG 2022", "PSE 2023", "International Waters 2019"}
    palestine = rows["PSE 2023"]
    assert (palestine.country_as_given, palestine.events, palestine.facilities_destroyed_or_damaged) == (
        "OPT",
        410,
        120,
    )
    assert (palestine.facilities_destroyed, palestine.facilities_damaged, palestine.measures) == (
        None,
        None,
        {},
    )
    waters = rows["International Waters 2019"]
    assert (waters.country_iso3, waters.period_start) == ("", datetime.date(2019, 1, 1))
    sudan = release.quarantine.get()
    assert (sudan.source_id, sudan.column, sudan.value) == ("SDN 2023", "Health Workers Injured", "1.5")


def test_aid_worker_overview_fills_the_aid_worker_fields(tmp_path: Path) -> None:
    path = tmp_path / "aidWorkerKIKAOverview.json"
    record = {
        "Country": "CAR",
        "Year": "2022",
        "Country ISO": "CAF",
        "Number Of Events": "15",
        "Total Aid Workers KIKA Victims": "45",
        "Total Aid Workers Killed": "3",
        "Total Aid Workers Injured": "30",
        "Total Aid Workers Kidnapped": "11",
        "Total Aid Workers Arrested": "5",
    }
    path.write_text(json.dumps([record]), encoding="utf-8")
    release = import_file("insecurity-insight", path, vintage=datetime.date(2024, 3, 1)).release
    assert release.product.slug == "aid-worker-kika-overview"
    row = Aggregate.objects.get(release=release)
    assert (row.source_id, row.events, row.aid_workers_killed, row.aid_workers_injured) == (
        "CAF 2022",
        15,
        3,
        30,
    )
    assert (row.aid_workers_kidnapped, row.health_workers_killed) == (11, None)
    assert row.measures == {"Total Aid Workers KIKA Victims": 45, "Total Aid Workers Arrested": 5}


def test_a_file_with_incident_identifiers_is_not_taken_for_an_overview(tmp_path: Path) -> None:
    path = tmp_path / "2021-shcc-overview-data.xlsx"
    write_xlsx(path, [["SiND Event ID", "Country", "Number of reported incidents"], [1, "Mali", 1]])
    assert not ShccOverviewImporter.accepts(open_table(path))
    with pytest.raises(ImportFailed, match="missing column"):
        import_file("shcc", path, vintage=datetime.date(2022, 5, 1))


def test_products_are_told_from_the_file_names() -> None:
    assert ShccOverviewImporter.default_product("2021-shcc-overview-data.xlsx") == "overview-data-2021"
    assert (
        ShccOverviewImporter.default_product("2016-2020-shcc-overview-data.xlsx") == "overview-data-2016-2020"
    )
    assert ShccOverviewImporter.default_product("shcc-overview.xlsx") is None
    product = InsecurityInsightOverviewImporter.default_product
    assert product("api-sample-healthcareOverview.json") == "healthcare-overview"
    assert product("2016-2025-pse-attacks-on-health-care-overview-data.xlsx") == "healthcare-overview-pse"
    assert product("aidWorkerKIKAOverview.json") == "aid-worker-kika-overview"
    assert product("educationOverview.json") is None


@pytest.mark.skipif(not SHCC_SAMPLE.exists(), reason=f"the SHCC 2021 overview sample is not at {SHCC_SAMPLE}")
def test_the_real_shcc_2021_overview_imports_whole() -> None:
    release = import_file("shcc", SHCC_SAMPLE).release
    assert (release.product.slug, release.vintage_label) == ("overview-data-2021", "v. May 2022")
    assert (release.rows_read, release.rows_imported, release.rows_quarantined) == (49, 49, 0)
    rows = Aggregate.objects.filter(release=release)
    assert rows.aggregate(events=Sum("events"))["events"] == 1335  # §5.3, §13.2
    assert rows.order_by().values("source_id").distinct().count() == 49
    assert rows.get(source_id="AFG 2021").events == 107


@pytest.mark.skipif(
    not II_SAMPLE.exists(), reason=f"the SiND healthcareOverview sample is not at {II_SAMPLE}"
)
def test_the_real_healthcare_overview_sample_imports_whole() -> None:
    release = import_file("insecurity-insight", II_SAMPLE, vintage=datetime.date(2024, 3, 1)).release
    assert release.product.slug == "healthcare-overview"
    assert (release.rows_read, release.rows_imported, release.rows_quarantined) == (416, 416, 0)
    rows = Aggregate.objects.filter(release=release)
    assert rows.order_by().values("source_id").distinct().count() == 416
    totals = rows.aggregate(events=Sum("events"), facilities=Sum("facilities_destroyed_or_damaged"))
    assert totals == {"events": 9073, "facilities": 2130}
    assert rows.filter(country_iso3="").count() == 2  # International Waters, Unspecified
