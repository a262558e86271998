"""The analytics database: built from the mirror, the registry and the meldpunt; refreshed part by part."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.core.management import CommandError, call_command
from django_tasks_db.models import DBTaskResult

from insights import analytics_db, mirror
from insights.tasks import refresh_analytics, request_refresh
from registry.actions import merge_incidents
from tests.conftest import run_worker
from tests.incident_helpers import incident, record, release
from tests.insights_helpers import build_analytics
from tests.meldpunt_helpers import cleaned_report_data, route_everything_to

pytestmark = pytest.mark.django_db


def facts(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    return analytics_db.connection().execute(sql, params or []).fetchall()


def test_the_facts_hold_every_current_record_and_every_incident(settings: Any, tmp_path: Path) -> None:
    known = build_analytics(settings, tmp_path)

    assert facts("SELECT unit, count(*) FROM facts GROUP BY unit ORDER BY unit") == [
        ("incident", 6),
        ("record", 8),
    ]
    by_source = facts("SELECT source, count(*) FROM facts WHERE unit = 'record' GROUP BY ALL ORDER BY 1")
    assert by_source == [("awsd", 1), ("insecurity-insight", 3), ("who-ssa", 4)]
    # The records of one incident point to it, and the incident lists both sources.
    ukr = known.incidents["ukr"].pk
    assert facts(
        "SELECT source_id FROM facts WHERE unit = 'record' AND incident_id = ? ORDER BY 1", [ukr]
    ) == [
        ("ii-1",),
        ("ssa-1",),
    ]
    assert facts("SELECT sources FROM facts WHERE unit = 'incident' AND incident_id = ?", [ukr]) == [
        (["insecurity-insight", "who-ssa"],)
    ]


def test_families_and_resources_are_also_flag_columns(settings: Any, tmp_path: Path) -> None:
    build_analytics(settings, tmp_path)

    assert facts(
        "SELECT count(*) FILTER (family_heavy_weapons), count(*) FILTER (resource_personnel) FROM facts "
        "WHERE unit = 'record'"
    ) == [(4, 3)]
    assert facts("SELECT attack_families FROM facts WHERE source_id = 'ii-3'") == [
        (["deprivation_of_liberty"],)
    ]


def test_an_incident_takes_its_counts_from_the_registry(settings: Any, tmp_path: Path) -> None:
    known = build_analytics(settings, tmp_path)

    # WHO SSA comes first for counts (registry.incidents.SOURCE_RANK): 2 killed, not Insecurity Insight's 3.
    ukr = known.incidents["ukr"].pk
    assert facts(
        "SELECT health_workers_killed, facilities_damaged, by_state FROM facts "
        "WHERE unit = 'incident' AND incident_id = ?",
        [ukr],
    ) == [(2, 1, True)]


def test_every_fact_says_where_its_restricted_values_came_from(settings: Any, tmp_path: Path) -> None:
    """Records: their own source. Incidents: the sources the registry took the place, the area and each
    count from; `public_<count>` keeps a count only where that source publishes it."""
    known = build_analytics(settings, tmp_path)
    ukr = known.incidents["ukr"].pk

    assert facts(
        "SELECT DISTINCT coordinates_from = source AND admin1_from = source "
        "AND health_workers_killed_from = source FROM facts WHERE unit = 'record'"
    ) == [(True,)]
    assert facts(
        "SELECT health_workers_killed_from, public_health_workers_killed FROM facts "
        "WHERE unit = 'incident' AND incident_id = ?",
        [ukr],
    ) == [("who-ssa", 2)]
    assert analytics_db.count_column("health_workers_killed", public=True) == "public_health_workers_killed"
    assert analytics_db.count_column("health_workers_killed", public=False) == "health_workers_killed"
    assert analytics_db.count_column("facilities_destroyed", public=True) == "facilities_destroyed"


def test_a_file_of_an_older_layout_is_rebuilt_whole(settings: Any, tmp_path: Path) -> None:
    """A refresh of one part copies the others only from a file of the current layout: a file made before
    the origin columns existed is not copied from, so no part is left without them."""
    build_analytics(settings, tmp_path)
    analytics_db.close()
    old = duckdb.connect(str(analytics_db.database_path()))
    old.execute("ALTER TABLE meta DROP COLUMN layout")
    old.execute("ALTER TABLE facts_incidents DROP COLUMN admin1_from")
    old.close()

    analytics_db.build(["nl_reports"])

    assert facts("SELECT count(*) FROM facts WHERE unit = 'incident'") == [(6,)]
    assert facts(
        "SELECT count(*) FROM information_schema.columns "
        "WHERE table_name = 'facts_incidents' AND column_name = 'admin1_from'"
    ) == [(1,)]
    assert facts("SELECT layout FROM meta") == [(analytics_db.LAYOUT,)]


def test_only_the_latest_vintage_is_current_and_every_vintage_is_counted(
    settings: Any, tmp_path: Path
) -> None:
    settings.ANALYTICS_DIR = tmp_path / "analytics"
    old = release("who-ssa", vintage=datetime.date(2024, 1, 1))
    for number, year in enumerate((2022, 2023, 2023), start=1):
        record(old, f"w-{number}", date=datetime.date(year, 3, 1))
    new = release("who-ssa", vintage=datetime.date(2024, 6, 1))
    for number, year in enumerate((2022, 2023, 2023, 2023), start=1):
        record(new, f"w-{number}", date=datetime.date(year, 3, 1))
    mirror.refresh_all()
    analytics_db.build()

    assert facts("SELECT count(*) FROM facts WHERE unit = 'record'") == [(4,)]
    assert facts("SELECT release_id, year, records FROM vintage_counts ORDER BY 1, 2") == [
        (old.pk, 2022, 1),
        (old.pk, 2023, 2),
        (new.pk, 2022, 1),
        (new.pk, 2023, 3),
    ]


def test_a_record_published_in_two_products_of_its_source_counts_once(settings: Any, tmp_path: Path) -> None:
    settings.ANALYTICS_DIR = tmp_path / "analytics"
    world = release("insecurity-insight", product="global", vintage=datetime.date(2024, 1, 1))
    country = release("insecurity-insight", product="myanmar", vintage=datetime.date(2024, 2, 1))
    record(world, "SIND-1", country="MMR")
    record(world, "SIND-2", country="UKR")
    record(country, "SIND-1", country="MMR")
    mirror.refresh_all()
    analytics_db.build()

    rows = facts("SELECT source_id, release_id FROM facts WHERE unit = 'record' ORDER BY 1")
    assert rows == [("SIND-1", country.pk), ("SIND-2", world.pk)]


def test_rebuilding_one_part_copies_the_others(settings: Any, tmp_path: Path) -> None:
    known = build_analytics(settings, tmp_path)
    before = analytics_db.generation()
    merge_incidents(None, known.incidents["ssa-4"], known.incidents["ii-3"])

    analytics_db.build(["records"])  # the registry is not read again: still six incidents
    assert facts("SELECT count(*) FROM facts WHERE unit = 'incident'") == [(6,)]
    assert analytics_db.generation() != before

    analytics_db.build(["incidents"])
    assert facts("SELECT count(*) FROM facts WHERE unit = 'incident'") == [(5,)]
    assert facts("SELECT count(*) FROM facts WHERE unit = 'record'") == [(8,)]


def test_a_failed_build_leaves_the_current_file_as_it_was(settings: Any, tmp_path: Path) -> None:
    build_analytics(settings, tmp_path)
    before = analytics_db.generation()
    broken = mirror.mirror_dir() / "records-999999.parquet"
    broken.write_bytes(b"not parquet at all")
    (mirror.mirror_dir() / "releases.parquet").write_bytes(b"nor this")

    with pytest.raises(analytics_db.AnalyticsError, match="cannot build"):
        analytics_db.build(["records"])

    assert analytics_db.generation() == before
    assert facts("SELECT count(*) FROM facts") == [(14,)]
    assert not list(mirror.mirror_dir().glob("*.partial"))


def test_an_unknown_part_is_refused_by_name(settings: Any, tmp_path: Path) -> None:
    settings.ANALYTICS_DIR = tmp_path / "analytics"
    with pytest.raises(analytics_db.AnalyticsError, match=r"unknown part.*everything.*records, incidents"):
        analytics_db.build(["everything"])


def test_without_a_file_the_error_says_how_to_make_one(settings: Any, tmp_path: Path) -> None:
    settings.ANALYTICS_DIR = tmp_path / "empty"
    with pytest.raises(analytics_db.AnalyticsError, match="refresh_analytics"):
        analytics_db.connection()
    assert analytics_db.generation() == "none"
    assert analytics_db.built_at() is None


def test_an_empty_installation_builds_an_empty_database(settings: Any, tmp_path: Path) -> None:
    settings.ANALYTICS_DIR = tmp_path / "analytics"
    built = analytics_db.build()
    assert (built.records, built.incidents, built.nl_reports) == (0, 0, 0)
    assert facts("SELECT count(*) FROM facts") == [(0,)]


def test_readers_see_a_new_file_once_it_is_in_place(settings: Any, tmp_path: Path) -> None:
    known = build_analytics(settings, tmp_path)
    held = analytics_db.connection()
    incident(record(release("awsd", product="extra"), "late-1", country="SDN"))
    mirror.refresh_all()
    analytics_db.build()

    assert analytics_db.connection() is not held
    assert facts("SELECT count(*) FROM facts WHERE country_iso3 = 'SDN'") == [(2,)]
    assert known.records["ssa-1"].pk


def test_the_command_builds_and_reports_what_it_holds(settings: Any, tmp_path: Path, capsys: Any) -> None:
    build_analytics(settings, tmp_path)
    call_command("refresh_analytics", "--quiet", "--mirror")
    assert "8 records, 6 incidents, 0 meldpunt reports" in capsys.readouterr().out
    with pytest.raises(CommandError, match="invalid choice: 'everything'"):
        call_command("refresh_analytics", "--part", "everything")


@pytest.mark.django_db(transaction=True)
def test_the_worker_builds_the_parts_asked_for(settings: Any, tmp_path: Path, restore_signals: Any) -> None:
    build_analytics(settings, tmp_path)
    queued = refresh_analytics.enqueue(parts=["incidents"])
    run_worker()
    result = DBTaskResult.objects.get(pk=queued.id)
    assert result.status == "SUCCESSFUL"
    value: dict[str, Any] = result.return_value or {}
    assert (value["status"], value["records"], value["incidents"], value["parts"]) == (
        "done",
        8,
        6,
        ["incidents"],
    )


def waiting_refreshes() -> list[list[str]]:
    return [
        row.args_kwargs["kwargs"]["parts"]
        for row in DBTaskResult.objects.filter(task_path=refresh_analytics.module_path, status="READY")
    ]


def test_asking_twice_for_the_same_refresh_queues_it_once() -> None:
    assert request_refresh(["incidents"]) is True
    assert request_refresh(["incidents"]) is False
    assert request_refresh(["records"]) is True
    assert sorted(waiting_refreshes()) == [["incidents"], ["records"]]


@pytest.mark.django_db(transaction=True)
def test_a_merge_asks_for_the_incidents_to_be_refreshed() -> None:
    first = incident(record(release("who-ssa"), "a"))
    second = incident(record(release("awsd"), "b"))
    merge_incidents(None, first, second)
    assert waiting_refreshes() == [["incidents"]]


@pytest.mark.django_db(transaction=True)
def test_a_new_meldpunt_report_asks_for_a_gathered_refresh(organisation: Any) -> None:
    from meldpunt.actions import submit_report

    route_everything_to(organisation)
    submit_report(cleaned_report_data())
    submit_report(cleaned_report_data())
    queued = DBTaskResult.objects.filter(task_path=refresh_analytics.module_path, status="READY")
    assert [row.args_kwargs["kwargs"]["parts"] for row in queued] == [["nl_reports"]]
    assert queued[0].run_after > queued[0].enqueued_at


def test_meldpunt_reports_are_copied_without_free_text_or_identity(
    settings: Any, tmp_path: Path, organisation: Any
) -> None:
    from meldpunt.actions import submit_report

    settings.ANALYTICS_DIR = tmp_path / "analytics"
    route_everything_to(organisation)
    submit_report(cleaned_report_data())
    analytics_db.build()

    columns = {
        row[0]
        for row in facts("SELECT column_name FROM information_schema.columns WHERE table_name = 'nl_reports'")
    }
    assert columns == {
        "report_id",
        "year",
        "month",
        "kinds",
        "channel",
        "place",
        "perpetrator",
        "profession",
        "sector",
        "province",
        "status",
        "outcome",
    }
    assert facts("SELECT year, kinds, profession, province FROM nl_reports") == [
        (2025, ["intimidation", "verbal_threat"], "huisarts", "ZE")
    ]


def test_the_build_time_is_kept_as_an_aware_datetime(settings: Any, tmp_path: Path) -> None:
    from django.utils import timezone

    before = timezone.now()
    build_analytics(settings, tmp_path)
    built = analytics_db.built_at()
    assert built is not None and before <= built <= timezone.now()


def test_the_file_is_a_duckdb_database_in_the_analytics_directory(settings: Any, tmp_path: Path) -> None:
    build_analytics(settings, tmp_path)
    path = tmp_path / "analytics" / "analytics.duckdb"
    with duckdb.connect(str(path), read_only=True) as db:
        assert db.execute("SELECT count(*) FROM facts").fetchone() == (14,)
