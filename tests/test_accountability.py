"""Accountability per incident: recording and changing investigations (with their sources and audit events),
who may see and do what, the panel for the incident page, and the public figure with known numbers.

The figure's data (`figure_world`):

| incident | year | certainty | investigations                                                        |
|----------|------|-----------|-----------------------------------------------------------------------|
| I1       | 2023 | confirmed | the party itself (opened, none yet); a UN mechanism (opened, violation) |
| I2       | 2023 | possible  | the party itself, not opened                                          |
| I3       | 2024 | confirmed | a national court, recorded twice by two organisations (opened)        |
| I4       | 2024 | rumour    | an independent body (opened): not counted, a rumour is not published  |
| I5       | 2024 | retired into I3 | a national court (opened, conviction): counts for I3             |
| I6       | —    | confirmed | none                                                                  |

So 2023: 2 documented, 1 investigated, 1 with an outcome (party 1, UN 1); 2024: 1 documented (I3), 1
investigated, 1 with an outcome (national court 1); 1 undated.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from accountability import actions, figure
from accountability.models import Investigation
from accounts.models import Organisation
from accounts.roles import Role
from audit.models import Event
from registry.models import Incident
from tests.conftest import MakeMember, login_verified

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]

D = datetime.date
OPENED = {"opened": "yes", "status": "ongoing", "outcome": "none_yet"}


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def url(name: str, *args: Any, **query: Any) -> str:
    from urllib.parse import urlencode

    with translation.override("en"):
        found = reverse(name, args=args)
    return f"{found}?{urlencode(query)}" if query else found


def make_incident(**fields: Any) -> Incident:
    fields.setdefault("event_date", D(2024, 3, 1))
    fields.setdefault("country_iso3", "SYR")
    fields.setdefault("certainty", "confirmed")
    return Incident.objects.create(**fields)


def fields(**given: Any) -> dict[str, Any]:
    found: dict[str, Any] = dict.fromkeys(actions.FIELDS)
    found.update({"body": "", "body_name": "", "status": "unknown", "outcome": "none_yet"})
    found.update(given)
    return found


def post_data(incident: Incident | None = None, **given: Any) -> dict[str, Any]:
    """What the new-investigation form posts, with two empty source rows unless sources are given."""
    sources = given.pop("sources", [])
    data = {
        "opened": "yes",
        "body": "un",
        "body_name": "",
        "opened_at": "",
        "status": "ongoing",
        "outcome": "none_yet",
        "outcome_at": "",
        "sources-TOTAL_FORMS": str(max(2, len(sources))),
        "sources-INITIAL_FORMS": "0",
        "sources-MIN_NUM_FORMS": "0",
        "sources-MAX_NUM_FORMS": "20",
    }
    if incident is not None:
        data["incident_number"] = incident.number
    for number, source in enumerate(sources):
        for name, value in source.items():
            data[f"sources-{number}-{name}"] = value
    data.update(given)
    return data


@pytest.fixture
def analyst(make_member: MakeMember) -> Any:
    return make_member(Role.ANALYST)


@pytest.fixture
def analyst_client(analyst: Any) -> Client:
    return login_verified(Client(), analyst)


# -- Recording ------------------------------------------------------------------------------------------------


def test_an_analyst_records_an_investigation_with_its_sources(
    analyst_client: Client, analyst: Any, organisation: Organisation
) -> None:
    incident = make_incident()
    response = analyst_client.post(
        url("accountability:new"),
        post_data(
            incident,
            body="national_court",
            body_name="Court of Appeal",
            opened_at="2024-04-02",
            sources=[
                {"url": "https://example.org/ruling", "note": "the court's press release"},
                {"citation": "Letter of the ministry, 3 May 2024"},
            ],
        ),
    )

    investigation = Investigation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("accountability:detail", investigation.pk)
    assert (investigation.incident, investigation.organisation, investigation.recorded_by) == (
        incident,
        organisation,
        analyst,
    )
    assert (investigation.opened, investigation.body, investigation.body_name) == (
        "yes",
        "national_court",
        "Court of Appeal",
    )
    assert investigation.opened_at == D(2024, 4, 2)
    assert [(source.url, source.citation, source.note) for source in investigation.sources.all()] == [
        ("https://example.org/ruling", "", "the court's press release"),
        ("", "Letter of the ministry, 3 May 2024", ""),
    ]
    event = Event.objects.get(action="accountability.investigation_recorded")
    assert event.object_id == str(investigation.pk)
    assert event.details == {
        "incident": incident.pk,
        "opened": "yes",
        "body": "national_court",
        "status": "ongoing",
        "outcome": "none_yet",
        "version": 1,
        "sources": 2,
    }


def test_the_form_starts_from_the_incident_it_was_opened_for(analyst_client: Client) -> None:
    incident = make_incident()

    content = analyst_client.get(url("accountability:new", incident=incident.pk)).content.decode()

    assert f'value="{incident.number}"' in content


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        ({"opened": "maybe"}, "opened", "Select a valid choice."),
        ({"body": ""}, "body", "Say who opened the investigation."),
        ({"body": "other"}, "body_name", "Name the body when it is none of those in the list."),
        (
            {"opened": "no", "outcome": "conviction"},
            "outcome",
            "Only an investigation that was opened can have an outcome.",
        ),
        (
            {"opened": "unknown", "opened_at": "2024-01-01"},
            "opened_at",
            "Only an investigation that was opened",
        ),
        ({"outcome_at": "2024-05-01"}, "outcome_at", "Give the date of an outcome only when there is one."),
        ({"opened_at": "2999-01-01"}, "opened_at", "This date is in the future."),
        (
            {"opened_at": "2024-05-01", "outcome": "violation", "outcome_at": "2024-04-01"},
            "outcome_at",
            "The outcome cannot come before the investigation was opened.",
        ),
        ({"incident_number": "I-999999"}, "incident_number", "There is no incident with this number"),
        ({"opened_at": "2024-13-45"}, "opened_at", "Enter a valid date."),
    ],
)
def test_a_bad_investigation_is_refused_with_the_field_named(
    analyst_client: Client, given: dict[str, str], field: str, message: str
) -> None:
    incident = make_incident()

    response = analyst_client.post(url("accountability:new"), post_data(incident, **given))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert any(message in error for error in errors[field]), errors[field]
    assert f'href="#id_{field}"' in response.content.decode()
    assert not Investigation.objects.exists()


def test_a_source_needs_an_address_or_a_citation(analyst_client: Client) -> None:
    incident = make_incident()

    bad_address = analyst_client.post(
        url("accountability:new"), post_data(incident, sources=[{"url": "not an address"}])
    )
    only_a_note = analyst_client.post(
        url("accountability:new"), post_data(incident, sources=[{"note": "somewhere"}])
    )

    assert bad_address.status_code == only_a_note.status_code == 400
    assert "Source 1, Web address" in bad_address.content.decode()
    assert "Give a web address or a citation for this note." in only_a_note.content.decode()
    assert not Investigation.objects.exists()


def test_a_retired_incident_is_refused_naming_the_incident_it_went_to(
    analyst_client: Client, analyst: Any, organisation: Organisation
) -> None:
    heir = make_incident()
    retired = make_incident(status=Incident.Status.RETIRED, merged_into=heir)

    response = analyst_client.post(url("accountability:new"), post_data(retired))

    assert response.status_code == 400
    assert f"was merged into {heir.number}" in str(response.context["form"].errors["incident_number"])
    with pytest.raises(actions.ValidationError):
        actions.record_investigation(analyst, organisation, retired, fields(**OPENED, body="un"))
    assert not Investigation.objects.exists()


def test_the_database_refuses_an_outcome_of_an_investigation_never_opened(
    organisation: Organisation,
) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Investigation.objects.create(
            incident=make_incident(), organisation=organisation, opened="no", outcome="conviction"
        )


# -- Changing -------------------------------------------------------------------------------------------------


def test_a_change_records_which_fields_changed_and_never_their_text(
    analyst_client: Client, analyst: Any, organisation: Organisation
) -> None:
    investigation = actions.record_investigation(
        analyst, organisation, make_incident(), fields(**OPENED, body="party")
    )
    data = post_data(
        opened="yes",
        body="party",
        body_name="Secret inquiry board",
        status="concluded",
        outcome="disciplinary",
        outcome_at="2024-06-01",
        version="1",
        sources=[{"citation": "Internal memo", "note": "seen by our staff"}],
    )

    response = analyst_client.post(url("accountability:edit", investigation.pk), data)

    assert response.status_code == 302
    investigation.refresh_from_db()
    assert (investigation.status, investigation.outcome, investigation.version) == (
        "concluded",
        "disciplinary",
        2,
    )
    event = Event.objects.get(action="accountability.investigation_changed")
    assert event.details["changed"] == ["body_name", "status", "outcome", "outcome_at", "sources"]
    stored = json.dumps(event.details)
    for text in ("Secret inquiry board", "Internal memo", "seen by our staff"):
        assert text not in stored


def test_nothing_is_written_when_nothing_changed(analyst: Any, organisation: Organisation) -> None:
    investigation = actions.record_investigation(
        analyst, organisation, make_incident(), fields(**OPENED, body="un"), [{"url": "https://example.org/"}]
    )

    actions.change_investigation(
        analyst, investigation, fields(**OPENED, body="un"), [{"url": "https://example.org/", "note": ""}]
    )

    assert not Event.objects.filter(action="accountability.investigation_changed").exists()
    assert Investigation.objects.get().version == 1


def test_a_change_over_someone_elses_is_refused(
    analyst_client: Client, analyst: Any, organisation: Organisation
) -> None:
    investigation = actions.record_investigation(
        analyst, organisation, make_incident(), fields(**OPENED, body="un")
    )
    actions.change_investigation(analyst, investigation, fields(**OPENED, body="party"), [])

    response = analyst_client.post(
        url("accountability:edit", investigation.pk), post_data(body="independent", version="1")
    )

    assert response.status_code == 409
    assert "Someone else changed this investigation" in response.content.decode()
    assert Investigation.objects.get().body == "party"


# -- Who may do what ------------------------------------------------------------------------------------------


@pytest.fixture
def investigation(analyst: Any, organisation: Organisation) -> Investigation:
    return actions.record_investigation(
        analyst, organisation, make_incident(), fields(**OPENED, body="un", body_name="Commission of Inquiry")
    )


def test_field_documenters_read_but_do_not_change(
    make_member: MakeMember, investigation: Investigation
) -> None:
    client = login_verified(Client(), make_member(Role.FIELD_DOCUMENTER))

    listed = client.get(url("accountability:list"))
    assert listed.status_code == 200
    assert investigation.number in listed.content.decode()
    assert (
        "Commission of Inquiry" in client.get(url("accountability:detail", investigation.pk)).content.decode()
    )
    assert client.get(url("accountability:new")).status_code == 403
    assert client.get(url("accountability:edit", investigation.pk)).status_code == 403
    assert client.post(url("accountability:edit", investigation.pk), post_data()).status_code == 403


@pytest.mark.parametrize("role", [Role.CASE_HANDLER, Role.VIEWER, Role.PROFESSION_EDITOR])
def test_other_roles_get_403(make_member: MakeMember, investigation: Investigation, role: Role) -> None:
    client = login_verified(Client(), make_member(role))

    for address in (
        url("accountability:list"),
        url("accountability:detail", investigation.pk),
        url("accountability:new"),
        url("accountability:edit", investigation.pk),
    ):
        assert client.get(address).status_code == 403, address


def test_visitors_are_sent_to_the_login_page(client: Client, investigation: Investigation) -> None:
    response = client.get(url("accountability:list"))

    assert response.status_code == 302
    assert response["Location"].startswith(url("accounts:login"))


def test_another_organisations_investigation_is_a_404(
    make_member: MakeMember, investigation: Investigation, other_organisation: Organisation
) -> None:
    client = login_verified(Client(), make_member(Role.ANALYST, other_organisation))

    assert client.get(url("accountability:detail", investigation.pk)).status_code == 404
    assert client.get(url("accountability:edit", investigation.pk)).status_code == 404
    assert client.get(url("accountability:detail", 999999)).status_code == 404
    assert investigation.number not in client.get(url("accountability:list")).content.decode()


def test_the_list_filters(analyst_client: Client, analyst: Any, organisation: Organisation) -> None:
    syria = make_incident(country_iso3="SYR")
    ukraine = make_incident(country_iso3="UKR")
    first = actions.record_investigation(analyst, organisation, syria, fields(**OPENED, body="un"))
    second = actions.record_investigation(analyst, organisation, ukraine, fields(opened="no", body="party"))

    def shown(**query: str) -> set[str]:
        page = analyst_client.get(url("accountability:list", **query))
        return {item.number for item in page.context["investigations"]}

    assert shown() == {first.number, second.number}
    assert shown(country="UKR") == {second.number}
    assert shown(opened="yes") == {first.number}
    assert shown(incident=syria.number) == {first.number}
    refused = analyst_client.get(url("accountability:list", country="XX1", body="nobody"))
    assert refused.status_code == 400
    assert set(refused.context["form"].errors) == {"country", "body"}


# -- The panel on the incident page ---------------------------------------------------------------------------


def _panel(user: Any, incident: Incident) -> str:
    request = RequestFactory().get("/")
    request.user = user
    with translation.override("en"):
        return render_to_string("accountability/incident_panel.html", {"incident": incident}, request=request)


def test_the_incident_panel_lists_its_investigations_and_those_of_incidents_merged_into_it(
    analyst: Any, organisation: Organisation, make_member: MakeMember, other_organisation: Organisation
) -> None:
    incident = make_incident()
    merged = make_incident()
    own = actions.record_investigation(analyst, organisation, incident, fields(**OPENED, body="un"))
    earlier = actions.record_investigation(analyst, organisation, merged, fields(**OPENED, body="party"))
    Incident.objects.filter(pk=merged.pk).update(status=Incident.Status.RETIRED, merged_into=incident)
    stranger = make_member(Role.ANALYST, other_organisation)
    theirs = actions.record_investigation(stranger, other_organisation, incident, fields(opened="no"))

    content = _panel(analyst, incident)

    assert own.number in content and earlier.number in content
    assert f"recorded on {merged.number}" in content
    assert theirs.number not in content
    assert f"?incident={incident.pk}" in content  # the link to record another
    assert "Record an investigation" not in _panel(make_member(Role.FIELD_DOCUMENTER), incident)
    assert _panel(make_member(Role.VIEWER), incident).strip() == ""


# -- The public figure ----------------------------------------------------------------------------------------


@pytest.fixture
def figure_world(
    analyst: Any, organisation: Organisation, make_member: MakeMember, other_organisation: Organisation
) -> None:
    i1 = make_incident(event_date=D(2023, 3, 1))
    i2 = make_incident(event_date=D(2023, 9, 1), certainty="possible")
    i3 = make_incident(event_date=D(2024, 2, 1))
    i4 = make_incident(event_date=D(2024, 5, 1), certainty="rumour")
    i5 = make_incident(event_date=D(2024, 2, 2))
    make_incident(event_date=None)
    record = actions.record_investigation
    record(analyst, organisation, i1, fields(**OPENED, body="party"))
    record(analyst, organisation, i1, fields(**{**OPENED, "outcome": "violation"}, body="un"))
    record(analyst, organisation, i2, fields(opened="no", body="party"))
    record(analyst, organisation, i3, fields(**OPENED, body="national_court"))
    other = make_member(Role.ANALYST, other_organisation)
    record(other, other_organisation, i3, fields(**OPENED, body="national_court"))
    record(analyst, organisation, i4, fields(**OPENED, body="independent"))
    record(analyst, organisation, i5, fields(**{**OPENED, "outcome": "conviction"}, body="national_court"))
    Incident.objects.filter(pk=i5.pk).update(status=Incident.Status.RETIRED, merged_into=i3)


def test_the_figure_counts_incidents_documented_investigated_and_with_an_outcome(figure_world: None) -> None:
    cache.clear()
    data = figure.figure_data()

    nobody = {f"by_{body}": 0 for body in figure.BODIES}
    assert data["rows"] == [
        {
            "year": 2023,
            "documented": 2,
            "investigated": 1,
            "with_outcome": 1,
            **nobody,
            "by_party": 1,
            "by_un": 1,
        },
        {
            "year": 2024,
            "documented": 1,
            "investigated": 1,
            "with_outcome": 1,
            **nobody,
            "by_national_court": 1,
        },
    ]
    assert data["undated"] == 1
    assert (data["totals"]["documented"], data["totals"]["investigated"], data["totals"]["with_outcome"]) == (
        3,
        2,
        2,
    )


def test_the_figure_follows_a_new_investigation_at_once(
    figure_world: None, analyst: Any, organisation: Organisation
) -> None:
    assert figure.figure_data()["totals"]["investigated"] == 2
    i2 = Incident.objects.get(event_date=D(2023, 9, 1))

    actions.record_investigation(analyst, organisation, i2, fields(**OPENED, body="independent"))

    assert figure.figure_data()["totals"]["investigated"] == 3


def test_the_public_figure_page_has_the_chart_and_its_table(client: Client, figure_world: None) -> None:
    response = client.get(url("accountability_public:figure"))

    assert response.status_code == 200
    content = response.content.decode()
    spec = json.loads(response.context["chart"] and json.dumps(response.context["chart"]))
    assert spec["encoding"]["xOffset"]["field"] == "measure"
    assert {(row["year"], row["measure"], row["value"]) for row in spec["data"]["values"]} >= {
        ("2023", "Documented attacks", 2),
        ("2023", "With an investigation opened", 1),
        ("2024", "With an outcome", 1),
    }
    assert 'id="accountability-per-year"' in content  # the spec, as json_script
    assert "<caption>Attacks documented, investigated and with an outcome, per year</caption>" in content
    assert "1 documented attack has no date" in content
    assert "vega-lite.min.js" in content
    assert "<script>" not in content  # nothing inline: the CSP forbids it


def test_the_public_figure_page_works_without_any_data(client: Client) -> None:
    response = client.get(url("accountability_public:figure"))

    assert response.status_code == 200
    assert "No attack has been documented yet." in response.content.decode()
