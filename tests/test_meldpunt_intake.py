"""The public report form: validation, anonymous and named reports, routing, sealing and the receipt page."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import Organisation
from accounts.roles import Role
from audit.models import Event
from meldpunt import actions, routing, sealing
from meldpunt.models import Report, ReportKey
from tests.meldpunt_helpers import (
    NARRATIVE,
    REPORTER_EMAIL,
    REPORTER_NAME,
    anonymous_client,
    cleaned_report_data,
    give_key_pair,
    receipt_code_in,
    route_everything_to,
    submit,
    valid_report_data,
)
from zorgveilig import crypto

pytestmark = pytest.mark.usefixtures("english_pages", "media_dir")


@pytest.fixture
def receiving(organisation: Organisation) -> Organisation:
    route_everything_to(organisation)
    return organisation


def test_form_works_without_javascript_and_has_one_h1(db: None, receiving: Organisation) -> None:
    response = anonymous_client().get(reverse("meldpunt:report"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert 'enctype="multipart/form-data"' in html
    assert "<legend>Your details (optional)</legend>" in html or "Your details (optional)</legend>" in html
    assert html.count("<fieldset") >= 8  # every group of checkboxes or radio buttons is a fieldset


def test_form_page_does_not_start_a_session(db: None, receiving: Organisation) -> None:
    client = anonymous_client()
    client.get(reverse("meldpunt:report"))
    submit(client)
    assert "sessionid" not in client.cookies


def test_missing_answers_get_field_errors_linked_from_a_summary(db: None, receiving: Organisation) -> None:
    response = submit(anonymous_client(), valid_report_data(kinds=[], narrative="", occurred_month=""))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert 'href="#id_kinds_0"' in html
    assert 'href="#id_narrative"' in html
    assert "Choose at least one kind of incident." in html
    assert "Choose the month it happened in." in html
    assert Report.objects.count() == 0


def test_future_date_and_impossible_day_are_refused(db: None, receiving: Organisation) -> None:
    response = submit(anonymous_client(), valid_report_data(occurred_year="2999"))
    assert "This date is in the future." in response.content.decode()
    response = submit(anonymous_client(), valid_report_data(occurred_month="2", occurred_day="30"))
    assert "This month does not have that many days." in response.content.decode()


def test_email_contact_needs_an_email_address(db: None, receiving: Organisation) -> None:
    response = submit(anonymous_client(), valid_report_data(contact_preference="email"))
    assert "Enter an email address, or choose another way of contact." in response.content.decode()


def test_anonymous_report_stores_choices_in_plain_and_text_sealed(db: None, receiving: Organisation) -> None:
    response = submit(anonymous_client())
    assert response.status_code == 200
    report = Report.objects.get()
    assert report.is_anonymous
    assert report.organisation == receiving
    assert report.status == Report.Status.NEW
    assert report.kinds == ["intimidation", "verbal_threat"]
    assert report.profession == "huisarts"
    assert report.province == "ZE"
    assert report.occurred_on.isoformat() == "2025-03-01"
    assert report.occurred_precision == "month"
    assert report.acknowledged_at is None
    assert NARRATIVE.encode() not in bytes(report.sealed_narrative)


def test_day_given_stores_day_precision(db: None, receiving: Organisation) -> None:
    submit(anonymous_client(), valid_report_data(occurred_day="14"))
    report = Report.objects.get()
    assert (report.occurred_on.isoformat(), report.occurred_precision) == ("2025-03-14", "day")


def test_named_report_seals_identity_and_contact(db: None, receiving: Organisation) -> None:
    data = valid_report_data(
        name=REPORTER_NAME,
        employer="Huisartsenpraktijk Test",
        contact_preference="email",
        email=REPORTER_EMAIL,
    )
    code = receipt_code_in(submit(anonymous_client(), data))
    report = Report.objects.get()
    assert not report.is_anonymous
    key = sealing.unlock_with_receipt(report, code)
    assert key is not None
    content = sealing.open_report(key, report)
    assert content.narrative == NARRATIVE
    assert content.identity == {"name": REPORTER_NAME, "employer": "Huisartsenpraktijk Test"}
    assert content.contact == {"email": REPORTER_EMAIL}


def test_sealed_field_does_not_open_as_another_field(db: None, receiving: Organisation) -> None:
    code = receipt_code_in(submit(anonymous_client(), valid_report_data(name=REPORTER_NAME)))
    report = Report.objects.get()
    key = sealing.unlock_with_receipt(report, code)
    assert key is not None
    with pytest.raises(crypto.DecryptionError):
        sealing.open_json(key, report.pk, sealing.NARRATIVE, bytes(report.sealed_identity))


def test_report_key_is_wrapped_for_handlers_with_keys_recovery_and_receipt(
    db: None, receiving: Organisation, make_member: Any
) -> None:
    from accounts.keys import create_recovery_key

    handler = make_member(Role.CASE_HANDLER)
    handler_private = give_key_pair(handler)
    admin = make_member(Role.ADMIN)
    give_key_pair(admin)
    analyst = make_member(Role.ANALYST)  # no HANDLE_CASES: gets no key
    give_key_pair(analyst)
    make_member(Role.CASE_HANDLER)  # never logged in, so no key pair yet
    create_recovery_key(receiving)

    code = receipt_code_in(submit(anonymous_client()))
    report = Report.objects.get()
    wrapped = {(key.kind, key.user_id) for key in ReportKey.objects.filter(report=report)}
    assert wrapped == {("handler", handler.pk), ("handler", admin.pk), ("recovery", None), ("receipt", None)}

    handler_copy = ReportKey.objects.get(report=report, user=handler)
    data_key = crypto.unwrap_key(
        handler_private,
        bytes(handler_copy.wrapped_key),
        context=sealing.handler_key_context(report.pk, handler.pk),
    )
    assert data_key == sealing.unlock_with_receipt(report, code)
    assert sealing.open_report(data_key, report).narrative == NARRATIVE


def test_report_nobody_at_the_organisation_can_read_is_accepted_and_flagged(
    db: None, receiving: Organisation, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="meldpunt.actions"):
        response = submit(anonymous_client())
    assert response.status_code == 200
    report = Report.objects.get()
    assert list(ReportKey.objects.filter(report=report).values_list("kind", flat=True)) == ["receipt"]
    assert Event.objects.filter(
        action="meldpunt.report_unreadable_by_staff", object_id=str(report.pk)
    ).exists()
    assert "cannot be read by its staff" in caplog.text


def test_submission_is_audited_without_content(db: None, receiving: Organisation) -> None:
    submit(anonymous_client(), valid_report_data(name=REPORTER_NAME))
    event = Event.objects.get(action="meldpunt.report_submitted")
    assert event.actor_id is None
    assert event.organisation_id == receiving.pk
    assert event.details["fields"] == ["name", "narrative"]
    assert NARRATIVE not in str(event.details)
    assert REPORTER_NAME not in str(event.details)


def test_receipt_code_is_shown_once_on_a_printable_page(db: None, receiving: Organisation) -> None:
    client = anonymous_client()
    response = submit(client)
    code = receipt_code_in(response)
    html = response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    assert "meldpunt/print.js" in html
    assert "Write this code down or print this page now" in html
    assert code not in response.get("Location", "")
    # Nothing afterwards shows it again: not the form, not the follow-up page.
    assert code not in client.get(reverse("meldpunt:report")).content.decode()
    assert code not in client.get(reverse("meldpunt:followup_login")).content.decode()


def test_only_the_lookup_hash_of_the_code_is_stored(db: None, receiving: Organisation) -> None:
    code = receipt_code_in(submit(anonymous_client()))
    report = Report.objects.get()
    assert report.receipt_lookup == crypto.receipt_lookup_hash(code)
    assert code not in report.receipt_lookup
    assert code.replace("-", "") not in report.receipt_lookup


def test_most_specific_routing_rule_wins(
    db: None, organisation: Organisation, other_organisation: Organisation
) -> None:
    third = Organisation.objects.create(name="Derde", slug="derde", kind=Organisation.Kind.OTHER)
    route_everything_to(organisation)  # the fallback
    route_everything_to(other_organisation, profession="verpleegkundige")
    route_everything_to(third, profession="verpleegkundige", sector="hospital")
    route_everything_to(third, sector="mental_health", priority=5)
    assert routing.receiving_organisation("verpleegkundige", "hospital") == third
    assert routing.receiving_organisation("verpleegkundige", "elderly_care") == other_organisation
    assert routing.receiving_organisation("huisarts", "mental_health") == third
    assert routing.receiving_organisation("huisarts", "general_practice") == organisation


def test_lower_priority_number_wins_among_equal_rules(
    db: None, organisation: Organisation, other_organisation: Organisation
) -> None:
    route_everything_to(organisation, sector="hospital", priority=50)
    route_everything_to(other_organisation, sector="hospital", priority=10)
    assert routing.receiving_organisation("huisarts", "hospital") == other_organisation


def test_report_goes_to_the_routed_organisation(
    db: None, organisation: Organisation, other_organisation: Organisation
) -> None:
    route_everything_to(organisation)
    route_everything_to(other_organisation, profession="apotheker")
    submit(anonymous_client(), valid_report_data(profession="apotheker", sector="pharmacy"))
    assert Report.objects.get().organisation == other_organisation


def test_form_says_so_when_no_organisation_takes_reports(db: None) -> None:
    response = anonymous_client().get(reverse("meldpunt:report"))
    html = response.content.decode()
    assert "cannot take reports at the moment" in html
    assert '<form method="post" action="/report' not in html.replace("/en", "")
    response = submit(anonymous_client())
    assert Report.objects.count() == 0
    assert "cannot take reports at the moment" in response.content.decode()


def test_unrouted_combination_gets_a_clear_error(db: None, organisation: Organisation) -> None:
    route_everything_to(organisation, profession="apotheker")
    response = submit(anonymous_client())
    assert response.status_code == 400
    assert "No organisation receives reports for this profession and sector yet" in response.content.decode()
    assert Report.objects.count() == 0


def test_submit_report_action_is_callable_without_a_request(db: None, receiving: Organisation) -> None:
    report, code = actions.submit_report(cleaned_report_data())
    assert crypto.normalise_receipt_code(code) == code
    assert report.receipt_lookup == crypto.receipt_lookup_hash(code)


def test_english_form_lives_under_translated_path(db: None, receiving: Organisation) -> None:

    with translation.override("en"):
        english = reverse("meldpunt:report")
    with translation.override("nl"):
        dutch = reverse("meldpunt:report")
    assert english.startswith("/en/")
    assert anonymous_client().get(english).status_code == 200
    assert anonymous_client().get(dutch).status_code == 200
