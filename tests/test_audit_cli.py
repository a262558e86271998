"""`zorgveilig audit`: the real console script against a temporary SQLite database."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ZORGVEILIG = str(Path(sys.executable).parent / "zorgveilig")
TIMEOUT = 120

Run = Callable[..., subprocess.CompletedProcess[str]]


def site_environment(directory: Path) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    environment.update(
        DATABASE_URL=f"sqlite:///{directory / 'zorgveilig.sqlite3'}",
        ZORGVEILIG_DATA_DIR=str(directory / "data"),
        ZORGVEILIG_HTTPS="0",
        DJANGO_SETTINGS_MODULE="zorgveilig.settings",
        COLUMNS="160",
    )
    return environment


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("migrated")
    subprocess.run(
        [ZORGVEILIG, "migrate", "--no-input", "--verbosity", "0"],
        env=site_environment(directory),
        check=True,
        timeout=TIMEOUT,
    )
    return directory / "zorgveilig.sqlite3"


@pytest.fixture
def database(tmp_path: Path, migrated_database: Path) -> Path:
    # A copy of one migrated database per test: migrating takes seconds, copying a file does not.
    target = tmp_path / "zorgveilig.sqlite3"
    shutil.copyfile(migrated_database, target)
    return target


@pytest.fixture
def run(tmp_path: Path, database: Path) -> Run:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [ZORGVEILIG, *args],
            env=site_environment(tmp_path),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )

    return run


def append_events(run: Run, count: int, action: str = "test.thing_changed") -> None:
    code = (
        "from audit.chain import record\n"
        f"for number in range({count}):\n"
        f"    record({action!r}, target=('test.thing', f'thing-{{number + 1}}'), details={{'fields': ['status']}})\n"
    )
    result = run("shell", "--no-imports", "-c", code)
    assert result.returncode == 0, result.stderr


def test_verify_of_an_intact_log_exits_zero(run: Run, database: Path) -> None:
    append_events(run, 50)
    result = run("audit", "verify")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(database) as db:
        (last_hash,) = db.execute("SELECT hash FROM audit_event WHERE sequence = 50").fetchone()
    assert "50" in result.stdout
    assert last_hash in result.stdout
    # The progress bar goes to standard error, so standard output stays one line for scripts.
    assert "50/50" in result.stderr
    assert result.stdout.count("\n") == 1


def test_quiet_verify_shows_no_progress(run: Run) -> None:
    append_events(run, 5)
    result = run("audit", "verify", "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_verify_names_the_event_edited_in_the_database(run: Run, database: Path) -> None:
    append_events(run, 50)
    with sqlite3.connect(database) as db:
        db.execute("UPDATE audit_event SET object_id = 'thing-999' WHERE sequence = 42")
    result = run("audit", "verify", "--quiet")
    assert result.returncode == 1
    assert "#42" in result.stderr
    assert "41" in result.stderr  # the intact events before it


def test_verify_notices_the_last_event_deleted(run: Run, database: Path) -> None:
    append_events(run, 10)
    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM audit_event WHERE sequence = 10")
    result = run("audit", "verify", "--quiet")
    assert result.returncode == 1
    assert "#10" in result.stderr


def test_list_shows_the_last_events(run: Run) -> None:
    append_events(run, 30)
    result = run("audit", "list", "--limit", "5")
    assert result.returncode == 0, result.stderr
    for number in range(26, 31):
        assert f"thing-{number}" in result.stdout
    assert "thing-25" not in result.stdout


def test_list_filters_by_action_and_object(run: Run) -> None:
    append_events(run, 3)
    append_events(run, 2, action="test.other_action")
    by_action = run("audit", "list", "--action", "test.other_action")
    assert by_action.returncode == 0, by_action.stderr
    assert "test.other_action" in by_action.stdout
    assert "test.thing_changed" not in by_action.stdout
    by_object = run("audit", "list", "--object", "test.thing:thing-3")
    assert by_object.returncode == 0, by_object.stderr
    assert "thing-3" in by_object.stdout
    assert "thing-1" not in by_object.stdout


def test_subcommands_have_help(run: Run) -> None:
    overview = run("audit", "--help")
    assert overview.returncode == 0
    assert "verify" in overview.stdout
    assert "list" in overview.stdout
    verify_help = run("audit", "verify", "--help")
    assert verify_help.returncode == 0
    assert "--quiet" in verify_help.stdout
    list_help = run("audit", "list", "--help")
    assert "--limit" in list_help.stdout
    assert "--object" in list_help.stdout


def test_concurrent_processes_keep_the_chain_valid(tmp_path: Path, database: Path, run: Run) -> None:
    processes, per_process = 4, 25
    code = (
        "from audit.chain import record\n"
        f"for number in range({per_process}):\n"
        "    record('test.concurrent')\n"
    )
    started = [
        subprocess.Popen(
            [ZORGVEILIG, "shell", "--no-imports", "-c", code],
            env=site_environment(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    for process in started:
        _out, err = process.communicate(timeout=TIMEOUT)
        assert process.returncode == 0, err
    result = run("audit", "verify", "--quiet")
    assert result.returncode == 0, result.stderr
    assert str(processes * per_process) in result.stdout
    with sqlite3.connect(database) as db:
        sequences = [row[0] for row in db.execute("SELECT sequence FROM audit_event ORDER BY sequence")]
    assert sequences == list(range(1, processes * per_process + 1))
