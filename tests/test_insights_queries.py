"""The aggregates of insights.queries and the selections of insights.filters, on the known data set of
tests/insights_helpers.py (8 records of three sources, 6 de-duplicated incidents), every number by hand."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.http import QueryDict

from insights import analytics_db, mirror, queries
from insights.filters import DEDUPLICATED, PER_SOURCE, Selection, SelectionError, from_query
from tests.incident_helpers import record, release
from tests.insights_helpers import build_analytics, make_known_data

pytestmark = pytest.mark.django_db

D = datetime.date
ALL = Selection()
RECORDS = Selection(view=PER_SOURCE)


@pytest.fixture
def known(settings: Any, tmp_path: Path) -> None:
    build_analytics(settings, tmp_path)


def by(rows: list[dict[str, Any]], key: str, value: str = "events") -> dict[Any, Any]:
    return {row[key]: row[value] for row in rows}


# -- Filters --------------------------------------------------------------------------------------------------


def test_no_parameters_select_every_deduplicated_incident() -> None:
    selection = from_query(QueryDict(""))
    assert selection == Selection()
    assert selection.deduplicated
    assert selection.where() == ("unit = ?", ["incident"])


def test_a_year_means_its_first_day_as_start_and_its_last_as_end() -> None:
    selection = from_query(QueryDict("from=2023&to=2024"))
    assert (selection.date_from, selection.date_to) == (D(2023, 1, 1), D(2024, 12, 31))


def test_repeated_and_comma_separated_values_are_read_alike() -> None:
    repeated = from_query(QueryDict("country=ukr&country=SYR&source=who-ssa&source=awsd"))
    joined = from_query(QueryDict("country=UKR,syr&source=awsd,who-ssa"))
    assert repeated == joined
    assert repeated.countries == ("SYR", "UKR")
    assert repeated.sources == ("who-ssa", "awsd")  # in the pages' order of sources, not alphabetical


@pytest.mark.parametrize(
    ("query", "parameter", "named"),
    [
        ("from=yesterday", "from", "'yesterday'"),
        ("from=2024&to=2023", "to", "2023-12-31"),
        ("to=2023&to=2024", "to", "2"),
        ("country=UK", "country", "UK"),
        ("source=who", "source", "who"),
        ("view=both", "view", "'both'"),
        ("certainty=sure", "certainty", "sure"),
    ],
)
def test_a_refused_parameter_is_named_with_the_value_it_refused(
    query: str, parameter: str, named: str
) -> None:
    with pytest.raises(SelectionError) as refused:
        from_query(QueryDict(query), known_sources=("who-ssa", "awsd"))
    assert list(refused.value.problems) == [parameter]
    assert named in refused.value.problems[parameter]


def test_every_refused_parameter_is_reported_at_once() -> None:
    with pytest.raises(SelectionError) as refused:
        from_query(QueryDict("from=x&country=12&view=y"))
    assert set(refused.value.problems) == {"from", "country", "view"}


def test_a_selection_reads_back_from_its_own_query() -> None:
    selection = Selection(D(2023, 2, 1), D(2024, 6, 30), ("AFG",), ("awsd",), PER_SOURCE, ("confirmed",))
    query = QueryDict(mutable=True)
    for name, value in selection.as_query().items():
        query.setlist(name, value if isinstance(value, list) else [value])
    assert from_query(query) == selection
    assert selection.key() == from_query(query).key() != Selection().key()


# -- Counts ---------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("known")
def test_totals_count_incidents_once_and_records_per_source() -> None:
    incidents = queries.totals(ALL)
    assert incidents["events"] == 6 and incidents["countries"] == 3
    assert (incidents["first_date"], incidents["last_date"]) == ("2023-05-02", "2024-03-05")
    # ssa-1 (2) and ii-1 (3) are one incident: it keeps one figure, WHO SSA's; ii-2 and awsd-1 add 1 each.
    assert incidents["health_workers_killed"] == 4
    assert incidents["health_workers_kidnapped"] == 2
    assert incidents["facilities_destroyed"] == incidents["facilities_damaged"] == 1
    assert incidents["health_workers_arrested"] == 0
    records = queries.totals(RECORDS)
    assert records["events"] == 8
    assert records["health_workers_killed"] == 2 + 3 + 1 + 1


@pytest.mark.usefixtures("known")
def test_per_year_gives_the_change_on_the_year_before() -> None:
    assert queries.per_year(ALL) == [
        {"year": 2023, "events": 2, "change_percent": None},
        {"year": 2024, "events": 4, "change_percent": 100.0},
    ]
    assert queries.per_year(RECORDS)[1] == {"year": 2024, "events": 5, "change_percent": 66.7}


@pytest.mark.usefixtures("known")
def test_per_month_compares_with_the_month_right_before_only() -> None:
    assert queries.per_month(ALL) == [
        {"month": "2023-05-01", "events": 1, "change_percent": None},
        {"month": "2023-06-01", "events": 1, "change_percent": 0.0},
        {"month": "2024-01-01", "events": 1, "change_percent": None},  # December 2023 had none
        {"month": "2024-02-01", "events": 1, "change_percent": 0.0},
        {"month": "2024-03-01", "events": 2, "change_percent": 100.0},
    ]


@pytest.mark.usefixtures("known")
def test_one_source_per_source_gives_that_publishers_own_yearly_figures() -> None:
    who = Selection(sources=("who-ssa",), view=PER_SOURCE)
    assert by(queries.per_year(who), "year") == {2023: 2, 2024: 2}
    ii = Selection(sources=("insecurity-insight",), view=PER_SOURCE)
    assert by(queries.per_year(ii), "year") == {2023: 1, 2024: 2}
    # De-duplicated, a source selects the incidents it has a part in: ssa-1 + ii-1 and ssa-3 + ii-2 as well.
    assert by(queries.per_year(Selection(sources=("insecurity-insight",))), "year") == {2023: 1, 2024: 2}
    assert queries.totals(Selection(sources=("awsd", "insecurity-insight")))["events"] == 4


@pytest.mark.usefixtures("known")
def test_period_country_and_certainty_narrow_the_selection() -> None:
    assert queries.totals(Selection(date_from=D(2024, 1, 1)))["events"] == 4
    assert queries.totals(Selection(date_to=D(2023, 12, 31)))["events"] == 2
    assert queries.totals(Selection(D(2024, 1, 16), D(2024, 3, 1), view=PER_SOURCE))["events"] == 3
    assert queries.totals(Selection(countries=("UKR",), view=PER_SOURCE))["events"] == 3
    assert queries.totals(Selection(countries=("UKR", "SYR")))["events"] == 3
    assert queries.totals(Selection(certainty=("confirmed",), view=PER_SOURCE))["events"] == 2
    assert queries.totals(Selection(certainty=("unverified", "possible"), view=PER_SOURCE))["events"] == 4


@pytest.mark.usefixtures("known")
def test_per_country_ranks_countries_with_their_harm() -> None:
    rows = queries.per_country(ALL)
    assert [(row["country"], row["events"]) for row in rows] == [("AFG", 3), ("UKR", 2), ("SYR", 1)]
    ukraine = rows[1]
    assert (ukraine["health_workers_killed"], ukraine["health_workers_injured"]) == (2, 1)
    assert [row["country"] for row in queries.per_country(RECORDS, limit=2)] == ["AFG", "UKR"]


@pytest.mark.usefixtures("known")
def test_families_and_resources_count_an_event_in_each_it_has() -> None:
    families = by(queries.per_family(RECORDS), "code")
    assert families["heavy_weapons"] == 4 and families["individual_weapons"] == 2
    assert families["threat"] == families["deprivation_of_liberty"] == 1
    assert families["arson"] == 0
    assert queries.per_family(RECORDS)[0]["code"] == "heavy_weapons"  # the largest first
    incidents = by(queries.per_family(ALL), "code")
    assert incidents["heavy_weapons"] == 2
    resources = by(queries.per_resource(RECORDS), "code")
    assert resources["facility"] == 3 and resources["personnel"] == 3 and resources["patients"] == 0


@pytest.mark.usefixtures("known")
def test_state_share_is_of_the_events_whose_perpetrator_is_known() -> None:
    found = queries.per_perpetrator(RECORDS)
    assert by(found["rows"], "code") == {"not_given": 4, "state": 2, "non_state_armed_group": 1, "unknown": 1}
    # Known: state (ii-1, ii-2) and non-state (ii-3); 'unknown' (awsd-1) and blank (WHO SSA) are not.
    assert (found["known"], found["state"], found["state_share_percent"]) == (3, 2, 66.7)
    assert (
        queries.per_perpetrator(Selection(sources=("who-ssa",), view=PER_SOURCE))["state_share_percent"]
        is None
    )


@pytest.mark.usefixtures("known")
def test_counts_per_year_sum_what_sources_reported() -> None:
    assert queries.counts_per_year(RECORDS) == [
        {
            "year": 2023,
            "health_workers_killed": 5,
            "health_workers_injured": 1,
            "health_workers_kidnapped": 0,
            "health_workers_arrested": 0,
            "facilities_destroyed": 0,
            "facilities_damaged": 1,
        },
        {
            "year": 2024,
            "health_workers_killed": 2,
            "health_workers_injured": 0,
            "health_workers_kidnapped": 2,
            "health_workers_arrested": 0,
            "facilities_destroyed": 1,
            "facilities_damaged": 0,
        },
    ]


@pytest.mark.usefixtures("known")
def test_dashboard_gathers_every_part_and_a_second_call_is_cached() -> None:
    first = queries.dashboard(ALL)
    assert first["totals"]["events"] == 6
    assert set(first) == {
        "totals",
        "per_year",
        "per_month",
        "per_country",
        "per_family",
        "per_resource",
        "per_perpetrator",
        "counts_per_year",
    }


@pytest.mark.usefixtures("known")
def test_cached_computes_once_per_analytics_file_and_selection() -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert queries.cached("counted", ALL, compute) == 1
    assert queries.cached("counted", ALL, compute) == 1
    assert queries.cached("counted", RECORDS, compute) == 2  # another selection
    assert queries.cached("counted", ALL, compute, "extra") == 3  # another extra part of the key
    analytics_db.build()  # a new file: figures are computed again
    assert queries.cached("counted", ALL, compute) == 4


# -- Sources side by side -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("known")
def test_per_source_year_indexes_every_line_to_the_first_shared_year() -> None:
    found = queries.per_source_year(ALL)
    assert found["base_year"] == 2024  # AWSD has nothing in 2023
    lines = {(row["source"], row["year"]): (row["events"], row["index"]) for row in found["rows"]}
    assert lines == {
        ("awsd", 2024): (1, 100.0),
        ("insecurity-insight", 2023): (1, 50.0),
        ("insecurity-insight", 2024): (2, 100.0),
        ("who-ssa", 2023): (2, 100.0),
        ("who-ssa", 2024): (2, 100.0),
        (DEDUPLICATED, 2023): (2, 50.0),
        (DEDUPLICATED, 2024): (4, 100.0),
    }
    chosen = queries.per_source_year(ALL, base_year=2023)
    indexed = {(row["source"], row["year"]): row["index"] for row in chosen["rows"]}
    assert chosen["base_year"] == 2023
    assert indexed[(DEDUPLICATED, 2024)] == 200.0 and indexed[("awsd", 2024)] is None


@pytest.mark.usefixtures("known")
def test_overlap_counts_shared_and_lone_incidents() -> None:
    found = queries.overlap(ALL)
    pairs = {(row["source_a"], row["source_b"]): row["incidents"] for row in found["pairs"]}
    assert pairs == {
        ("awsd", "awsd"): 1,
        ("insecurity-insight", "insecurity-insight"): 3,
        ("insecurity-insight", "who-ssa"): 2,
        ("who-ssa", "insecurity-insight"): 2,
        ("who-ssa", "who-ssa"): 4,
    }
    assert by(found["alone"], "source", "incidents") == {"awsd": 1, "insecurity-insight": 1, "who-ssa": 2}
    assert found["in_several_sources"] == 2
    assert queries.overlap(Selection(countries=("AFG",)))["in_several_sources"] == 0


# -- Vintages and the rest ------------------------------------------------------------------------------------


def test_vintages_keep_each_vintages_count_per_year(settings: Any, tmp_path: Path) -> None:
    settings.ANALYTICS_DIR = tmp_path / "analytics"
    analytics_db.close()
    make_known_data()
    # An earlier vintage of WHO SSA's product: three attacks in 2023, one of them withdrawn later, none in 2024.
    earlier = release("who-ssa", vintage=D(2023, 9, 1))
    for number, day in enumerate((D(2023, 5, 2), D(2023, 6, 10), D(2023, 7, 1)), start=1):
        record(earlier, f"ssa-{number}", date=day)
    mirror.refresh_all()
    analytics_db.build()

    rows = queries.vintages("who-ssa", "incidents")
    assert [(row["vintage_date"], row["is_latest"], row["year"], row["events"]) for row in rows] == [
        ("2023-09-01", False, 2023, 3),
        ("2024-03-01", True, 2023, 2),
        ("2024-03-01", True, 2024, 2),
    ]
    assert queries.vintages("who-ssa", "no-such-product") == []
    series = {(row["source"], row["product"]): row["vintages"] for row in queries.vintage_series()}
    assert series == {
        ("who-ssa", "incidents"): 2,
        ("insecurity-insight", "incidents"): 1,
        ("awsd", "incidents"): 1,
    }
    # The current figures come from the latest vintage only.
    assert queries.totals(Selection(sources=("who-ssa",), view=PER_SOURCE))["events"] == 4


@pytest.mark.usefixtures("known")
def test_available_lists_what_the_filters_can_offer() -> None:
    assert queries.available() == {
        "sources": ["awsd", "insecurity-insight", "who-ssa"],
        "countries": ["AFG", "SYR", "UKR"],
        "certainty": ["confirmed", "possible", "probable", "unverified"],
        "years": [2023, 2024],
    }


@pytest.mark.usefixtures("known")
def test_completeness_gives_each_sources_share_of_located_and_attributed_records() -> None:
    rows = {row["source"]: row for row in queries.completeness(ALL)}
    assert rows["who-ssa"]["records"] == 4
    assert rows["who-ssa"]["share_coordinates"] == 0.0 and rows["who-ssa"]["share_certainty"] == 100.0
    assert rows["insecurity-insight"]["share_perpetrator"] == 100.0
    assert rows["awsd"]["share_perpetrator"] == 0.0  # 'unknown' is not a perpetrator
    assert all(row["without_date"] == 0 for row in rows.values())
    narrowed = {
        row["source"]: row["records"] for row in queries.completeness(Selection(date_from=D(2024, 1, 1)))
    }
    assert narrowed == {"awsd": 1, "insecurity-insight": 2, "who-ssa": 2}


@pytest.mark.usefixtures("known")
def test_build_info_says_when_the_file_was_built() -> None:
    info = queries.build_info()
    assert info["parts"] == ["records", "incidents", "nl_reports"]
    assert info["built_at"].tzinfo is not None
    assert (datetime.datetime.now(datetime.UTC) - info["built_at"]).total_seconds() < 3600


def test_queries_without_an_analytics_database_raise_analytics_error(settings: Any, tmp_path: Path) -> None:
    settings.ANALYTICS_DIR = tmp_path / "nothing"
    analytics_db.close()
    with pytest.raises(analytics_db.AnalyticsError):
        queries.available()
