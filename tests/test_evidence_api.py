"""/api/v1/evidence with a staff token: metadata and custody logs of one's own organisations, never the files."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import Organisation
from accounts.roles import Role
from evidence import actions
from evidence.models import EvidenceItem
from tests import test_evidence_helpers
from tests.test_api_helpers import call, handler_with_token, member_with_token
from tests.test_evidence_helpers import TEXT_BYTES, add

data_dir = test_evidence_helpers.data_dir  # the fixture, shared

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("data_dir")]


def token_of(make_member: Any, role: Role, organisation: Organisation | None = None) -> str:
    """A member with `role` and an API token (tests.test_api_helpers.member_with_token)."""
    _user, token = member_with_token(make_member, role, organisation)
    return token


@pytest.fixture
def items(organisation: Organisation) -> list[EvidenceItem]:
    return [
        add(organisation, name="IMG_1.png"),
        add(organisation, TEXT_BYTES, name="statement.txt", kind="witness_statement"),
    ]


def test_a_documenter_lists_the_evidence_metadata(make_member: Any, items: list[EvidenceItem]) -> None:
    response = call("get", "/evidence", token_of(make_member, Role.FIELD_DOCUMENTER))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["count"] == 2
    newest = body["items"][0]
    assert newest["id"] == items[1].pk
    assert newest["sha256"] == items[1].sha256
    assert newest["kind"] == "witness_statement"
    assert newest["collected_by"] == "Amira Field"
    assert "content" not in newest and "data" not in newest
    assert TEXT_BYTES.decode() not in response.content.decode()


def test_the_list_filters_by_kind_and_names_bad_filters(make_member: Any, items: list[EvidenceItem]) -> None:
    token = token_of(make_member, Role.ANALYST)
    photos = call("get", "/evidence?kind=photo", token).json()
    assert [item["id"] for item in photos["items"]] == [items[0].pk]
    bad = call("get", "/evidence?kind=sculpture&per_page=500", token)
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"kind", "per_page"}
    unknown = call("get", "/evidence?organisation=nobody", token)
    assert unknown.status_code == 400
    assert "organisation" in unknown.json()["errors"]


def test_one_item_comes_with_its_custody_log(make_member: Any, items: list[EvidenceItem]) -> None:
    item = items[0]
    actions.record_transfer(None, item, "Investigator", "Original card")
    response = call("get", f"/evidence/{item.pk}", token_of(make_member, Role.ANALYST))
    assert response.status_code == 200
    custody = response.json()["custody"]
    assert [event["event"] for event in custody] == ["collected", "transferred"]
    transferred = item.custody_events.get(kind="transferred")
    assert custody[1]["audit_hash"] == transferred.audit_event.hash
    assert custody[1]["recipient"] == "Investigator"
    # Reading metadata is not viewing the file.
    assert not item.custody_events.filter(kind="viewed").exists()


def test_another_organisations_item_is_404(
    make_member: Any, items: list[EvidenceItem], other_organisation: Organisation
) -> None:
    token = token_of(make_member, Role.ADMIN, other_organisation)
    assert call("get", f"/evidence/{items[0].pk}", token).status_code == 404
    assert call("get", "/evidence/999999", token).status_code == 404
    assert call("get", "/evidence", token).json()["count"] == 0


def test_a_member_who_sees_no_evidence_gets_403(make_member: Any, items: list[EvidenceItem]) -> None:
    _user, token, _key = handler_with_token(make_member, Role.CASE_HANDLER)
    response = call("get", "/evidence", token)
    assert response.status_code == 403
    assert call("get", f"/evidence/{items[0].pk}", token).status_code == 403


def test_without_a_token_is_401(items: list[EvidenceItem]) -> None:
    assert call("get", "/evidence").status_code == 401
    assert call("get", "/evidence", "zv_not-a-real-token").status_code == 401
