"""The reporter's follow-up with the receipt code: login, throttling, status, messages, files, export."""

from __future__ import annotations

import io
import json
import time
import zipfile
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Organisation, ThrottleFailure
from audit.models import Event
from meldpunt import actions, followup
from meldpunt.models import Attachment, Message, Party, Report
from tests.meldpunt_helpers import (
    NARRATIVE,
    REMOTE_ADDR,
    anonymous_client,
    log_in_with_code,
    png_bytes,
    receipt_code_in,
    route_everything_to,
    submit,
    upload,
    valid_report_data,
)

pytestmark = pytest.mark.usefixtures("english_pages", "media_dir")


@pytest.fixture
def code(db: None, organisation: Organisation) -> str:
    route_everything_to(organisation)
    return receipt_code_in(submit(anonymous_client(), files=[upload("first.png", png_bytes())]))


@pytest.fixture
def reporter(code: str) -> Client:
    client = anonymous_client()
    response = log_in_with_code(client, code)
    assert response.status_code == 302
    return client


def _report() -> Report:
    return Report.objects.get()


def test_correct_code_opens_the_report_with_status_and_narrative(reporter: Client) -> None:
    response = reporter.get(reverse("meldpunt:followup"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert "New" in html
    assert "De patiënt dreigde" in html
    assert "first.png" in html
    assert Attachment.objects.get().sha256 in html


def test_code_is_accepted_in_lower_case_and_without_dashes(code: str) -> None:
    response = log_in_with_code(anonymous_client(), code.lower().replace("-", " "))
    assert response.status_code == 302


def test_follow_up_page_without_login_goes_to_the_code_page(db: None) -> None:
    response = anonymous_client().get(reverse("meldpunt:followup"))
    assert response.status_code == 302
    assert response["Location"] == reverse("meldpunt:followup_login")


def test_login_is_audited_without_actor(code: str) -> None:
    log_in_with_code(anonymous_client(), code)
    event = Event.objects.get(action="meldpunt.receipt_login")
    assert event.actor_id is None
    assert event.object_id == str(_report().pk)


def test_session_holds_only_the_sealed_key_and_the_cookie_the_other_half(code: str, reporter: Client) -> None:
    state = reporter.session[followup.SESSION_KEY]
    assert set(state) == {"report_id", "sealed_key", "last_seen"}
    cookie = reporter.cookies[followup.FOLLOWUP_COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert code not in str(dict(reporter.session))


def test_session_without_the_cookie_half_opens_nothing(reporter: Client) -> None:
    del reporter.cookies[followup.FOLLOWUP_COOKIE]
    response = reporter.get(reverse("meldpunt:followup"))
    assert response.status_code == 302


def test_follow_up_ends_after_thirty_idle_minutes(reporter: Client) -> None:
    session = reporter.session
    state = session[followup.SESSION_KEY]
    state["last_seen"] = int(time.time()) - followup.IDLE_SECONDS - 1
    session[followup.SESSION_KEY] = state
    session.save()
    assert reporter.get(reverse("meldpunt:followup")).status_code == 302


def test_log_out_ends_the_follow_up(reporter: Client) -> None:
    response = reporter.post(reverse("meldpunt:followup_logout"))
    assert "You have left your report" in response.content.decode()
    assert reporter.get(reverse("meldpunt:followup")).status_code == 302


def test_wrong_code_is_refused_with_a_clear_message(code: str) -> None:
    response = log_in_with_code(anonymous_client(), "AAAA-BBBB-CCCC-DDDD")
    assert response.status_code == 400
    assert "This receipt code does not open a report" in response.content.decode()


def test_malformed_code_counts_as_a_failure(code: str) -> None:
    log_in_with_code(anonymous_client(), "not a code")
    assert ThrottleFailure.objects.filter(scope=followup.RECEIPT_CLIENT_SCOPE).count() == 1


def test_five_wrong_codes_throttle_the_client_even_for_the_right_code(code: str) -> None:
    client = anonymous_client()
    for _attempt in range(5):
        log_in_with_code(client, "AAAA-BBBB-CCCC-DDDD")
    response = log_in_with_code(client, code)
    assert response.status_code == 400
    assert "Too many wrong receipt codes were tried" in response.content.decode()
    # Another network is not affected by this client's failures.
    other = Client(REMOTE_ADDR="198.51.100.9")
    assert log_in_with_code(other, code).status_code == 302


def test_global_ceiling_throttles_every_client(code: str, settings: Any) -> None:
    settings.MELDPUNT_RECEIPT_GLOBAL_FAILURE_LIMIT = 3
    for number in range(3):
        log_in_with_code(Client(REMOTE_ADDR=f"192.0.{number}.1"), "AAAA-BBBB-CCCC-DDDD")
    response = log_in_with_code(Client(REMOTE_ADDR="198.51.100.9"), code)
    assert "Too many wrong receipt codes were tried" in response.content.decode()


def test_throttle_keeps_no_address(code: str) -> None:
    log_in_with_code(anonymous_client(), "AAAA-BBBB-CCCC-DDDD")
    for failure in ThrottleFailure.objects.all():
        assert REMOTE_ADDR not in failure.key_hash
        assert "203.0.113" not in failure.key_hash
    assert followup.client_key(anonymous_client().get("/").wsgi_request) == "203.0.113.0/24"


def test_reporter_reads_handler_messages_and_they_are_marked_read(code: str, reporter: Client) -> None:
    report = _report()
    key = followup.find_report(code)
    assert key is not None
    actions.add_message(report, key[1], "Wij nemen contact op via dit kanaal.", author_kind=Party.HANDLER)
    html = reporter.get(reverse("meldpunt:followup")).content.decode()
    assert "Wij nemen contact op via dit kanaal." in html
    assert Message.objects.get().read_at is not None


def test_reporter_replies_and_the_reply_is_sealed(reporter: Client) -> None:
    response = reporter.post(reverse("meldpunt:followup_reply"), {"body": "Er is vandaag weer gebeld."})
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.author_kind == "reporter"
    assert message.author is None
    assert b"weer gebeld" not in bytes(message.sealed_body)
    assert "Er is vandaag weer gebeld." in reporter.get(reverse("meldpunt:followup")).content.decode()
    assert Event.objects.filter(action="meldpunt.message_added").exists()


def test_empty_reply_gets_a_field_error(reporter: Client) -> None:
    response = reporter.post(reverse("meldpunt:followup_reply"), {"body": "  "})
    assert response.status_code == 400
    assert "Write a message first." in response.content.decode()


def test_reporter_adds_a_file(reporter: Client) -> None:
    response = reporter.post(
        reverse("meldpunt:followup_files"), {"attachments": [upload("second.png", png_bytes((4, 4)))]}
    )
    assert response.status_code == 302
    assert Attachment.objects.filter(uploaded_by="reporter").count() == 2
    assert "second.png" in reporter.get(reverse("meldpunt:followup")).content.decode()


def test_refused_file_on_follow_up_names_the_file(reporter: Client) -> None:
    response = reporter.post(
        reverse("meldpunt:followup_files"),
        {"attachments": [upload("tool.jpg", b"MZ\x90\x00" + b"\x00" * 200)]},
    )
    assert response.status_code == 400
    assert "tool.jpg: this type of file is not accepted" in response.content.decode()
    assert Attachment.objects.count() == 1


def test_reporter_downloads_the_report_as_json(reporter: Client) -> None:
    reporter.post(reverse("meldpunt:followup_reply"), {"body": "Aanvulling."})
    response = reporter.get(reverse("meldpunt:followup_export_json"))
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["report"]["narrative"] == valid_report_data()["narrative"]
    assert data["report"]["status"] == "new"
    assert data["report"]["kinds"] == ["intimidation", "verbal_threat"]
    assert [message["body"] for message in data["messages"]] == ["Aanvulling."]
    assert data["attachments"][0]["file_name"] == "first.png"
    assert data["attachments"][0]["sha256"] == Attachment.objects.get().sha256
    assert Event.objects.filter(action="meldpunt.reporter_export").exists()


def test_reporter_downloads_files_as_zip_unchanged(reporter: Client) -> None:
    response = reporter.get(reverse("meldpunt:followup_export_zip"))
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
        assert "report.json" in names
        assert archive.read("files/01-first.png") == png_bytes()
        assert NARRATIVE in archive.read("report.json").decode()


def test_export_needs_the_receipt_login(db: None) -> None:
    assert anonymous_client().get(reverse("meldpunt:followup_export_json")).status_code == 302
    assert anonymous_client().get(reverse("meldpunt:followup_export_zip")).status_code == 302


def test_too_large_upload_on_follow_up_is_refused_before_reading(reporter: Client, settings: Any) -> None:
    settings.MELDPUNT_MAX_REPORT_BYTES = 1000
    response = reporter.post(
        reverse("meldpunt:followup_files"), {"attachments": [upload("big.txt", b"x" * 3 * 1024 * 1024)]}
    )
    assert response.status_code == 413
    assert "nothing was sent" in response.content.decode()
    assert Attachment.objects.count() == 1
