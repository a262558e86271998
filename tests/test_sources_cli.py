"""`zorgveilig import SOURCE FILE`: summary of the counts, already-imported notice, one clear error."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sources.models import Release
from tests.sources_helpers import FIXTURES, database_counts

pytestmark = pytest.mark.django_db

SSA = FIXTURES / "who_ssa_attacks.csv"


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_prints_the_counts_and_the_quarantined_rows() -> None:
    out, err = run("who-ssa", str(SSA), "--vintage", "2024-03-08")
    release = Release.objects.get()
    assert (
        f"Imported who_ssa_attacks.csv as release {release.pk}: who-ssa/dashboard-report, vintage 2024-03-08"
        in out
    )
    assert "8 read, 4 imported, 4 quarantined, 1 blank skipped, 1 with warnings" in out
    assert "4 added, 0 changed, 0 unchanged, 0 withdrawn" in out
    assert "row 5, column 'Attack Date': '03/04/2022' is not a date in a known form" in out
    assert "Importing who_ssa_attacks.csv" in err  # the progress bar, on standard error


def test_the_same_file_again_says_it_was_already_imported() -> None:
    run("who_ssa", str(SSA), "--vintage", "2024-03-08", "--quiet")
    out, _err = run("who-ssa", str(SSA), "--vintage", "2024-03-08", "--quiet")
    assert f"already imported as release {Release.objects.get().pk}" in out
    assert "nothing changed" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["acme", str(SSA)],
            "no importer for source 'acme' (known sources: acled, awsd, insecurity-insight, inso, shcc, who-ssa)",
        ),
        (["who-ssa", "nowhere.csv"], "nowhere.csv: no such file"),
        (["who-ssa", str(FIXTURES)], "not a file"),
        (["who-ssa", str(FIXTURES / "empty.csv")], "empty.csv: the file is empty (0 bytes)"),
        (
            ["who-ssa", str(FIXTURES / "who_ssa_cp1252.csv"), "--vintage", "2024-01-01"],
            "who_ssa_cp1252.csv: the text is not UTF-8",
        ),
        (["who-ssa", str(SSA)], "who_ssa_attacks.csv: cannot tell the vintage"),
        (["who-ssa", str(SSA), "--profile", "custom"], "--profile custom: no such mapping profile"),
        (["who-ssa", str(SSA), "--option", "year"], "expected KEY=VALUE, got 'year'"),
        (
            ["who-ssa", str(SSA), "--vintage", "2024-03-08", "--option", "year=2021"],
            "the who-ssa importer takes no options (given: year)",
        ),
        (["acled", str(SSA), "--health-rule", "missing.yaml"], "--health-rule missing.yaml: no such file"),
    ],
)
def test_bad_arguments_and_bad_files_exit_1_naming_the_file(args: list[str], message: str) -> None:
    before = database_counts()
    with pytest.raises(CommandError) as caught:
        run(*args, "--quiet")
    assert message in str(caught.value)
    assert caught.value.returncode == 1
    assert database_counts() == before


def test_a_malformed_vintage_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(CommandError, match="expected a date as YYYY-MM-DD, got '2024-13-01'"):
        run("who-ssa", str(SSA), "--vintage", "2024-13-01")


def test_product_option_names_the_series(tmp_path: Path) -> None:
    out, _err = run(
        "shcc",
        str(FIXTURES / "shcc_incidents_drift.csv"),
        "--vintage",
        "2023-05-01",
        "--product",
        "incident-data-2023",
        "--quiet",
    )
    assert "shcc/incident-data-2023" in out
