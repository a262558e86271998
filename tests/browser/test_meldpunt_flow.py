"""The whole meldpunt in a browser: a reporter reports, a case handler reads and replies, they talk back.

Run with: ZORGVEILIG_REQUIRE_BROWSER=1 .venv/bin/pytest -m browser tests/browser/test_meldpunt_flow.py
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import Membership, Organisation, User
from accounts.roles import Role
from meldpunt.models import Report, RoutingRule
from tests.conftest import give_device

pytestmark = pytest.mark.browser

PASSWORD = "browser-flow-password-7350"
NARRATIVE = (
    "A patient's relative waited for me at the car park and said he knew where my children go to school."
)
REPLY = "Thank you for reporting this. Have you told your employer? We can help you file a police report."
ANSWER = "My manager knows. Yes please, I would like help with the police report."


def english(name: str, *args: Any) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def handler(transactional_db: None) -> tuple[User, Any]:
    organisation = Organisation.objects.create(
        name="Flow Test Association", slug="flow-test", kind=Organisation.Kind.PROFESSIONAL_ASSOCIATION
    )
    RoutingRule.objects.create(organisation=organisation)
    user = User.objects.create_user(username="flow-handler", password=PASSWORD)
    Membership.objects.create(user=user, organisation=organisation, role=Role.CASE_HANDLER)
    totp = give_device(user)
    # A handler who has logged in before has a key pair, so new reports are wrapped for them.
    assert Client().post(english("accounts:login"), {"username": user.username, "password": PASSWORD})
    return user, totp


def test_report_reply_and_answer_between_reporter_and_handler(
    browser: Any, page: Any, live_server: Any, handler: tuple[User, Any]
) -> None:
    from playwright.sync_api import expect

    user, totp = handler
    reporter = page

    # The reporter fills in the public form, in English, without an account.
    reporter.goto(live_server.url + english("meldpunt:report"))
    expect(reporter.get_by_role("heading", level=1)).to_have_text("Report an incident")
    reporter.get_by_label("Verbal threat").check()
    reporter.get_by_label("Intimidation", exact=True).check()
    reporter.get_by_label("In person").check()
    reporter.get_by_label("Practice").check()
    reporter.get_by_label("Relative or close one (naaste)").check()
    reporter.get_by_label("Month").select_option("3")
    reporter.get_by_label("Year").fill("2025")
    reporter.get_by_label("Repeatedly").check()
    reporter.get_by_label("What happened, in your own words").fill(NARRATIVE)
    reporter.get_by_label("Your profession").select_option("huisarts")
    reporter.get_by_label("The sector you work in").select_option("general_practice")
    reporter.get_by_role("button", name="Send report").click()

    expect(reporter.get_by_role("heading", level=1)).to_have_text("Your report has been received")
    code = reporter.locator(".receipt-code code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code)
    report = Report.objects.get()

    # The case handler logs in with password and authenticator code, and opens the case from the queue.
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    handler_page = context.new_page()
    try:
        handler_page.goto(live_server.url + english("accounts:login"))
        handler_page.get_by_label("User name").fill(user.username)
        handler_page.get_by_label("Password").fill(PASSWORD)
        handler_page.get_by_role("button", name="Log in").click()
        expect(handler_page.get_by_role("heading", level=1)).to_have_text("Two-factor login")
        handler_page.get_by_label("Code from your authenticator app").fill(totp.now())
        handler_page.get_by_role("button", name="Verify").click()
        expect(handler_page.get_by_role("heading", level=1)).to_have_text("Staff")

        handler_page.goto(live_server.url + english("cases:queue"))
        expect(handler_page.get_by_role("heading", level=1)).to_have_text("Case queue")
        queue = handler_page.get_by_role("table")
        expect(queue.get_by_role("row")).to_have_count(2)  # the header and this one case
        queue.get_by_role("link", name=f"Case #{report.pk}").click()

        expect(handler_page.get_by_role("heading", level=1)).to_have_text(f"Case #{report.pk}")
        expect(handler_page.locator(".narrative")).to_contain_text(NARRATIVE)
        handler_page.get_by_label("Message to the reporter").fill(REPLY)
        handler_page.get_by_role("button", name="Send to the reporter").click()
        expect(handler_page.get_by_role("status").first).to_contain_text("Your message has been sent")
        expect(handler_page.locator(".timeline-from-handler")).to_contain_text(REPLY)

        # The reporter comes back with the receipt code, reads the reply and answers.
        reporter.goto(live_server.url + english("meldpunt:followup_login"))
        reporter.get_by_label("Receipt code").fill(code)
        reporter.get_by_role("button", name="Open my report").click()
        expect(reporter.get_by_role("heading", level=1)).to_have_text("Your report")
        expect(reporter.locator(".message-list")).to_contain_text(REPLY)
        reporter.get_by_label("Your message").fill(ANSWER)
        reporter.get_by_role("button", name="Send message").click()
        expect(reporter.locator(".message-list")).to_contain_text(ANSWER)

        # The handler sees the answer: in the queue as unread, on the case page in the timeline.
        handler_page.goto(live_server.url + english("cases:queue"))
        expect(handler_page.locator(".unread")).to_have_text("1 message")
        handler_page.get_by_role("link", name=f"Case #{report.pk}").click()
        expect(handler_page.locator(".timeline-from-reporter")).to_contain_text(ANSWER)
        expect(handler_page.get_by_text("Read by the reporter on")).to_be_visible()
    finally:
        context.close()
