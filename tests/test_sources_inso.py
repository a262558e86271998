"""INSO key data (datasets.md §10): country-by-month counts of security incidents affecting NGOs and of NGO
staff killed, injured and abducted, imported as aggregate rows. The dashboard's real column names are not
documented, so these files are written for the tests in the layouts the importer's aliases cover."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from sources.importers.inso import month_or_year
from sources.models import Aggregate, Release, Source
from sources.releases import ImportFailed, import_file
from sources.values import ValueProblem
from tests.sources_helpers import FIXTURES, write_csv, write_xlsx

pytestmark = pytest.mark.django_db

KEY_DATA = FIXTURES / "inso_key_data.csv"


def _import(path: Path = KEY_DATA, **options: Any) -> Release:
    options.setdefault("vintage", datetime.date(2020, 9, 21))
    return import_file("inso", path, **options).release


def _aggregates(release: Release) -> dict[str, Aggregate]:
    return {row.source_id: row for row in Aggregate.objects.filter(release=release)}


def test_key_data_rows_are_country_month_aggregates_of_an_aggregate_only_source() -> None:
    release = _import()
    assert (release.importer, release.product.slug, release.product.kind) == (
        "inso_key_data",
        "key-data-dashboard",
        "aggregates",
    )
    source = Source.objects.get(slug="inso")
    assert source.name == "International NGO Safety Organisation (INSO)"
    assert source.licence == "free reuse with attribution 'Source: INSO, www.ngosafety.org'"
    assert source.url == "https://www.ngosafety.org/terms"
    assert release.hxl_tags[0] == "#country +name"
    assert (release.rows_read, release.rows_imported, release.rows_quarantined) == (7, 4, 3)
    rows = _aggregates(release)
    assert set(rows) == {"AFG 2019-03", "AFG 2019-04", "SSD 2019-03", "COD 2020-02"}
    march = rows["AFG 2019-03"]
    assert (march.period_start, march.period_end, march.period_precision) == (
        datetime.date(2019, 3, 1),
        datetime.date(2019, 3, 31),
        "month",
    )
    assert (
        march.events,
        march.aid_workers_killed,
        march.aid_workers_injured,
        march.aid_workers_kidnapped,
    ) == (
        41,
        2,
        5,
        3,
    )
    assert march.health_workers_killed is None
    assert march.measures == {"Serious Incidents": 7}  # `Region` is descriptive: raw row only
    assert rows["AFG 2019-04"].period_end == datetime.date(2019, 4, 30)  # "April"
    assert rows["SSD 2019-03"].aid_workers_kidnapped == 4  # "Mar"
    assert rows["COD 2020-02"].period_end == datetime.date(2020, 2, 29)


def test_bad_months_totals_and_unknown_countries_are_quarantined_with_their_key() -> None:
    release = _import()
    problems = {q.source_id: (q.column, q.value, q.reason) for q in release.quarantine.all()}
    assert set(problems) == {"MLI 2019-13", "Total 2019-03", "Narnia 2019-03"}
    assert problems["MLI 2019-13"][:2] == ("Month", "13")
    assert (
        problems["Total 2019-03"][2]
        == "a total row, not a country (left out so that it is not counted twice)"
    )
    assert problems["Narnia 2019-03"][:2] == ("Country", "Narnia")


def test_a_measure_that_is_no_number_is_left_out_with_a_warning() -> None:
    congo = _aggregates(_import())["COD 2020-02"]
    assert congo.measures == {}
    assert congo.warnings == [
        {"column": "Serious Incidents", "value": "n/a", "problem": "not a number; left out of the measures"}
    ]


def test_a_single_month_column_and_a_country_code_column(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "inso.csv",
        [
            [
                "Country",
                "Country ISO",
                "Date",
                "Incidents Affecting NGOs",
                "NGO staff killed",
                "NGO staff abducted",
            ],
            ["Afghanistan", "AFG", "2020-01", "12", "1", "0"],
            ["Mali", "MLI", "02/2020", "5", "0", ""],
            ["Syria", "SYR", "Mar 2020", "7", "0", "1"],
            ["Iraq", "IRQ", "2020", "40", "0", "0"],
            ["Niger", "NER", "03/04/2020", "1", "0", "0"],
        ],
    )
    release = _import(path)
    rows = _aggregates(release)
    assert set(rows) == {"AFG 2020-01", "MLI 2020-02", "SYR 2020-03", "IRQ 2020"}
    assert (rows["MLI 2020-02"].aid_workers_kidnapped, rows["MLI 2020-02"].aid_workers_injured) == (
        None,
        None,
    )
    assert rows["IRQ 2020"].period_precision == "year"
    problem = release.quarantine.get()
    assert (problem.source_id, problem.column, problem.value) == ("NER 03/04/2020", "Date", "03/04/2020")


def test_a_spreadsheet_with_month_dates(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "inso-key-data.xlsx",
        [
            ["Country", "Month", "Total Incidents", "Killed", "Injured", "Abducted"],
            ["South Sudan", datetime.datetime(2018, 7, 1), 22, 1, 2, 0],
        ],
    )
    row = Aggregate.objects.get(release=_import(path))
    assert (row.source_id, row.events, row.aid_workers_killed) == ("SSD 2018-07", 22, 1)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["Country", "Incidents"], "no period column"),
        (["Country", "Year", "Fatalities"], "missing column"),
        (["Year", "Month", "Incidents"], "missing column 'Country'"),
    ],
)
def test_other_layouts_are_refused_pointing_to_a_mapping_profile(
    tmp_path: Path, header: list[str], message: str
) -> None:
    path = write_csv(tmp_path / "inso.csv", [header, ["1"] * len(header)])
    with pytest.raises(ImportFailed, match=message):
        _import(path)


def test_the_importer_takes_no_options() -> None:
    with pytest.raises(ImportFailed, match="takes no options"):
        _import(options={"year": 2019})


@pytest.mark.parametrize(
    ("cell", "key"),
    [
        ("2019-03", "2019-03"),
        ("2019-03-01", "2019-03"),
        ("2019-03-01T00:00:00.000Z", "2019-03"),
        ("201903", "2019-03"),
        ("3/2019", "2019-03"),
        ("March 2019", "2019-03"),
        ("Sept. 2019", "2019-09"),
        ("2019 Dec", "2019-12"),
        (datetime.date(2019, 5, 17), "2019-05"),
        (43617, "2019-06"),
        (2019, "2019"),
    ],
)
def test_month_cells_in_the_forms_seen_in_exports(cell: Any, key: str) -> None:
    assert month_or_year(cell).key == key


@pytest.mark.parametrize("cell", ["2019-13", "Smarch 2019", "03/04/2019", "1850", "soon"])
def test_month_cells_that_cannot_be_read_are_problems(cell: str) -> None:
    with pytest.raises(ValueProblem):
        month_or_year(cell)
