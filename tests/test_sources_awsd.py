"""AWSD export: repeated incident ids, partial dates, countries by alpha-2 code, aid workers as people, the
crosswalks for means, actors, verification and sources, the health keyword rule, and the real sample files."""

from __future__ import annotations

import datetime
from collections import Counter
from pathlib import Path

import pytest
from django.db.models import Sum

from sources.models import Record, Release
from sources.releases import ImportFailed, import_file, withdrawn_records
from tests.sources_helpers import FIXTURES, REAL_DATA, csv_rows, write_csv

pytestmark = pytest.mark.django_db

CSV = FIXTURES / "awsd_incidents.csv"
VINTAGE = datetime.date(2025, 3, 1)
GLOBAL_FILE = REAL_DATA / "awsd" / "awsd-incidents-search-format.csv"
AFGHANISTAN_FILE = REAL_DATA / "awsd" / "AWSD_AF_security_incidents.csv"


def _import(path: Path = CSV, vintage: datetime.date = VINTAGE) -> Release:
    return import_file("awsd", path, vintage=vintage).release


def _record(release: Release, source_id: str, occurrence: int = 1) -> Record:
    return Record.objects.get(release=release, source_id=source_id, occurrence=occurrence)


def test_every_row_is_imported_or_quarantined_with_its_reason() -> None:
    release = _import()
    assert (release.rows_read, release.rows_imported, release.rows_quarantined, release.rows_blank) == (
        11,
        7,
        4,
        1,
    )
    assert release.product.slug == "incidents"
    assert release.hxl_tags[0] == "#event+id"
    problems = {(q.source_id, q.column, q.value): q.reason for q in release.quarantine.all()}
    assert problems[("9004", "Day", "30")] == "2019-02 has no day 30"
    assert "0 or more" in problems[("9006", "Total killed", "-1")]
    assert "unknown country 'Atlantis'" in problems[("9007", "Country", "Atlantis")]
    assert problems[("9009", "Month", "13")] == "month outside 1 to 12"


def test_a_repeated_incident_id_is_told_apart_by_its_occurrence() -> None:
    release = _import()
    first, second = _record(release, "9001", 1), _record(release, "9001", 2)
    assert (first.event_date, first.country_iso3) == (datetime.date(2023, 10, 9), "PSE")
    assert (second.event_date, second.country_iso3) == (datetime.date(2024, 1, 1), "SDN")


def test_blank_day_and_month_give_the_first_day_with_month_or_year_precision() -> None:
    release = _import()
    assert _record(release, "9001", 1).date_precision == "day"
    second = _record(release, "9001", 2)
    assert (second.event_date, second.date_precision) == (datetime.date(2024, 1, 1), "month")
    undated = _record(release, "9002")
    assert (undated.event_date, undated.date_precision) == (datetime.date(1998, 1, 1), "year")


def test_country_code_is_alpha2_and_kosovo_xk_falls_back_to_the_name() -> None:
    release = _import()
    assert _record(release, "9005").country_iso3 == "AFG"
    kosovo = _record(release, "9003")
    assert (kosovo.country_iso3, kosovo.country_as_given) == ("XKX", "Kosovo")
    chechnya = _record(release, "9008")
    assert (chechnya.country_iso3, chechnya.admin1) == ("RUS", "Ingushetia")  # Region wins over the alias
    assert _record(release, "9001").admin1 == "Gaza Strip"


def test_a_row_without_any_country_is_kept_with_a_warning() -> None:
    release = _import()
    record = _record(release, "9002")
    assert (record.country_iso3, record.country_as_given) == ("", "")
    assert {"column": "Country", "value": "", "problem": "no country given; the record keeps none"} in (
        record.warnings
    )
    kashmir = _record(release, "9010")  # disputed: the alias table gives it no country, without a warning
    assert (kashmir.country_iso3, kashmir.country_as_given, kashmir.warnings) == ("", "Kashmir", [])


def test_means_of_attack_gives_ssa_types_and_families_whatever_the_trailing_spaces() -> None:
    release = _import()
    bombing = _record(release, "9001", 1)
    assert (bombing.who_ssa_types, bombing.attack_families) == (["heavy_weapons"], ["heavy_weapons"])
    landmine = _record(release, "9001", 2)
    assert landmine.attack_types_as_given == "Landmine"
    assert landmine.attack_families == ["individual_weapons"]
    kidnapping = _record(release, "9002")
    assert kidnapping.attack_families == ["deprivation_of_liberty"]


def test_actor_types_with_case_and_space_variants_map_to_perpetrator_categories() -> None:
    release = _import()
    categories = {
        source_id: (record.perpetrator_as_given, record.perpetrator_category)
        for source_id, record in ((r.source_id, r) for r in release.records.filter(occurrence=1))
    }
    assert categories["9002"] == ("Non-state armed group: Global", "non_state_armed_group")
    assert categories["9008"] == ("Host state", "state")
    assert categories["9010"] == ("Host State", "state")
    assert categories["9003"] == ("Criminal", "criminal")
    assert _record(release, "9001", 2).perpetrator_category == "unknown"


def test_verified_gives_the_certainty() -> None:
    release = _import()
    assert (_record(release, "9001").certainty, _record(release, "9001").certainty_as_given) == (
        "confirmed",
        "Yes",
    )
    assert _record(release, "9003").certainty == "unverified"
    assert _record(release, "9002").certainty == "unknown"


def test_source_acled_with_a_trailing_space_marks_the_incident_as_co_reported() -> None:
    release = _import()
    assert _record(release, "9001", 2).co_reported_by == ["acled"]
    assert _record(release, "9001", 1).co_reported_by == []  # "Official Report ": no source of ours


def test_values_outside_the_crosswalks_are_warnings_and_the_incident_is_kept() -> None:
    record = _record(_import(), "9005")
    problems = {(w["column"], w["value"]): w["problem"] for w in record.warnings}
    assert problems == {
        ("Means of attack", "Poisoning"): "means of attack not in the crosswalk",
        ("Actor type", "Aliens"): "actor type not in the crosswalk",
        ("Verified", "Maybe"): "verification status not in the crosswalk",
        ("Source", "Twitter"): "source not in the crosswalk (co_reporting.awsd)",
    }
    assert (record.who_ssa_types, record.perpetrator_category, record.certainty) == ([], "", "")


def test_victims_are_aid_workers_counted_as_people_never_as_health_workers() -> None:
    release = _import()
    killed = _record(release, "9001", 1)
    assert (killed.people_killed, killed.people_injured) == (1, 0)
    assert (_record(release, "9001", 2).people_injured, _record(release, "9002").people_killed) == (2, 0)
    fields = ("health_workers_killed", "health_workers_injured", "health_workers_kidnapped")
    assert all(release.records.filter(**{field: None}).count() == 7 for field in fields)
    assert _record(release, "9002").raw[27] == "1"  # Total kidnapped stays in the raw row


def test_the_health_keywords_read_details_but_not_where_victims_were_taken() -> None:
    release = _import()
    related = {
        r.source_id: (r.health_related, r.health_rule_match, r.resources) for r in release.records.all()
    }
    assert related["9002"] == (True, "Details: nurse", ["personnel"])
    assert related["9003"] == (True, "Details: doctor, clinic", ["personnel"])
    assert _record(release, "9001", 1).health_rule_match == "Details: health"
    assert not _record(release, "9001", 2).health_related  # "taken to hospital"
    assert not _record(release, "9005").health_related  # "hospitalized"
    assert not _record(release, "9008").health_related  # "medically evacuated"
    assert release.rows_health_related == 3
    rule = release.options["health_rule"]
    assert rule["section"] == "health_keywords.awsd" and "nurse" in rule["keywords"]


def test_a_per_country_file_without_hxl_row_is_its_own_product(tmp_path: Path) -> None:
    rows = csv_rows(CSV)
    path = write_csv(tmp_path / "AWSD_AF_security_incidents.csv", [rows[0], *rows[2:]])
    release = _import(path)
    assert release.product.slug == "incidents-afg"
    assert (release.hxl_tags, release.rows_imported, release.rows_quarantined) == ([], 7, 4)
    assert release.quarantine.get(source_id="9004").row_number == 6  # one row up without the HXL row


def test_the_awsd_importer_takes_no_health_rule(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="the awsd importer takes no options"):
        import_file("awsd", CSV, vintage=VINTAGE, options={"health_rule": tmp_path / "rule.yaml"})


def test_a_later_vintage_shows_verification_as_a_change_and_dropped_incidents_as_withdrawn(
    tmp_path: Path,
) -> None:
    older = _import()
    rows = csv_rows(CSV)
    verified = rows[0].index("Verified")
    rows[3][verified] = "Yes"  # 9001 (2024): Pending -> Yes
    del rows[13]  # 9010
    newer = _import(write_csv(tmp_path / "awsd-incidents-search-format.csv", rows), datetime.date(2025, 6, 1))
    assert newer.previous == older
    assert (newer.added, newer.changed, newer.unchanged, newer.withdrawn) == (0, 1, 5, 1)
    changed = newer.records.get(change="changed")
    assert (changed.source_id, changed.occurrence, changed.certainty) == ("9001", 2, "confirmed")
    assert [r.source_id for r in withdrawn_records(newer)] == ["9010"]


@pytest.mark.skipif(not GLOBAL_FILE.exists(), reason=f"the AWSD sample export is not at {GLOBAL_FILE}")
def test_the_real_awsd_export_imports_every_incident() -> None:
    release = _import(GLOBAL_FILE)
    assert (release.rows_read, release.rows_imported, release.rows_quarantined) == (4954, 4954, 0)
    records = release.records.all()
    assert records.filter(source_id="4664").count() == 2  # §3: not unique
    assert Counter(records.values_list("date_precision", flat=True)) == {
        "day": 4607,
        "month": 295,
        "year": 52,
    }
    assert Counter(records.values_list("certainty", flat=True)) == {
        "confirmed": 3828,
        "unknown": 720,
        "unverified": 404,
        "": 2,
    }
    co_reported = Counter(
        slug for slugs in records.values_list("co_reported_by", flat=True) for slug in slugs
    )
    assert co_reported == {"acled": 227}  # §1: 225 `ACLED` + 2 `ACLED `
    assert records.filter(country_iso3="").count() == 8  # 7 without any country, Kashmir
    assert records.filter(country_iso3="XKX").count() == 4
    assert records.filter(perpetrator_category="").count() == 0
    assert all(records.values_list("who_ssa_types", flat=True))  # every means of attack is in the crosswalk
    in_2024 = records.filter(event_date__year=2024)
    assert (in_2024.count(), in_2024.aggregate(killed=Sum("people_killed"))["killed"]) == (601, 385)  # §8
    # §8: 745 Details mention health, medical, hospital, clinic, doctor, nurse or ambulance as text; as whole
    # words, without "hospitalized", "medically" and where victims were taken or died, the rule keeps fewer.
    assert release.rows_health_related == records.filter(health_related=True).count() == 523
    assert release.rows_with_warnings == 7


@pytest.mark.skipif(
    not AFGHANISTAN_FILE.exists(), reason=f"the AWSD Afghanistan file is not at {AFGHANISTAN_FILE}"
)
def test_the_real_afghanistan_file_without_hxl_row_imports_every_incident() -> None:
    release = _import(AFGHANISTAN_FILE)
    assert release.product.slug == "incidents-afg"
    assert (release.rows_read, release.rows_imported, release.rows_quarantined) == (617, 617, 0)
    assert set(release.records.values_list("country_iso3", flat=True)) == {"AFG"}
    no_place = release.records.filter(latitude=None)
    assert [record.raw[36] for record in no_place] == ["nan"]  # pandas' missing value, read as blank
    assert release.rows_health_related == 83
