"""Phone intake: a case handler enters a report for a caller, who gets the receipt code read out to them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Organisation, User
from accounts.roles import Role
from audit.models import Event
from meldpunt import cases
from meldpunt.models import Report
from tests.conftest import PERSONA_PASSWORD, login_verified
from tests.meldpunt_helpers import (
    NARRATIVE,
    anonymous_client,
    log_in_with_code,
    receipt_code_in,
    route_everything_to,
    valid_report_data,
)
from tests.test_meldpunt_case_pages import log_in_with_key

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]


@pytest.fixture
def handler(make_member: Any) -> User:
    return make_member(Role.CASE_HANDLER, username="phone-phil", password=PERSONA_PASSWORD)


@pytest.fixture
def handler_client(handler: User, organisation: Organisation) -> Client:
    client = log_in_with_key(handler)
    route_everything_to(organisation)
    return client


def take_call(client: Client, **overrides: Any) -> Any:
    return client.post(reverse("cases:phone_intake"), valid_report_data(**overrides))


def test_form_asks_the_report_form_questions_without_files(handler_client: Client) -> None:
    response = handler_client.get(reverse("cases:phone_intake"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert 'name="narrative"' in html and 'name="kinds"' in html and 'name="profession"' in html
    assert 'type="file"' not in html
    assert "enctype" not in html


def test_phone_report_hands_over_a_working_receipt_code(handler_client: Client, handler: User) -> None:
    response = take_call(handler_client)
    assert response.status_code == 200
    html = response.content.decode()
    code = receipt_code_in(response)
    for group in code.split("-"):
        assert f"<code>{group}</code>" in html
    assert "ask the caller to read it back" in html
    assert "data-print" in html
    assert "no-store" in response["Cache-Control"]

    report = Report.objects.get()
    assert report.source == Report.Source.PHONE == "phone"
    assert f'href="{reverse("cases:detail", args=[report.pk])}"' in html
    assert cases.can_read(handler, report)

    event = Event.objects.get(action="meldpunt.report_submitted")
    assert (event.actor_id, event.actor_label) == (handler.pk, handler.username)
    assert event.details["source"] == "phone"
    assert NARRATIVE not in str(event.details)

    caller = anonymous_client()
    assert log_in_with_code(caller, code).status_code == 302
    assert NARRATIVE in caller.get(reverse("meldpunt:followup")).content.decode()


def test_receipt_code_is_not_kept_anywhere_the_handler_can_go_back_to(handler_client: Client) -> None:
    code = receipt_code_in(take_call(handler_client))
    report = Report.objects.get()
    for address in (reverse("cases:queue"), reverse("cases:detail", args=[report.pk])):
        assert code not in handler_client.get(address).content.decode()
    assert code not in str(list(Event.objects.values()))


def test_missing_answers_get_field_errors(handler_client: Client) -> None:
    response = take_call(handler_client, narrative="", kinds=[])
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert 'href="#id_narrative"' in html
    assert not Report.objects.exists()


def test_unrouted_report_is_refused_with_the_reason(
    make_member: Any, organisation: Organisation, handler: User
) -> None:
    route_everything_to(organisation, profession="apotheker")
    client = log_in_with_key(handler)
    response = take_call(client)
    assert response.status_code == 400
    assert "No organisation receives reports for this profession and sector" in response.content.decode()


def test_report_routed_elsewhere_has_no_case_link(
    handler_client: Client, other_organisation: Organisation
) -> None:
    route_everything_to(other_organisation, profession="tandarts", sector="dental")
    response = take_call(handler_client, profession="tandarts", sector="dental")
    assert response.status_code == 200
    report = Report.objects.get()
    assert report.organisation == other_organisation
    html = response.content.decode()
    assert reverse("cases:detail", args=[report.pk]) not in html
    assert "no link to it here" in html


def test_phone_intake_needs_the_case_handling_permission(make_member: Any) -> None:
    analyst = login_verified(Client(), make_member(Role.ANALYST))
    assert analyst.get(reverse("cases:phone_intake")).status_code == 403
    assert analyst.post(reverse("cases:phone_intake"), valid_report_data()).status_code == 403
    assert not Report.objects.exists()
