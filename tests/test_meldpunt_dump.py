"""A copy of the database as a backup or a stolen disk holds it, the stored files and the audit log hold no
narrative, name, contact details, message (of either side), internal note, referral note, file name or file
content of a report.

tests/test_meldpunt_no_plaintext.py reads the rows one by one through Django; this file looks at what leaves
the machine in a backup. On SQLite that is the raw bytes of the database file and its write-ahead log, as
production runs it (a file in WAL mode), so text left behind in free pages or in the log counts too. On
PostgreSQL it is `pg_dump` of the test database (COPY of every table when pg_dump is not installed).

The report is the one test_meldpunt_no_plaintext builds (named, with a platform, two files and a reporter
message); a handler then adds a message, an internal note and a referral with a note.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from audit.models import Event
from meldpunt import cases, sealing
from meldpunt.models import Report
from meldpunt.vocabulary import ReferralKind
from tests import test_meldpunt_no_plaintext as no_plaintext
from tests.meldpunt_helpers import png_bytes

# The same report and the same stored-files location as the row-by-row scan, so both look for one thing.
full_report = no_plaintext.full_report
_media = no_plaintext._media

HANDLER_MESSAGE = "Antwoord-van-behandelaar: bel de wijkagent Hoogendijk-Oranjewoud."
NOTE = "Interne-notitie: dader is bekend van eerdere incidenten bij Kliniek Zonnebloemhoeve."
REFERRAL_NOTE = "Doorverwijzing-notitie: dossier overgedragen aan Slachtofferhulp, contactpersoon Marjolein."


def _needles(code: str) -> dict[str, bytes]:
    return {
        **no_plaintext._needles(code),
        "handler message": b"Hoogendijk-Oranjewoud",
        "internal note": b"Kliniek Zonnebloemhoeve",
        "referral note": b"contactpersoon Marjolein",
        "photo bytes": png_bytes(),
    }


def _found(needles: dict[str, bytes], haystack: bytes, where: str) -> list[str]:
    """Each needle as raw bytes and as lower-case hex: pg_dump and COPY write binary columns as hex."""
    found = []
    lowered = haystack.lower()
    for what, needle in needles.items():
        if needle in haystack:
            found.append(f"{what} in {where}")
        elif needle.hex().encode() in lowered:
            found.append(f"{what} (as hex) in {where}")
    return found


# Where the dump comes from -------------------------------------------------------------------------------------


@pytest.fixture
def database_file(transactional_db: None, tmp_path: Path) -> Iterator[Path | None]:
    """On SQLite: the default connection on a file copy of the (in-memory) test database for this test.

    The test database of SQLite lives in memory, so there is no file to read. The copy has the migrated
    schema; the connection opens it with the production settings (WAL, IMMEDIATE transactions), and what the
    test writes is committed to it (a transactional test: nothing stays hidden in an open transaction).
    On PostgreSQL nothing changes and this yields None; other databases are skipped.
    """
    if connection.vendor == "postgresql":
        yield None
        return
    if connection.vendor != "sqlite":
        pytest.skip(f"no dump check for the {connection.vendor} database backend")
    path = tmp_path / "zorgveilig.sqlite3"
    connection.ensure_connection()
    copy = sqlite3.connect(path)
    try:
        connection.connection.backup(copy)
    finally:
        copy.close()
    # Closing an in-memory SQLite connection would destroy the test database: keep it aside instead.
    in_memory = connection.connection
    original_name = connection.settings_dict["NAME"]
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    try:
        connection.ensure_connection()
        assert connection.cursor().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        yield path
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original_name
        connection.connection = in_memory


def _sqlite_files(path: Path) -> dict[str, bytes]:
    """The database file with its write-ahead log, as they are on disk now, and the file after a checkpoint."""
    files = {
        candidate.name: candidate.read_bytes()
        for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm"))
        if candidate.exists()
    }
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    files[f"{path.name} (after checkpoint)"] = path.read_bytes()
    return files


def _pg_dump() -> bytes | None:
    """The plain-text pg_dump of the test database; None when pg_dump is missing or does not fit the server."""
    executable = shutil.which("pg_dump")
    if executable is None:
        return None
    database = connection.settings_dict
    command = [executable, "--no-owner", "--no-privileges", "--dbname", database["NAME"]]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if database[key]:
            command += [option, str(database[key])]
    environment = {**os.environ, "PGPASSWORD": str(database["PASSWORD"] or "")}
    result = subprocess.run(command, env=environment, capture_output=True, check=False, timeout=120)
    if result.returncode != 0:
        if b"version mismatch" in result.stderr:
            return None
        pytest.fail(f"pg_dump failed: {result.stderr.decode(errors='replace')}")
    return result.stdout


def _copy_every_table() -> bytes:
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            statement = f"COPY {connection.ops.quote_name(table)} TO STDOUT"
            with cursor.cursor.copy(statement) as copy:
                chunks += [bytes(data) for data in copy]
    return b"".join(chunks)


def _dumps(database_file: Path | None) -> dict[str, bytes]:
    if database_file is not None:
        return _sqlite_files(database_file)
    dump = _pg_dump()
    if dump is not None:
        return {"pg_dump": dump}
    return {"COPY of every table": _copy_every_table()}


# The case ------------------------------------------------------------------------------------------------------


@pytest.fixture
def handled_case(database_file: Path | None, full_report: str) -> str:
    """The report of test_meldpunt_no_plaintext, then a handler's message, internal note and referral."""
    report = Report.objects.get()
    data_key = sealing.unlock_with_receipt(report, full_report)
    assert data_key is not None
    handler = User.objects.get(memberships__role=Role.CASE_HANDLER)
    cases.reply(report, handler, data_key, HANDLER_MESSAGE)
    cases.add_note(report, handler, data_key, NOTE)
    cases.add_referral(
        report,
        handler,
        data_key,
        kind=ReferralKind.SLACHTOFFERHULP,
        referred_on=timezone.localdate(),
        note=REFERRAL_NOTE,
    )
    return full_report


# The tests -----------------------------------------------------------------------------------------------------


def test_database_dump_holds_no_narrative_identity_message_note_or_file(
    database_file: Path | None, handled_case: str
) -> None:
    needles = _needles(handled_case)
    found = []
    for where, dump in _dumps(database_file).items():
        found += _found(needles, dump, where)
    assert found == []


def test_the_dump_holds_the_report_so_the_scan_looks_at_the_right_data(
    database_file: Path | None, handled_case: str
) -> None:
    # Without this the test above would also pass on an empty or wrong dump, or if binary columns were
    # written in a form the scan does not look for.
    report = Report.objects.get()
    found = []
    for where, dump in _dumps(database_file).items():
        found += _found(
            {
                "organisation": b"Test Beroepsvereniging",
                "report salt": bytes(report.report_salt),
                "sealed narrative": bytes(report.sealed_narrative),
            },
            dump,
            where,
        )
    assert any(entry.startswith("organisation in") for entry in found), found
    assert any(entry.startswith("report salt") for entry in found), found
    assert any(entry.startswith("sealed narrative") for entry in found), found


def test_stored_files_hold_no_narrative_note_or_file_content(handled_case: str, _media: Path) -> None:
    needles = _needles(handled_case)
    files = [path for path in _media.rglob("*") if path.is_file()]
    assert len(files) == 2
    found = []
    for path in files:
        found += _found(needles, path.read_bytes(), str(path.relative_to(_media)))
        found += [
            f"{what} in a file name" for what, needle in needles.items() if needle in path.name.encode()
        ]
    assert found == []


def _row(event: Event) -> bytes:
    values: list[Any] = [getattr(event, field.attname) for field in Event._meta.concrete_fields]
    return repr(values).encode()


def test_audit_log_records_every_step_without_its_content(handled_case: str) -> None:
    events = list(Event.objects.all())
    actions = {event.action for event in events}
    assert {
        "meldpunt.report_submitted",
        "meldpunt.message_added",
        "meldpunt.note_added",
        "meldpunt.referral_added",
    } <= actions
    needles = _needles(handled_case)
    found = []
    for event in events:
        found += _found(needles, _row(event), f"audit event {event.action}")
    assert found == []
