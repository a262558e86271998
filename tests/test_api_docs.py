"""The OpenAPI document and the docs page: served offline, under the site's CSP; JSON everywhere under /api/."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from meldpunt.forms import ReportForm

pytestmark = pytest.mark.django_db


def test_openapi_document_lists_every_operation_and_the_report_fields(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert set(document["paths"]) == {
        "/api/v1/reports",
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/{case_id}/status",
        "/api/v1/cases/{case_id}/messages",
        *(
            f"/api/v1/insights/{name}"
            for name in (
                "totals",
                "per-year",
                "per-month",
                "per-country",
                "per-family",
                "per-resource",
                "per-perpetrator",
                "source-comparison",
                "vintages",
            )
        ),
        "/api/v1/field-reports",
        "/api/v1/field-reports/{report_id}",
        "/api/v1/field-reports/{report_id}/submit",
        "/api/v1/evidence",
        "/api/v1/evidence/{item_id}",
        "/api/v1/facilities",
        "/api/v1/facilities/map",
        "/api/v1/facilities/{facility_id}",
        "/api/v1/facilities/{facility_id}/incidents",
        "/api/v1/accountability/figure",
        "/api/v1/accountability/investigations",
        "/api/v1/accountability/investigations/{investigation_id}",
    }
    body = document["paths"]["/api/v1/reports"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert set(body["schema"]["properties"]) == set(ReportForm.base_fields)
    assert "narrative" in body["schema"]["required"]
    assert "verbal_threat" in body["schema"]["properties"]["kinds"]["items"]["enum"]
    assert body["schema"]["properties"]["attachments"]["items"]["format"] == "binary"
    assert "security" not in document["paths"]["/api/v1/reports"]["post"]
    assert document["paths"]["/api/v1/cases"]["get"]["security"]


def test_docs_page_uses_only_local_assets_and_no_inline_code(client: Client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    for source in sources:
        assert source.startswith("/static/"), source
        assert finders.find(source.removeprefix("/static/")), f"{source} is not shipped"
    # The only script with content is JSON data, which the CSP does not run.
    for attributes, content in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.DOTALL):
        assert not content.strip() or 'type="application/json"' in attributes
    assert "style=" not in html


def test_unknown_api_address_answers_json_in_the_requested_language(client: Client) -> None:
    response = client.get("/api/v2/anything", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": {}}
    assert response["Content-Language"] == "en"


def test_other_authorization_schemes_are_refused(client: Client) -> None:
    response = client.get("/api/v1/cases", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
