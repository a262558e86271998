"""/api/v1/field-reports with a staff token: drafts, submitting with what is missing named by field, changes
with their version, and the same who-may-see-what as on the staff pages."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from accounts.models import Organisation
from accounts.roles import Role
from registry import field_reports
from registry.field_report_models import FieldReport
from tests.test_api_helpers import call, member_with_token
from tests.test_evidence_helpers import add, data_dir  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

COMPLETE: dict[str, Any] = {
    "event_date": "2024-02-14",
    "country_iso3": "UKR",
    "admin1": "Kharkiv Oblast",
    "latitude": 49.99351,
    "longitude": 36.23038,
    "geo_precision": "km1",
    "attack_types": ["heavy_weapons"],
    "resources": ["facility"],
    "certainty": "probable",
    "health_workers_killed": 2,
    "patients_injured": 5,
    "perpetrator_category": "unknown",
    "weapons": ["Shelling"],
    "description": "The outpatient building was shelled in the night.",
    "information_sources": "Night guard",
}


def cleaned() -> dict[str, Any]:
    """COMPLETE as registry.field_reports takes it (cleaned values, not JSON)."""
    return {**COMPLETE, "event_date": datetime.date(2024, 2, 14)}


def token_of(make_member: Any, role: Role, organisation: Organisation | None = None) -> tuple[Any, str]:
    """A member with `role` and an API token (tests.test_api_helpers.member_with_token)."""
    user, token = member_with_token(make_member, role, organisation)
    return user, token


def test_a_documenter_creates_a_draft_and_submits_it(make_member: Any, organisation: Organisation) -> None:
    user, token = token_of(make_member, Role.FIELD_DOCUMENTER)
    created = call(
        "post", "/field-reports", token, data={"country_iso3": "UKR", "description": "Shots fired."}
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["version"], body["organisation"], body["created_by"]) == (
        "draft",
        1,
        organisation.slug,
        user.username,
    )
    assert (body["record"], body["incident"], body["date_precision"]) == (None, None, "day")
    assert set(body["missing"]) == {
        "event_date",
        "attack_types",
        "resources",
        "certainty",
        "perpetrator_category",
    }
    number = body["id"]

    refused = call("post", f"/field-reports/{number}/submit", token, data={"version": 1})
    assert refused.status_code == 400
    assert refused.json()["errors"]["certainty"] == ["Choose how certain it is that the attack happened."]

    changed = call("patch", f"/field-reports/{number}", token, data={**COMPLETE, "version": 1})
    assert changed.status_code == 200
    assert (changed.json()["status"], changed.json()["version"], changed.json()["missing"]) == (
        "draft",
        2,
        {},
    )

    submitted = call("post", f"/field-reports/{number}/submit", token, data={"version": 2})
    assert submitted.status_code == 200
    body = submitted.json()
    assert (body["status"], body["version"], body["record"]) == ("submitted", 3, f"local:FR-{number}#1")
    release = field_reports.current_release()
    assert release is not None and body["release"] == release.pk
    record = field_reports.record_of(FieldReport.objects.get(pk=number))
    assert record is not None
    assert (record.people_killed, record.people_injured, record.geo_precision) == (2, 5, "site")


def test_create_and_submit_at_once_names_every_problem_by_field(make_member: Any) -> None:
    _user, token = token_of(make_member, Role.FIELD_DOCUMENTER)
    response = call(
        "post",
        "/field-reports",
        token,
        data={"submit": True, "latitude": 91, "attack_types": ["bombing"], "health_workers_killed": -1},
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "latitude": ["Ensure this value is less than or equal to 90."],
        "attack_types": ["Select a valid choice. bombing is not one of the available choices."],
        "health_workers_killed": ["Ensure this value is greater than or equal to 0."],
    }
    response = call("post", "/field-reports", token, data={"submit": True, "country_iso3": "UKR"})
    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == [
        "attack_types",
        "certainty",
        "description",
        "event_date",
        "perpetrator_category",
        "resources",
    ]
    assert not FieldReport.objects.exists()
    created = call("post", "/field-reports", token, data={**COMPLETE, "submit": True})
    assert created.status_code == 201
    assert created.json()["status"] == "submitted"


def test_a_change_on_an_old_version_is_409(make_member: Any) -> None:
    _user, token = token_of(make_member, Role.FIELD_DOCUMENTER)
    number = call("post", "/field-reports", token, data={**COMPLETE, "submit": True}).json()["id"]
    assert (
        call("patch", f"/field-reports/{number}", token, data={"admin1": "Kharkiv", "version": 1}).status_code
        == 200
    )
    stale = call("patch", f"/field-reports/{number}", token, data={"admin1": "Sumy", "version": 1})
    assert stale.status_code == 409
    assert (stale.json()["version"], stale.json()["status"]) == (2, "submitted")
    # A change that leaves out a field keeps it; one that empties a required field is refused.
    emptied = call("patch", f"/field-reports/{number}", token, data={"description": "", "version": 2})
    assert emptied.status_code == 400
    assert emptied.json()["errors"] == {"description": ["Describe what happened."]}
    report = FieldReport.objects.get(pk=number)
    assert (report.admin1, report.certainty, report.description) == (
        "Kharkiv",
        "probable",
        COMPLETE["description"],
    )


def test_the_list_holds_own_drafts_and_the_organisations_submitted_reports(
    make_member: Any, organisation: Organisation, other_organisation: Organisation
) -> None:
    author = make_member(Role.FIELD_DOCUMENTER)
    draft = field_reports.create(author, organisation, {"country_iso3": "UKR"})
    mine = field_reports.create(author, organisation, {"country_iso3": "SYR"})
    submitted = field_reports.create(author, organisation, cleaned(), submit=True)
    elsewhere = field_reports.create(
        make_member(Role.FIELD_DOCUMENTER, other_organisation), other_organisation, cleaned(), submit=True
    )
    _colleague, token = token_of(make_member, Role.FIELD_DOCUMENTER)
    listed = call("get", "/field-reports", token).json()
    assert [item["id"] for item in listed["items"]] == [submitted.pk]
    assert listed["count"] == 1
    _analyst, analyst_token = token_of(make_member, Role.ANALYST)
    assert [item["id"] for item in call("get", "/field-reports", analyst_token).json()["items"]] == [
        submitted.pk
    ]
    assert call("get", f"/field-reports/{submitted.pk}", analyst_token).status_code == 200
    for hidden in (draft, mine, elsewhere):
        assert call("get", f"/field-reports/{hidden.pk}", token).status_code == 404
    bad = call("get", "/field-reports?status=open", token)
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"status": ["Unknown status: choose draft or submitted."]}


def test_analysts_read_but_do_not_write_and_others_get_403(
    make_member: Any, organisation: Organisation
) -> None:
    author = make_member(Role.FIELD_DOCUMENTER)
    submitted = field_reports.create(author, organisation, cleaned(), submit=True)
    _analyst, token = token_of(make_member, Role.ANALYST)
    assert call("post", "/field-reports", token, data={"country_iso3": "UKR"}).status_code == 403
    changed = call("patch", f"/field-reports/{submitted.pk}", token, data={"admin1": "x", "version": 1})
    assert changed.status_code == 403
    _viewer, viewer_token = token_of(make_member, Role.VIEWER)
    refused = call("get", "/field-reports", viewer_token)
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "This account neither documents attacks nor analyses data, so it cannot use field reports."
    )
    assert call("get", "/field-reports").status_code == 401


@pytest.mark.usefixtures("data_dir")
def test_a_report_lists_its_evidence_by_hash(make_member: Any, organisation: Organisation) -> None:
    author, token = token_of(make_member, Role.FIELD_DOCUMENTER)
    report = field_reports.create(author, organisation, cleaned(), submit=True)
    photo = add(organisation, name="ward.png", actor=author, target=report)
    body = call("get", f"/field-reports/{report.pk}", token).json()
    assert [(item["id"], item["kind"], item["sha256"]) for item in body["evidence"]] == [
        (photo.pk, "photo", photo.sha256)
    ]
