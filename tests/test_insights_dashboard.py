"""The public conflict dashboard, the source comparison, the vintage comparison, the Figures overview and
the staff refresh, on the known data set of tests/insights_helpers.py (every number by hand)."""

from __future__ import annotations

import datetime
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from accounts.roles import Role
from insights import analytics_db, labels, mirror
from insights.tasks import refresh_analytics
from insights.templatetags.dashboard_numbers import change, number, percent
from tests.conftest import MakeMember, login_verified
from tests.incident_helpers import record, release
from tests.insights_helpers import build_analytics, make_known_data

pytestmark = pytest.mark.django_db

D = datetime.date
DASH = "\u2013"  # no change to show
MINUS = "\u2212"


class Page(HTMLParser):
    """The tables (by caption, rows of cell texts), the chart specifications (json_script by id), the
    headings, the links and the attributes a strict CSP forbids."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.scripts: dict[str, Any] = {}
        self.h1: list[str] = []
        self.links: list[str] = []
        self.inline_scripts = 0
        self.style_attributes = 0
        self.text = ""
        self._caption: str | None = None
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._script: str | None = None
        self._script_text: list[str] = []
        self._in_h1 = False
        self._in_caption = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "style" in attributes:
            self.style_attributes += 1
        if tag == "script":
            if attributes.get("type") == "application/json":
                self._script, self._script_text = str(attributes["id"]), []
            elif not attributes.get("src"):
                self.inline_scripts += 1
        elif tag == "table":
            self._table, self._caption = [], ""
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []
        elif tag == "h1":
            self._in_h1 = True
            self.h1.append("")
        elif tag == "a" and attributes.get("href"):
            self.links.append(str(attributes["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script:
            self.scripts[self._script] = json.loads("".join(self._script_text))
            self._script = None
        elif tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None and self._table is not None:
            self._table[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table" and self._table is not None:
            self.tables[" ".join((self._caption or "").split())] = self._table
            self._table = None
        elif tag == "h1":
            self._in_h1 = False

    def handle_data(self, data: str) -> None:
        if self._script:
            self._script_text.append(data)
            return
        self.text += data
        if self._in_caption:
            self._caption = (self._caption or "") + data
        if self._cell is not None:
            self._cell.append(data)
        if self._in_h1:
            self.h1[-1] += data.strip()

    def table(self, starts: str) -> list[list[str]]:
        found = [rows for caption, rows in self.tables.items() if caption.startswith(starts)]
        assert found, f"no table captioned {starts!r}; the tables are {list(self.tables)}"
        return found[0]


def url(name: str, query: str = "") -> str:
    with translation.override("en"):
        return reverse(name) + (f"?{query}" if query else "")


def get(client: Client, name: str, query: str = "", status: int = 200) -> Page:
    response = client.get(url(name, query))
    assert response.status_code == status, response.content.decode()[:2000]
    return Page(response.content.decode())


def rows_of(table: list[list[str]]) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in table[1:]}


@pytest.fixture
def known(settings: Any, tmp_path: Path) -> None:
    build_analytics(settings, tmp_path)


@pytest.fixture
def missing(settings: Any, tmp_path: Path) -> None:
    settings.ANALYTICS_DIR = tmp_path / "never-built"
    analytics_db.close()


@pytest.fixture
def analyst(client: Client, make_member: MakeMember) -> Client:
    return login_verified(client, make_member(Role.ANALYST))


# -- The dashboard --------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("known")
def test_dashboard_shows_the_deduplicated_figures_to_anyone(client: Client) -> None:
    page = get(client, "insights:dashboard")
    assert page.h1 == ["Attacks on health care in conflicts"]
    assert rows_of(page.table("Incidents per year")) == {"2023": ["2", DASH], "2024": ["4", "+100.0%"]}
    months = rows_of(page.table("Incidents per month"))
    assert months["June 2023"] == ["1", "±0.0%"] and months["March 2024"] == ["2", "+100.0%"]
    assert rows_of(page.table("Countries with the most attacks"))["Afghanistan"][:3] == ["3", "1", "0"]
    assert rows_of(page.table("Kinds of attack")) == {
        "Heavy weapons": ["2"],
        "Individual weapons": ["2"],
        "Threats and intimidation": ["1"],
        "Abduction, arrest or detention": ["1"],
    }
    harmed = rows_of(page.table("Health workers and facilities harmed per year"))
    assert harmed["2023"] == ["2", "1", "0", "0", "0", "1"]
    assert "Of the 3 attacks whose perpetrator is known, 2 (66.7%) were by state actors." in page.text
    # Headline figures: 6 incidents in 3 countries, 4 health workers killed.
    assert re.search(r"Incidents\s*6\s*Countries\s*3\s*Health workers killed\s*4", page.text)


@pytest.mark.usefixtures("known")
def test_every_chart_has_a_specification_a_table_and_downloads(client: Client) -> None:
    response = client.get(url("insights:dashboard"))
    page = Page(response.content.decode())
    charts = {"per-year", "per-month", "harmed", "countries", "families", "resources", "perpetrators"}
    assert charts <= set(page.scripts)
    for chart in charts:
        assert page.scripts[chart]["$schema"].endswith("vega-lite/v6.json")
    html = response.content.decode()
    assert html.count('data-format="svg"') == html.count('data-format="png"') == len(charts)
    assert html.count('<details class="chart-table">') == len(charts)
    # The strict CSP: no inline script, no style attribute; the chart code is served from static files.
    assert page.inline_scripts == 0 and page.style_attributes == 0
    assert "/static/insights/charts.js" in html and "/static/vendor/vega/vega-embed.min.js" in html


@pytest.mark.usefixtures("known")
def test_one_publisher_per_source_gives_its_own_yearly_figures(client: Client) -> None:
    page = get(client, "insights:dashboard", "source=who-ssa&view=per_source")
    table = page.table("Records per year and source")
    assert table[0] == ["Year", "WHO SSA", "Total", "Change on the year before"]
    assert rows_of(table) == {"2023": ["2", "2", DASH], "2024": ["2", "2", "±0.0%"]}
    spec = page.scripts["per-year"]
    assert {(row["label"], row["year"], row["events"]) for row in spec["data"]["values"]} == {
        ("WHO SSA", 2023, 2),
        ("WHO SSA", 2024, 2),
    }
    several = get(client, "insights:dashboard", "source=who-ssa&source=insecurity-insight&view=per_source")
    assert rows_of(several.table("Records per year and source")) == {
        "2023": ["2", "1", "3", DASH],
        "2024": ["2", "2", "4", "+33.3%"],
    }


@pytest.mark.usefixtures("known")
def test_filters_change_the_figures(client: Client) -> None:
    page = get(client, "insights:dashboard", "from=2024&country=AFG&certainty=unverified&view=per_source")
    assert rows_of(page.table("Records per year and source")) == {"2024": ["1", "1", DASH]}
    assert "Showing records per source: 2024-01-01 to the last record; Afghanistan;" in " ".join(
        page.text.split()
    )
    nothing = get(client, "insights:dashboard", "from=2020&to=2021")
    assert "No records match this selection." in nothing.text
    assert "Incidents per year" not in " ".join(nothing.tables)


@pytest.mark.usefixtures("known")
@pytest.mark.parametrize(
    ("query", "parameter", "says"),
    [
        ("from=last+year", "from", "'last year' is not a date"),
        ("from=2024&to=2023", "to", "the end (2023-12-31) is before the start (2024-01-01)"),
        ("source=who", "source", "unknown source who; the sources are who-ssa, insecurity-insight, awsd"),
        ("view=all", "view", "'all' is not a view"),
        ("country=Ukraine", "country", "UKRAINE: not a three-letter country code"),
        ("certainty=sure", "certainty", "unknown certainty sure"),
    ],
)
def test_a_refused_parameter_gives_400_with_the_form_naming_it(
    client: Client, query: str, parameter: str, says: str
) -> None:
    response = client.get(url("insights:dashboard", query))
    assert response.status_code == 400
    html = response.content.decode()
    assert f"<code>{parameter}</code>" in html
    assert says in " ".join(Page(html).text.split())
    assert 'class="field-error"' in html and 'role="search"' in html
    assert "Incidents per year" not in html


@pytest.mark.usefixtures("missing")
def test_without_the_analytics_database_the_pages_say_so(client: Client) -> None:
    for name in ("insights:dashboard", "insights:sources", "insights:vintages"):
        page = get(client, name)
        assert "The figures are not available at the moment." in page.text
        assert "analytics.duckdb" not in page.text  # where the file lives is for staff
    assert "Refresh the analytics database" not in get(client, "insights:dashboard").text


@pytest.mark.usefixtures("missing")
def test_without_the_analytics_database_an_analyst_gets_the_refresh_button(analyst: Client) -> None:
    page = get(analyst, "insights:dashboard")
    assert "The figures are not available at the moment." in page.text
    assert "Refresh the analytics database" in page.text and "analytics.duckdb" in page.text


@pytest.mark.usefixtures("known")
def test_an_analyst_sees_completeness_and_the_build(analyst: Client, client: Client) -> None:
    page = get(analyst, "insights:dashboard")
    completeness = rows_of(page.table("How complete each source's records are"))
    assert completeness["WHO SSA"] == ["4", "0.0%", "0.0%", "100.0%", "100.0%", "0"]
    assert completeness["Insecurity Insight"][:3] == ["3", "100.0%", "100.0%"]
    assert "The analytics database was built on" in page.text
    assert "Refresh the analytics database" in page.text
    public = Client().get(url("insights:dashboard")).content.decode()
    assert "How complete each source" not in public and "Refresh the analytics database" not in public


@pytest.mark.usefixtures("known")
def test_a_case_handler_sees_the_public_dashboard_only(client: Client, make_member: MakeMember) -> None:
    login_verified(client, make_member(Role.CASE_HANDLER))
    page = get(client, "insights:dashboard")
    assert "For analysts" not in page.text


@pytest.mark.usefixtures("known")
def test_refresh_queues_one_task_and_the_dashboard_links_to_it(analyst: Client) -> None:
    response = analyst.post(url("insights_staff:refresh"))
    assert response.status_code == 302
    assert response["Location"].startswith(url("insights:dashboard"))
    queued = DBTaskResult.objects.get(task_path=refresh_analytics.module_path)
    assert queued.args_kwargs["kwargs"]["parts"] == ["incidents", "nl_reports", "records"]
    analyst.post(url("insights_staff:refresh"))  # a second request while it waits adds nothing
    assert DBTaskResult.objects.filter(task_path=refresh_analytics.module_path).count() == 1
    page = get(analyst, "insights:dashboard")
    assert "A refresh of the analytics database was already waiting in the queue." in page.text
    assert reverse("jobs:detail", args=[queued.id]) in page.links
    assert "Queued" in page.text


@pytest.mark.usefixtures("known")
def test_refresh_is_for_analysts_only(client: Client, make_member: MakeMember) -> None:
    anonymous = client.post(url("insights_staff:refresh"))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    login_verified(client, make_member(Role.CASE_HANDLER))
    assert client.post(url("insights_staff:refresh")).status_code == 403
    assert not DBTaskResult.objects.exists()


# -- Sources side by side -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("known")
def test_source_comparison_shows_each_line_absolute_and_indexed(client: Client) -> None:
    page = get(client, "insights:sources")
    absolute = page.table("Attacks per year and source")
    assert absolute[0] == ["Year", "WHO SSA", "Insecurity Insight", "AWSD", "De-duplicated incidents"]
    assert rows_of(absolute) == {"2023": ["2", "1", "0", "2"], "2024": ["2", "2", "1", "4"]}
    indexed = page.table("Attacks per year and source as an index (2024 = 100)")
    assert rows_of(indexed)["2023"] == ["100.0", "50.0", "", "50.0"]
    assert "The index puts every line at 100 in 2024." in page.text
    assert {"sources-absolute", "sources-indexed", "overlap-matrix", "overlap-alone"} <= set(page.scripts)
    assert page.scripts["sources-indexed"]["title"] == "Attacks per year by source, indexed (2024 = 100)"


@pytest.mark.usefixtures("known")
def test_source_comparison_takes_a_base_year(client: Client) -> None:
    page = get(client, "insights:sources", "base=2023")
    assert rows_of(page.table("Attacks per year and source as an index (2023 = 100)"))["2024"] == [
        "100.0",
        "200.0",
        "",
        "200.0",
    ]
    refused = client.get(url("insights:sources", "base=1999"))
    assert refused.status_code == 400
    assert (
        "'1999' is not a year with figures; the years are 2023" + DASH + "2024"
        in Page(refused.content.decode()).text
    )


@pytest.mark.usefixtures("known")
def test_source_comparison_shows_the_overlap_from_linkage(client: Client) -> None:
    page = get(client, "insights:sources")
    matrix = page.table("Incidents of the row's source")
    assert matrix[0] == ["Incidents of", "WHO SSA", "Insecurity Insight", "AWSD", "Only this source"]
    assert rows_of(matrix) == {
        "WHO SSA": ["4", "2", "0", "2"],
        "Insecurity Insight": ["2", "3", "0", "1"],
        "AWSD": ["0", "0", "1", "1"],
    }
    alone = rows_of(page.table("Per source: its incidents"))
    assert alone["WHO SSA"] == ["4", "2", "2", "50.0%"]
    assert "Record linkage joined the sources' records into 6 incidents; 2 of them" in " ".join(
        page.text.split()
    )


# -- Vintages -------------------------------------------------------------------------------------------------


@pytest.fixture
def two_vintages(settings: Any, tmp_path: Path) -> None:
    settings.ANALYTICS_DIR = tmp_path / "analytics"
    analytics_db.close()
    make_known_data()
    earlier = release("who-ssa", vintage=D(2023, 9, 1))
    for number_, day in enumerate((D(2022, 3, 1), D(2023, 5, 2), D(2023, 6, 10), D(2023, 7, 1)), start=1):
        record(earlier, f"ssa-{number_}", date=day)
    mirror.refresh_all()
    analytics_db.build()


@pytest.mark.usefixtures("two_vintages")
def test_vintage_comparison_explains_a_revised_change(client: Client) -> None:
    page = get(client, "insights:vintages", "source=who-ssa")
    table = page.table("Each year's count and its change on the year before, as each vintage gives them")
    assert table[0] == [
        "Year",
        "2023-09-01: count",
        "2023-09-01: change on the year before",
        "2024-03-01: count",
        "2024-03-01: change on the year before",
    ]
    assert rows_of(table) == {
        "2022": ["1", DASH, "", DASH],
        "2023": ["3", "+200.0%", "2", DASH],
        "2024": ["", DASH, "2", "±0.0%"],
    }
    assert (
        "The vintage of 2023-09-01 counted 3 for 2023; the vintage of 2024-03-01 counts 2. So the change on the "
        "year before, as each vintage gives it, goes from +200.0% to nothing to compare with." in page.text
    )
    bars = page.scripts["vintages"]["data"]["values"]
    assert {"year": 2023, "vintage": "2023-09-01", "events": 3} in bars


@pytest.mark.usefixtures("two_vintages")
def test_vintage_comparison_chooses_the_product_with_most_vintages(client: Client) -> None:
    page = get(client, "insights:vintages")
    assert "2 vintages of this product have been imported." in page.text
    one = get(client, "insights:vintages", "source=awsd")
    assert "This product has one vintage so far" in one.text


@pytest.mark.usefixtures("two_vintages")
@pytest.mark.parametrize(
    ("query", "parameter", "says"),
    [
        ("source=unhcr", "source", "unknown source 'unhcr'; the sources with vintages are who-ssa"),
        ("source=who-ssa&product=dashboard", "product", "who-ssa has no product 'dashboard'"),
    ],
)
def test_vintage_comparison_refuses_an_unknown_source_or_product(
    client: Client, query: str, parameter: str, says: str
) -> None:
    response = client.get(url("insights:vintages", query))
    assert response.status_code == 400
    html = response.content.decode()
    assert f"<code>{parameter}</code>" in html and says in Page(html).text


# -- The site's Figures page, numbers and labels --------------------------------------------------------------


@pytest.mark.usefixtures("known")
def test_figures_page_gives_headline_figures_and_links(client: Client) -> None:
    response = client.get("/en/figures/")
    page = Page(response.content.decode())
    assert re.search(r"Incidents\s*6\s*Countries\s*3\s*Health workers killed\s*4", page.text)
    assert rows_of(page.table("The records of each source")) == {
        "WHO Surveillance System for Attacks on Health Care (SSA)": ["4", "March 1, 2024"],
        "Insecurity Insight": ["3", "March 1, 2024"],
        "Aid Worker Security Database (AWSD)": ["1", "March 1, 2024"],
    }
    assert url("insights:dashboard") in page.links and url("insights:sources") in page.links


@pytest.mark.usefixtures("missing")
def test_figures_page_without_the_analytics_database_invents_nothing(client: Client) -> None:
    response = client.get("/en/figures/")
    assert response.status_code == 200
    page = Page(response.content.decode())
    assert "The conflict figures are not available at the moment" in page.text
    main = page.text.split("Figures", 1)[1].split("In acute danger")[0]
    assert not re.search(r"\d", main)


def test_numbers_follow_the_page_language() -> None:
    with translation.override("nl"):
        assert (number(1634), percent(58.25), change(-11.6)) == ("1.634", "58,2%", MINUS + "11,6%")
        assert labels.country_label("SYR") == "Syrië"
    with translation.override("en"):
        assert (number(1634), percent(58.25), change(123.9)) == ("1,634", "58.2%", "+123.9%")
        assert labels.country_label("SYR") == "Syria"
        assert labels.country_label("COD") == "DR Congo"
        assert labels.source_label("who-ssa") == "WHO SSA"
        assert labels.family_label("deprivation_of_liberty") == "Abduction, arrest or detention"
        assert labels.perpetrator_label("state") == "State actors"
        assert labels.count_label("health_workers_killed") == "Health workers killed"
        assert labels.source_label("new-source") == "new-source"  # an unnamed code is shown as it is
