"""Linkage runs over stored records: incidents built from clusters, numbers kept across runs and vintages,
decisions respected, the review queue filled, failures leaving the registry as it was, and the command."""

from __future__ import annotations

import datetime
import os
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from audit.models import Event
from linkage.actions import RunRefused, link_now, run, start_run
from linkage.decisions import decide
from linkage.frame import record_key
from linkage.models import LinkageRun, ReviewPair
from linkage.synthetic import fixture_rows
from registry.models import Incident, IncidentLink
from sources.models import Record, Release
from tests.incident_helpers import store_fixture

pytestmark = pytest.mark.django_db


def key(of: Record) -> str:
    return record_key(of.release.product.source.slug, of.source_id, of.occurrence)


def incident_of(of: Record) -> Incident:
    return IncidentLink.objects.get(record_key=key(of)).incident


def memberships() -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for incident_id, record_key_ in IncidentLink.objects.values_list("incident_id", "record_key"):
        found.setdefault(incident_id, set()).add(record_key_)
    return found


def test_a_run_builds_one_incident_per_cluster_with_fields_from_the_best_source() -> None:
    stored, truth = store_fixture()
    finished = link_now()
    assert finished.status == LinkageRun.Status.DONE
    active = Incident.objects.filter(status=Incident.Status.ACTIVE)
    assert active.count() == finished.figures["clusters"] == finished.figures["incidents_created"]
    izium = [stored[number] for number, event in truth.items() if event == 1]
    incident = incident_of(izium[0])
    assert {link.source for link in incident.links.all()} == {"who-ssa", "insecurity-insight", "acled"}
    assert incident.sources == ["acled", "insecurity-insight", "who-ssa"]
    assert (incident.event_date, incident.date_from) == (datetime.date(2022, 3, 10), "who-ssa")
    # WHO SSA publishes no place: the place comes from the next source in the order that has coordinates.
    assert incident.place_from == "insecurity-insight" and incident.latitude == pytest.approx(49.2103)
    assert incident.figures["people_killed"] == {
        "value": 2,
        "source": "who-ssa",
        "by_source": {"acled": 3, "who-ssa": 2},
    }
    assert incident.figures["health_workers_killed"]["source"] == "insecurity-insight"
    assert set(incident.attack_families) == {"heavy_weapons"}
    assert Event.objects.filter(action="linkage.run_started").count() == 1
    assert Event.objects.filter(action="linkage.run_finished").count() == 1
    # The record without a date is in no incident.
    undated = next(r for r in stored.values() if r.event_date is None)
    assert not IncidentLink.objects.filter(record_key=key(undated)).exists()


def test_running_again_over_the_same_records_changes_nothing() -> None:
    store_fixture()
    link_now()
    before = memberships()
    again = link_now()
    assert memberships() == before
    assert again.figures["incidents_created"] == again.figures["incidents_retired"] == 0
    assert again.figures["links_written"] == 0


def test_a_new_vintage_keeps_the_incident_numbers_of_clusters_that_persist() -> None:
    stored, truth = store_fixture()
    link_now()
    before = {number: incident_of(found).pk for number, found in stored.items() if found.event_date}
    # A new vintage of the II product: every record again, except one withdrawn (the Nigeria record of
    # incident 10), and with a record's description reworded.
    old = next(
        found.release
        for found in stored.values()
        if found.release.product.source.slug == "insecurity-insight"
    )
    newer = Release.objects.create(
        product=old.product,
        file_name="ii-newer.csv",
        file_size=1,
        sha256="f" * 64,
        file_format="csv",
        vintage_date=datetime.date(2024, 6, 1),
        importer="insecurity-insight",
        importer_version="1",
        crosswalks_version=1,
    )
    nigeria = next(n for n, event in truth.items() if event == 10 and stored[n].release_id == old.pk)
    for number, found in stored.items():
        if found.release_id != old.pk or number == nigeria:
            continue
        copy = Record.objects.get(pk=found.pk)
        copy.pk = None
        copy.release = newer
        copy.previous_id = found.pk
        copy.change = Record.Change.UNCHANGED
        copy.save()
    second = link_now()
    assert second.figures["incidents_retired"] == 0
    for number, found in stored.items():
        if found.event_date is None or number == nigeria:
            continue
        link = IncidentLink.objects.get(record_key=key(found))
        assert link.incident_id == before[number], f"fixture record {number} moved"
        if found.release_id == old.pk:
            assert (
                link.record is not None and link.record.release_id == newer.pk
            )  # follows the latest vintage
    assert not IncidentLink.objects.filter(record_key=key(stored[nigeria])).exists()
    assert Incident.objects.get(pk=before[nigeria]).sources == ["who-ssa"]


def test_the_next_run_respects_reviewers_decisions() -> None:
    stored, truth = store_fixture()
    link_now()
    izium = [stored[number] for number, event in truth.items() if event == 1]
    ssa, ii = izium[0], izium[1]
    decide(None, key(ssa), key(ii), "different")
    link_now()
    assert incident_of(ssa).pk != incident_of(ii).pk


def test_the_next_run_links_a_pair_a_reviewer_called_the_same() -> None:
    stored, truth = store_fixture()
    link_now()
    # WHO SSA's record of the paramedic abducted in Kherson (no place) and Insecurity Insight's report of
    # it: the model is unsure (another SSA record of that day is a candidate too); a reviewer who knows says
    # they are one.
    ssa, ii = (stored[n] for n, event in truth.items() if event == 4)
    assert incident_of(ssa).pk != incident_of(ii).pk
    decide(None, key(ssa), key(ii), "same")
    assert incident_of(ssa).pk == incident_of(ii).pk  # applied at once
    again = link_now()
    assert incident_of(ssa).pk == incident_of(ii).pk  # and kept by the next run
    assert again.figures["decisions_same"] == 1
    links = IncidentLink.objects.filter(record_key__in=[key(ssa), key(ii)])
    assert IncidentLink.How.DECISION in {link.how for link in links}


def test_uncertain_pairs_go_to_the_review_queue_with_what_agrees() -> None:
    stored, truth = store_fixture()
    finished = link_now()
    queued = ReviewPair.objects.filter(run=finished, kind=ReviewPair.Kind.UNCERTAIN)
    assert queued.count() == finished.figures["review_pairs"] > 0
    by_key = {key(found): truth[number] for number, found in stored.items()}
    pair = next(found for found in queued if by_key[found.key_a] == by_key[found.key_b] == 4)
    assert 0.5 <= pair.probability < 0.975
    # WHO SSA's abducted paramedic and Insecurity Insight's report of it: same day, same kind of attack, but
    # SSA has no place and another SSA record of that day competes.
    sources = {pair.key_a.split(":")[0], pair.key_b.split(":")[0]}
    assert sources == {"who-ssa", "insecurity-insight"}
    assert pair.agreement["date"]["level"] == "same day" and pair.agreement["date"]["agrees"] is True
    assert pair.agreement["latitude_longitude"]["agrees"] is None  # WHO SSA has no coordinates
    assert pair.agreement["claims"]["agrees"] is None  # neither names another source
    assert ReviewPair.objects.filter(run=finished, kind=ReviewPair.Kind.DUPLICATE).count() == 1


def test_a_failed_run_is_recorded_and_leaves_the_registry_as_it_was(tmp_path: Path) -> None:
    store_fixture()
    link_now()
    before = memberships()
    config = tmp_path / "linkage.yaml"
    shutil.copy(Path(__file__).parents[1] / "linkage" / "linkage.yaml", config)
    queued = start_run(None, config=config)
    config.write_text("thresholds: [\n", encoding="utf-8")  # broken after the run was queued
    with pytest.raises(Exception, match="not valid YAML"):
        run(queued.pk)
    queued.refresh_from_db()
    assert queued.status == LinkageRun.Status.FAILED and "not valid YAML" in queued.error
    assert memberships() == before


def test_only_one_run_at_a_time_and_bad_settings_are_refused(tmp_path: Path) -> None:
    start_run(None)
    with pytest.raises(RunRefused, match="still queued"):
        start_run(None)
    LinkageRun.objects.update(status=LinkageRun.Status.DONE)
    bad = tmp_path / "bad.yaml"
    bad.write_text("thresholds:\n  review: 0.99\n", encoding="utf-8")
    with pytest.raises(RunRefused, match=r"thresholds.review: expected a number from 0.0 to 0.975"):
        start_run(None, config=bad)


def test_the_link_command_prints_what_it_did_and_refuses_a_missing_settings_file(tmp_path: Path) -> None:
    store_fixture()
    out = StringIO()
    call_command("link", "-q", stdout=out)
    text = out.getvalue()
    assert "Linkage run" in text and "incidents" in text and "pairs to review" in text
    with pytest.raises(CommandError, match="no such file"):
        call_command("link", "--config", str(tmp_path / "missing.yaml"), "-q")


def _spark_available() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -e '.[spark]')"
    if shutil.which("java") is None:
        return "no Java runtime on PATH (Spark needs Java 17 or newer)"
    return None


def test_spark_and_duckdb_give_the_same_clusters_on_the_fixture() -> None:
    from linkage.frame import frame_from_rows
    from linkage.options import load_options
    from linkage.pipeline import link

    missing = _spark_available()
    if missing:
        if os.environ.get("ZORGVEILIG_REQUIRE_SPARK"):
            pytest.fail(f"ZORGVEILIG_REQUIRE_SPARK is set but {missing}")
        pytest.skip(missing)
    rows, _truth = fixture_rows()
    frame = frame_from_rows(rows)
    duckdb = link(frame, load_options(backend="duckdb"))
    spark = link(frame, load_options(backend="spark"))
    assert spark.clusters == duckdb.clusters
    assert [(d.uid_a, d.uid_b) for d in spark.duplicates] == [(d.uid_a, d.uid_b) for d in duckdb.duplicates]
    assert {(r.uid_a, r.uid_b) for r in spark.review} == {(r.uid_a, r.uid_b) for r in duckdb.review}


def test_a_handful_of_records_without_a_same_day_pair_still_links() -> None:
    # The prior is estimated from same-day pairs; with none, training used to give 0 and scoring failed on
    # log(0). The starting value stays instead, and the run says so.
    from tests.incident_helpers import record, release

    record(release("who-ssa"), "w-1", date=datetime.date(2024, 5, 1), country="SDN")
    record(release("awsd"), "a-1", date=datetime.date(2024, 5, 3), country="SDN")
    record(release("acled"), "c-1", date=datetime.date(2024, 7, 9), country="UKR")

    finished = link_now()

    assert finished.status == LinkageRun.Status.DONE
    assert "prior skipped: too few records for the rule" in finished.figures["trained"]
    assert Incident.objects.filter(status=Incident.Status.ACTIVE).count() in (2, 3)


def test_two_records_of_one_attack_link_without_a_trained_prior() -> None:
    from tests.incident_helpers import record, release

    first = record(release("who-ssa"), "w-1", date=datetime.date(2024, 5, 1), country="SDN")
    second = record(release("awsd"), "a-1", date=datetime.date(2024, 5, 1), country="SDN")

    finished = link_now()

    assert finished.status == LinkageRun.Status.DONE
    assert "prior skipped: too few records for the rule" in finished.figures["trained"]
    assert incident_of(first).pk and incident_of(second).pk


@pytest.mark.django_db(transaction=True)
def test_a_field_report_release_queues_a_linkage_run_and_a_dataset_release_does_not() -> None:
    from django_tasks_db.models import DBTaskResult

    from linkage.tasks import run_linkage
    from sources.signals import release_imported
    from tests.incident_helpers import release

    release_imported.send(sender=Release, release=release("who-ssa"))
    assert not LinkageRun.objects.exists()

    release_imported.send(sender=Release, release=release("local", product="field-reports"))
    release_imported.send(sender=Release, release=release("local", product="field-reports"))

    assert list(LinkageRun.objects.values_list("status", flat=True)) == [LinkageRun.Status.QUEUED]
    assert DBTaskResult.objects.filter(task_path=run_linkage.module_path).count() == 1
