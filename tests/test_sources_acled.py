"""ACLED events: every event kept, the health rule as data (default, operator's file, refused with file:line),
stored with the release, the date forms and precisions, countries by numeric ISO, the perpetrator side, the
crosswalks, vintages with edits and deletions, harmonisation speed, and the acledR sample files."""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter
from pathlib import Path

import pytest

from sources.health_rule import DEFAULT_RULE_PATH, RuleProblem, load_rule, parse_rule
from sources.models import Record, Release
from sources.releases import ImportFailed, import_file, withdrawn_records
from tests.sources_helpers import FIXTURES, REAL_DATA, csv_rows, database_counts, write_csv, write_xlsx

pytestmark = pytest.mark.django_db

CSV = FIXTURES / "acled_events.csv"
HEADER = csv_rows(CSV)[0]
VINTAGE = datetime.date(2022, 8, 1)
OLD_DUMMY = REAL_DATA / "acled" / "acled_old_dummy.csv"
DELETION_DUMMY = REAL_DATA / "acled" / "acled_old_deletion_dummy.csv"

SMALL_RULE = """\
version: 7
name: markets only
keywords:
  other:
    - market
"""


def _import(path: Path = CSV, vintage: datetime.date = VINTAGE, **options: object) -> Release:
    return import_file("acled", path, vintage=vintage, options=options or None).release


def _records(release: Release) -> dict[str, Record]:
    return {record.source_id: record for record in release.records.all()}


def _edited(rows: list[list[str]], event_id: str, **cells: str) -> list[list[str]]:
    return [
        [cells.get(HEADER[i], cell) for i, cell in enumerate(row)] if row[0] == event_id else row
        for row in rows
    ]


def test_every_event_is_imported_or_quarantined_with_its_reason() -> None:
    release = _import()
    assert (release.rows_read, release.rows_imported, release.rows_quarantined) == (12, 8, 4)
    assert release.product.slug == "events"
    problems = {(q.source_id, q.column, q.value): q.reason for q in release.quarantine.all()}
    assert "'03/04/2022' is not a date in a known form" in problems[("TST1008", "event_date", "03/04/2022")]
    assert "0 or more" in problems[("TST1009", "fatalities", "-2")]
    assert "unknown country 'Atlantis'" in problems[("TST1010", "country", "Atlantis")]
    assert problems[("TST1011", "latitude", "95")] == "'95' is outside -90 to 90"


def test_dates_of_the_api_the_export_tool_and_the_codebook_with_their_precision() -> None:
    records = _records(_import())
    assert (records["TST1001"].event_date, records["TST1001"].date_precision) == (
        datetime.date(2022, 6, 15),
        "day",
    )
    assert (records["TST1005"].event_date, records["TST1005"].raw[1]) == (
        datetime.date(2022, 6, 30),
        "30 June 2022",
    )
    week = records["TST1002"]
    assert (week.event_date, week.date_precision) == (datetime.date(2022, 6, 16), "week")
    month = records["TST1003"]  # "15-05-2022", day first as the codebook writes it, precision 3
    assert (month.event_date, month.date_precision, month.raw[1]) == (
        datetime.date(2022, 5, 1),
        "month",
        "15-05-2022",
    )


def test_the_country_comes_from_the_numeric_iso_code_else_the_name() -> None:
    records = _records(_import())
    assert (records["TST1002"].country_iso3, records["TST1002"].admin1) == ("UKR", "Kharkiv")
    assert (records["TST1005"].country_iso3, records["TST1005"].country_as_given) == (
        "XKX",
        "Kosovo",
    )  # iso 0
    assert records["TST1012"].country_iso3 == "PSE"


def test_sub_event_types_give_ssa_types_and_geo_precision_its_code() -> None:
    records = _records(_import())
    strike = records["TST1002"]
    assert (strike.who_ssa_types, strike.attack_families, strike.attack_types_as_given) == (
        ["heavy_weapons"],
        ["heavy_weapons"],
        "Air/drone strike",
    )
    assert records["TST1012"].attack_families == ["physical_assault"]
    assert records["TST1001"].who_ssa_types == []  # "Attack" says nothing about the means
    assert (strike.geo_precision, records["TST1001"].geo_precision) == ("district", "town")
    assert (strike.latitude, strike.longitude, strike.people_killed) == (49.9935, 36.2304, 3)


def test_the_perpetrator_is_the_actor_the_sub_event_type_names() -> None:
    records = _records(_import())
    attack = records["TST1001"]
    assert (attack.perpetrator_as_given, attack.perpetrator_category) == (
        "Unidentified Armed Group (Mali)",
        "non_state_armed_group",
    )
    assert records["TST1002"].perpetrator_category == "state"  # inter1 as the API's text label
    assert records["TST1005"].perpetrator_category == "state"  # inter1 "1.0"
    police = records["TST1003"]  # protesters (actor 1) met with force by actor 2
    assert (police.perpetrator_name, police.perpetrator_category) == (
        "Police Forces of Kenya (2013-2022)",
        "state",
    )
    clash = records["TST1006"]  # both sides fight: nobody is the perpetrator
    assert (clash.perpetrator_as_given, clash.perpetrator_category) == ("", "")


def test_values_outside_the_crosswalks_are_warnings_and_the_event_is_kept() -> None:
    record = _records(_import())["TST1007"]
    assert {(w["column"], w["value"]): w["problem"] for w in record.warnings} == {
        ("time_precision", ""): "no time precision; the date is taken as a day",
        ("geo_precision", "4"): "geo precision not in the crosswalk",
        ("sub_event_type", "Drone swarm"): "sub-event type not in the crosswalk",
        ("inter1", "9"): "actor type not in the crosswalk",
        ("civilian_targeting", "Yes"): "expected 'Civilian targeting' or blank",
    }
    assert (record.date_precision, record.perpetrator_category, record.who_ssa_types) == ("day", "", [])


def test_the_default_health_rule_matches_notes_and_actors_and_says_what_matched() -> None:
    release = _import()
    related = {
        source_id: (record.health_rule_match, record.resources)
        for source_id, record in _records(release).items()
        if record.health_related
    }
    assert related == {
        "TST1001": (
            "notes: health centre, nurse; assoc_actor_2: Health Workers (Mali)",
            ["facility", "personnel"],
        ),
        "TST1002": ("notes: maternity, hospital, ambulance", ["facility", "transport"]),
        "TST1003": ("assoc_actor_1: Health Workers (Kenya)", ["personnel"]),
        "TST1006": ("notes: hospital", ["facility"]),
        "TST1012": ("notes: midwife", ["personnel"]),
    }
    assert release.rows_health_related == 5
    not_related = _records(release)
    assert not not_related["TST1004"].health_related  # a peaceful protest by nurses: no attack on care
    assert not not_related["TST1005"].health_related  # only "taken to hospital, where he died"
    assert (not_related["TST1005"].health_rule_match, not_related["TST1005"].resources) == ("", [])


def test_the_release_stores_the_rule_as_applied() -> None:
    rule = _import().options["health_rule"]
    contents = DEFAULT_RULE_PATH.read_text(encoding="utf-8")
    assert rule["contents"] == contents
    assert rule["sha256"] == hashlib.sha256(contents.encode()).hexdigest()
    assert (rule["version"], rule["default"], rule["file"]) == (1, True, str(DEFAULT_RULE_PATH))


def test_an_operators_rule_file_replaces_the_default_and_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "markets.yaml"
    path.write_text(SMALL_RULE, encoding="utf-8")
    release = _import(health_rule=path)
    related = {
        r.source_id: (r.health_rule_match, r.resources) for r in release.records.filter(health_related=True)
    }
    assert related == {"TST1007": ("notes: market", ["other"])}
    stored = release.options["health_rule"]
    assert (stored["file"], stored["version"], stored["default"], stored["contents"]) == (
        str(path),
        7,
        False,
        SMALL_RULE,
    )


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (SMALL_RULE.replace("version: 7\n", ""), "rule.yaml: version: expected a whole number of 1 or more"),
        (SMALL_RULE.replace("other:", "hospitals:"), "rule.yaml:4: keywords.hospitals: not a resource"),
        (SMALL_RULE + "    - re:(unclosed\n", "rule.yaml:6: keywords.other[1]: not a regular expression"),
        (SMALL_RULE + "    - he*lth\n", "rule.yaml:6: keywords.other[1]: `*` may only end a word"),
        (
            SMALL_RULE + "events:\n  exclude: [Picnic]\n",
            "rule.yaml:7: events.exclude[0]: 'Picnic' is not an ACLED",
        ),
        (SMALL_RULE + "colour: red\n", "rule.yaml:6: colour: not a key of a health rule"),
        (SMALL_RULE + "actors:\n  columns: [actor3]\n  patterns: [Doctors]\n", "actors.columns[0]: 'actor3'"),
        ("version: 1\nkeywords: [unclosed\n", "rule.yaml:3: not valid YAML"),
    ],
)
def test_a_broken_rule_file_is_refused_naming_file_line_and_problem(
    tmp_path: Path, rule: str, expected: str
) -> None:
    path = tmp_path / "rule.yaml"
    path.write_text(rule, encoding="utf-8")
    before = database_counts()
    with pytest.raises(ImportFailed, match="health rule: ") as failure:
        _import(health_rule=path)
    assert expected.replace("rule.yaml", str(path)) in str(failure.value)
    assert database_counts() == before


def test_a_missing_rule_file_or_an_unknown_option_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="no such health rule file"):
        _import(health_rule=tmp_path / "nowhere.yaml")
    with pytest.raises(ImportFailed, match="takes only the option 'health_rule'"):
        _import(rule=tmp_path / "nowhere.yaml")


def test_the_default_rule_validates_and_every_event_filter_is_a_known_type() -> None:
    rule = load_rule(DEFAULT_RULE_PATH)
    assert rule.version >= 1 and rule.exclude
    with pytest.raises(RuleProblem, match="not valid YAML"):
        parse_rule("keywords: [", "inline")


def test_an_older_export_with_upper_case_headers_and_iso3_imports_alike(tmp_path: Path) -> None:
    rows = csv_rows(CSV)
    header = [*(name.upper() for name in rows[0]), "ISO3", "DATA_ID"]
    iso3 = {"TST1002": "UKR", "TST1005": "XKX", "TST1010": "TCD"}  # the code wins over name and number
    body = [[*row, iso3.get(row[0], ""), str(number)] for number, row in enumerate(rows[1:])]
    release = _import(write_csv(tmp_path / "acled-2019.csv", [header, *body]))
    assert (release.rows_imported, release.rows_quarantined) == (9, 3)
    records = _records(release)
    assert [records[event].country_iso3 for event in ("TST1002", "TST1005", "TST1010")] == [
        "UKR",
        "XKX",
        "TCD",
    ]
    assert release.columns["event_id"]["header"] == "EVENT_ID_CNTY"


def test_the_same_events_as_an_xlsx_export_import_alike(tmp_path: Path) -> None:
    rows: list[list[object]] = [list(row) for row in csv_rows(CSV)]
    numeric = {HEADER.index(name) for name in ("iso", "fatalities", "time_precision", "inter1", "inter2")}
    for row in rows[1:]:
        for position in numeric:
            cell = row[position]
            row[position] = int(cell) if isinstance(cell, str) and cell.isdigit() else cell
        latitude = str(row[HEADER.index("latitude")])
        row[HEADER.index("latitude")] = float(latitude) if latitude else None
    rows[1][1] = datetime.datetime(2022, 6, 15)
    release = _import(write_xlsx(tmp_path / "acled-export.xlsx", rows))
    assert (release.file_format, release.rows_imported, release.rows_quarantined) == ("xlsx", 8, 4)
    records = _records(release)
    assert (records["TST1001"].event_date, records["TST1001"].country_iso3) == (
        datetime.date(2022, 6, 15),
        "MLI",
    )
    assert (records["TST1002"].people_killed, records["TST1002"].perpetrator_category) == (3, "state")
    assert records["TST1001"].health_rule_match == _records(_import())["TST1001"].health_rule_match


def test_odd_cells_quarantine_the_event_instead_of_stopping_the_import(tmp_path: Path) -> None:
    rows = _edited(csv_rows(CSV), "TST1001", fatalities="\u00b2")
    rows = _edited(rows, "TST1002", fatalities="99999999999")
    rows = _edited(rows, "TST1003", iso="\u00b2", inter2="\u2075.0", latitude="nan")
    release = _import(write_csv(tmp_path / "acled-odd.csv", rows))
    problems = {q.source_id: q.reason for q in release.quarantine.all()}
    assert problems["TST1001"] == "expected a whole number, got '\u00b2'"
    assert "is larger than any count can be (2,147,483,647)" in problems["TST1002"]
    assert problems["TST1003"] == "'nan' is outside -90 to 90"


def test_a_newer_download_records_edited_and_deleted_events(tmp_path: Path) -> None:
    older = _import()
    rows = _edited(
        csv_rows(CSV), "TST1002", fatalities="5", notes="An air strike hit a maternity hospital. 5 killed."
    )
    rows = [row for row in rows if row[0] != "TST1006"]
    newer = _import(write_csv(tmp_path / "acled-2022-09.csv", rows), datetime.date(2022, 9, 1))
    assert newer.previous == older
    assert (newer.added, newer.changed, newer.unchanged, newer.withdrawn) == (0, 1, 6, 1)
    changed = newer.records.select_related("previous").get(change="changed")
    assert changed.previous is not None
    assert (changed.source_id, changed.people_killed, changed.previous.people_killed) == ("TST1002", 5, 3)
    assert [record.source_id for record in withdrawn_records(newer)] == ["TST1006"]


@pytest.mark.skipif(
    not (OLD_DUMMY.exists() and DELETION_DUMMY.exists()),
    reason=f"the acledR sample files are not in {OLD_DUMMY.parent}",
)
def test_the_acledr_dummies_as_two_vintages_show_withdrawn_and_edited_events(tmp_path: Path) -> None:
    older = import_file("acled", OLD_DUMMY, vintage=datetime.date(2022, 7, 1), product="events").release
    newer = import_file("acled", DELETION_DUMMY, vintage=datetime.date(2022, 8, 1), product="events").release
    assert (older.rows_read, older.rows_imported, older.rows_quarantined) == (326, 326, 0)
    assert (newer.rows_read, newer.rows_imported, newer.rows_quarantined) == (9000, 9000, 0)
    # The old dummy (Argentina, June 2022) shares 10 events with the deletion dummy, all unchanged; its other
    # 316 events are gone from the newer download.
    assert (newer.added, newer.changed, newer.unchanged, newer.withdrawn) == (8990, 0, 10, 316)
    assert newer.previous == older
    records = newer.records.all()
    assert Counter(records.values_list("date_precision", flat=True)) == {
        "day": 8504,
        "week": 478,
        "month": 18,
    }
    assert records.filter(country_iso3="").count() == 0 and newer.rows_with_warnings == 0
    # §9: 317 notes mention hospital, health worker, clinic, ambulance or medical as text; the default rule
    # keeps fewer (peaceful protests and where victims were taken or died are no attack on health care).
    assert newer.rows_health_related == records.filter(health_related=True).count() == 57
    # A third download in which ACLED revised the fatalities of three Ukrainian events and deleted one more.
    rows = csv_rows(DELETION_DUMMY)
    header = rows[0]
    fatalities, country = header.index("fatalities"), header.index("country")
    ukraine = [number for number, row in enumerate(rows) if row[country] == "Ukraine"][:4]
    for number in ukraine[:3]:
        rows[number][fatalities] = str(int(rows[number][fatalities]) + 1)
    deleted = rows.pop(ukraine[3])
    latest = import_file(
        "acled",
        write_csv(tmp_path / "acled-2022-09.csv", rows),
        vintage=datetime.date(2022, 9, 1),
        product="events",
    ).release
    assert (latest.added, latest.changed, latest.unchanged, latest.withdrawn) == (0, 3, 8996, 1)
    assert [record.source_id for record in withdrawn_records(latest)] == [deleted[0]]


def test_a_date_in_an_acled_file_name_is_not_taken_as_its_vintage(tmp_path: Path) -> None:
    path = tmp_path / "2024-01-01-2024-12-31-Sudan.csv"
    path.write_bytes(CSV.read_bytes())

    with pytest.raises(ImportFailed, match="a date in their names is not their vintage; pass --vintage"):
        import_file("acled", path)
