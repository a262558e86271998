"""Mapping profiles: the definition and its YAML, validation with lines, imports and previews by a profile,
and the actions with their audit events (sources.profiles, sources.importers.profile, sources.preview)."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import fields, replace
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum
from django.utils import translation

from audit.models import Event
from sources.importers.hxl_incidents import ShccImporter
from sources.importers.profile import ProfileImporter, parse_date_as
from sources.models import Aggregate, MappingProfile, Quarantine, Record, Release
from sources.preview import PreviewFailed, preview
from sources.profile_definition import (
    ProfileError,
    ProfileRefused,
    check_definition,
    definition_from_yaml,
    definition_of,
    definition_to_yaml,
)
from sources.profiles import (
    create_profile,
    delete_profile,
    profile_from_yaml,
    profile_to_yaml,
    update_profile,
)
from sources.readers import open_table
from sources.releases import ImportFailed, import_file
from sources.schema import Harmonised
from sources.values import ValueProblem
from tests.sources_helpers import FIXTURES, REAL_DATA, database_counts, write_csv

pytestmark = pytest.mark.django_db

PARTNER_YAML = FIXTURES / "profile_inso_partner.yaml"
PARTNER_CSV = FIXTURES / "profile_inso_partner.csv"
SHCC_YAML = FIXTURES / "profile_shcc_renamed.yaml"
KEYDATA_YAML = FIXTURES / "profile_inso_keydata.yaml"
KEYDATA_CSV = FIXTURES / "profile_inso_keydata.csv"
VINTAGE = datetime.date(2023, 6, 30)
# The renamed headers of profile_shcc_renamed.yaml -> the published ones (datasets.md §5.2).
PUBLISHED_SHCC_HEADERS = {
    "Incident Date": "Date",
    "ISO3": "Country ISO",
    "Perpetrator Type": "Reported Perpetrator",
    "Perpetrator Name": "Reported Perpetrator Name",
    "Weapons Used": "Weapon Carried/Used",
    "Facilities Destroyed": "Number of Attacks on Health Facilities Reporting Destruction",
    "Facilities Damaged": "Number of Attacks on Health Facilities Reporting Damaged",
    "Forceful Entry": "Forceful Entry into Health Facility",
    "Occupation": "Occupation of Health Facility",
    "Ambulances Destroyed": "Health Transportation Destroyed",
    "Ambulances Damaged": "Health Transportation Damaged",
    "Ambulances Stolen": "Health Transportation Stolen/Highjacked",
    "Supplies Looted": "Looting/Theft/Robbery/Burglary of Health Supplies",
    "Obstruction": "Obstruction to Health Care",
    "HW Killed": "Health Workers Killed",
    "HW Injured": "Health Workers Injured",
    "HW Kidnapped": "Health Workers Kidnapped",
    "HW Arrested": "Health Workers Arrested",
    "HW Threatened": "Health Workers Threatened",
    "HW Assaulted": "Health Workers Assaulted",
    "HW Sexually Assaulted": "Health Workers Sexually Assaulted",
    "Conflict": "Conflict-Related Violence",
    "Political": "Political-Related Violence",
    "COVID": "COVID-19-Related Violence",
    "Ebola": "Ebola-Related Violence",
    "Vaccination": "Vaccination-Related Violence",
}


def load(path: Path, **replace: str) -> MappingProfile:
    text = path.read_text(encoding="utf-8")
    for old, new in replace.items():
        text = text.replace(old, new)
    return profile_from_yaml(text, actor=None, file_name=path.name)[0]


def problems_of(text: str) -> list[str]:
    with pytest.raises(ProfileError) as caught:
        definition_from_yaml(text, "broken.yaml")
    return caught.value.messages()


# ---------------------------------------------------------------------------------------------------------
# The definition and its YAML


@pytest.mark.parametrize("fixture", [PARTNER_YAML, SHCC_YAML, KEYDATA_YAML])
def test_yaml_round_trips_through_the_definition_and_the_database(fixture: Path) -> None:
    definition = definition_from_yaml(fixture.read_text(encoding="utf-8"))
    assert definition_from_yaml(definition_to_yaml(definition)) == definition
    profile = create_profile(definition, actor=None)
    assert definition_of(profile) == definition
    assert definition_from_yaml(profile_to_yaml(profile, actor=None)) == definition


def test_a_known_source_needs_no_name_and_takes_its_importers() -> None:
    definition = definition_from_yaml(SHCC_YAML.read_text(encoding="utf-8"))
    assert definition.source_info() == ShccImporter.source
    assert definition.identifier == ("Event ID",)


def test_yes_and_no_stay_words_in_yaml() -> None:
    text = PARTNER_YAML.read_text(encoding="utf-8").replace('yes_words: ["Y"]', "yes_words: [yes, on]")
    flag = definition_from_yaml(text).field("context_conflict")
    assert flag is not None and flag.yes_words == ("yes", "on")


def test_validation_names_the_field_the_problem_and_the_line() -> None:
    text = PARTNER_YAML.read_text(encoding="utf-8")
    broken = (
        text.replace('    format: "%d/%m/%Y"', '    format: "%d/%m"')
        .replace("Security forces: state", "Security forces: army")
        .replace('"Security forces": state', '"Security forces": army')
        .replace("    type: count\n", "    type: number\n", 1)
        .replace("  certainty: unverified", "  certainty: unverified\n  country_iso3: ZZZ")
        .replace("  slug: inso\n", "  slug: inso\n  colour: red\n")
    )
    lines = broken.splitlines()

    def line_of(fragment: str) -> int:
        return next(number for number, line in enumerate(lines, start=1) if fragment in line)

    assert problems_of(broken) == [
        f"broken.yaml:{line_of('colour')}: source.colour: unknown key "
        "(allowed: slug, name, unit, licence, url)",
        f"broken.yaml:{line_of('%d/%m')}: fields.event_date.format: expected iso, excel serial, or a pattern "
        "with day, month and %Y such as %d/%m/%Y",
        f'broken.yaml:{line_of("army")}: fields.perpetrator_category.values["Security forces"]: unknown code '
        "'army' (codes: criminal, individual, non_state_armed_group, other, state, unknown)",
        f"broken.yaml:{line_of('type: number')}: fields.health_workers_killed.type: "
        "expected count, got 'number'",
        f"broken.yaml:{line_of('ZZZ')}: constants.country_iso3: is also read from a column; choose one",
    ]


def test_broken_yaml_and_missing_keys_are_reported_with_their_lines() -> None:
    assert problems_of("slug: a\nfields: [1\n") == [
        "broken.yaml:3: (yaml): not valid YAML: while parsing a flow sequence expected ',' or ']', but got "
        "'<stream end>'"
    ]
    assert problems_of("") == ["broken.yaml:1: (profile): the file is empty"]
    assert "broken.yaml:2: slug: given twice (remove one)" in problems_of("slug: a\nslug: b\nname: A\n")


def test_a_profile_needs_a_date_and_a_country_and_no_header_twice() -> None:
    data = definition_from_yaml(PARTNER_YAML.read_text(encoding="utf-8")).to_dict()
    del data["fields"]["event_date"]
    data["fields"]["description"]["columns"] = ["Country"]
    definition, problems = check_definition(data)
    assert definition is None
    assert [str(problem) for problem in problems] == [
        "fields.event_date: missing: every incidents row needs it (map a column or set a constant)",
        "fields.description: header 'Country' is also given for fields.country_iso3; a column is read for "
        "one field only",
    ]


def test_dates_are_read_in_the_stated_format_only() -> None:
    assert parse_date_as("03/04/2023", "%d/%m/%Y") == datetime.date(2023, 4, 3)
    assert parse_date_as("2023-04-03T00:00:00.000Z", "iso") == datetime.date(2023, 4, 3)
    assert parse_date_as(44927, "excel serial") == datetime.date(2023, 1, 1)
    assert parse_date_as(datetime.datetime(2023, 1, 2, 10), "%d/%m/%Y") == datetime.date(2023, 1, 2)
    for value, fmt in (("03/04/2023", "iso"), (44927, "iso"), ("2023-01-01", "excel serial")):
        with pytest.raises(ValueProblem):
            parse_date_as(value, fmt)
    with pytest.raises(ValueProblem, match="'31/04/2023' is not a date written as %d/%m/%Y"):
        parse_date_as("31/04/2023", "%d/%m/%Y")


# ---------------------------------------------------------------------------------------------------------
# Importing by a profile


def test_a_partner_spreadsheet_with_day_first_dates_is_imported_as_a_release() -> None:
    profile = load(PARTNER_YAML)
    release = import_file("inso", PARTNER_CSV, profile=profile, vintage=VINTAGE).release
    assert (release.product.source.slug, release.product.slug, release.product.kind) == (
        "inso",
        "inso-partner-incidents",
        "incidents",
    )
    assert release.product.source.name == "International NGO Safety Organisation (INSO)"
    assert release.profile == profile
    assert release.importer == "profile"
    assert release.options["profile"] == "inso-partner-incidents"
    assert release.options["profile_version"] == 1
    assert release.options["profile_definition"]["fields"]["event_date"]["format"] == "%d/%m/%Y"
    assert (release.rows_read, release.rows_imported, release.rows_quarantined) == (5, 3, 2)
    assert release.columns["event_date"] == {"column": 2, "header": "Date of incident"}

    first = Record.objects.get(release=release, source_id="INSO-0001")
    assert first.event_date == datetime.date(2023, 4, 3)  # day first, as the profile says
    assert (first.country_iso3, first.country_as_given, first.admin1) == ("AFG", "Afghanistan", "Kandahar")
    assert (first.perpetrator_category, first.perpetrator_as_given) == (
        "non_state_armed_group",
        "Armed opposition group",
    )
    assert (first.weapons, first.who_ssa_types) == (["Firearms"], ["individual_weapons"])
    assert (first.health_workers_killed, first.resources, first.context_conflict) == (1, ["personnel"], True)
    assert first.certainty == "unverified"  # a constant
    assert first.description == "A clinic guard was shot at the gate."

    second = Record.objects.get(release=release, source_id="INSO-0002")
    assert second.weapons == ["Knife", "Firearms"]
    assert second.who_ssa_types == ["individual_weapons", "abduction_arrest_detention"]  # kidnapped > 0
    assert second.context_conflict is False

    fifth = Record.objects.get(release=release, source_id="INSO-0005")
    assert fifth.country_iso3 == "AFG"  # a code in a name column still resolves
    assert fifth.warnings == [
        {
            "column": "Actor",
            "value": "Local militia",
            "problem": "not in the profile's values or crosswalk for perpetrator_category",
        },
        {
            "column": "Weapon",
            "value": "Catapult",
            "problem": "not in the profile's values or crosswalk for weapons",
        },
    ]
    quarantined = {q.source_id: (q.row_number, q.column, q.value, q.reason) for q in release.quarantine.all()}
    assert quarantined == {
        "INSO-0003": (4, "Date of incident", "31/04/2023", "'31/04/2023' is not a date written as %d/%m/%Y"),
        "INSO-0004": (
            5,
            "Country",
            "Atlantis",
            "unknown country 'Atlantis' (add it to the aliases in sources/crosswalks.yaml)",
        ),
    }


def test_a_new_shcc_like_vintage_with_renamed_columns_reads_like_the_published_layout(tmp_path: Path) -> None:
    rows = [
        # date, ISO, perpetrator, name, weapons, destroyed, damaged, stolen, looted, obstruction,
        # killed, injured, kidnapped, arrested, conflict, political, id
        ["2023-01-01", "MMR", "Armed Forces of Government or Self-Declared Government",
         "Test Forces", "Aerial Bomb: Plane, Firearms",
         1, 0, 0, 0, 0, 2, 1, 0, 0, "ConflictEvent", "NotApplicable", 90001],
        ["2023-01-02", "CIV", "Criminal", "",
         "Stones, Sticks and Gravel, Tasers, Live and Rubber Bullets",
         0, 0, 1, 1, 1, 0, 0, 1, 2, "NotApplicable", "Politically-related", 90002],
        ["2023-01-03", "PSE", "Foreign Forces - Military", "", "Fist and Foot, Catapult",
         0, 0, 0, 0, 0, 0, 0, 0, 0, "NotApplicable", "NotApplicable", 90003],
    ]  # fmt: skip
    renamed = [
        "Incident Date", "ISO3", "Perpetrator Type", "Perpetrator Name", "Weapons Used",
        "Facilities Destroyed", "Facilities Damaged", "Ambulances Stolen", "Supplies Looted", "Obstruction",
        "HW Killed", "HW Injured", "HW Kidnapped", "HW Arrested", "Conflict", "Political", "Event ID",
    ]  # fmt: skip
    published = [PUBLISHED_SHCC_HEADERS.get(header, "SiND Event ID") for header in renamed]
    old = import_file("shcc", write_csv(tmp_path / "old.csv", [published, *rows]), vintage=VINTAGE,
                      product="incident-data-2023").release  # fmt: skip
    new = import_file(
        "shcc",
        write_csv(tmp_path / "new.csv", [renamed, *rows]),
        vintage=VINTAGE + datetime.timedelta(days=30),
        product="incident-data-2023",
        profile=load(SHCC_YAML),
    ).release
    assert new.previous == old
    # Renamed headers change every row's content hash: the same rows, changed.
    assert (new.rows_imported, new.added, new.changed, new.withdrawn) == (3, 0, 3, 0)
    compared = [f.name for f in fields(Harmonised) if f.name not in ("country_as_given",)]
    for record in Record.objects.filter(release=old):
        again = Record.objects.get(release=new, source_id=record.source_id)
        assert {name: getattr(again, name) for name in compared} == {
            name: getattr(record, name) for name in compared
        }, record.source_id
        assert [w["value"] for w in again.warnings] == [w["value"] for w in record.warnings]


def test_rows_without_an_identifier_are_known_by_their_row_number_and_aggregates_by_period() -> None:
    profile = load(KEYDATA_YAML)
    release = import_file("inso-partner", KEYDATA_CSV, profile=profile, vintage=VINTAGE).release
    assert release.product.kind == "aggregates"
    assert (release.rows_read, release.rows_imported, release.rows_quarantined, release.rows_blank) == (
        4,
        3,
        1,
        1,
    )
    rows = {row.source_id: row for row in Aggregate.objects.filter(release=release)}
    assert sorted(rows) == ["2", "3", "5"]  # row 4 is blank, row 6 has month 13
    february = rows["3"]
    assert (february.country_iso3, february.period_precision) == ("AFG", "month")
    assert (february.period_start, february.period_end) == (
        datetime.date(2020, 2, 1),
        datetime.date(2020, 2, 29),
    )
    assert (february.events, february.aid_workers_killed, february.aid_workers_kidnapped) == (9, 0, 1)
    assert february.measures == {"Serious incidents": 2}
    assert release.quarantine.get().source_id == "6"
    assert Aggregate.objects.filter(release=release).aggregate(total=Sum("events"))["total"] == 26


def test_rows_prepared_in_a_second_process_are_the_same(tmp_path: Path) -> None:
    # Large files are read in a child process (sources.rowstream), which gets the profile as an option.
    profile = load(KEYDATA_YAML)
    here = import_file("inso-partner", KEYDATA_CSV, profile=profile, vintage=VINTAGE).release
    twin = tmp_path / "keydata-twin.csv"
    twin.write_text(KEYDATA_CSV.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    there = import_file(
        "inso-partner", twin, profile=profile, vintage=VINTAGE, product="parallel", parallel=True
    ).release
    fields = ("row_number", "source_id", "country_iso3", "period_start", "period_end", "events", "measures")
    assert list(Aggregate.objects.filter(release=there).values_list(*fields)) == list(
        Aggregate.objects.filter(release=here).values_list(*fields)
    )
    assert list(there.quarantine.values_list("source_id", "reason")) == list(
        here.quarantine.values_list("source_id", "reason")
    )


def test_a_file_without_a_mapped_column_is_refused_naming_it(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "partner.csv", [["Incident ref", "Date", "Country"], ["A-1", "01/02/2023", "Mali"]]
    )
    profile = load(PARTNER_YAML)
    before = database_counts()
    with pytest.raises(ImportFailed, match=r"missing column\(s\) 'Actor', 'Weapon'"):
        import_file("inso", path, profile=profile, vintage=VINTAGE)
    assert database_counts() == before


def test_a_new_version_of_the_profile_is_recorded_on_the_next_release(tmp_path: Path) -> None:
    profile = load(PARTNER_YAML)
    first = import_file("inso", PARTNER_CSV, profile=profile, vintage=VINTAGE).release
    definition = definition_of(profile)
    actor_field = definition.field("perpetrator_category")
    assert actor_field is not None
    militia = replace(actor_field, values={**actor_field.values, "Local militia": "non_state_armed_group"})
    changed = replace(definition, fields=tuple(militia if f is actor_field else f for f in definition.fields))
    profile = update_profile(profile, changed, actor=None, expected_version=1)
    assert profile.version == 2
    copy = tmp_path / "partner-q3.csv"
    copy.write_text(
        PARTNER_CSV.read_text(encoding="utf-8") + "INSO-0006,01/07/2023,Mali,,Criminals,,0,0,N,\n"
    )
    second = import_file("inso", copy, profile=profile, vintage=VINTAGE + datetime.timedelta(days=92)).release
    assert (first.options["profile_version"], second.options["profile_version"]) == (1, 2)
    assert (second.previous, second.added, second.unchanged) == (first, 1, 3)
    assert (
        Record.objects.get(release=second, source_id="INSO-0005").perpetrator_category
        == "non_state_armed_group"
    )


# ---------------------------------------------------------------------------------------------------------
# Preview


def test_preview_shows_rows_as_they_came_and_harmonised_and_writes_nothing() -> None:
    profile = load(PARTNER_YAML)
    before = database_counts()
    shown = preview(PARTNER_CSV, "inso", profile=profile, rows=4)
    assert database_counts() == before
    assert shown.headers[:3] == ["Incident ref", "Date of incident", "Country"]
    assert shown.columns["country_iso3"] == {"column": 3, "header": "Country"}
    assert [row.row_number for row in shown.rows] == [2, 3, 4, 5]
    assert shown.rows[0].cells[1] == "03/04/2023"
    assert shown.rows[0].fields["event_date"] == datetime.date(2023, 4, 3)
    assert shown.rows[0].fields["who_ssa_types"] == ["individual_weapons"]
    assert shown.rows[2].problem == {
        "column": "Date of incident",
        "value": "31/04/2023",
        "reason": "'31/04/2023' is not a date written as %d/%m/%Y",
    }
    assert shown.quarantined == 2
    assert shown.field_names[:3] == ["event_date", "date_precision", "country_iso3"]


def test_preview_works_for_the_built_in_importers_too() -> None:
    shown = preview(FIXTURES / "who_ssa_attacks.csv", "who-ssa", rows=3)
    assert shown.importer == "who_ssa"
    assert len(shown.rows) == 3
    assert all(row.fields.get("country_iso3") for row in shown.rows if row.problem is None)
    with pytest.raises(PreviewFailed, match="missing column"):
        preview(PARTNER_CSV, "who-ssa")
    with pytest.raises(PreviewFailed, match="is for source 'inso', not 'shcc'"):
        preview(PARTNER_CSV, "shcc", profile=load(PARTNER_YAML))


# ---------------------------------------------------------------------------------------------------------
# Actions and their audit events


def test_actions_leave_audit_events_without_content() -> None:
    profile, created = profile_from_yaml(PARTNER_YAML.read_text(encoding="utf-8"), actor=None)
    assert created
    with pytest.raises(ProfileRefused):
        profile_from_yaml(PARTNER_YAML.read_text(encoding="utf-8"), actor=None)
    profile, created = profile_from_yaml(
        PARTNER_YAML.read_text(encoding="utf-8").replace("one sheet per quarter", "one sheet a month"),
        actor=None,
        replace=True,
    )
    assert (created, profile.version) == (False, 2)
    profile_to_yaml(profile, actor=None)
    delete_profile(profile, actor=None)
    events = Event.objects.filter(action__startswith="sources.profile_").order_by("sequence")
    assert [event.action for event in events] == [
        "sources.profile_created",
        "sources.profile_loaded",
        "sources.profile_updated",
        "sources.profile_loaded",
        "sources.profile_exported",
        "sources.profile_deleted",
    ]
    assert {key for event in events for key in event.details} == {"slug", "version", "source", "created"}


def test_a_profile_used_by_a_release_cannot_be_deleted() -> None:
    profile = load(PARTNER_YAML)
    import_file("inso", PARTNER_CSV, profile=profile, vintage=VINTAGE)
    with pytest.raises(ProfileRefused):
        delete_profile(profile, actor=None)
    assert MappingProfile.objects.filter(pk=profile.pk).exists()


def test_an_edit_on_a_stale_version_is_refused() -> None:
    profile = load(PARTNER_YAML)
    definition = definition_of(profile)
    changed = replace(definition, description="Another description")
    update_profile(profile, changed, actor=None, expected_version=1)
    with pytest.raises(ProfileRefused):
        update_profile(profile, definition, actor=None, expected_version=1)
    assert update_profile(profile, changed, actor=None).version == 2  # nothing changed: no new version


def test_import_and_export_profile_commands(tmp_path: Path) -> None:
    out = StringIO()
    call_command("import_profile", str(PARTNER_YAML), stdout=out)
    assert "Created mapping profile inso-partner-incidents (version 1)" in out.getvalue()
    with translation.override("en"), pytest.raises(CommandError, match="already exists"):
        call_command("import_profile", str(PARTNER_YAML), stdout=StringIO())
    call_command("import_profile", str(PARTNER_YAML), "--replace", stdout=out)
    assert "unchanged" in out.getvalue()
    exported = StringIO()
    call_command("export_profile", "inso-partner-incidents", stdout=exported)
    assert definition_from_yaml(exported.getvalue()) == definition_from_yaml(PARTNER_YAML.read_text())
    broken = tmp_path / "broken.yaml"
    broken.write_text("slug: Not A Slug\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"broken\.yaml:1: slug: use lowercase letters"):
        call_command("import_profile", str(broken), stdout=StringIO())
    with pytest.raises(CommandError, match="no mapping profile 'nope'"):
        call_command("export_profile", "nope", stdout=StringIO())


def test_the_import_command_reads_a_file_by_a_profile(tmp_path: Path) -> None:
    load(PARTNER_YAML)
    out = StringIO()
    call_command(
        "import", "inso", str(PARTNER_CSV), "--profile", "inso-partner-incidents", "--vintage", "2023-06-30",
        "--quiet", stdout=out,
    )  # fmt: skip
    assert "inso/inso-partner-incidents, vintage 2023-06-30" in out.getvalue()
    assert "5 read, 3 imported, 2 quarantined" in out.getvalue()
    other = tmp_path / "partner-q3.csv"
    other.write_text(PARTNER_CSV.read_text(encoding="utf-8") + "INSO-0006,01/07/2023,Mali,,,,0,0,N,\n")
    with pytest.raises(CommandError, match="takes no other options"):
        call_command(
            "import", "inso", str(other), "--profile", "inso-partner-incidents", "--vintage",
            "2023-07-30", "--option", "year=2021", "--quiet", stdout=StringIO(),
        )  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# Real data (../shared/data, never copied into the repository)

SHCC_FILE = REAL_DATA / "shcc" / "2022-shcc-incident-data.xlsx"


@pytest.mark.skipif(not SHCC_FILE.exists(), reason=f"the SHCC 2022 sample file is not at {SHCC_FILE}")
def test_a_profile_of_the_published_shcc_layout_reads_the_real_2022_file_like_the_importer() -> None:
    text = SHCC_YAML.read_text(encoding="utf-8")
    for renamed, published in PUBLISHED_SHCC_HEADERS.items():
        for end in ("]", ","):  # the first spelling of a list: [ISO3, Country Code]
            text = text.replace(f"[{renamed}{end}", f"[{published}{end}")
    text = text.replace("identifier: Event ID", "identifier: SiND Event ID")
    profile = profile_from_yaml(text, actor=None)[0]
    by_profile = ProfileImporter(open_table(SHCC_FILE), {"profile": profile})
    built_in = ShccImporter(open_table(SHCC_FILE))
    # The profile reads the code column only; the importer keeps the name as given.
    compared = [f.name for f in fields(Harmonised) if f.name != "country_as_given"]
    totals: Counter[str] = Counter()
    different = 0
    for (_n, cells), (_m, same_cells) in zip(by_profile.table.rows, built_in.table.rows, strict=True):
        mine, theirs = by_profile.read_row(cells).harmonised, built_in.read_row(same_cells).harmonised
        different += any(getattr(mine, name) != getattr(theirs, name) for name in compared)
        for name in ("health_workers_killed", "health_workers_arrested", "health_workers_kidnapped"):
            totals[name] += getattr(mine, name) or 0
    assert different == 0
    # datasets.md §13.1: the file's values.
    assert totals == {
        "health_workers_killed": 232,
        "health_workers_arrested": 294,
        "health_workers_kidnapped": 301,
    }
    assert Release.objects.count() == 0 and Quarantine.objects.count() == 0
