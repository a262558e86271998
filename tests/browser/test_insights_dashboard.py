"""A visitor opens the conflict dashboard: every chart is drawn (Vega-Lite from the locally served bundle,
under the strict CSP, without a console error), a chart downloads as SVG, and choosing one source counted
per source changes the figures. The source and vintage comparisons draw their charts too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_dataset_import import english
from tests.insights_helpers import build_analytics

pytestmark = pytest.mark.browser

ALL_DRAWN = """() => {
  const charts = [...document.querySelectorAll('[data-chart]')];
  return charts.length > 0 && charts.every((chart) => chart.getAttribute('data-chart-ready') === 'true');
}"""


def watch_console(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def wait_for_charts(page: Any) -> int:
    page.wait_for_function(ALL_DRAWN, timeout=20_000)
    count = page.locator("[data-chart]").count()
    assert page.locator("[data-chart] svg").count() >= count
    return int(count)


def test_dashboard_draws_every_chart_and_follows_the_filters(
    page: Any, live_server: Any, settings: Any, tmp_path: Path, transactional_db: None
) -> None:
    from playwright.sync_api import expect

    build_analytics(settings, tmp_path)
    problems = watch_console(page)

    page.goto(live_server.url + english("insights:dashboard"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Attacks on health care in conflicts")
    assert wait_for_charts(page) == 7
    headline = page.locator(".headline-figure").first
    expect(headline).to_contain_text("Incidents")
    expect(headline).to_contain_text("6")

    with page.expect_download() as download:
        page.locator("[data-chart-downloads='per-year'] button[data-format='svg']").click()
    assert download.value.suggested_filename == "per-year.svg"
    assert "<svg" in Path(download.value.path()).read_text(encoding="utf-8")

    page.get_by_label("WHO SSA").check()
    page.get_by_label("Records per source").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**view=per_source**")
    wait_for_charts(page)
    expect(page.locator(".headline-figure").first).to_contain_text("Records")
    expect(page.locator(".headline-figure").first).to_contain_text("4")
    page.get_by_text("Show the figures as a table").first.click()
    table = page.get_by_role("table", name="Records per year and source, with the change of the total")
    expect(table).to_be_visible()
    expect(table.get_by_role("row").nth(1)).to_contain_text("2023")
    expect(table.get_by_role("columnheader").nth(1)).to_have_text("WHO SSA")

    assert not [text for text in problems if "Content Security Policy" in text], problems
    assert not problems, problems


def test_source_and_vintage_comparisons_draw_their_charts(
    page: Any, live_server: Any, settings: Any, tmp_path: Path, transactional_db: None
) -> None:
    from playwright.sync_api import expect

    build_analytics(settings, tmp_path)
    problems = watch_console(page)

    page.goto(live_server.url + english("insights:sources"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sources compared")
    assert wait_for_charts(page) == 4
    page.get_by_label("Base year of the index").select_option("2023")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**base=2023**")
    wait_for_charts(page)
    expect(page.locator("[data-chart='sources-indexed'] svg")).to_contain_text("2023 = 100")

    page.get_by_role("link", name="Vintages compared").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vintages compared")
    assert wait_for_charts(page) == 1
    assert not problems, problems
