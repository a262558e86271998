"""SiND API JSON records of Insecurity Insight: `healthcare` (datasets.md §4.4) and `aidworkerKIKA` (§4.6)."""

from __future__ import annotations

import datetime
import json
from collections import Counter
from pathlib import Path

import pytest
from django.db.models import Sum

from sources.models import Record, Release
from sources.releases import ImportFailed, import_file
from tests.sources_helpers import FIXTURES, REAL_DATA, write_xlsx

pytestmark = pytest.mark.django_db

HEALTHCARE = FIXTURES / "sind_healthcare.json"
KIKA = FIXTURES / "sind_aid_worker_kika.json"
KIKA_SAMPLE = REAL_DATA / "insecurity_insight" / "api-sample-aidWorkerKIKA.json"


def _import(path: Path = HEALTHCARE, **options: object) -> Release:
    options.setdefault("vintage", datetime.date(2024, 3, 1))
    return import_file("insecurity-insight", path, **options).release  # type: ignore[arg-type]


def _records(release: Release) -> dict[str, Record]:
    return {record.source_id: record for record in Record.objects.filter(release=release)}


def test_healthcare_json_is_its_own_product_read_by_the_api_importer() -> None:
    release = _import()
    assert (release.importer, release.product.slug, release.file_format) == (
        "insecurity_insight_sind_api",
        "healthcare-api",
        "json",
    )
    assert release.product.source.slug == "insecurity-insight"
    assert (release.rows_read, release.rows_imported, release.rows_quarantined) == (6, 5, 1)
    assert release.columns["access_obstructed"]["header"] == "Access Denied or Obstructed"


def test_string_counts_iso_dates_and_lowercase_vocabulary_are_read() -> None:
    records = _records(_import())
    looted = records["70001"]
    assert looted.event_date == datetime.date(2023, 4, 30)
    assert (looted.supplies_looted, looted.health_workers_killed) == (1, 0)
    assert looted.resources == ["supplies"]
    assert looted.who_ssa_types == ["individual_weapons", "removal_of_assets"]
    assert (looted.context_conflict, looted.context_political) == (True, True)
    damaged = records["70002"]
    assert (damaged.geo_precision, damaged.facilities_damaged, damaged.perpetrator_category) == (
        "km25",
        1,
        "state",
    )
    assert damaged.location_type == "Health building"
    # The API's own wording of a geo precision the spreadsheets write differently.
    assert records["70003"].geo_precision == "district"
    assert all(record.warnings == [] for key, record in records.items() if key in ("70001", "70002"))


def test_verification_status_becomes_the_certainty() -> None:
    records = _records(_import())
    verified = records["70002"]
    assert (verified.certainty, verified.certainty_as_given) == ("confirmed", "UKR PHR and UHC verification")
    assert (records["70001"].certainty, records["70001"].certainty_as_given) == ("", "")
    unknown = records["70004"]
    assert (unknown.certainty, unknown.certainty_as_given) == ("", "Checked by a fixture")
    assert {
        "column": "Verification status",
        "value": "Checked by a fixture",
        "problem": "verification status not in the crosswalk",
    } in unknown.warnings


def test_source_flags_become_co_reporting_source_codes() -> None:
    records = _records(_import())
    assert records["70001"].co_reported_by == ["insecurity-insight", "who-ssa"]
    assert records["70002"].co_reported_by == ["insecurity-insight", "uhc", "phr"]
    # Reached SiND only through INSO, not through II's own monitoring.
    assert records["70003"].co_reported_by == ["inso"]
    # Anything but null, false, 0 or blank in a flag column sets it (the API writes the source's name).
    odd = records["70004"]
    assert odd.co_reported_by == ["insecurity-insight", "phr"]


def test_access_obstructed_is_the_boolean_or_the_obstruction_counts() -> None:
    records = _records(_import())
    assert records["70001"].access_obstructed is False
    assert records["70006"].access_obstructed is True
    assert "obstruction" in records["70006"].who_ssa_types
    counted = records["70003"]
    assert counted.access_obstructed is True
    assert counted.who_ssa_types == ["individual_weapons", "obstruction", "abduction_arrest_detention"]
    assert counted.warnings == [
        {
            "column": "Access Denied or Obstructed",
            "value": "FALSE",
            "problem": "says no obstruction while 'Obstruction to Health Care' counts 1; taken as obstructed",
        }
    ]


def test_weapons_the_crosswalk_lacks_use_the_api_labels_and_report_the_rest() -> None:
    assaulted = _records(_import())["70004"]
    assert assaulted.weapons == ["Firearms", "Fire Arm Blunt Use"]
    assert assaulted.who_ssa_types == ["individual_weapons", "assault"]
    weapon_warnings = [w for w in assaulted.warnings if w["column"] == "Weapon Carried/Used"]
    assert weapon_warnings == [
        {"column": "Weapon Carried/Used", "value": "Slingshot", "problem": "weapon not in the crosswalk"}
    ]


def test_a_bad_string_count_quarantines_the_row_with_its_column() -> None:
    problem = _import().quarantine.get()
    assert (problem.row_number, problem.source_id, problem.column, problem.value) == (
        5,
        "70005",
        "Health Workers Killed",
        "-1",
    )


def test_fields_without_a_harmonised_home_stay_in_the_raw_record() -> None:
    release = _import()
    record = Record.objects.get(release=release, source_id="70001")
    raw = dict(zip(release.headers, record.raw, strict=False))
    assert "Fixture Clinic North" in str(raw["Facility Name"])
    assert (raw["Event Types"], raw["Facility ID"], raw["WHO SSA"]) == ("Violent", "900", "WHOSSA")


def test_a_spreadsheet_with_the_api_columns_goes_to_the_spreadsheet_importer(tmp_path: Path) -> None:
    records = json.loads(HEALTHCARE.read_text(encoding="utf-8"))[:1]
    header = [key for key in records[0] if key != "Facility Name"]
    path = write_xlsx(
        tmp_path / "2023-sdn-attacks-on-health-care-incident-data.xlsx",
        [header, [records[0][key] for key in header]],
    )
    release = _import(path)
    assert (release.importer, release.product.slug) == (
        "insecurity_insight_incidents",
        "attacks-on-health-care-sdn",
    )


def test_a_new_vintage_of_the_api_is_compared_record_by_record(tmp_path: Path) -> None:
    first = _import()
    records = json.loads(HEALTHCARE.read_text(encoding="utf-8"))
    records[0]["Health Workers Injured"] = "2"
    del records[1]
    newer = tmp_path / "healthcare.json"
    newer.write_text(json.dumps(records), encoding="utf-8")
    second = _import(newer, vintage=datetime.date(2024, 4, 1))
    assert second.previous == first
    assert (second.changed, second.unchanged, second.withdrawn) == (1, 3, 1)
    assert Record.objects.get(release=second, source_id="70001").change == "changed"


def test_a_json_file_without_sind_event_ids_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "healthcare.json"
    path.write_text(json.dumps([{"Date": "2023-01-01", "Country": "Sudan", "Health Workers Killed": "1"}]))
    with pytest.raises(ImportFailed, match="SiND Event ID"):
        _import(path)


def test_aid_worker_records_are_their_own_product_with_people_not_health_workers() -> None:
    release = _import(KIKA)
    assert (release.importer, release.product.slug) == ("insecurity_insight_sind_kika", "aid-worker-kika")
    assert (release.rows_imported, release.rows_quarantined) == (3, 0)
    records = _records(release)
    killed = records["80001"]
    assert (killed.people_killed, killed.people_injured, killed.health_workers_killed) == (1, 0, None)
    assert killed.perpetrator_category == "state"  # `Host Government: Military`, the API's wording
    assert killed.event_date == datetime.date(2024, 2, 26)
    arrested = records["80002"]
    assert arrested.who_ssa_types == ["individual_weapons", "abduction_arrest_detention"]
    assert (arrested.health_workers_arrested, arrested.geo_precision) == (None, "linear")
    assert arrested.perpetrator_category == "individual"
    assert all(record.warnings == [] for record in records.values())


def test_aid_worker_records_are_about_health_care_by_focus_or_place() -> None:
    records = _records(_import(KIKA))
    paramedic = records["80001"]
    assert (paramedic.health_related, paramedic.health_rule_match) == (True, "Programme Focus: Health")
    assert paramedic.resources == ["personnel"]
    clinic = records["80002"]
    assert (clinic.health_related, clinic.health_rule_match) == (
        True,
        "Location of Incident: Health Building",
    )
    assert clinic.resources == ["facility"]
    convoy = records["80003"]
    assert (convoy.health_related, convoy.health_rule_match, convoy.resources) == (False, "", [])
    assert Release.objects.get().rows_health_related == 2


@pytest.mark.skipif(not KIKA_SAMPLE.exists(), reason=f"the SiND aidworkerKIKA sample is not at {KIKA_SAMPLE}")
def test_the_real_kika_sample_imports_whole() -> None:
    sample = json.loads(KIKA_SAMPLE.read_text(encoding="utf-8"))
    release = _import(KIKA_SAMPLE)
    assert release.product.slug == "aid-worker-kika"
    assert (release.rows_read, release.rows_imported, release.rows_quarantined) == (1299, 1299, 0)
    records = Record.objects.filter(release=release)
    assert records.order_by().values("source_id").distinct().count() == 1299
    totals = records.aggregate(killed=Sum("people_killed"), injured=Sum("people_injured"))
    assert totals == {
        "killed": sum(int(r["Aid Workers Killed"]) for r in sample),
        "injured": sum(int(r["Aid Workers Injured"]) for r in sample),
    }
    assert totals == {"killed": 593, "injured": 853}
    health_focus = sum(r["Programme Focus"] == "Health" for r in sample)
    assert health_focus == 372  # §4.6 (sample)
    assert release.rows_health_related == 377  # plus 5 at a health building with another focus
    # Only two perpetrators of the sample are in no crosswalk (`MilCombatant`, `Administration`).
    warned = Counter(w["value"] for ws in records.values_list("warnings", flat=True) for w in ws)
    assert warned == {"MilCombatant": 1, "Administration": 1}
    assert Counter(records.values_list("geo_precision", flat=True))[""] == 0
