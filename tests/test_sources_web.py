"""The dataset pages: releases with their vintage differences, quarantine and its CSV, imports from the web
run by the real background worker. Permissions per page are in tests/test_role_matrix.py."""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.translation import override
from django_tasks_db.models import DBTaskResult

from accounts.roles import Role
from audit.models import Event
from jobs.models import TaskProgress
from sources import actions
from sources.models import Aggregate, ImportRequest, MappingProfile, Product, Release, Source
from sources.releases import import_file
from sources.views import differences, spreadsheet_safe, vintage_chart
from tests.conftest import MakeMember, login_verified, run_worker
from tests.sources_helpers import FIXTURES, REAL_DATA, csv_rows, database_counts, write_csv

SSA = FIXTURES / "who_ssa_attacks.csv"
HEADER = csv_rows(SSA)[0]
DAY = datetime.date(2024, 3, 8)


def url(name: str, *args: object) -> str:
    with override("en"):
        return reverse(name, args=args)


def ssa_row(
    attack_id: str, *, date: str = "2023-05-02", injured: str = "0", country: str = "Ukraine"
) -> list[str]:
    row = ["" for _ in HEADER]
    values = {
        "Attack ID": attack_id,
        "Attack Date": date,
        "Attack Time": "Time Unknown",
        "Country / Territory": country,
        "Certainty Level": "Confirmed",
        "Attack Type": " Other",
        "Total Injured": injured,
        "Total Death": "0",
    }
    for header, value in values.items():
        row[HEADER.index(header)] = value
    return row


def vintage_file(tmp_path: Path, name: str, *rows: list[str], header: list[str] = HEADER) -> Path:
    return write_csv(tmp_path / name, [header, *rows])


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path) -> Path:
    """Uploads wait in a data directory of this test's own."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    return Path(settings.DATA_DIR)


@pytest.fixture
def analyst(client: Client, make_member: MakeMember) -> Client:
    return login_verified(client, make_member(Role.ANALYST))


def upload(client: Client, path: Path, **fields: str) -> Any:
    with path.open("rb") as handle:
        return client.post(url("sources:import"), {"source": "who-ssa", **fields, "file": handle})


def stored_files(data_dir: Path) -> list[Path]:
    return [path for path in (data_dir / "imports").rglob("*") if path.is_file()]


# Imports through the background worker ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("restore_signals")
def test_upload_is_imported_by_the_worker_with_its_counts_and_progress(
    analyst: Client, data_dir: Path
) -> None:
    response = upload(analyst, SSA, vintage="2024-03-08")
    request = ImportRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == url("sources:import_request", request.pk)
    assert request.status == ImportRequest.Status.QUEUED
    assert [path.name for path in stored_files(data_dir)] == ["who_ssa_attacks.csv"]
    queued = analyst.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 2s"' in queued and 'http-equiv="refresh"' in queued

    run_worker()

    request.refresh_from_db()
    assert request.status == ImportRequest.Status.DONE and request.finished_at is not None
    release = request.release
    assert release is not None and release.file_name == "who_ssa_attacks.csv"
    assert (release.rows_imported, release.rows_quarantined, release.vintage_date) == (4, 4, DAY)
    assert release.imported_by is not None and release.imported_by.get_username().startswith("analyst")
    assert stored_files(data_dir) == []  # the upload is deleted; the release keeps its SHA-256
    progress = TaskProgress.objects.get(result_id=request.task_result_id)
    assert progress.done == progress.total == 4

    page = analyst.get(url("sources:import_request", request.pk)).content.decode()
    assert f"Imported as release {release.pk}: 4 rows imported, 4 quarantined." in page
    assert "hx-trigger" not in page and "http-equiv" not in page
    tasks = analyst.get(url("jobs:list")).content.decode()
    assert f"Imported 4 rows as release {release.pk}; 4 rows quarantined" in tasks

    events = {event.action: event for event in Event.objects.filter(action__startswith="sources.import")}
    assert events["sources.import_requested"].details["source"] == "who-ssa"
    assert events["sources.import_finished"].details == {
        "release": release.pk,
        "status": "done",
        "task_result": request.task_result_id,
    }
    assert not any("who_ssa_attacks" in str(event.details) for event in events.values())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("restore_signals")
def test_a_bad_file_fails_with_its_message_and_leaves_the_data_as_it_was(
    analyst: Client, data_dir: Path, tmp_path: Path
) -> None:
    import_file("who-ssa", SSA, vintage=DAY)
    before = {name: count for name, count in database_counts().items() if name != "audit"}
    bad = write_csv(tmp_path / "other.csv", [["Name", "Value"], ["a", "1"]])
    upload(analyst, bad, vintage="2024-04-01")
    run_worker()

    request = ImportRequest.objects.get()
    assert request.status == ImportRequest.Status.FAILED and request.release is None
    assert "missing column(s) 'Attack ID'" in request.error
    assert {name: count for name, count in database_counts().items() if name != "audit"} == before
    assert stored_files(data_dir) == []
    page = analyst.get(url("sources:import_request", request.pk)).content.decode()
    assert "The file was not imported" in page and "missing column(s) &#x27;Attack ID&#x27;" in page
    tasks = analyst.get(url("jobs:list")).content.decode()
    assert "Import failed: missing column(s)" in tasks


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("restore_signals")
def test_the_same_file_twice_is_already_imported(analyst: Client, data_dir: Path, tmp_path: Path) -> None:
    first = import_file("who-ssa", SSA, vintage=DAY).release
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(SSA.read_bytes())
    upload(analyst, copy, vintage="2025-01-01")
    run_worker()

    request = ImportRequest.objects.get()
    assert request.status == ImportRequest.Status.ALREADY_IMPORTED and request.release == first
    assert Release.objects.count() == 1
    page = analyst.get(url("sources:import_request", request.pk)).content.decode()
    assert (
        f"This file was already imported as release {first.pk} (vintage 2024-03-08); nothing changed." in page
    )
    assert "Already imported as release" in analyst.get(url("jobs:list")).content.decode()


@pytest.mark.django_db
def test_the_import_request_page_reads_the_progress_of_a_running_import(
    analyst: Client, data_dir: Path
) -> None:
    uploaded = SimpleUploadedFile("who_ssa_attacks.csv", SSA.read_bytes())
    request = actions.request_import(uploaded, source="who-ssa", vintage=DAY)
    ImportRequest.objects.filter(pk=request.pk).update(status=ImportRequest.Status.RUNNING)
    folder = actions.stored_folder(request)
    assert folder is not None
    (folder / actions.PROGRESS_FILE).write_text('{"done": 3, "total": 9}')
    page = analyst.get(url("sources:import_request", request.pk), headers={"HX-Request": "true"})
    html = page.content.decode()
    assert 'max="9" value="3"' in html and "3 of 9 rows" in html
    assert '<div id="import-status" hx-get=' in html and "<h1>" not in html


# The import form ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_oversized_upload_is_refused_before_it_is_stored(
    analyst: Client, data_dir: Path, settings: Any
) -> None:
    settings.SOURCES_IMPORT_MAX_MB = 1
    big = data_dir.parent / "big.csv"
    big.write_bytes(b"Attack ID\n" + b"x" * (1024 * 1024 + 10))
    response = upload(analyst, big, vintage="2024-03-08")
    assert response.status_code == 400
    assert "The file is larger than 1 MB" in response.content.decode()
    assert not ImportRequest.objects.exists() and not DBTaskResult.objects.exists()
    assert not (data_dir / "imports").exists() or stored_files(data_dir) == []


@pytest.mark.django_db
def test_the_form_needs_a_source_or_a_profile_of_that_source(analyst: Client, data_dir: Path) -> None:
    response = upload(analyst, SSA, source="")
    assert response.status_code == 400
    assert "Choose the source of the file, or a mapping profile." in response.content.decode()
    profile = MappingProfile.objects.create(slug="partner", name="Partner sheet", source_slug="partner-ngo")
    response = upload(analyst, SSA, profile=str(profile.pk))
    assert response.status_code == 400
    assert "This mapping profile is for source partner-ngo, not who-ssa." in response.content.decode()
    response = upload(analyst, SSA, product="Bad Product")
    assert "Use lowercase letters, digits and hyphens only" in response.content.decode()
    assert not ImportRequest.objects.exists()


@pytest.mark.django_db
def test_a_profile_alone_names_the_source(analyst: Client, data_dir: Path) -> None:
    profile = MappingProfile.objects.create(slug="partner", name="Partner sheet", source_slug="partner-ngo")
    response = upload(analyst, SSA, source="", profile=str(profile.pk))
    assert response.status_code == 302
    request = ImportRequest.objects.get()
    assert (request.source_slug, request.profile) == ("partner-ngo", profile)


@pytest.mark.django_db
def test_an_unknown_source_is_refused_and_nothing_is_stored(data_dir: Path) -> None:
    with pytest.raises(actions.ImportRefused, match="no importer for source 'acme'"):
        actions.request_import(SimpleUploadedFile("a.csv", b"x"), source="acme")
    assert not ImportRequest.objects.exists() and stored_files(data_dir) == []


@pytest.mark.django_db
def test_the_import_form_checks_the_csrf_token(make_member: MakeMember, data_dir: Path) -> None:
    client = login_verified(Client(enforce_csrf_checks=True), make_member(Role.ANALYST))
    assert upload(client, SSA, vintage="2024-03-08").status_code == 403
    assert not ImportRequest.objects.exists()


def test_upload_names_lose_their_folders_and_control_characters() -> None:
    assert actions.safe_file_name("../../etc/passwd") == "passwd"
    assert actions.safe_file_name("C:\\data\\ssa 2024-03-08.xlsx") == "ssa 2024-03-08.xlsx"
    assert actions.safe_file_name("a\x00b\nc.csv") == "abc.csv"
    assert actions.safe_file_name("..") == "upload"
    long = actions.safe_file_name("x" * 300 + ".xlsx")
    assert len(long) == actions.MAX_NAME_LENGTH and long.endswith(".xlsx")


# Quarantine ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_quarantine_csv_has_the_rows_as_they_came_and_no_formulas(analyst: Client, tmp_path: Path) -> None:
    header = [*HEADER, "=HYPERLINK(evil)"]
    rows = [
        [*ssa_row("A1"), ""],
        [*ssa_row("A2", date="=1+2"), "@SUM(A1)"],
        [*ssa_row("-A3", country="Atlantis"), "tëxt"],
    ]
    release = import_file(
        "who-ssa", vintage_file(tmp_path, "v1.csv", *rows, header=header), vintage=DAY
    ).release
    assert release.rows_quarantined == 2
    response = analyst.get(url("sources:quarantine_csv", release.pk))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert "who-ssa-dashboard-report-2024-03-08-quarantine.csv" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]
    assert body.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(body[1:])))
    assert lines[0][:6] == ["file name", "row", "column", "value", "reason", "source id"]
    assert lines[0][6:] == [*HEADER, "'=HYPERLINK(evil)"]
    assert lines[1][:4] == ["v1.csv", "3", "Attack Date", "'=1+2"]
    assert lines[1][5] == "A2" and lines[1][6] == "A2" and lines[1][-1] == "'@SUM(A1)"
    assert lines[2][3:6] == ["Atlantis", lines[2][4], "'-A3"] and lines[2][-1] == "tëxt"
    assert all(not cell.startswith(("=", "+", "-", "@")) for line in lines for cell in line)

    page = analyst.get(url("sources:release_quarantine", release.pk)).content.decode()
    assert "correct the file and import it again as a new vintage" in page
    assert "=1+2" in page and "Atlantis" in page and "@SUM(A1)" in page


def test_spreadsheet_safe_quotes_every_formula_start() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert spreadsheet_safe(f"{start}1") == f"'{start}1"
    assert spreadsheet_safe("1-2") == "1-2" and spreadsheet_safe("") == ""


# Releases and vintage differences -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_vintage_differences_list_added_changed_and_withdrawn_rows(analyst: Client, tmp_path: Path) -> None:
    old = vintage_file(tmp_path, "v1.csv", ssa_row("A1"), ssa_row("A2"), ssa_row("A3"))
    new = vintage_file(tmp_path, "v2.csv", ssa_row("A1"), ssa_row("A2", injured="5"), ssa_row("A5"))
    first = import_file("who-ssa", old, vintage=datetime.date(2024, 1, 1)).release
    second = import_file("who-ssa", new, vintage=datetime.date(2024, 2, 1)).release

    added = analyst.get(url("sources:release_differences", second.pk, "added")).content.decode()
    assert "A5" in added and ">A1<" not in added
    changed = analyst.get(url("sources:release_differences", second.pk, "changed")).content.decode()
    assert "A2" in changed and "Total Injured" in changed
    assert "<del>0</del>" in changed and "<ins>5</ins>" in changed and "Total Death" not in changed
    withdrawn = analyst.get(url("sources:release_differences", second.pk, "withdrawn")).content.decode()
    assert "A3" in withdrawn and "A5" not in withdrawn

    detail = analyst.get(url("sources:release", second.pk)).content.decode()
    assert second.sha256 in detail and url("sources:release", first.pk) in detail
    overview = analyst.get(url("sources:releases")).content.decode()
    assert overview.count('class="bar-withdrawn"') == 1 and overview.count('class="bar-added"') == 2
    assert f'title="SHA-256 {first.sha256}"' in overview and first.sha256[:12] + "…" in overview
    assert "2024-01-01" in overview and "2024-02-01" in overview
    first_detail = analyst.get(url("sources:release", first.pk)).content.decode()
    assert url("sources:release", second.pk) in first_detail  # the next vintage


def test_changed_columns_are_matched_by_header_not_position() -> None:
    found = differences(["ID", "Injured", "Killed"], ["A", 5, 0], ["id ", "Killed", "Injured"], ["A", 0, 0.0])
    assert [(d.header, d.before, d.after) for d in found] == [("Injured", "0", "5")]
    renamed = differences(["ID", "Deaths"], ["A", 1], ["ID", "Killed"], ["A", 1])
    assert [(d.header, d.before, d.after) for d in renamed] == [("Deaths", "", "1"), ("Killed", "1", "")]


def test_vintage_chart_puts_withdrawn_rows_below_the_line_on_one_scale() -> None:
    releases = [
        Release(pk=1, vintage_date=datetime.date(2024, 1, 1), added=100),
        Release(
            pk=2, vintage_date=datetime.date(2024, 2, 1), unchanged=50, changed=25, added=25, withdrawn=50
        ),
    ]
    chart = vintage_chart(releases)
    first, second = chart.bars
    assert [s.css for s in first.segments] == ["bar-added"]
    assert first.segments[0].height == pytest.approx(100)  # 150 px for 100 rows + 50 withdrawn
    assert [s.css for s in second.segments] == ["bar-unchanged", "bar-changed", "bar-added", "bar-withdrawn"]
    withdrawn = second.segments[-1]
    assert withdrawn.y == chart.baseline and withdrawn.height == pytest.approx(50)
    assert second.label == "2024-02-01" and "50 ingetrokken" in second.summary  # Dutch by default


@pytest.mark.django_db
def test_records_are_listed_by_page(analyst: Client, tmp_path: Path) -> None:
    rows = [ssa_row(f"R{number:03}") for number in range(1, 61)]
    release = import_file("who-ssa", vintage_file(tmp_path, "v1.csv", *rows), vintage=DAY).release
    first = analyst.get(url("sources:release_records", release.pk)).content.decode()
    assert "R001" in first and "R050" in first and "R051" not in first and "Page 1 of 2" in first
    second = analyst.get(url("sources:release_records", release.pk) + "?page=2").content.decode()
    assert "R060" in second and "UKR" in second


@pytest.mark.django_db
def test_unknown_ids_and_kinds_are_not_found(analyst: Client) -> None:
    release = import_file("who-ssa", SSA, vintage=DAY).release
    assert analyst.get(url("sources:release", release.pk + 1)).status_code == 404
    assert analyst.get(url("sources:quarantine_csv", release.pk + 1)).status_code == 404
    assert analyst.get(url("sources:release_differences", release.pk, "unchanged")).status_code == 404
    assert analyst.get(url("sources:import_request", 999)).status_code == 404


@pytest.mark.django_db
def test_pages_render_in_dutch_by_default_and_in_english(analyst: Client) -> None:
    release = import_file("who-ssa", SSA, vintage=DAY).release
    for name, args in [
        ("sources:releases", ()),
        ("sources:release", (release.pk,)),
        ("sources:release_records", (release.pk,)),
        ("sources:release_differences", (release.pk, "added")),
        ("sources:release_quarantine", (release.pk,)),
        ("sources:import", ()),
        ("sources:import_requests", ()),
    ]:
        with override("nl"):
            dutch = reverse(name, args=args)
        assert not dutch.startswith("/en/")
        page = analyst.get(dutch)
        assert page.status_code == 200 and '<html lang="nl">' in page.content.decode(), dutch
        english = analyst.get(url(name, *args))
        assert english.status_code == 200 and '<html lang="en">' in english.content.decode()


@pytest.mark.django_db
def test_a_viewer_gets_no_dataset_page(client: Client, make_member: MakeMember) -> None:
    login_verified(client, make_member(Role.VIEWER))
    assert client.get(url("sources:releases")).status_code == 403
    assert client.get(url("sources:import")).status_code == 403


# The real sample files (../shared/data, never copied into the repository) ------------------------------------

SSA_FILE = REAL_DATA / "who_ssa" / "ssa-dashboard-report_data_20240308.xlsx"
SHCC_FILE = REAL_DATA / "shcc" / "2022-shcc-incident-data.xlsx"


@pytest.mark.skipif(
    not (SSA_FILE.exists() and SHCC_FILE.exists()),
    reason=f"the WHO SSA and SHCC 2022 sample files are not at {SSA_FILE} and {SHCC_FILE}",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("restore_signals")
def test_the_real_files_import_from_the_web_and_their_pages_show_them(
    analyst: Client, data_dir: Path
) -> None:
    upload(analyst, SSA_FILE)
    upload(analyst, SHCC_FILE, source="shcc")
    run_worker()

    ssa, shcc = ImportRequest.objects.order_by("pk")
    assert (ssa.status, shcc.status) == (ImportRequest.Status.DONE, ImportRequest.Status.DONE)
    assert ssa.release is not None and shcc.release is not None
    assert (ssa.release.rows_imported, ssa.release.rows_quarantined) == (6425, 0)
    assert ssa.release.vintage_date == datetime.date(2024, 3, 8)  # from the file name
    assert (shcc.release.rows_imported, shcc.release.vintage_label) == (1989, "v. May 2023")
    assert TaskProgress.objects.get(result_id=ssa.task_result_id).done == 6425
    assert stored_files(data_dir) == []

    overview = analyst.get(url("sources:releases")).content.decode()
    assert "dashboard-report" in overview and "incident-data-2022" in overview
    records = analyst.get(url("sources:release_records", shcc.release.pk) + "?page=40").content.decode()
    assert "Page 40 of 40" in records
    detail = analyst.get(url("sources:release", shcc.release.pk)).content.decode()
    assert "v. May 2023" in detail and "#affected +healthworker +arrested" in detail


@pytest.mark.django_db
def test_an_aggregate_product_lists_its_country_totals(analyst: Client) -> None:
    source = Source.objects.create(slug="shcc", name="SHCC")
    product = Product.objects.create(source=source, slug="overview-2021", kind=Product.Kind.AGGREGATES)
    release = Release.objects.create(
        product=product,
        file_name="2021-shcc-overview-data.xlsx",
        file_size=1,
        sha256="a" * 64,
        file_format="xlsx",
        vintage_date=datetime.date(2022, 5, 1),
        importer="shcc_overview",
        importer_version="1",
        crosswalks_version=1,
        headers=["Country", "Incidents"],
        rows_imported=1,
        added=1,
    )
    Aggregate.objects.create(
        release=release,
        row_number=2,
        source_id="Myanmar 2021",
        content_hash="b" * 64,
        raw=["Myanmar", 317],
        change="added",
        country_iso3="MMR",
        period_start=datetime.date(2021, 1, 1),
        period_precision="year",
        events=317,
    )
    page = analyst.get(url("sources:release_records", release.pk)).content.decode()
    assert "Myanmar 2021" in page and "MMR" in page and "2021-01-01" in page and ">317<" in page
    assert analyst.get(url("sources:release_differences", release.pk, "added")).status_code == 200
    assert "overview-2021" in analyst.get(url("sources:releases")).content.decode()
