"""The report builder: periodic reports and country briefs made from the known data set
(tests/insights_helpers.py), as HTML and PDF, with the releases they used; rebuilding; the pages, public and
staff, with their permissions and refusals."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import override

from accounts.models import User
from accounts.roles import Role
from audit.models import Event
from insights import analytics_db, mirror, reports
from insights.filters import PER_SOURCE, Selection
from insights.models import PolicyReport
from linkage.models import LinkageRun
from sources.models import Release, Source
from tests.conftest import MakeMember, login_verified, run_worker
from tests.incident_helpers import record, release
from tests.insights_helpers import KnownData, build_analytics

pytestmark = pytest.mark.django_db

DASH = "\u2013"  # what a table shows for no change or no figure
CITATION = "World Health Organization. Surveillance System for Attacks on Health Care. Geneva, 2024."


def url(name: str, *args: Any) -> str:
    with override("en"):
        return reverse(name, args=args)


@pytest.fixture
def known(settings: Any, tmp_path: Path) -> KnownData:
    data = build_analytics(settings, tmp_path)
    Release.objects.filter(product__source__slug="who-ssa").update(citation=CITATION)
    Source.objects.filter(slug="who-ssa").update(licence="CC BY-NC-SA 3.0 IGO")
    return data


@pytest.fixture
def analyst(make_member: MakeMember) -> User:
    return make_member(Role.ANALYST)


def made(actor: Any, selection: Selection, *, kind: str = "periodic", language: str = "en") -> PolicyReport:
    """A report built at once, in this process (the worker's part is tested on its own below)."""
    queued = reports.create_report(
        actor, title="Attacks 2023-2024", kind=kind, selection=selection, language=language
    )
    return reports.build_report(queued)


def text(html: str) -> str:
    """The words of an HTML fragment, tags removed and white space made single."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def key_figure(html: str, label: str) -> str:
    found = re.search(
        r'<span class="key-value">([^<]+)</span>\s*<span class="key-label">' + label + "<", html
    )
    assert found is not None, label
    return found.group(1)


def table_rows(html: str, caption: str) -> list[list[str]]:
    """The body rows of the table with this caption (the caption's words after 'Table N.')."""
    for table in re.findall(r"<table.*?</table>", html, re.DOTALL):
        found = re.search(r"<caption>(.*?)</caption>", table, re.DOTALL)
        if found and text(found.group(1)).endswith(caption):
            body = re.search(r"<tbody>(.*?)</tbody>", table, re.DOTALL)
            assert body is not None
            return [
                [text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)]
                for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.DOTALL)
            ]
    raise AssertionError(f"no table {caption!r}")


def pdf_text(report: PolicyReport) -> str:
    """The PDF's text: with pypdf or pdftotext where installed; otherwise the text WeasyPrint laid out on
    the pages of the same document."""
    try:
        import pypdf  # type: ignore[import-not-found]
    except ImportError:
        pypdf = None
    if pypdf is not None:
        import io

        document = pypdf.PdfReader(io.BytesIO(bytes(report.pdf)))
        return " ".join(" ".join(page.extract_text() for page in document.pages).split())
    if shutil.which("pdftotext"):
        done = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-", "-"], input=bytes(report.pdf), capture_output=True, check=True
        )
        return " ".join(done.stdout.decode().split())
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]

    page = render_to_string(reports.PDF_TEMPLATE, {"report": report, "body": mark_safe(report.html)})
    rendered = HTML(string=page).render(stylesheets=[CSS(filename=str(reports.STYLESHEET))])
    words: list[str] = []

    def walk(box: Any) -> None:
        if getattr(box, "text", None):
            words.append(box.text)
        for child in getattr(box, "children", []):
            walk(child)

    for laid_out in rendered.pages:
        walk(laid_out._page_box)
    return " ".join(" ".join(words).split())


# -- Building -------------------------------------------------------------------------------------------------


def test_a_periodic_report_holds_the_known_figures_and_records_the_releases_it_used(
    known: KnownData, analyst: User
) -> None:
    run = LinkageRun.objects.create(
        backend="duckdb", status=LinkageRun.Status.DONE, finished_at=timezone.now()
    )

    report = made(analyst, Selection())

    assert report.status == PolicyReport.Status.DONE and report.error == ""
    assert report.built_at is not None and report.steps_done == report.steps_total > 3
    html = report.html
    # De-duplicated: six incidents in three countries; four health workers killed, two kidnapped.
    assert key_figure(html, "Incidents") == "6"
    assert key_figure(html, "Countries") == "3"
    assert key_figure(html, "Health workers killed") == "4"
    assert key_figure(html, "Health workers kidnapped") == "2"
    assert key_figure(html, "Facilities destroyed") == "1"
    assert table_rows(html, "Attacks per year") == [["2023", "2", DASH], ["2024", "4", "+100.0%"]]
    # A dash: no source gives that figure for the country.
    assert table_rows(html, "Attacks per country")[0] == [
        "Afghanistan",
        "3",
        "1",
        DASH,
        "2",
        DASH,
        DASH,
        DASH,
    ]
    # Each publisher's own yearly counts, next to the de-duplicated incidents.
    assert table_rows(html, "Records per year of each source, and the de-duplicated incidents") == [
        ["2023", "2", "1", "0", "2"],  # WHO SSA, Insecurity Insight, AWSD, de-duplicated
        ["2024", "2", "2", "1", "4"],
    ]
    assert (
        "6 incidents of violence against health care were recorded from May 2, 2023 to March 5, 2024."
        in text(html)
    )

    # Every release used, with vintage and fingerprint, the linkage run and the analytics build.
    stored = {one.product.source.slug: one for one in Release.objects.select_related("product__source")}
    assert sorted(row["source"] for row in report.releases) == ["awsd", "insecurity-insight", "who-ssa"]
    for row in report.releases:
        assert row["release_id"] == stored[row["source"]].pk
        assert row["sha256"] == stored[row["source"]].sha256 and len(row["sha256"]) == 64
        assert row["vintage_date"] == "2024-03-01"
    assert {row["source"]: row["records"] for row in report.releases} == {
        "who-ssa": 4,
        "insecurity-insight": 3,
        "awsd": 1,
    }
    assert report.linkage_run_id == run.pk
    assert report.analytics_built_at is not None
    assert report.figures["totals"]["events"] == 6 and report.figures["per_year"] == {"2023": 2, "2024": 4}
    # The citations name each release with its fingerprint and the publisher's own citation.
    assert stored["who-ssa"].sha256 in html and CITATION in html and "CC BY-NC-SA 3.0 IGO" in html
    assert f"The incidents come from linkage run {run.pk}" in text(html)
    actions = list(Event.objects.filter(object_id=str(report.pk)).values_list("action", flat=True))
    assert actions == ["insights.report_created", "insights.report_built"]


def test_the_charts_are_inline_svg_with_a_name_and_description(known: KnownData, analyst: User) -> None:
    report = made(analyst, Selection())

    assert '<title id="chart-per-year-title">Attacks per year</title>' in report.html
    assert 'role="img" aria-labelledby="chart-per-year-title"' in report.html
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in report.html and "<script" not in report.html
    assert {chart["key"] for chart in report.charts} >= {
        "per-year",
        "countries",
        "families",
        "sources-per-year",
    }
    # Every chart has a table of its figures, with a caption and row and column headers.
    assert report.html.count("<figure") <= report.html.count("<caption>")
    assert '<th scope="row">2023</th>' in report.html


def test_the_pdf_holds_the_headline_figures(known: KnownData, analyst: User) -> None:
    report = made(analyst, Selection())

    pdf = bytes(report.pdf)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000
    words = pdf_text(report)
    assert "Attacks 2023-2024" in words
    assert (
        "6 incidents of violence against health care were recorded from May 2, 2023 to March 5, 2024" in words
    )
    assert "Health workers killed" in words
    assert known.records["ssa-1"].release.sha256[:16] in words.replace(" ", "")


def test_a_per_source_report_of_one_publisher_gives_its_yearly_figures(
    known: KnownData, analyst: User
) -> None:
    report = made(analyst, Selection(sources=("who-ssa",), view=PER_SOURCE))

    assert key_figure(report.html, "Records") == "4"
    assert table_rows(report.html, "Attacks per year") == [["2023", "2", DASH], ["2024", "2", "±0.0%"]]
    assert [row["source"] for row in report.releases] == ["who-ssa"]
    assert "The sources hold 4 records" in pdf_text(report)


def test_a_report_in_dutch_has_dutch_numbers_and_dates(known: KnownData, analyst: User) -> None:
    report = made(analyst, Selection(), language="nl")

    assert report.html.startswith("<article") and 'lang="nl"' in report.html
    assert table_rows(report.html, "Aanvallen per jaar")[1][2] in ("+100,0%", "+100.0%")
    assert "2 mei 2023" in report.html and "5 maart 2024" in report.html


def test_a_country_brief_covers_one_country_with_its_areas_and_map(known: KnownData, analyst: User) -> None:
    report = made(analyst, Selection(countries=("UKR",)), kind=PolicyReport.Kind.COUNTRY_BRIEF)

    assert report.status == PolicyReport.Status.DONE, report.error
    html = report.html
    assert "Country brief: Ukraine" in text(html)
    assert key_figure(html, "Incidents") == "2"
    assert "key-countries" not in html  # one country: no count of countries
    assert table_rows(html, "Attacks per year") == [["2023", "2", DASH]]
    assert sorted(row[:3] for row in table_rows(html, "Attacks per area")) == [
        ["Area not given", "1", DASH],
        ["Kyiv", "1", "2"],
    ]
    assert 'id="chart-map"' in html and 'id="chart-countries"' not in html
    assert [row["source"] for row in report.releases] == ["insecurity-insight", "who-ssa"]
    assert "country brief: ukraine" in pdf_text(report).lower()


def test_a_country_brief_needs_exactly_one_country(known: KnownData, analyst: User) -> None:
    with override("en"), pytest.raises(reports.ReportRefused, match="exactly one country; 2 chosen"):
        reports.create_report(
            analyst,
            title="Two",
            kind=PolicyReport.Kind.COUNTRY_BRIEF,
            selection=Selection(countries=("AFG", "UKR")),
            language="en",
        )
    assert not PolicyReport.objects.exists()


def test_a_report_without_an_analytics_database_fails_with_the_reason(
    settings: Any, tmp_path: Path, analyst: User
) -> None:
    settings.ANALYTICS_DIR = tmp_path / "empty"
    analytics_db.close()

    report = made(analyst, Selection())

    assert report.status == PolicyReport.Status.FAILED
    assert "does not exist yet" in report.error
    assert not bytes(report.pdf) and report.html == ""
    assert Event.objects.filter(action="insights.report_failed", object_id=str(report.pk)).exists()


# -- Rebuilding -----------------------------------------------------------------------------------------------


def test_rebuilding_records_where_it_came_from_and_gives_the_same_figures(
    known: KnownData, analyst: User
) -> None:
    first = made(analyst, Selection())

    again = reports.build_report(reports.rebuild_report(analyst, first))

    assert again.pk != first.pk and again.rebuilt_from == first
    assert again.title == first.title and again.kind == first.kind and again.selection == first.selection
    assert again.figures == first.figures and again.releases == first.releases
    changes = reports.compare_releases(first.releases, again.releases)
    assert [change.status for change in changes] == ["same", "same", "same"]
    assert f"Compared with report {first.pk}" in again.html and "same release" in again.html
    assert Event.objects.filter(action="insights.report_rebuilt", object_id=str(again.pk)).exists()


def test_a_rebuild_after_a_new_vintage_says_which_release_changed(known: KnownData, analyst: User) -> None:
    first = made(analyst, Selection(view=PER_SOURCE))
    newer = release("awsd", vintage=datetime.date(2024, 9, 1))
    record(newer, "awsd-1", date=datetime.date(2024, 3, 5), country="AFG", families=["individual_weapons"])
    record(newer, "awsd-2", date=datetime.date(2024, 7, 1), country="SYR", families=["threat"])
    mirror.refresh_all()
    analytics_db.build()

    again = reports.build_report(reports.rebuild_report(analyst, first))

    changes = {change.source: change for change in reports.compare_releases(first.releases, again.releases)}
    assert changes["awsd"].status == "changed" and changes["who-ssa"].status == "same"
    assert changes["awsd"].after is not None and changes["awsd"].after["release_id"] == newer.pk
    assert changes["awsd"].after["vintage_date"] == "2024-09-01"
    assert again.figures["totals"]["events"] == 9 and first.figures["totals"]["events"] == 8
    assert "newer release" in again.html


# -- The pages ------------------------------------------------------------------------------------------------


def test_unpublished_reports_are_hidden_from_the_public_until_published(
    known: KnownData, analyst: User, client: Client
) -> None:
    report = made(analyst, Selection())
    chart = url("insights:report_chart", report.pk, "per-year", "svg")
    for address in (url("insights:report", report.pk), url("insights:report_pdf", report.pk), chart):
        assert client.get(address).status_code == 404
    assert "Attacks 2023-2024" not in client.get(url("insights:reports")).content.decode()

    staff = login_verified(Client(), analyst)
    assert staff.post(url("insights_staff:report_publish", report.pk)).status_code == 302

    page = client.get(url("insights:report", report.pk))
    assert page.status_code == 200 and key_figure(page.content.decode(), "Incidents") == "6"
    pdf = client.get(url("insights:report_pdf", report.pk))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert f'filename="attacks-2023-2024-{report.pk}-' in pdf["Content-Disposition"]
    svg = client.get(chart)
    assert svg["Content-Type"] == "image/svg+xml" and b"<title" in svg.content
    png = client.get(url("insights:report_chart", report.pk, "per-year", "png"))
    assert png.content.startswith(b"\x89PNG")
    assert client.get(url("insights:report_chart", report.pk, "per-year", "gif")).status_code == 404
    assert (
        f'href="{url("insights:report", report.pk)}"' in client.get(url("insights:reports")).content.decode()
    )

    staff.post(url("insights_staff:report_publish", report.pk))
    assert client.get(url("insights:report", report.pk)).status_code == 404
    assert list(
        Event.objects.filter(object_id=str(report.pk), action__contains="publish").values_list(
            "action", flat=True
        )
    ) == ["insights.report_published", "insights.report_unpublished"]


def test_an_unfinished_report_cannot_be_published(known: KnownData, analyst: User) -> None:
    queued = reports.create_report(
        analyst, title="Later", kind="periodic", selection=Selection(), language="en"
    )
    staff = login_verified(Client(), analyst)
    with override("en"):
        response = staff.post(url("insights_staff:report_publish", queued.pk), follow=True)
    assert "only a finished report can be published" in response.content.decode()
    queued.refresh_from_db()
    assert not queued.is_public
    assert staff.get(url("insights_staff:report_pdf", queued.pk)).status_code == 404


def test_staff_without_analyse_data_get_403_and_visitors_the_login_page(
    known: KnownData, analyst: User, make_member: MakeMember
) -> None:
    report = made(analyst, Selection())
    viewer = login_verified(Client(), make_member(Role.VIEWER))
    anonymous = Client()
    pages = [
        url("insights_staff:reports"),
        url("insights_staff:report_new"),
        url("insights_staff:report", report.pk),
        url("insights_staff:report_document", report.pk),
        url("insights_staff:report_pdf", report.pk),
        url("insights_staff:report_chart", report.pk, "per-year", "svg"),
    ]
    for address in pages:
        assert viewer.get(address).status_code == 403, address
        assert anonymous.get(address).status_code == 302, address
    for action in ("insights_staff:report_rebuild", "insights_staff:report_publish"):
        assert viewer.post(url(action, report.pk)).status_code == 403
        assert viewer.get(url(action, report.pk)).status_code == 405
    assert PolicyReport.objects.count() == 1 and not PolicyReport.objects.get().is_public


def test_invalid_form_input_is_refused_with_400_naming_each_field(known: KnownData, analyst: User) -> None:
    staff = login_verified(Client(), analyst)
    data = {
        "title": "",
        "kind": "country_brief",
        "language": "en",
        "from": "2024-13-01",
        "to": "2023",
        "country": ["AFG", "UKR"],
        "source": ["who-ssa", "nosuch"],
        "view": "deduplicated",
    }
    with override("en"):
        response = staff.post(url("insights_staff:report_new"), data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in page and "This field is required." in page
    assert "&#x27;2024-13-01&#x27; is not a date (YYYY-MM-DD) or a year (YYYY)" in page
    assert "unknown source nosuch" in page
    with override("en"):
        response = staff.post(
            url("insights_staff:report_new"), {**data, "title": "T", "from": "", "source": []}
        )
    assert response.status_code == 400
    assert "a country brief is about exactly one country; 2 chosen" in response.content.decode()
    with override("en"):
        response = staff.post(url("insights_staff:report_new"), {**data, "kind": "poster", "title": "T"})
    assert response.status_code == 400 and "poster" in response.content.decode()
    assert not PolicyReport.objects.exists()


def test_the_staff_pages_list_a_report_and_show_what_it_was_made_from(
    known: KnownData, analyst: User
) -> None:
    report = made(analyst, Selection())
    staff = login_verified(Client(), analyst)
    with override("en"):
        listing = staff.get(url("insights_staff:reports")).content.decode()
        detail = staff.get(url("insights_staff:report", report.pk)).content.decode()
        document = staff.get(url("insights_staff:report_document", report.pk)).content.decode()
    assert f'href="{url("insights_staff:report", report.pk)}"' in listing and "hx-trigger" not in listing
    assert "hx-trigger" not in detail and "Not published" in detail
    for row in report.releases:
        assert row["sha256"] in detail
    assert key_figure(document, "Incidents") == "6"
    assert f'href="{url("insights_staff:report_chart", report.pk, "per-year", "png")}"' in document
    assert staff.get(url("insights_staff:report_pdf", report.pk)).content.startswith(b"%PDF-")


# The worker commits and closes its connections, as in production: the test needs real transactions.
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("restore_signals")
def test_an_analyst_orders_a_report_and_follows_it_until_it_is_built(
    settings: Any, tmp_path: Path, make_member: MakeMember
) -> None:
    build_analytics(settings, tmp_path)
    staff = login_verified(Client(), make_member(Role.ANALYST))
    form = staff.get(url("insights_staff:report_new")).content.decode()
    assert 'name="title"' in form and 'value="UKR"' in form

    response = staff.post(
        url("insights_staff:report_new"),
        {
            "title": "Ukraine",
            "kind": "country_brief",
            "language": "en",
            "country": "UKR",
            "view": "deduplicated",
        },
    )
    queued = PolicyReport.objects.get()
    assert response.status_code == 302 and response["Location"] == url("insights_staff:report", queued.pk)
    assert queued.status == PolicyReport.Status.QUEUED and queued.task_result_id
    with override("en"):
        page = staff.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 2s"' in page and "Waiting for the background worker." in page
    assert 'hx-trigger="every 2s"' in staff.get(url("insights_staff:reports")).content.decode()

    run_worker()

    queued.refresh_from_db()
    assert queued.status == PolicyReport.Status.DONE, queued.error
    with override("en"):
        page = staff.get(url("insights_staff:report", queued.pk)).content.decode()
    assert "hx-trigger" not in page and "Read the report" in page
    fragment = staff.get(
        url("insights_staff:report", queued.pk), headers={"HX-Request": "true"}
    ).content.decode()
    assert fragment.startswith('<div id="report-status"') and "<html" not in fragment
