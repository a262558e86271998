"""The real WHO SSA, SHCC 2022 and Insecurity Insight 2016-2023 files (../shared/data, never copied into the
repository) against the figures datasets.md gives for them (§4, §5, §6, §7.1, §7.3, §13.1). Skipped where
the files are absent."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.db.models import Sum

from sources.crosswalks import crosswalks
from sources.models import Record
from sources.releases import import_file
from tests.sources_helpers import REAL_DATA

pytestmark = pytest.mark.django_db

SSA_FILE = REAL_DATA / "who_ssa" / "ssa-dashboard-report_data_20240308.xlsx"
SHCC_FILE = REAL_DATA / "shcc" / "2022-shcc-incident-data.xlsx"
II_FILE = REAL_DATA / "insecurity_insight" / "2016-2023-attacks-on-health-care-incident-data.xlsx"


@pytest.mark.skipif(not SSA_FILE.exists(), reason=f"the WHO SSA sample export is not at {SSA_FILE}")
def test_the_real_who_ssa_export_imports_whole() -> None:
    release = import_file("who-ssa", SSA_FILE).release
    assert release.vintage_date == datetime.date(2024, 3, 8)  # from the file name
    assert (release.rows_read, release.rows_imported, release.rows_quarantined) == (6425, 6425, 0)
    assert release.rows_with_warnings == 0  # §7.1: nothing is left over
    records = Record.objects.filter(release=release)
    assert records.order_by().values("source_id").distinct().count() == 6425
    assert records.order_by().values("country_as_given").distinct().count() == 21  # §6
    assert records.order_by().values("country_iso3").distinct().count() == 21
    assert set(records.filter(country_iso3="AZE").values_list("admin1", flat=True)) == {"Nagorno-Karabakh"}
    assert Counter(records.values_list("certainty", flat=True)) == {
        "confirmed": 5874,
        "probable": 300,
        "possible": 251,
    }
    totals = records.aggregate(injured=Sum("people_injured"), killed=Sum("people_killed"))
    assert totals == {"injured": 4155, "killed": 1949}
    years = Counter(day.year for day in records.values_list("event_date", flat=True) if day is not None)
    assert years == {2017: 18, 2018: 802, 2019: 1034, 2020: 345, 2021: 838, 2022: 1711, 2023: 1438, 2024: 239}
    expected_n = [2507, 1959, 1437, 1172, 700, 571, 529, 503, 291, 147, 124, 45, 42, 35, 13]  # §7.1, "n"
    occurrences = Counter(code for types in records.values_list("who_ssa_types", flat=True) for code in types)
    assert [occurrences[t.code] for t in crosswalks().who_ssa_attack_types] == expected_n
    arrest_column = release.headers.index("HW Arrest")
    assert sum(raw[arrest_column] for raw in records.values_list("raw", flat=True)) == 637


@pytest.mark.skipif(not SHCC_FILE.exists(), reason=f"the SHCC 2022 sample file is not at {SHCC_FILE}")
def test_the_real_shcc_2022_file_imports_whole() -> None:
    release = import_file("shcc", SHCC_FILE).release
    assert release.product.slug == "incident-data-2022"
    assert (release.vintage_date, release.vintage_label) == (datetime.date(2023, 5, 1), "v. May 2023")
    assert (release.rows_read, release.rows_imported, release.rows_quarantined) == (1989, 1989, 0)
    assert release.hxl_tags[17] == "#affected +healthworker +arrested"  # the swapped tag, kept as published
    records = Record.objects.filter(release=release)
    assert records.order_by().values("source_id").distinct().count() == 1989
    assert records.order_by().values("country_as_given").distinct().count() == 32
    totals = records.aggregate(
        killed=Sum("health_workers_killed"),
        arrested=Sum("health_workers_arrested"),
        kidnapped=Sum("health_workers_kidnapped"),
        destroyed=Sum("facilities_destroyed"),
        damaged=Sum("facilities_damaged"),
    )
    # §13.1: the file's values (the report's 298 kidnapped and 704 facilities differ by its data cut).
    assert totals == {"killed": 232, "arrested": 294, "kidnapped": 301, "destroyed": 149, "damaged": 545}
    by_country = Counter(records.values_list("country_iso3", flat=True))
    assert (by_country["MMR"], by_country["UKR"]) == (271, 781)
    perpetrators = Counter(records.values_list("perpetrator_category", flat=True))
    assert perpetrators["state"] == 754 + 304 + 156  # foreign military, government forces, police (§5.2)


@pytest.mark.skipif(not II_FILE.exists(), reason=f"the Insecurity Insight 2016-2023 file is not at {II_FILE}")
def test_the_real_insecurity_insight_file_has_8854_records() -> None:
    release = import_file("insecurity-insight", II_FILE).release
    assert release.product.slug == "attacks-on-health-care"
    assert release.vintage_label == "v. 05 January 2024"
    # §2: 8,854 records; one of them counts -2 lootings, which no count can be: it waits in quarantine.
    assert (release.rows_read, release.rows_imported, release.rows_quarantined) == (8854, 8853, 1)
    problem = release.quarantine.get()
    assert (problem.column, problem.value) == ("Looting/Theft/Robbery/Burglary of Health Supplies", "-2")
    records = Record.objects.filter(release=release)
    # §4.5: 108 ISO codes; Country ISO is blank in 2 rows, whose names are no country; TRUE obstruction in
    # 839 rows, ConflictEvent in 8,181 (one of them the quarantined row); latitude blank in 270.
    assert records.exclude(country_iso3="").order_by().values("country_iso3").distinct().count() == 108
    assert records.filter(country_iso3="").count() == 2
    assert records.filter(access_obstructed=True).count() == 839
    assert records.filter(context_conflict=True).count() == 8181 - 1
    assert records.filter(latitude__isnull=True).count() == 270
