"""The crosswalk file: well-formed, every code known, every ISO3 real; the validator catches mistakes."""

from __future__ import annotations

import copy
from typing import Any

import pycountry
import pytest
import yaml

from sources.crosswalks import DEFAULT_PATH, CrosswalkError, crosswalks, load, normalise, validate


@pytest.fixture
def data() -> Any:
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def test_the_crosswalk_file_validates(data: Any) -> None:
    assert validate(data) == []
    assert crosswalks().version == data["version"]


def test_every_iso3_of_the_alias_table_exists_in_pycountry_or_is_user_assigned(data: Any) -> None:
    user_assigned = data["countries"]["user_assigned_codes"]
    for alias in data["countries"]["aliases"]:
        code = alias["iso3"]
        if code is None:
            continue
        assert pycountry.countries.get(alpha_3=code) is not None or code in user_assigned, alias


def test_user_assigned_codes_are_not_iso_codes(data: Any) -> None:
    for code in data["countries"]["user_assigned_codes"]:
        assert pycountry.countries.get(alpha_3=code) is None


def test_the_fifteen_who_ssa_labels_are_there_exactly(data: Any) -> None:
    labels = [entry["label"] for entry in data["who_ssa_attack_types"]]
    assert len(labels) == 15
    # §7.1: label 2 lacks its outer closing parenthesis, label 7 has a bare comma.
    assert (
        "Violence with individual weapons (knives, bricks, clubs, guns, grenades and improvised explosive devices (IED)"
        in labels
    )
    assert "Armed or violent search of health care personnel, facility or transport" in labels


def test_every_ssa_type_belongs_to_a_known_family_and_every_family_is_used() -> None:
    table = crosswalks()
    used = {attack_type.family for attack_type in table.who_ssa_attack_types}
    assert used == set(table.attack_families)


def test_vocabulary_lookups_ignore_case_and_spaces() -> None:
    table = crosswalks()
    assert table.perpetrators["awsd"].get("Host State") == "state"
    assert table.perpetrators["awsd"].get("Non-state armed group: Global ") == "non_state_armed_group"
    assert table.geo_precision.get("(2) 25 km precision ") == "km25"
    assert table.attack_types["awsd_means_of_attack"].get("Landmine ") == ("individual_weapons",)


def test_perpetrator_wording_of_both_vintages_maps_to_the_same_category() -> None:
    table = crosswalks().perpetrators["insecurity_insight"]
    assert table.get("Armed Forces of Government/Self-Declared Government") == "state"
    assert table.get("Armed Forces of Government or Self-Declared Government") == "state"
    assert table.get("Foreign Forces: Military") == table.get("Foreign Forces - Military") == "state"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["perpetrators"]["awsd"].__setitem__("Rebels", "rebel"), "unknown code 'rebel'"),
        (
            lambda d: d["countries"]["aliases"].append({"name": "Utopia", "iso3": "UTO"}),
            "'UTO' is not an ISO",
        ),
        (lambda d: d["countries"]["aliases"].append({"name": "opt", "iso3": "PSE"}), "listed twice"),
        (
            lambda d: d["attack_types"]["awsd_means_of_attack"].__setitem__("Stabbing", ["stabbing"]),
            "unknown code 'stabbing'",
        ),
        (
            lambda d: d["attack_types"]["insecurity_insight_indicators"].__setitem__(
                "goats_stolen", ["other"]
            ),
            "not a harmonised field",
        ),
        (
            lambda d: d["who_ssa_attack_types"][0].__setitem__("family", "big_guns"),
            "unknown family 'big_guns'",
        ),
        (lambda d: d["certainty"]["who_ssa"].__setitem__("confirmed ", "confirmed"), "matching ignores case"),
        (
            lambda d: d["countries"]["user_assigned_codes"].__setitem__("NLD", "not user-assigned"),
            "is an ISO 3166-1 code",
        ),
        (lambda d: d["co_reporting"]["awsd"].__setitem__("Twitter", ["twitter"]), "unknown code 'twitter'"),
        (lambda d: d["acled"]["time_precision"].__setitem__("4", "fortnight"), "unknown code 'fortnight'"),
        (
            lambda d: d["acled"]["event_types"]["Riots"].append("Pillow fight"),
            "'Pillow fight' is not in attack_types.acled_sub_event_types",
        ),
        (lambda d: d["acled"]["perpetrator_side"].__setitem__("Attack", "actor3"), "unknown code 'actor3'"),
        (
            lambda d: d["health_keywords"]["awsd"]["keywords"].append("re:(unclosed"),
            "health_keywords.awsd.keywords[",
        ),
        (lambda d: d["health_keywords"]["awsd"]["keywords"].append("he*lth"), "`*` may only end a word"),
        (lambda d: d["health_keywords"].__setitem__("who_ssa", {"keywords": ["x"]}), "not a source whose"),
    ],
)
def test_the_validator_names_the_mistake(data: Any, change: Any, expected: str) -> None:
    broken = copy.deepcopy(data)
    change(broken)
    problems = validate(broken)
    assert any(expected in problem for problem in problems), problems


def test_loading_a_broken_file_raises_with_the_problems(tmp_path: Any, data: Any) -> None:
    data["perpetrators"]["awsd"]["Rebels"] = "rebel"
    path = tmp_path / "crosswalks.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CrosswalkError, match="rebel"):
        load(path)


def test_normalise_collapses_space_and_case() -> None:
    assert normalise("  Host   State ") == "host state"


def test_awsd_sources_name_acled_whatever_the_trailing_space() -> None:
    table = crosswalks().co_reporting["awsd"]
    assert table.get("ACLED ") == ("acled",)
    assert table.get("Offiicial Report") == table.get("Focal point") == ()


def test_acled_codes_normalise_the_disorder_typo_and_give_precisions_and_sides() -> None:
    codes = crosswalks().acled
    assert codes.disorder_types.get("Demostrations") == "Demonstrations"
    assert [codes.time_precision.get(code) for code in ("1", "2", "3")] == ["day", "week", "month"]
    assert codes.perpetrator_side.get("Excessive force against protestors") == "actor2"
    assert codes.perpetrator_side.get("Attack") is None  # actor 1 unless listed
    subs = [sub for subs in codes.event_types.values() for sub in subs]
    assert len(subs) == 26  # the 25 of acled_event_categories.csv and the codebook's "protestors"
    vocabulary = crosswalks().attack_types["acled_sub_event_types"]
    assert all(vocabulary.get(sub) is not None for sub in subs)


def test_acled_inter_codes_and_labels_map_to_the_same_category() -> None:
    actors = crosswalks().perpetrators["acled_actor_types"]
    assert actors.get("1") == actors.get("State forces") == actors.get("State Forces") == "state"
    assert actors.get("3") == actors.get("Political militia") == actors.get("Militia Groups")
    assert actors.get("8") == actors.get("External/Other forces") == "other"
