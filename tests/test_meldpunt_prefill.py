"""The report form filled in from an action-framework plan: shown with the plan's answers, nothing stored,
not counted against the intake limit, and sent like any other report."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import Organisation, ThrottleFailure
from meldpunt.models import Report
from tests.meldpunt_helpers import route_everything_to
from tests.test_guidance_wizard import forms_on, page, url

pytestmark = pytest.mark.django_db

FROM_PLAN = {
    "kinds": ["physical_violence", "verbal_threat"],
    "channel": ["in_person"],
    "perpetrator": ["relative"],
    "perpetrator_in_care": ["yes"],
    "profession": ["verpleegkundige"],
    "sector": ["hospital"],
    "frequency": ["repeated"],
}


@pytest.fixture(autouse=True)
def receiving(organisation: Organisation) -> Organisation:
    route_everything_to(organisation)
    return organisation


def prefilled(client: Client, data: dict[str, list[str]]) -> str:
    response = client.post(url("meldpunt:report_prefilled"), data)
    assert response.status_code == 200
    return page(response)


def test_the_form_shows_the_plans_answers_checked_and_selected(client: Client) -> None:
    html = prefilled(client, FROM_PLAN)
    assert "The answers from your plan have been filled in." in html
    form = next(form for form in forms_on(html) if form.action == url("meldpunt:report"))
    assert form.method == "post"
    assert sorted(form.all("kinds")) == ["physical_violence", "verbal_threat"]
    for name in ("channel", "perpetrator", "perpetrator_in_care", "profession", "sector", "frequency"):
        assert form.all(name) == FROM_PLAN[name], name
    # What the plan does not know stays empty: the form is not bound, so it shows no errors.
    assert form.all("place") == [] and form.all("occurred_month") == [""]
    assert "There is a problem" not in html


def test_unknown_values_are_left_out(client: Client) -> None:
    html = prefilled(
        client,
        {
            "kinds": ["verbal_threat", "bribery"],
            "channel": ["carrier_pigeon"],
            "profession": ["huisarts", "tandarts"],
            "narrative": ["typed elsewhere"],
            "contact_preference": ["email"],
        },
    )
    form = next(form for form in forms_on(html) if form.action == url("meldpunt:report"))
    assert form.all("kinds") == ["verbal_threat"]
    assert form.all("channel") == []
    assert form.all("profession") == ["huisarts"]  # one profession: the first that the form offers
    assert "typed elsewhere" not in html  # only what a plan can fill in is taken
    assert form.all("contact_preference") == ["receipt_only"]
    assert "bribery" not in html and "carrier_pigeon" not in html


def test_showing_the_form_stores_nothing_and_does_not_count_against_the_limit(
    client: Client, settings: Any
) -> None:
    settings.MELDPUNT_REPORT_RATE_LIMIT = 1
    for _ in range(3):
        prefilled(client, FROM_PLAN)
    assert Report.objects.count() == 0
    assert ThrottleFailure.objects.count() == 0
    assert "sessionid" not in client.cookies


def test_the_prefilled_form_is_sent_like_any_other_report(client: Client) -> None:
    html = prefilled(client, FROM_PLAN)
    form = next(form for form in forms_on(html) if form.action == url("meldpunt:report"))
    data: dict[str, list[str]] = {}
    for name, value in form.values:
        data.setdefault(name, []).append(value)
    data.update(
        {
            "place": ["hospital"],
            "occurred_month": ["3"],
            "occurred_year": ["2025"],
            "narrative": ["The son of a patient hit me on the ward when visiting hours ended."],
        }
    )
    response = client.post(form.action, data, REMOTE_ADDR="192.0.2.44")
    assert response.status_code == 200, page(response)
    report = Report.objects.get()
    assert sorted(report.kinds) == ["physical_violence", "verbal_threat"]
    assert (report.channel, report.perpetrator, report.perpetrator_in_care) == (
        "in_person",
        "relative",
        "yes",
    )
    assert (report.profession, report.sector, report.frequency) == ("verpleegkundige", "hospital", "repeated")


def test_the_address_alone_opens_the_empty_report_form(client: Client) -> None:
    response = client.get(url("meldpunt:report_prefilled"))
    assert response.status_code == 302
    assert response["Location"] == url("meldpunt:report")


def test_the_form_needs_the_csrf_token() -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(url("meldpunt:report_prefilled"), FROM_PLAN).status_code == 403
