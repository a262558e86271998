"""An analyst starts a linkage run in the browser, the worker links the records, and the analyst accepts an
uncertain pair from the review queue: the two records end up in one incident, which the incident page shows
with the source of each field."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from linkage.models import Decision, ReviewPair
from registry.models import IncidentLink
from tests.browser.test_dataset_import import analyst, english, log_in  # noqa: F401  (fixture used by name)
from tests.conftest import run_worker
from tests.incident_helpers import store_fixture

pytestmark = pytest.mark.browser


@pytest.mark.usefixtures("restore_signals")
def test_analyst_runs_linkage_and_accepts_a_pair_from_the_review_queue(
    page: Any,
    live_server: Any,
    analyst: tuple[User, Any],  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    store_fixture()
    log_in(page, live_server, *analyst)

    page.get_by_role("link", name="Linkage runs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Linkage runs")
    page.get_by_role("button", name="Start linkage").click()
    expect(page.locator("#run-status")).to_contain_text("Waiting for the worker")
    run_worker()
    # The run page polls (htmx) until the run is over, then shows its figures.
    expect(page.locator("#run-status")).to_contain_text("Records compared", timeout=15_000)
    page.get_by_role("link", name="Go to the review queue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    uncertain = ReviewPair.objects.filter(kind=ReviewPair.Kind.UNCERTAIN).order_by("-probability").first()
    assert uncertain is not None
    page.get_by_role("link", name=f"Review pair {uncertain.pk}", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Pair {uncertain.pk} to review")
    expect(page.get_by_role("table").first).to_contain_text("Comparison")

    page.get_by_label("Note (optional)").fill("Checked against the partner's report")
    page.get_by_role("button", name="Accept: the same incident").click()
    expect(page.get_by_text("Decided: the same incident.")).to_be_visible()

    decision = Decision.objects.get()
    assert decision.verdict == Decision.Verdict.SAME and decision.decided_by == analyst[0]
    first = IncidentLink.objects.get(record_key=uncertain.key_a)
    assert IncidentLink.objects.get(record_key=uncertain.key_b).incident_id == first.incident_id

    page.goto(live_server.url + english("registry:detail", first.incident_id))
    expect(page.get_by_role("heading", level=1)).to_contain_text(first.incident.number)
