"""A copy of the database and the stored files holds no narrative, name, contact details, message, file name
or file content of a report, and nothing about the anonymous reporter's connection (address, user agent)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from accounts.models import Organisation
from accounts.roles import Role
from meldpunt.models import Report
from tests.meldpunt_helpers import (
    NARRATIVE,
    REMOTE_ADDR,
    REPORTER_EMAIL,
    REPORTER_NAME,
    anonymous_client,
    give_key_pair,
    log_in_with_code,
    png_bytes,
    receipt_code_in,
    route_everything_to,
    submit,
    upload,
    valid_report_data,
)

FILE_TEXT = "GEHEIME-BIJLAGE-INHOUD: adres van de dader is Voorbeeldstraat 12"
FILE_NAME = "screenshot-van-dader-pietersen.txt"
MESSAGE = "Hij stond vanochtend weer bij de ingang, met een mes."
PLATFORM = "Dadergram-platform-uniek"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Path:
    media = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": media}},
    }
    return media


def _needles(code: str) -> dict[str, bytes]:
    return {
        "narrative": b"Zeeuwse-kust-praktijk",
        "narrative (start)": NARRATIVE[:30].encode(),
        "name": REPORTER_NAME.encode(),
        "surname": b"Verhoeven",
        "email": REPORTER_EMAIL.encode(),
        "phone": b"0612345678",
        "platform": PLATFORM.encode(),
        "message": b"vanochtend weer bij de ingang",
        "file name": b"pietersen",
        "file content": b"GEHEIME-BIJLAGE-INHOUD",
        "address": REMOTE_ADDR.encode(),
        "address network": b"203.0.113",
        "user agent": b"unique-user-agent-marker",
        "receipt code": code.encode(),
        "receipt code (compact)": code.replace("-", "").encode(),
    }


def _as_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def _found_in_database(needles: dict[str, bytes]) -> list[str]:
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - table names
            for row in cursor.fetchall():
                for value in row:
                    raw = _as_bytes(value)
                    found += [f"{what} in table {table}" for what, needle in needles.items() if needle in raw]
    return found


@pytest.fixture
def full_report(db: None, organisation: Organisation, make_member: Any) -> str:
    """A named report with a platform, a file and a reply, as the reporter sends it; returns the code."""
    route_everything_to(organisation)
    give_key_pair(make_member(Role.CASE_HANDLER))
    client = anonymous_client()
    data = valid_report_data(
        channel="social_media",
        channel_platform=PLATFORM,
        name=REPORTER_NAME,
        employer="Praktijk Verhoeven",
        contact_preference="phone",
        email=REPORTER_EMAIL,
        phone="0612345678",
    )
    files = [upload(FILE_NAME, FILE_TEXT.encode(), "text/plain"), upload("pietersen.png", png_bytes())]
    code = receipt_code_in(submit(client, data, files))
    assert log_in_with_code(client, code).status_code == 302
    assert client.post(reverse("meldpunt:followup_reply"), {"body": MESSAGE}).status_code == 302
    client.get(reverse("meldpunt:followup"))
    return code


def test_database_holds_no_narrative_identity_message_file_or_connection(full_report: str) -> None:
    assert Report.objects.count() == 1
    assert _found_in_database(_needles(full_report)) == []


def test_sessions_hold_no_address_agent_or_code(full_report: str) -> None:
    needles = _needles(full_report)
    for session in Session.objects.all():
        decoded = repr(session.get_decoded()).encode()
        assert [what for what, needle in needles.items() if needle in decoded] == []


def test_stored_files_hold_no_plaintext(full_report: str, _media: Path) -> None:
    needles = _needles(full_report)
    files = [path for path in _media.rglob("*") if path.is_file()]
    assert len(files) == 2
    for path in files:
        content = path.read_bytes()
        assert [what for what, needle in needles.items() if needle in content] == [], path
        assert b"\x89PNG" not in content
        assert "pietersen" not in path.name


def test_dumpdata_holds_no_plaintext(full_report: str) -> None:
    output = io.StringIO()
    call_command("dumpdata", stdout=output)
    dump = output.getvalue().encode()
    assert b"meldpunt.report" in dump
    assert [what for what, needle in _needles(full_report).items() if needle in dump] == []


def test_anonymous_report_leaves_no_session_and_no_address_anywhere(
    db: None, organisation: Organisation
) -> None:
    route_everything_to(organisation)
    client = anonymous_client()
    client.get(reverse("meldpunt:report"))
    code = receipt_code_in(submit(client))
    assert Session.objects.count() == 0
    assert _found_in_database(_needles(code)) == []


def test_the_scan_finds_what_is_stored_in_plain(full_report: str) -> None:
    # Without this the tests above would also pass if the scan never looked at anything.
    found = _found_in_database({"organisation": b"Test Beroepsvereniging", "province": b"ZE"})
    assert "organisation in table accounts_organisation" in found
    assert "province in table meldpunt_report" in found
