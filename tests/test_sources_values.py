"""Cells, countries and multi-valued labels: the parsing gotchas of datasets.md §11, one test each."""

from __future__ import annotations

import datetime

import pytest

from sources.countries import CountryProblem, repair_mojibake, resolve_country
from sources.crosswalks import crosswalks
from sources.harmonise import match_labels
from sources.values import (
    ValueProblem,
    content_hash,
    normalise_header,
    parse_count,
    parse_date,
    parse_flag,
    raw_cell,
)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (datetime.datetime(2024, 3, 5, 13, 45), datetime.date(2024, 3, 5)),  # SSA datetime with a time
        (45356.5729166667, datetime.date(2024, 3, 5)),  # an Excel serial with a time fraction
        ("45356.5729166667", datetime.date(2024, 3, 5)),  # the same serial saved into a CSV
        (44927, datetime.date(2023, 1, 1)),
        ("2023-04-29T00:00:00.000Z", datetime.date(2023, 4, 29)),  # API-generated, never shifted
        ("2023-04-29T23:30:00+05:00", datetime.date(2023, 4, 29)),
        ("2022-01-02", datetime.date(2022, 1, 2)),  # KIKA JSON form
        ("2022-01-02 10:15:00", datetime.date(2022, 1, 2)),
        ("", None),
        (None, None),
    ],
)
def test_dates_in_every_published_form(cell: object, expected: datetime.date | None) -> None:
    assert parse_date(cell) == expected


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("03/04/2022", "not a date in a known form"),  # day-first or month-first cannot be told
        ("2022-02-30", "not a real date"),
        (59, "before 1 March 1900"),  # Excel's phantom 29 February 1900 lies before this
        ("1899-12-31", "outside"),
        (True, "expected a date"),
        ("yesterday", "not a date in a known form"),
    ],
)
def test_dates_that_cannot_be_trusted_are_refused(cell: object, reason: str) -> None:
    with pytest.raises(ValueProblem, match=reason):
        parse_date(cell)


@pytest.mark.parametrize(
    ("cell", "expected"), [(0, 0), ("3", 3), (2.0, 2), ("1.0", 1), ("", None), (None, None)]
)
def test_counts_as_numbers_strings_and_floats(cell: object, expected: int | None) -> None:
    assert parse_count(cell) == expected


@pytest.mark.parametrize("cell", [-1, "-2", 1.5, "two", True])
def test_counts_that_are_not_whole_numbers_of_zero_or_more_are_refused(cell: object) -> None:
    with pytest.raises(ValueProblem):
        parse_count(cell)


def test_flags_read_yes_no_and_unknown() -> None:
    assert parse_flag("YES", yes=("YES",), no=("NO",), unknown=("Unknown",)) is True
    assert parse_flag("no", yes=("YES",), no=("NO",), unknown=("Unknown",)) is False
    assert parse_flag("Unknown", yes=("YES",), no=("NO",), unknown=("Unknown",)) is None
    with pytest.raises(ValueProblem, match="expected one of"):
        parse_flag("Perhaps", yes=("YES",), no=("NO",))


def test_raw_cells_keep_types_and_mark_dates() -> None:
    assert raw_cell(3) == 3
    assert raw_cell(" Other") == " Other"
    assert raw_cell(datetime.datetime(2024, 3, 5, 13, 45)) == {"datetime": "2024-03-05T13:45:00"}


def test_headers_match_despite_case_spaces_and_pandas_suffixes() -> None:
    assert normalise_header("Location ") == normalise_header("location")
    assert normalise_header("Health Workers Killed.1") == "health workers killed"
    assert normalise_header("Health Workers Working for LNGO,  NGO") == "health workers working for lngo, ngo"


def test_content_hash_ignores_header_drift_and_number_types_but_not_values() -> None:
    first = content_hash(["Date", "Count "], ["2022-01-01", 1])
    assert first == content_hash(["date", "count"], ["2022-01-01", "1"])
    assert first == content_hash(["Date", "Count", "Extra"], ["2022-01-01", 1.0, None])
    assert first != content_hash(["Date", "Count"], ["2022-01-01", 2])


@pytest.mark.parametrize(
    ("name", "code", "iso3", "admin1"),
    [
        ("OPT", "", "PSE", ""),
        ("oPt", "", "PSE", ""),
        ("occupied Palestinian territory", "", "PSE", ""),
        ("C\u00c3\u00b4te d'Ivoire", "", "CIV", ""),  # mojibake in the II global file
        ("Kosovo", "", "XKX", ""),
        ("Nagorno-Karabakh", "", "AZE", "Nagorno-Karabakh"),
        ("DRC", "", "COD", ""),
        ("Syrian Arab Republic", "", "SYR", ""),
        ("International Waters", "", "", ""),
        ("Chechnya", "RUS", "RUS", "Chechnya"),  # the code wins, the alias adds the territory
        ("Whatever the name", "mmr", "MMR", ""),
    ],
)
def test_countries_resolve_to_iso3(name: str, code: str, iso3: str, admin1: str) -> None:
    country = resolve_country(name, code)
    assert (country.iso3, country.admin1) == (iso3, admin1)


def test_mojibake_is_repaired_generically() -> None:
    assert repair_mojibake("SÃ£o TomÃ© and PrÃ­ncipe") == "São Tomé and Príncipe"
    assert resolve_country("CuraÃ§ao").iso3 == "CUW"


@pytest.mark.parametrize(
    ("name", "code"), [("Atlantis", ""), ("", ""), ("Ukraine", "XYZ"), ("Ukraine", "UA")]
)
def test_unknown_countries_are_problems_not_guesses(name: str, code: str) -> None:
    with pytest.raises(CountryProblem):
        resolve_country(name, code)


SSA_LABELS = [t.label for t in crosswalks().who_ssa_attack_types]


def test_ssa_attack_types_are_matched_whole_never_split_on_commas() -> None:
    cell = (
        " Violence with individual weapons (knives, bricks, clubs, guns, grenades and improvised explosive "
        "devices (IED), Armed or violent search of health care personnel, facility or transport, Other"
    )
    found = match_labels(cell, SSA_LABELS)
    assert found.labels == [SSA_LABELS[1], SSA_LABELS[6], "Other"]
    assert found.leftover == []


def test_all_fifteen_ssa_labels_in_one_cell_leave_nothing_over() -> None:
    found = match_labels(" " + ", ".join(reversed(SSA_LABELS)), SSA_LABELS)
    assert sorted(found.labels) == sorted(SSA_LABELS)
    assert found.leftover == []


def test_text_left_over_is_reported_and_labels_do_not_match_inside_words() -> None:
    found = match_labels(" Otherwise, Setting fire, Unknownish", SSA_LABELS)
    assert found.labels == ["Setting fire"]
    assert found.leftover == ["Otherwise", "Unknownish"]


def test_weapons_with_commas_inside_are_matched_against_the_vocabulary() -> None:
    vocabulary = crosswalks().attack_types["insecurity_insight_weapons"].labels
    found = match_labels(
        "Stones, Sticks and Gravel, Tasers, Live and Rubber Bullets, Aerial Bomb: Missile", vocabulary
    )
    assert found.labels == [
        "Stones, Sticks and Gravel",
        "Tasers, Live and Rubber Bullets",
        "Aerial Bomb: Missile",
    ]
    assert found.leftover == []
