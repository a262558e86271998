"""A visitor opens the map: the offline world outlines are drawn with the choropleth over them, the located
incidents in clusters, the layer control works from the keyboard, a marker's popup names the event, and the
strict CSP is never violated. An analyst's popup links to the incident's page."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from tests.browser.test_dataset_import import analyst, english, log_in  # noqa: F401  (fixture used by name)
from tests.insights_helpers import KnownData, build_analytics

pytestmark = pytest.mark.browser

OVERLAY_PATHS = ".leaflet-overlay-pane svg path"


@pytest.fixture
def known(transactional_db: None, settings: Any, tmp_path: Any) -> KnownData:
    return build_analytics(settings, tmp_path)


def watch_console(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def open_map(page: Any, live_server: Any, query: str = "") -> None:
    from playwright.sync_api import expect

    page.goto(live_server.url + english("insights:map") + query)
    expect(page.get_by_role("heading", level=1)).to_have_text("Map of attacks on health care")
    expect(page.locator("#map")).to_have_attribute("data-map-ready", "true", timeout=20_000)


def choropleth_fills(page: Any) -> list[str]:
    colours = page.evaluate(
        "Array.from(document.querySelectorAll('.leaflet-overlay-pane svg path'))"
        ".map(path => path.getAttribute('fill'))"
    )
    return [colour for colour in colours if colour and colour != "#d9d9d9"]


def test_the_map_draws_countries_and_clustered_incidents_without_breaking_the_csp(
    page: Any, live_server: Any, known: KnownData
) -> None:
    from playwright.sync_api import expect

    problems = watch_console(page)
    open_map(page, live_server)

    # Every country outline of the offline world (241 in countries-50m), and the three countries with events
    # again, filled by their class.
    assert page.locator(OVERLAY_PATHS).count() >= 241
    assert len(choropleth_fills(page)) == 3
    # At world zoom the two Afghan incidents make one cluster, Kyiv and Syria another.
    clusters = page.locator(".marker-cluster")
    expect(clusters).to_have_count(2)
    expect(clusters).to_have_text(["2", "2"])
    expect(page.locator("#map-status")).to_have_text("Showing all 4 located events.")
    expect(page.locator(".map-legend")).to_contain_text("Events per country")

    # A cluster is a button: Enter zooms in until its markers are apart.
    clusters.first.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".leaflet-marker-icon:not(.marker-cluster)").first).to_be_visible()

    page.get_by_text("Show the countries as a table").click()
    expect(page.get_by_role("table")).to_contain_text("Afghanistan")

    assert problems == [], problems


def test_the_layer_control_works_from_the_keyboard(page: Any, live_server: Any, known: KnownData) -> None:
    from playwright.sync_api import expect

    open_map(page, live_server)
    countries = page.get_by_role("checkbox", name="Countries")
    incidents = page.get_by_role("checkbox", name="Incidents")
    expect(countries).to_be_checked()

    countries.focus()
    page.keyboard.press("Space")
    expect(countries).not_to_be_checked()
    assert choropleth_fills(page) == []
    page.keyboard.press("Space")
    expect(countries).to_be_checked()
    assert len(choropleth_fills(page)) == 3

    incidents.focus()
    page.keyboard.press("Space")
    expect(page.locator(".leaflet-marker-icon")).to_have_count(0)
    page.keyboard.press("Space")
    expect(page.locator(".marker-cluster")).to_have_count(2)


def test_a_country_filter_zooms_to_its_country(page: Any, live_server: Any, known: KnownData) -> None:
    from playwright.sync_api import expect

    problems = watch_console(page)
    open_map(page, live_server, "?country=AFG&view=per_source")

    assert len(choropleth_fills(page)) == 1
    expect(page.get_by_role("checkbox", name="Records")).to_be_checked()
    # Zoomed in on Afghanistan: the country fills much of the map (at world zoom it is some 40 pixels wide).
    afghanistan = page.locator(f"{OVERLAY_PATHS}:not([fill='#d9d9d9'])")
    box = afghanistan.bounding_box()
    assert box is not None and box["width"] > 300, box
    expect(page.locator(".marker-cluster")).to_have_text(["2"])
    assert problems == [], problems


def test_a_markers_popup_names_the_event(page: Any, live_server: Any, known: KnownData) -> None:
    from playwright.sync_api import expect

    problems = watch_console(page)
    open_map(page, live_server, "?country=UKR")

    page.get_by_role("button", name="Event of 2023-05-02 in Ukraine").click()
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("Kyiv")
    expect(popup).to_contain_text("Heavy weapons")
    expect(popup).to_contain_text("Insecurity Insight, WHO SSA")
    expect(popup).to_contain_text("Health workers killed")
    expect(popup.get_by_role("link")).to_have_count(0)  # no incident pages for the public
    assert problems == [], problems


def test_an_analysts_popup_links_to_the_incident(
    page: Any,
    live_server: Any,
    known: KnownData,
    analyst: tuple[User, Any],  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    log_in(page, live_server, *analyst)
    open_map(page, live_server, "?country=UKR")
    ukraine = known.incidents["ukr"]

    page.get_by_role("button", name="Event of 2023-05-02 in Ukraine").click()
    page.locator(".leaflet-popup-content").get_by_role("link", name=f"Open incident {ukraine.number}").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(ukraine.number)
