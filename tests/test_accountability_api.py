"""/api/v1/accountability: the public figure without a token; investigations with a staff token (list, one,
record), scoped to the token's organisations.

`staff_token` is a member of the role under test with a token (tests.test_api_helpers.member_with_token).
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.cache import cache

from accountability import actions
from accountability.models import Investigation
from accounts.models import Membership, Organisation
from accounts.roles import Role
from audit.models import Event
from registry.models import Incident
from tests.test_api_helpers import call, member_with_token

pytestmark = pytest.mark.django_db

D = datetime.date
OPENED = {"opened": "yes", "body": "un", "status": "ongoing", "outcome": "none_yet"}


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def staff_token(make_member: Any, role: Role, organisation: Organisation | None = None) -> tuple[Any, str]:
    return member_with_token(make_member, role, organisation)


def fields(**given: Any) -> dict[str, Any]:
    found: dict[str, Any] = dict.fromkeys(actions.FIELDS)
    found.update({"body": "", "body_name": "", "status": "unknown", "outcome": "none_yet"})
    found.update(given)
    return found


@pytest.fixture
def incident() -> Incident:
    return Incident.objects.create(event_date=D(2024, 3, 1), country_iso3="SYR", certainty="confirmed")


@pytest.fixture
def analyst(make_member: Any) -> tuple[Any, str]:
    return staff_token(make_member, Role.ANALYST)


@pytest.fixture
def investigation(analyst: tuple[Any, str], organisation: Organisation, incident: Incident) -> Investigation:
    return actions.record_investigation(
        analyst[0], organisation, incident, fields(**OPENED), [{"url": "https://example.org/a", "note": "n"}]
    )


def test_the_figure_is_public(investigation: Investigation) -> None:
    response = call("get", "/accountability/figure")

    assert response.status_code == 200
    found = response.json()
    assert found["rows"] == [
        {
            "year": 2024,
            "documented": 1,
            "investigated": 1,
            "with_outcome": 0,
            "by_body": {"independent": 0, "party": 0, "un": 1, "national_court": 0, "other": 0},
        }
    ]
    assert found["totals"]["documented"] == 1
    assert found["bodies"]["un"] == "UN mechanism"


def test_documenters_and_analysts_list_their_organisations_investigations(
    make_member: Any, investigation: Investigation, other_organisation: Organisation, incident: Incident
) -> None:
    stranger, _token = staff_token(make_member, Role.ANALYST, other_organisation)
    actions.record_investigation(stranger, other_organisation, incident, fields(opened="no"))
    _documenter, token = staff_token(make_member, Role.FIELD_DOCUMENTER)

    response = call("get", "/accountability/investigations", token)

    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 1
    item = page["items"][0]
    assert (item["id"], item["number"], item["incident_number"]) == (
        investigation.pk,
        investigation.number,
        incident.number,
    )
    assert item["sources"] == [{"url": "https://example.org/a", "citation": "", "note": "n"}]
    assert (item["opened"], item["body"], item["version"]) == ("yes", "un", 1)


def test_the_list_filters_and_names_bad_filters(
    analyst: tuple[Any, str], investigation: Investigation
) -> None:
    _user, token = analyst

    assert call("get", "/accountability/investigations", token, data={"opened": "no"}).json()["count"] == 0
    assert call("get", "/accountability/investigations", token, data={"body": "un"}).json()["count"] == 1
    refused = call(
        "get",
        "/accountability/investigations",
        token,
        data={"body": "aliens", "per_page": "500", "country": "1"},
    )
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"body", "per_page", "country"}
    assert call("get", "/accountability/investigations", token, data={"page": "9"}).status_code == 404


def test_another_organisations_investigation_is_a_404(
    make_member: Any, investigation: Investigation, other_organisation: Organisation
) -> None:
    _stranger, token = staff_token(make_member, Role.ANALYST, other_organisation)

    assert call("get", f"/accountability/investigations/{investigation.pk}", token).status_code == 404
    assert call("get", "/accountability/investigations/999999", token).status_code == 404


def test_one_investigation(analyst: tuple[Any, str], investigation: Investigation) -> None:
    response = call("get", f"/accountability/investigations/{investigation.pk}", analyst[1])

    assert response.status_code == 200
    assert response.json()["organisation"] == investigation.organisation.slug


def test_an_analyst_records_an_investigation(
    analyst: tuple[Any, str], incident: Incident, organisation: Organisation
) -> None:
    response = call(
        "post",
        "/accountability/investigations",
        analyst[1],
        data={
            "incident": incident.number,
            "opened": "yes",
            "body": "national_court",
            "body_name": "District court",
            "opened_at": "2024-04-01",
            "status": "concluded",
            "outcome": "conviction",
            "outcome_at": "2024-09-30",
            "sources": [{"citation": "Judgment 2024/113"}],
        },
    )

    assert response.status_code == 201, response.json()
    found = Investigation.objects.get()
    assert response.json()["id"] == found.pk
    assert (found.organisation, found.recorded_by, found.outcome_at) == (
        organisation,
        analyst[0],
        D(2024, 9, 30),
    )
    assert [source.citation for source in found.sources.all()] == ["Judgment 2024/113"]
    assert Event.objects.filter(action="accountability.investigation_recorded").count() == 1


def test_a_bad_investigation_is_refused_naming_each_field(
    analyst: tuple[Any, str], incident: Incident
) -> None:
    response = call(
        "post",
        "/accountability/investigations",
        analyst[1],
        data={
            "incident": "I-999999",
            "opened": "no",
            "outcome": "conviction",
            "opened_at": "yesterday",
            "sources": [{"url": "ftp:/nowhere"}, {"note": "only a note"}],
        },
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"incident", "opened_at", "outcome", "sources"}
    assert len(errors["sources"]) == 2 and errors["sources"][0].startswith("Source 1, url:")
    retired = Incident.objects.create(status=Incident.Status.RETIRED, merged_into=incident)
    refused = call(
        "post", "/accountability/investigations", analyst[1], data={"incident": retired.number, **OPENED}
    )
    assert refused.status_code == 400
    assert f"merged into {incident.number}" in refused.json()["errors"]["incident"][0]
    wrong = call(
        "post",
        "/accountability/investigations",
        analyst[1],
        data={"incident": incident.number, **OPENED, "outcome": "conviction", "opened": "no"},
    )
    assert wrong.json()["errors"] == {
        "outcome": ["Only an investigation that was opened can have an outcome."]
    }
    assert not Investigation.objects.exists()


def test_documenters_may_not_record_and_others_may_not_read(make_member: Any, incident: Incident) -> None:
    _documenter, documenter_token = staff_token(make_member, Role.FIELD_DOCUMENTER)
    _viewer, viewer_token = staff_token(make_member, Role.VIEWER)
    data = {"incident": incident.number, **OPENED}

    assert call("post", "/accountability/investigations", documenter_token, data=data).status_code == 403
    assert call("get", "/accountability/investigations", viewer_token).status_code == 403
    assert call("get", "/accountability/investigations").status_code == 401
    assert not Investigation.objects.exists()


def test_a_member_of_several_organisations_says_which(
    make_member: Any, incident: Incident, other_organisation: Organisation
) -> None:
    user, token = staff_token(make_member, Role.ANALYST)
    Membership.objects.create(user=user, organisation=other_organisation, role=Role.ANALYST)
    data = {"incident": incident.number, **OPENED}

    unsure = call("post", "/accountability/investigations", token, data=data)
    chosen = call(
        "post",
        "/accountability/investigations",
        token,
        data={**data, "organisation": other_organisation.slug},
    )

    assert unsure.status_code == 400 and "organisation" in unsure.json()["errors"]
    assert chosen.status_code == 201
    assert Investigation.objects.get().organisation == other_organisation
