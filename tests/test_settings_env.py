"""Bad configuration stops at start-up with a message naming the variable, never a traceback."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zorgveilig.env import (
    Environment,
    SettingsError,
    check_secret_key,
    parse_database_url,
    parse_directory,
    parse_email_address,
    parse_hosts,
    parse_site_url,
    parse_tile_url,
    secret_key_from_file,
    tile_origin,
)

GOOD_KEY = "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP"


def _error(callable_, *args: object) -> SettingsError:
    with pytest.raises(SettingsError) as caught:
        callable_(*args)
    return caught.value


@pytest.mark.parametrize("raw", ["maybe", "2", "tru", "ja"])
def test_debug_that_is_not_a_boolean_names_debug(raw: str) -> None:
    error = _error(Environment({"DEBUG": raw}).bool, "DEBUG", False)
    assert error.variable == "DEBUG"
    assert raw in str(error)


@pytest.mark.parametrize("raw", ["1", "true", "YES", " on "])
def test_debug_accepts_the_usual_true_values(raw: str) -> None:
    assert Environment({"DEBUG": raw}).bool("DEBUG", default=False) is True


def test_unset_or_empty_variable_falls_back_to_the_default() -> None:
    assert Environment({}).bool("DEBUG", default=True) is True
    assert Environment({"DEBUG": ""}).bool("DEBUG", default=False) is False


@pytest.mark.parametrize("raw", ["example.org,,www.example.org", "example.org,", " ", ",example.org"])
def test_allowed_hosts_with_an_empty_entry_names_allowed_hosts(raw: str) -> None:
    error = _error(parse_hosts, "ALLOWED_HOSTS", raw)
    assert error.variable == "ALLOWED_HOSTS"
    assert "empty" in error.problem


@pytest.mark.parametrize("raw", ["https://example.org", "example.org/path", "exa mple.org"])
def test_allowed_hosts_with_an_invalid_entry_names_allowed_hosts(raw: str) -> None:
    error = _error(parse_hosts, "ALLOWED_HOSTS", raw)
    assert error.variable == "ALLOWED_HOSTS"
    assert "not a host name" in error.problem


def test_allowed_hosts_are_split_and_stripped() -> None:
    assert parse_hosts("ALLOWED_HOSTS", "example.org, .example.net,[::1]") == [
        "example.org",
        ".example.net",
        "[::1]",
    ]


def test_database_url_with_an_unknown_scheme_names_database_url(tmp_path: Path) -> None:
    error = _error(parse_database_url, "DATABASE_URL", "mysql://user@host/db", tmp_path)
    assert error.variable == "DATABASE_URL"
    assert "mysql" in error.problem


def test_database_url_without_a_scheme_names_database_url(tmp_path: Path) -> None:
    error = _error(parse_database_url, "DATABASE_URL", "zorgveilig.sqlite3", tmp_path)
    assert error.variable == "DATABASE_URL"


@pytest.mark.parametrize("raw", ["postgres://user@localhost:5432", "postgres://user@localhost:5432/"])
def test_postgres_url_without_a_database_name_names_database_url(raw: str, tmp_path: Path) -> None:
    error = _error(parse_database_url, "DATABASE_URL", raw, tmp_path)
    assert error.variable == "DATABASE_URL"
    assert "database name" in error.problem


@pytest.mark.parametrize("port", ["abc", "99999", "-1"])
def test_postgres_url_with_a_bad_port_names_database_url(port: str, tmp_path: Path) -> None:
    error = _error(parse_database_url, "DATABASE_URL", f"postgres://user@localhost:{port}/db", tmp_path)
    assert error.variable == "DATABASE_URL"
    assert "port" in error.problem


def test_sqlite_url_with_a_host_names_database_url(tmp_path: Path) -> None:
    error = _error(parse_database_url, "DATABASE_URL", "sqlite://localhost/zorgveilig.db", tmp_path)
    assert error.variable == "DATABASE_URL"
    assert "no host" in error.problem


def test_sqlite_url_without_a_path_names_database_url(tmp_path: Path) -> None:
    error = _error(parse_database_url, "DATABASE_URL", "sqlite://", tmp_path)
    assert error.variable == "DATABASE_URL"


def test_good_database_urls_are_understood(tmp_path: Path) -> None:
    relative = parse_database_url("DATABASE_URL", "sqlite:///data/z.db", tmp_path)
    assert relative.engine == "django.db.backends.sqlite3"
    assert relative.name == str(tmp_path / "data" / "z.db")
    absolute = parse_database_url("DATABASE_URL", "sqlite:////srv/z.db", tmp_path)
    assert absolute.name == "/srv/z.db"
    postgres = parse_database_url("DATABASE_URL", "postgresql://zv:s%40cret@db.example:6543/zorg", tmp_path)
    assert (
        postgres.engine,
        postgres.name,
        postgres.user,
        postgres.password,
        postgres.host,
        postgres.port,
    ) == (
        "django.db.backends.postgresql",
        "zorg",
        "zv",
        "s@cret",
        "db.example",
        "6543",
    )


def test_too_short_secret_key_names_secret_key() -> None:
    error = _error(check_secret_key, "SECRET_KEY", "short-key")
    assert error.variable == "SECRET_KEY"
    assert "too short" in error.problem


def test_secret_key_without_variety_names_secret_key() -> None:
    error = _error(check_secret_key, "SECRET_KEY", "a" * 80)
    assert error.variable == "SECRET_KEY"


def test_data_dir_that_is_a_file_names_the_variable(tmp_path: Path) -> None:
    file = tmp_path / "not-a-directory"
    file.write_text("x")
    error = _error(parse_directory, "ZORGVEILIG_DATA_DIR", str(file), tmp_path)
    assert error.variable == "ZORGVEILIG_DATA_DIR"
    assert "not a directory" in error.problem


def test_data_dir_that_is_not_writable_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "read-only"
    directory.mkdir()
    directory.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if os.geteuid() == 0:
        # root may write anywhere, so the permission bits alone cannot make the directory unwritable.
        monkeypatch.setattr("zorgveilig.env.os.access", lambda path, mode: False)
    try:
        error = _error(parse_directory, "ZORGVEILIG_DATA_DIR", str(directory), tmp_path)
    finally:
        directory.chmod(stat.S_IRWXU)
    assert error.variable == "ZORGVEILIG_DATA_DIR"
    assert "not writable" in error.problem


def test_relative_data_dir_is_created_under_the_base_directory(tmp_path: Path) -> None:
    assert parse_directory("ZORGVEILIG_DATA_DIR", "var/data", tmp_path) == tmp_path / "var" / "data"
    assert (tmp_path / "var" / "data").is_dir()


@pytest.mark.parametrize("raw", ["ten", "1.5", "20s"])
def test_integer_that_is_not_a_number_names_the_variable(raw: str) -> None:
    error = _error(
        Environment({"ZORGVEILIG_SQLITE_BUSY_TIMEOUT": raw}).int,
        "ZORGVEILIG_SQLITE_BUSY_TIMEOUT",
        20,
        1,
        600,
    )
    assert error.variable == "ZORGVEILIG_SQLITE_BUSY_TIMEOUT"
    assert "whole number" in error.problem


@pytest.mark.parametrize("raw", ["0", "1001"])
def test_integer_out_of_range_names_the_variable(raw: str) -> None:
    error = _error(
        Environment({"ZORGVEILIG_LOGIN_FAILURE_LIMIT": raw}).int, "ZORGVEILIG_LOGIN_FAILURE_LIMIT", 5, 1, 1000
    )
    assert error.variable == "ZORGVEILIG_LOGIN_FAILURE_LIMIT"


def test_secret_key_file_is_generated_once_readable_by_owner_only_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    first = secret_key_from_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 50
    assert secret_key_from_file(path) == first
    assert path.read_text(encoding="utf-8").strip() == first


def test_processes_starting_together_on_a_fresh_directory_agree_on_one_whole_key(tmp_path: Path) -> None:
    # The server, the worker and a command may all start at once on a fresh data directory: none may read a
    # file another is still writing, nor fail because another created it first.
    path, go = tmp_path / "secret_key", tmp_path / "go"
    code = (
        "import pathlib, sys, time\n"
        "from zorgveilig.env import secret_key_from_file\n"
        "path, go = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])\n"
        "while not go.exists():\n"
        "    time.sleep(0.001)\n"
        "print(secret_key_from_file(path))\n"
    )
    started = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(path), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(12)
    ]
    time.sleep(1)  # let every process reach the wait, so they start at once
    go.touch()
    keys = set()
    for process in started:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        keys.add(out.strip())
    assert keys == {path.read_text(encoding="utf-8").strip()}
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["go", "secret_key"]


def test_secret_key_file_with_a_short_key_names_secret_key(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    path.write_text("too-short\n", encoding="utf-8")
    error = _error(secret_key_from_file, path)
    assert error.variable.startswith("SECRET_KEY")


def test_secret_key_path_that_is_a_directory_names_secret_key(tmp_path: Path) -> None:
    (tmp_path / "secret_key").mkdir()
    error = _error(secret_key_from_file, tmp_path / "secret_key")
    assert error.variable.startswith("SECRET_KEY")
    assert "cannot read" in error.problem


def test_zorgveilig_command_with_bad_debug_exits_with_a_message_and_no_traceback(tmp_path: Path) -> None:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    environment.update({"DEBUG": "maybe", "ZORGVEILIG_DATA_DIR": str(tmp_path)})
    result = subprocess.run(
        [sys.executable, "-m", "zorgveilig.cli", "check"],
        capture_output=True,
        text=True,
        env=environment,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "DEBUG" in result.stderr
    assert "maybe" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    "raw", ["zorgveilig.example.nl", "ftp://example.nl", "https://", "https://x.nl/?a=1"]
)
def test_site_url_that_is_not_an_http_address_names_the_variable(raw: str) -> None:
    error = _error(parse_site_url, "ZORGVEILIG_SITE_URL", raw)
    assert error.variable == "ZORGVEILIG_SITE_URL"


def test_site_url_loses_its_trailing_slash() -> None:
    assert (
        parse_site_url("ZORGVEILIG_SITE_URL", " https://zorgveilig.example.nl/ ")
        == "https://zorgveilig.example.nl"
    )


@pytest.mark.parametrize("raw", ["meldpunt", "meldpunt@localhost", "a b@example.nl", "Name <nobody>"])
def test_sender_address_that_is_not_an_address_names_the_variable(raw: str) -> None:
    assert _error(parse_email_address, "ZORGVEILIG_EMAIL_FROM", raw).variable == "ZORGVEILIG_EMAIL_FROM"


@pytest.mark.parametrize("raw", ["meldpunt@example.nl", "ZorgVeilig <meldpunt@example.nl>"])
def test_sender_address_with_or_without_a_name(raw: str) -> None:
    assert parse_email_address("ZORGVEILIG_EMAIL_FROM", raw) == raw


@pytest.mark.parametrize(
    "raw",
    [
        "tiles.example.org/{z}/{x}/{y}.png",
        "ftp://tiles.example.org/{z}/{x}/{y}.png",
        "https://tiles.example.org/{z}/{x}.png",
    ],
)
def test_a_map_tile_url_that_is_not_a_template_names_the_variable(raw: str) -> None:
    error = _error(parse_tile_url, "ZORGVEILIG_MAP_TILE_URL", raw)
    assert "ZORGVEILIG_MAP_TILE_URL" in str(error)


def test_a_map_tile_url_gives_its_origin_to_the_csp() -> None:
    url = parse_tile_url(
        "ZORGVEILIG_MAP_TILE_URL", " https://{s}.tiles.example.org:8443/osm/{z}/{x}/{y}.png "
    )
    assert url == "https://{s}.tiles.example.org:8443/osm/{z}/{x}/{y}.png"
    assert tile_origin(url) == "https://*.tiles.example.org:8443"
    assert tile_origin("http://127.0.0.1:8080/{z}/{x}/{y}.png") == "http://127.0.0.1:8080"
