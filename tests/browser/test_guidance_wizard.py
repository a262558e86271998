"""The action-framework wizard in a browser: a nurse hit by a patient's relative answers the questions, reads her
plan, downloads it as a PDF and opens the report form with her answers filled in.

Run with: ZORGVEILIG_REQUIRE_BROWSER=1 .venv/bin/pytest -m browser tests/browser/test_guidance_wizard.py
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import Organisation
from meldpunt.models import Report, RoutingRule

pytestmark = pytest.mark.browser


def english(name: str) -> str:
    with translation.override("en"):
        return reverse(name)


@pytest.fixture
def report_point(transactional_db: None) -> Organisation:
    organisation = Organisation.objects.create(
        name="Wizard Test Association", slug="wizard-test", kind=Organisation.Kind.PROFESSIONAL_ASSOCIATION
    )
    RoutingRule.objects.create(organisation=organisation)
    return organisation


def test_a_nurse_hit_by_a_relative_gets_her_plan_a_pdf_and_a_prefilled_report(
    page: Any, live_server: Any, report_point: Organisation
) -> None:
    from playwright.sync_api import expect

    page.goto(live_server.url + english("wizard:questions"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("What happened?")
    expect(heading).to_be_focused()
    expect(page.locator(".wizard-progress")).to_have_text("Question 1 of 7")
    # htmx swaps the screens in place: this survives every screen of the wizard, a page load would not.
    page.evaluate("window.stillTheSamePage = true")

    # Continue without an answer: the error summary gets the focus and links to the question.
    page.get_by_role("button", name="Continue").click()
    summary = page.locator("#wizard-errors")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text("Choose at least one kind of incident.")

    page.get_by_label("Physical violence").check()
    page.get_by_label("Verbal threat").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".wizard-progress")).to_have_text("Question 2 of 7")
    expect(page.get_by_role("heading", level=1)).to_have_text("How did it reach you?")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    page.get_by_label("In person").check()
    page.get_by_role("button", name="Continue").click()

    page.get_by_label("Relative or close one (naaste)").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Is the patient this person is close to in your care, or were they?"
    )
    expect(page.locator(".wizard-progress")).to_have_text("Question 4 of 7")
    page.get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Continue").click()

    page.get_by_label("It happened more than once, or it is still going on").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("About your work")
    page.get_by_label("Your profession").select_option("verpleegkundige")
    page.get_by_label("The sector you work in").select_option("hospital")
    page.get_by_role("button", name="Continue").click()

    page.get_by_label("I am employed (also as a trainee or agency worker)").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    assert page.evaluate("window.stillTheSamePage") is True
    # The address never changed, and holds no answer.
    assert page.url == live_server.url + english("wizard:questions")

    # Change one answer from the check screen, and come straight back.
    page.get_by_role("button", name="Change How did it reach you?").click()
    expect(page.get_by_label("In person")).to_be_checked()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")

    page.get_by_role("button", name="Show my plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your plan")
    expect(page.locator("#step-tell_employer")).to_be_visible()
    expect(page.locator("#step-practice_warning")).to_be_visible()
    expect(page.locator("#boundary-physical_violence")).to_be_visible()
    expect(page.locator("#partner-slachtofferhulp")).to_be_visible()
    expect(page.get_by_role("button", name="Print this plan")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download as PDF").click()
    download = download_info.value
    assert re.fullmatch(r"zorgveilig-plan-\d{4}-\d{2}-\d{2}\.pdf", download.suggested_filename)
    with open(download.path(), "rb") as document:
        assert document.read(5) == b"%PDF-"

    page.get_by_role("button", name="Report this incident").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report an incident")
    expect(page.get_by_text("The answers from your plan have been filled in.")).to_be_visible()
    expect(page.get_by_label("Physical violence")).to_be_checked()
    expect(page.get_by_label("Verbal threat")).to_be_checked()
    expect(page.get_by_label("In person")).to_be_checked()
    expect(page.get_by_label("Relative or close one (naaste)")).to_be_checked()
    expect(page.get_by_label("Repeatedly")).to_be_checked()
    expect(page.get_by_label("Your profession")).to_have_value("verpleegkundige")
    expect(page.get_by_label("The sector you work in")).to_have_value("hospital")
    assert Report.objects.count() == 0
