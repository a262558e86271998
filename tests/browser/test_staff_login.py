"""A case handler's first login, in English, through two-factor enrolment; and keyboard access."""

from __future__ import annotations

import re
from typing import Any

import pyotp
import pytest

from accounts.models import Membership, Organisation, User
from accounts.roles import Role

pytestmark = pytest.mark.browser

PASSWORD = "browser-test-password-4821"


@pytest.fixture
def case_handler(transactional_db: None) -> User:
    organisation = Organisation.objects.create(
        name="Browser Test Association",
        slug="browser-test-association",
        kind=Organisation.Kind.PROFESSIONAL_ASSOCIATION,
    )
    user = User.objects.create_user(
        username="browser-case-handler", password=PASSWORD, first_name="Casey", last_name="Handler"
    )
    Membership.objects.create(user=user, organisation=organisation, role=Role.CASE_HANDLER)
    return user


def test_case_handler_switches_to_english_logs_in_and_enrols_two_factor(
    page: Any, live_server: Any, case_handler: User
) -> None:
    from playwright.sync_api import expect

    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")

    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(live_server.url + "/en/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_role("link", name="Staff login").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff login")
    page.get_by_label("User name").fill(case_handler.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # A staff member without an authenticator app is sent to enrolment before anything else.
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor login")
    assert page.url.startswith(live_server.url + "/en/")
    secret = re.sub(r"\s+", "", page.locator("#totp-secret").inner_text())
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    assert page.locator("#backup-codes li").count() > 0
    page.get_by_role("link", name="I have saved my backup codes, continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Staff")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url.startswith(live_server.url + "/en/")
    expect(page.get_by_text("Browser Test Association")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_tab_from_the_top_reaches_the_visible_skip_link_first(page: Any, live_server: Any) -> None:
    from playwright.sync_api import expect

    page.goto(live_server.url + "/en/")
    skip_link = page.locator("a.skip-link")
    hidden = skip_link.bounding_box()
    assert hidden is not None and hidden["width"] <= 1 and hidden["height"] <= 1

    page.keyboard.press("Tab")
    expect(skip_link).to_be_focused()
    shown = skip_link.bounding_box()
    assert shown is not None and shown["width"] > 50 and shown["height"] > 10
    assert shown["y"] >= 0

    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
