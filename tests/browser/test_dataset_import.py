"""An analyst uploads a dataset file in the browser, the worker imports it, and the page follows it to the
release with its chart; the import page is usable with the keyboard."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import Membership, Organisation, User
from accounts.roles import Role
from tests.conftest import give_device, run_worker
from tests.sources_helpers import FIXTURES

pytestmark = pytest.mark.browser

PASSWORD = "browser-test-password-7315"


def english(name: str, *args: Any) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def analyst(transactional_db: None) -> tuple[User, Any]:
    organisation = Organisation.objects.create(
        name="Conflict Monitor", slug="conflict-monitor", kind=Organisation.Kind.PROFESSIONAL_ASSOCIATION
    )
    user = User.objects.create_user(username="browser-analyst", password=PASSWORD)
    Membership.objects.create(user=user, organisation=organisation, role=Role.ANALYST)
    return user, give_device(user)


def log_in(page: Any, live_server: Any, user: User, totp: Any) -> None:
    from playwright.sync_api import expect

    page.goto(live_server.url + english("accounts:login"))
    page.get_by_label("User name").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Code from your authenticator app").fill(totp.now())
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff")


@pytest.mark.usefixtures("restore_signals")
def test_analyst_uploads_a_file_and_follows_it_to_the_release(
    page: Any, live_server: Any, analyst: tuple[User, Any], settings: Any, tmp_path: Any
) -> None:
    from playwright.sync_api import expect

    settings.DATA_DIR = tmp_path
    log_in(page, live_server, *analyst)

    page.get_by_role("link", name="Datasets").click()
    page.get_by_role("link", name="Import a file").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import a dataset file")
    page.get_by_role("combobox", name="Source").select_option("who-ssa")
    page.get_by_label("Vintage date (optional)").fill("2024-03-08")
    page.locator("input[type=file]").set_input_files(str(FIXTURES / "who_ssa_attacks.csv"))
    page.get_by_role("button", name="Upload and import").click()

    expect(page.locator("#import-status")).to_contain_text("Waiting for the background worker")
    run_worker()
    # The page polls (htmx) until the import is over, then links to the release.
    expect(page.locator("#import-status")).to_contain_text("Imported as release", timeout=15_000)
    page.get_by_role("link", name="Go to the release").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("(vintage 2024-03-08)")
    expect(page.get_by_text("who_ssa_attacks.csv").first).to_be_visible()

    page.get_by_role("link", name="Releases").first.click()
    chart = page.locator("svg").first
    expect(chart).to_be_visible()
    assert chart.get_attribute("role") == "img" or chart.locator("title").count() > 0


def test_the_import_form_is_usable_with_the_keyboard(
    page: Any, live_server: Any, analyst: tuple[User, Any]
) -> None:
    from playwright.sync_api import expect

    log_in(page, live_server, *analyst)
    page.goto(live_server.url + english("sources:import"))

    # Submitting without a file keeps the analyst on the form, with the problem named and linked.
    page.get_by_role("button", name="Upload and import").focus()
    page.keyboard.press("Enter")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link").first).to_be_visible()
