"""/api/v1/cases with a case handler's token: the queue, one case, status changes and replies."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Organisation, User
from accounts.roles import Role
from audit.models import Event
from meldpunt import actions, cases
from meldpunt.models import Party, Report
from meldpunt.vocabulary import ReferralKind, VptCode
from tests.meldpunt_helpers import (
    NARRATIVE,
    REPORTER_EMAIL,
    REPORTER_NAME,
    give_key_pair,
    log_in_with_code,
    png_bytes,
    route_everything_to,
)
from tests.test_api_helpers import call, handler_with_token, report_for, use_media_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    return use_media_in(settings, tmp_path)


@pytest.fixture
def handler(make_member: Any) -> tuple[User, str, bytes]:
    return handler_with_token(make_member, Role.CASE_HANDLER)


@pytest.fixture
def token(handler: tuple[User, str, bytes]) -> str:
    return handler[1]


@pytest.fixture
def report(handler: Any, organisation: Organisation, media: Path) -> Report:
    report, _code = report_for(
        organisation, name=REPORTER_NAME, email=REPORTER_EMAIL, contact_preference="email"
    )
    return report


def data_key_of(handler: tuple[User, str, bytes], report: Report) -> bytes:
    return cases.report_key_for(handler[0], handler[2], report)


# The queue ---------------------------------------------------------------------------------------------------


def test_list_shows_the_structured_part_and_no_narrative(token: str, report: Report) -> None:
    response = call("get", "/cases", token)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [item] = body["items"]
    assert item["id"] == report.pk
    assert item["status"] == "new"
    assert item["version"] == 1
    assert item["readable"] is True
    assert item["kinds"] == ["intimidation", "verbal_threat"]
    text = response.content.decode()
    assert "Zeeuwse-kust-praktijk" not in text
    assert REPORTER_NAME not in text
    assert REPORTER_EMAIL not in text
    assert "narrative" not in item


def test_list_leaves_out_other_organisations_cases(
    token: str, report: Report, other_organisation: Organisation
) -> None:
    route_everything_to(other_organisation, profession="tandarts")
    theirs, _code = report_for(other_organisation, profession="tandarts")
    assert theirs.organisation == other_organisation
    ids = [item["id"] for item in call("get", "/cases", token).json()["items"]]
    assert ids == [report.pk]
    assert theirs.pk not in ids


def test_list_filters_by_status_assignment_and_overdue(handler: Any, token: str, report: Report) -> None:
    user = handler[0]
    second, _code = report_for(report.organisation)
    cases.assign(second, user, user, expected_version=1)
    cases.change_status(report, user, Report.Status.IN_TRIAGE, expected_version=1)

    def ids(**query: str) -> list[int]:
        response = call("get", "/cases", token, data=query)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids(status="in_triage") == [report.pk]
    assert ids(assigned="me") == [second.pk]
    assert ids(assigned="nobody") == [report.pk]
    assert ids(overdue="true") == []
    Report.objects.filter(pk=second.pk).update(acknowledge_by=timezone.now() - timedelta(days=1))
    assert ids(overdue="true") == [second.pk]
    assert ids(organisation=report.organisation.slug) == [second.pk, report.pk]


def test_list_is_paginated(token: str, report: Report) -> None:
    report_for(report.organisation)
    first = call("get", "/cases", token, data={"per_page": "1"}).json()
    assert (first["count"], first["pages"], first["page"], len(first["items"])) == (2, 2, 1, 1)
    second = call("get", "/cases", token, data={"per_page": "1", "page": "2"}).json()
    assert second["items"][0]["id"] != first["items"][0]["id"]
    assert call("get", "/cases", token, data={"page": "9"}).status_code == 404


def test_bad_filters_are_named(token: str, report: Report, other_organisation: Organisation) -> None:
    response = call(
        "get", "/cases", token, data={"status": "lost", "assigned": "everyone", "per_page": "1000"}
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"status", "assigned", "per_page"}
    foreign = call("get", "/cases", token, data={"organisation": other_organisation.slug})
    unknown = call("get", "/cases", token, data={"organisation": "does-not-exist"})
    assert foreign.status_code == unknown.status_code == 400
    assert foreign.json() == unknown.json()


# One case ----------------------------------------------------------------------------------------------------


def test_detail_opens_the_content_and_is_audited(handler: Any, token: str, report: Report) -> None:
    user = handler[0]
    key = data_key_of(handler, report)
    actions.add_message(report, key, "Er is weer gebeld.", author_kind=Party.REPORTER)
    cases.reply(report, user, key, "Wij bellen u morgen.")
    cases.add_note(report, user, key, "Lijkt op de melding van vorige week.")
    cases.add_referral(
        report,
        user,
        key,
        kind=ReferralKind.POLICE_AANGIFTE,
        referred_on=timezone.localdate(),
        vpt_code=VptCode.ASKED,
        note="Agent De Vries",
    )
    data = png_bytes((9, 9))
    actions.add_files(report, key, [actions.Upload("bewijs.png", data)], uploaded_by=Party.REPORTER)

    response = call("get", f"/cases/{report.pk}", token)
    assert response.status_code == 200
    body = response.json()
    assert body["readable"] is True
    assert body["unreadable_reason"] is None
    assert body["narrative"] == NARRATIVE
    assert body["identity"] == {"name": REPORTER_NAME}
    assert body["contact"] == {"email": REPORTER_EMAIL}
    assert [(m["party"], m["body"]) for m in body["messages"]] == [
        ("reporter", "Er is weer gebeld."),
        ("handler", "Wij bellen u morgen."),
    ]
    assert body["messages"][1]["author"] == user.username
    assert body["notes"] == [
        {
            "id": body["notes"][0]["id"],
            "internal": True,
            "author": user.username,
            "written_at": body["notes"][0]["written_at"],
            "body": "Lijkt op de melding van vorige week.",
        }
    ]
    [referral] = body["referrals"]
    assert (referral["kind"], referral["vpt_code"], referral["note"]) == (
        "police_aangifte",
        "asked",
        "Agent De Vries",
    )
    [attachment] = body["attachments"]
    assert attachment["sha256"] == hashlib.sha256(data).hexdigest()
    assert attachment["filename"] == "bewijs.png"
    assert attachment["size"] == len(data)
    event = Event.objects.filter(action="meldpunt.case_viewed").get()
    assert (event.actor_id, event.object_id, event.details) == (user.pk, str(report.pk), {"view": "api"})


def test_case_whose_key_was_never_shared_gives_the_structured_part(make_member: Any, report: Report) -> None:
    # A handler who got a key pair after the report came in: its key was never wrapped for them.
    _colleague, token, _key = handler_with_token(make_member, Role.CASE_HANDLER)
    response = call("get", f"/cases/{report.pk}", token)
    assert response.status_code == 200
    body = response.json()
    assert body["readable"] is False
    assert "has not been shared with you" in body["unreadable_reason"]
    assert body["narrative"] is None
    assert body["identity"] is None
    assert body["messages"] is None
    assert body["kinds"] == ["intimidation", "verbal_threat"]
    assert Report.objects.get().sealed_narrative  # nothing was changed
    assert call("get", "/cases", token).json()["items"][0]["readable"] is False


def test_handler_of_other_organisation_gets_404(
    make_member: Any, report: Report, other_organisation: Organisation
) -> None:
    _stranger, token, _key = handler_with_token(make_member, Role.CASE_HANDLER, other_organisation)
    response = call("get", f"/cases/{report.pk}", token)
    missing = call("get", "/cases/999999", token)
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()
    for path, data in [("status", {"status": "in_triage", "version": 1}), ("messages", {"body": "Hallo"})]:
        assert call("post", f"/cases/{report.pk}/{path}", token, data=data).status_code == 404
    assert Report.objects.get().status == "new"
    assert not Event.objects.filter(action="meldpunt.case_viewed").exists()


def test_member_without_the_case_handler_role_gets_403(make_member: Any, report: Report) -> None:
    user, token, _key = handler_with_token(make_member, Role.CASE_HANDLER)
    Membership.objects.filter(user=user).update(role=Role.VIEWER)
    for response in [call("get", "/cases", token), call("get", f"/cases/{report.pk}", token)]:
        assert response.status_code == 403
        assert "does not handle cases" in response.json()["detail"]


# Changing a case ---------------------------------------------------------------------------------------------


def test_status_change_with_the_current_version(handler: Any, token: str, report: Report) -> None:
    response = call("post", f"/cases/{report.pk}/status", token, data={"status": "in_triage", "version": 1})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["version"]) == ("in_triage", 2)
    change = report.status_changes.get()
    assert change.changed_by == handler[0]
    assert Event.objects.filter(action="meldpunt.case_status_changed", actor_id=handler[0].pk).exists()


def test_stale_version_gets_409_with_the_current_version(handler: Any, token: str, report: Report) -> None:
    cases.change_status(report, handler[0], Report.Status.IN_TRIAGE, expected_version=1)
    response = call("post", f"/cases/{report.pk}/status", token, data={"status": "in_progress", "version": 1})
    assert response.status_code == 409
    body = response.json()
    assert (body["version"], body["status"]) == (2, "in_triage")
    assert "Someone else changed this case" in body["detail"]
    assert Report.objects.get().status == "in_triage"


def test_closing_needs_an_outcome_and_reopen_brings_it_back(token: str, report: Report) -> None:
    path = f"/cases/{report.pk}/status"
    response = call("post", path, token, data={"status": "closed", "version": 1})
    assert response.status_code == 400
    assert response.json()["errors"]["outcome"] == ["Choose the outcome of the case to close it."]
    closed = call("post", path, token, data={"status": "closed", "version": 1, "outcome": "advice_given"})
    assert closed.status_code == 200
    assert (closed.json()["status"], closed.json()["outcome"]) == ("closed", "advice_given")
    reopened = call("post", path, token, data={"status": "reopen", "version": closed.json()["version"]})
    assert reopened.status_code == 200
    assert (reopened.json()["status"], reopened.json()["outcome"]) == ("in_progress", "")


def test_invalid_status_change_requests_are_named(token: str, report: Report) -> None:
    path = f"/cases/{report.pk}/status"
    assert call("post", path, token, data={"status": "flying", "version": 1}).json()["errors"] == {
        "status": ["Unknown status: flying"]
    }
    missing = call("post", path, token, data={"status": "in_triage"})
    assert missing.status_code == 400
    assert missing.json()["errors"] == {"version": ["This field is required."]}
    assert call("post", path, token, data="{not json", content_type="application/json").status_code == 400
    assert call("post", path, token, data={"status": "reopen", "version": 1}).status_code == 400


def test_message_reaches_the_reporters_follow_up(token: str, organisation: Organisation, media: Path) -> None:
    report, code = report_for(organisation)
    response = call(
        "post", f"/cases/{report.pk}/messages", token, data={"body": "Wij bellen u morgen terug."}
    )
    assert response.status_code == 201
    assert set(response.json()) == {"id", "sent_at"}
    reporter = Client()
    log_in_with_code(reporter, code)
    assert "Wij bellen u morgen terug." in reporter.get(reverse("meldpunt:followup")).content.decode()
    assert Report.objects.get(pk=report.pk).acknowledged_at is not None


def test_empty_message_and_closed_case_are_refused(handler: Any, token: str, report: Report) -> None:
    path = f"/cases/{report.pk}/messages"
    empty = call("post", path, token, data={"body": "  "})
    assert empty.status_code == 400
    assert empty.json()["errors"] == {"body": ["Write a message first."]}
    cases.close(report, handler[0], outcome="advice_given", expected_version=1)
    closed = call("post", path, token, data={"body": "Nog één ding."})
    assert closed.status_code == 400
    assert closed.json()["errors"] == {"body": ["Reopen the case before writing to the reporter."]}


def test_message_needs_the_report_key(make_member: Any, report: Report) -> None:
    _colleague, token, _key = handler_with_token(make_member, Role.CASE_HANDLER)
    response = call("post", f"/cases/{report.pk}/messages", token, data={"body": "Hallo"})
    assert response.status_code == 403
    assert response.json()["code"] == "no_key"
    assert not report.messages.exists()


def test_key_pair_given_later_does_not_open_with_an_old_token(make_member: Any, report: Report) -> None:
    user, token, _key = handler_with_token(make_member, Role.CASE_HANDLER)
    user.handler_key.delete()
    give_key_pair(user)
    response = call("get", f"/cases/{report.pk}", token)
    assert response.status_code == 401
    assert response.json()["code"] == "key_replaced"
