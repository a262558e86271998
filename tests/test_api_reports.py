"""POST /api/v1/reports: the public report form for machines, with the form's rules, files and rate limit."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Organisation
from meldpunt import intake_throttle
from meldpunt.models import Attachment, Report, RoutingRule
from tests.meldpunt_helpers import (
    NARRATIVE,
    REMOTE_ADDR,
    USER_AGENT,
    log_in_with_code,
    png_bytes,
    route_everything_to,
    upload,
    valid_report_data,
)
from tests.test_api_helpers import API, api_client, database_text, use_media_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    return use_media_in(settings, tmp_path)


URL = f"{API}/reports"


@pytest.fixture(autouse=True)
def _routed(organisation: Organisation, media: Path) -> None:
    route_everything_to(organisation)


def post_report(data: dict[str, Any] | None = None, files: list[Any] | None = None, **extra: Any) -> Any:
    payload = dict(data if data is not None else valid_report_data())
    if files:
        payload["attachments"] = files
    client = Client(REMOTE_ADDR=REMOTE_ADDR, HTTP_USER_AGENT=USER_AGENT, HTTP_ACCEPT_LANGUAGE="en")
    return client.post(URL, payload, **extra)


def test_report_is_taken_and_answers_with_the_receipt_code_only() -> None:
    response = post_report()
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"receipt_code", "status", "received_on"}
    assert body["status"] == "new"
    report = Report.objects.get()
    assert body["received_on"] == timezone.localdate(report.created_at).isoformat()
    assert report.source == Report.Source.API
    assert report.kinds == ["intimidation", "verbal_threat"]
    assert "no-store" in response["Cache-Control"]


def test_receipt_code_opens_the_follow_up_page() -> None:
    code = post_report().json()["receipt_code"]
    reporter = Client()
    response = log_in_with_code(reporter, code)
    assert response.status_code == 302
    assert NARRATIVE in reporter.get(response["Location"]).content.decode()


def test_no_address_agent_or_session_is_kept() -> None:
    response = post_report()
    assert response.status_code == 201
    assert not response.cookies
    stored = database_text()
    assert REMOTE_ADDR.encode() not in stored
    assert USER_AGENT.encode() not in stored
    assert b"unique-user-agent-marker" not in stored


def test_missing_fields_are_named_with_the_forms_messages() -> None:
    response = post_report(valid_report_data(kinds=[], narrative="", occurred_month=""))
    assert response.status_code == 400
    body = response.json()
    assert body["detail"]
    assert body["errors"]["kinds"] == ["Choose at least one kind of incident."]
    assert body["errors"]["narrative"] == ["Describe what happened, in a few sentences at least."]
    assert body["errors"]["occurred_month"] == ["Choose the month it happened in."]
    assert Report.objects.count() == 0


def test_rules_across_fields_are_the_forms_too() -> None:
    response = post_report(valid_report_data(contact_preference="email", email=""))
    assert response.status_code == 400
    assert response.json()["errors"]["email"] == ["Enter an email address, or choose another way of contact."]


def test_unknown_choice_is_refused() -> None:
    response = post_report(valid_report_data(channel="carrier-pigeon"))
    assert response.status_code == 400
    assert "channel" in response.json()["errors"]


def test_files_are_checked_and_stored_like_on_the_form(media: Path) -> None:
    data = png_bytes((10, 10))
    response = post_report(files=[upload("screenshot.png", data, "image/png")])
    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert data not in (media / attachment.storage_name).read_bytes()


def test_malformed_upload_is_refused_naming_the_file(media: Path) -> None:
    response = post_report(
        files=[upload("photo.jpg", b"MZ" + b"\x00" * 100), upload("fine.png", png_bytes(), "image/png")]
    )
    assert response.status_code == 400
    messages = response.json()["errors"]["attachments"]
    assert any(message.startswith("photo.jpg:") for message in messages)
    assert Report.objects.count() == 0
    assert not any(media.rglob("*")) if media.exists() else True


def test_request_over_the_size_limit_is_not_read(settings: Any) -> None:
    settings.MELDPUNT_MAX_REPORT_BYTES = 1000
    response = post_report(files=[upload("big.txt", b"x" * 3 * 1024 * 1024)])
    assert response.status_code == 413
    assert "nothing was read" in response.json()["detail"]
    assert Report.objects.count() == 0


def test_json_is_not_accepted() -> None:
    response = api_client().post(URL, valid_report_data(), content_type="application/json")
    assert response.status_code == 415
    assert "multipart/form-data" in response.json()["detail"]


def test_reports_beyond_the_hourly_limit_get_429_with_retry_after(settings: Any) -> None:
    settings.MELDPUNT_REPORT_RATE_LIMIT = 2
    assert post_report().status_code == 201
    assert post_report().status_code == 201
    response = post_report()
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Nothing was stored" in response.json()["detail"]
    assert Report.objects.count() == 2


def test_the_limit_is_shared_with_the_report_form(settings: Any) -> None:
    settings.MELDPUNT_REPORT_RATE_LIMIT = 1
    intake_throttle.count(api_client().get("/").wsgi_request)  # one report on the form from this network
    assert post_report().status_code == 429


def test_invalid_reports_do_not_count_towards_the_limit(settings: Any) -> None:
    settings.MELDPUNT_REPORT_RATE_LIMIT = 1
    assert post_report(valid_report_data(narrative="")).status_code == 400
    assert post_report().status_code == 201


def test_profession_no_one_receives_is_refused_on_the_profession(organisation: Organisation) -> None:
    RoutingRule.objects.all().delete()
    route_everything_to(organisation, profession="tandarts")
    response = post_report()
    assert response.status_code == 400
    assert "profession" in response.json()["errors"]


def test_without_any_receiving_organisation_the_meldpunt_is_unavailable() -> None:
    RoutingRule.objects.all().delete()
    response = post_report()
    assert response.status_code == 503
    assert Report.objects.count() == 0


def test_messages_are_dutch_unless_asked_otherwise() -> None:
    response = Client(REMOTE_ADDR=REMOTE_ADDR).post(URL, valid_report_data(narrative=""))
    assert response.status_code == 400
    assert response["Content-Language"] == "nl"
    assert post_report(valid_report_data(narrative=""))["Content-Language"] == "en"


def test_no_csrf_token_is_needed() -> None:
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR=REMOTE_ADDR)
    assert client.post(URL, valid_report_data()).status_code == 201
