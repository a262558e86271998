"""A field documenter on a phone (390 px wide) opens the new-report page, logs in on the way, fills in the form,
picks the place on the map by tapping, by typing the coordinates and with the keyboard, saves a draft, adds two
photos as evidence, and submits it from the report's page; the report becomes a record of the source "local". The page never scrolls
sideways and the strict CSP is never violated."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import Membership, Organisation, User
from accounts.roles import Role
from registry import field_reports
from registry.field_report_models import FieldReport
from tests.conftest import give_device
from tests.test_evidence_helpers import data_dir, jpeg_bytes, png_bytes  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

PASSWORD = "browser-password-for-tests"
PHONE = {"width": 390, "height": 844}


def english(name: str, **kwargs: Any) -> str:
    with translation.override("en"):
        return reverse(name, kwargs=kwargs or None)


@pytest.fixture
def documenter(transactional_db: None) -> tuple[User, Any]:
    organisation = Organisation.objects.create(
        name="Field Medics", slug="field-medics", kind=Organisation.Kind.NGO
    )
    user = User.objects.create_user(username="field-documenter", password=PASSWORD)
    Membership.objects.create(user=user, organisation=organisation, role=Role.FIELD_DOCUMENTER)
    return user, give_device(user)


@pytest.fixture
def phone(browser: Any) -> Any:
    context = browser.new_context(locale="en-GB", viewport=PHONE, has_touch=True, is_mobile=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def watch_console(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def no_sideways_scrolling(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a {PHONE['width']} px screen"


@pytest.mark.usefixtures("data_dir")
def test_a_documenter_registers_an_attack_with_photos_on_a_phone(
    phone: Any, live_server: Any, documenter: tuple[User, Any]
) -> None:
    from playwright.sync_api import expect

    user, totp = documenter
    problems = watch_console(phone)

    # A bookmark to the new-report page: the login comes first, then the form.
    phone.goto(live_server.url + english("field_reports:new"))
    phone.get_by_label("User name").fill(user.username)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Log in").click()
    phone.get_by_label("Code from your authenticator app").fill(totp.now())
    phone.get_by_role("button", name="Verify").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("New field report")
    no_sideways_scrolling(phone)

    phone.get_by_label("Date of the attack").fill("2024-02-14")
    expect(phone.get_by_role("radio", name="On this day")).to_be_checked()
    phone.get_by_role("combobox", name="Country").select_option("UKR")
    phone.get_by_label("Town, village or site (optional)").fill("Regional hospital, Kharkiv")

    # The map picker: the offline outlines are drawn, and choosing the country zoomed in on it.
    the_map = phone.locator("#report-map")
    expect(the_map).to_have_attribute("data-map-ready", "true", timeout=20_000)
    latitude, longitude = phone.get_by_label("Latitude"), phone.get_by_label("Longitude")
    # A tap sets the place.
    the_map.tap(position={"x": 150, "y": 120})
    expect(latitude).not_to_have_value("")
    expect(the_map).to_have_attribute("data-marker", re.compile(r"^\d{2}\.\d{5},\d{2}\.\d{5}$"))
    # Typed coordinates move the marker.
    latitude.fill("49.99351")
    longitude.fill("36.23038")
    longitude.press("Tab")
    expect(the_map).to_have_attribute("data-marker", "49.99351,36.23038")
    expect(phone.locator("#map-status")).to_have_text(
        "The marker is at latitude 49.99351, longitude 36.23038."
    )
    # With the keyboard: Enter on the map puts the marker at the cross in the middle, which is where the
    # marker is now (the map centred on the typed place).
    the_map.focus()
    phone.keyboard.press("ArrowRight")
    phone.wait_for_timeout(500)  # Leaflet pans in a quarter of a second
    phone.keyboard.press("Enter")
    expect(the_map).not_to_have_attribute("data-marker", "49.99351,36.23038")
    # Back to the exact place, typed.
    latitude.fill("49.99351")
    longitude.fill("36.23038")
    longitude.press("Tab")
    expect(the_map).to_have_attribute("data-marker", "49.99351,36.23038")
    phone.get_by_role("radio", name="The exact place").check()

    phone.get_by_role("checkbox", name=re.compile("^Violence with heavy weapons")).check()
    phone.get_by_role("checkbox", name=re.compile("^Health facility")).check()
    phone.get_by_role("checkbox", name="Health workers", exact=True).check()
    confirmed = phone.get_by_role("radio", name=re.compile("^Confirmed"))
    expect(confirmed).to_have_accessible_name(re.compile("two eyewitnesses"))
    confirmed.check()
    phone.get_by_role("group", name="Health workers").get_by_label("killed").fill("1")
    phone.get_by_role("group", name="Patients").get_by_label("injured").fill("3")
    phone.get_by_role("radio", name=re.compile("^State forces")).check()
    phone.get_by_label("What happened").fill("Shelling hit the paediatric ward during the morning rounds.")
    phone.get_by_label("Sources of information (restricted, optional)").fill(
        "Head nurse, via the switchboard"
    )
    no_sideways_scrolling(phone)

    phone.get_by_role("button", name="Save draft").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Field report FR-")
    expect(phone.get_by_role("status")).to_contain_text("was saved")
    expect(phone.get_by_text("It is complete: add photos or other evidence if you have them")).to_be_visible()
    report = FieldReport.objects.get()
    assert (report.status, report.latitude, report.longitude, report.geo_precision) == (
        "draft",
        49.99351,
        36.23038,
        "exact",
    )
    no_sideways_scrolling(phone)

    # Photos, with how they were collected, attached to the draft (the evidence app's form).
    phone.get_by_label("Files").set_input_files(
        [
            {"name": "ward.png", "mimeType": "image/png", "buffer": png_bytes()},
            {"name": "corridor.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()},
        ]
    )
    phone.get_by_label("Tool or device").fill("Phone camera")
    phone.get_by_role("button", name="Add as evidence").click()
    expect(phone.get_by_role("status")).to_contain_text("2 files were added as evidence")
    expect(phone.get_by_role("heading", level=1)).to_contain_text(f"Field report {report.number}")
    expect(phone.locator(".evidence-attach").get_by_role("link")).to_contain_text(
        [re.compile("corridor.jpg"), re.compile("ward.png")]
    )
    no_sideways_scrolling(phone)

    phone.get_by_role("button", name="Submit report").click()
    expect(phone.get_by_role("status")).to_have_text(f"Field report {report.number} was submitted.")
    expect(
        phone.get_by_text("Not linked yet: the next linkage run puts the record in an incident.")
    ).to_be_visible()
    record = field_reports.record_of(report)
    assert record is not None
    assert (record.country_iso3, record.health_workers_killed, record.people_injured) == ("UKR", 1, 3)
    no_sideways_scrolling(phone)

    assert problems == [], problems
