"""Shared helpers for the tests/test_meldpunt_*.py files: a valid report, routing, files, receipt login."""

from __future__ import annotations

import io
import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from accounts.models import HandlerKey, Organisation
from meldpunt.models import RoutingRule
from zorgveilig import crypto

NARRATIVE = "De patiënt dreigde mijn auto in brand te steken bij de Zeeuwse-kust-praktijk 4711."
REPORTER_NAME = "Jantje Testpersoon-Verhoeven"
REPORTER_EMAIL = "jantje.verhoeven@example.org"
REMOTE_ADDR = "203.0.113.77"
USER_AGENT = "ZorgVeiligTestAgent/9.9 (unique-user-agent-marker)"


def valid_report_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kinds": ["verbal_threat", "intimidation"],
        "channel": "in_person",
        "channel_platform": "",
        "place": "practice",
        "perpetrator": "patient",
        "perpetrator_in_care": "yes",
        "occurred_day": "",
        "occurred_month": "3",
        "occurred_year": "2025",
        "frequency": "repeated",
        "profession": "huisarts",
        "sector": "general_practice",
        "province": "ZE",
        "consequences": ["fear"],
        "steps_taken": ["employer_told"],
        "narrative": NARRATIVE,
        "name": "",
        "employer": "",
        "role": "",
        "contact_preference": "receipt_only",
        "email": "",
        "phone": "",
    }
    data.update(overrides)
    return data


def cleaned_report_data(**overrides: Any) -> dict[str, Any]:
    """What ReportForm.cleaned_data looks like, for calling meldpunt.actions directly."""
    data = valid_report_data(**overrides)
    data["occurred_month"] = int(data["occurred_month"])
    data["occurred_year"] = int(data["occurred_year"])
    data["occurred_day"] = int(data["occurred_day"]) if data["occurred_day"] else None
    return data


def route_everything_to(organisation: Organisation, **rule: Any) -> RoutingRule:
    return RoutingRule.objects.create(organisation=organisation, **rule)


def give_key_pair(user: Any) -> bytes:
    """Give `user` a key pair as accounts.keys would at login; returns the private key."""
    private, public = crypto.generate_keypair()
    HandlerKey.objects.create(
        user=user,
        public_key=public,
        sealed_private_key=b"not used in these tests",
        salt=crypto.new_salt(),
        kdf_memory_kib=1024,
        kdf_iterations=1,
    )
    return private


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def anonymous_client() -> Client:
    return Client(REMOTE_ADDR=REMOTE_ADDR, HTTP_USER_AGENT=USER_AGENT)


def submit(client: Client, data: dict[str, Any] | None = None, files: list[Any] | None = None) -> Any:
    payload = dict(data if data is not None else valid_report_data())
    if files:
        payload["attachments"] = files
    return client.post(reverse("meldpunt:report"), payload)


_CODE = re.compile(
    r"\b[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}\b"
)


def receipt_code_in(response: Any) -> str:
    match = _CODE.search(response.content.decode())
    assert match, "no receipt code on the page"
    return match.group(0)


def log_in_with_code(client: Client, code: str) -> Any:
    return client.post(reverse("meldpunt:followup_login"), {"code": code})
