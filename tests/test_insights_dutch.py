"""The statistics page of the Dutch report point (insights:dutch): public figures with small counts hidden,
exact counts for case handlers of their own organisation's reports only.

The reports, made through meldpunt.actions.submit_report and copied by insights.analytics_db.build():

| group | n | year | kinds                          | channel      | profession      | sector           | province | who            |
|-------|---|------|--------------------------------|--------------|-----------------|------------------|----------|----------------|
| A     | 6 | 2025 | verbal threat                  | in person    | huisarts        | general practice | NH       | patient        |
| B     | 2 | 2025 | verbal threat, intimidation    | phone        | verpleegkundige | hospital         | ZE       | relative       |
| C     | 5 | 2024 | physical violence              | in person    | ambulance       | ambulance        | UT       | citizen        |
| D     | 1 | 2023 | doxing                         | social media | apotheker       | pharmacy         | (none)   | online account |

A, B and C go to `organisation`, D to `other_organisation` (a routing rule for pharmacists). Per year 1, 5,
8 (14 in all): the 1 is shown as "<5", and the 8 is hidden as "x" (hiding the 5 instead would publish
"<5" + "x" = 6, so 1 + 5). Per profession, sector, province and who did it: 6, 5, 2 and 1, the 2 and 1 as
"<5" ("<5" + "<5" = 3: either can be 1 or 2). In 2025, kind x channel is verbal threat: in person 6, phone 2;
intimidation: phone 2 (10 mentions by 8 reports): the small counts are "<5", the 8 reports of verbal threat
"x", and the grand total "x" because the per-year table hides 2025.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from insights import analytics_db
from meldpunt.actions import submit_report
from meldpunt.models import RoutingRule
from meldpunt.vocabulary import Profession
from tests.conftest import verified_client
from tests.meldpunt_helpers import NARRATIVE, cleaned_report_data, route_everything_to

pytestmark = pytest.mark.django_db

GROUPS = [
    (6, {"occurred_year": "2025", "kinds": ["verbal_threat"], "channel": "in_person", "profession": "huisarts",
         "sector": "general_practice", "province": "NH", "perpetrator": "patient"}),
    (2, {"occurred_year": "2025", "kinds": ["verbal_threat", "intimidation"], "channel": "phone",
         "profession": "verpleegkundige", "sector": "hospital", "province": "ZE", "perpetrator": "relative"}),
    (5, {"occurred_year": "2024", "kinds": ["physical_violence"], "channel": "in_person",
         "profession": "ambulance", "sector": "ambulance", "province": "UT", "perpetrator": "citizen"}),
    (1, {"occurred_year": "2023", "kinds": ["doxing"], "channel": "social_media", "profession": "apotheker",
         "sector": "pharmacy", "province": "", "perpetrator": "online_account"}),
]  # fmt: skip


def build_with(settings: Any, tmp_path: Path, groups: list[tuple[int, dict[str, Any]]]) -> None:
    settings.ANALYTICS_DIR = tmp_path / "analytics"
    analytics_db.close()
    for count, fields in groups:
        for _ in range(count):
            submit_report(cleaned_report_data(**fields))
    analytics_db.build()


@pytest.fixture
def analytics(settings: Any, tmp_path: Path, organisation: Any, other_organisation: Any) -> None:
    route_everything_to(organisation)
    RoutingRule.objects.create(organisation=other_organisation, profession="apotheker")
    build_with(settings, tmp_path, GROUPS)


# -- Reading the page -----------------------------------------------------------------------------------------


class _Tables(HTMLParser):
    """Every table of a page as {caption: [[cell text, ...], ...]} (header and footer rows included); a
    hidden count reads as its mark, '<5' or 'x' (the words for screen readers after it left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption: str | None = None
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._rows, self._caption = [], ""
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None and self._rows is not None:
            text = " ".join("".join(self._cell).split())
            for mark, words in (("<5", "fewer than 5"), ("x", "hidden")):
                if text == f"{mark}{words}":
                    text = mark
            self._rows[-1].append(text)
            self._cell = None
        elif tag == "table" and self._rows is not None:
            self.tables[" ".join((self._caption or "").split())] = self._rows
            self._rows = None

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self._caption = (self._caption or "") + data
        elif self._cell is not None:
            self._cell.append(data)


def tables_of(response: Any) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(response.content.decode())
    return parser.tables


def column(table: list[list[str]]) -> dict[str, str]:
    """A table of one dimension as {label: count} (the header row left out)."""
    return {row[0]: row[1] for row in table[1:]}


def chart_specs(response: Any) -> list[dict[str, Any]]:
    html = response.content.decode()
    return [
        json.loads(found)
        for found in re.findall(
            r'<script id="chart-[^"]+" type="application/json">(.*?)</script>', html, re.S
        )
    ]


def numbers_in_tables(response: Any) -> list[str]:
    return [cell for table in tables_of(response).values() for row in table[1:] for cell in row[1:]]


def page(client: Client, query: str = "", language: str = "en") -> Any:
    with translation.override(language):
        url = reverse("insights:dutch")
    return client.get(url + query)


# -- The public page ------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("analytics")
def test_public_page_shows_the_small_year_as_under_5_and_hides_what_would_give_it_away(
    client: Client,
) -> None:
    response = page(client)
    assert response.status_code == 200
    per_year = tables_of(response)["Reports per year"]
    # "<5" + 5 + "x" = 14: the small year is 1 to 4 (the x then 5 to 8).
    assert per_year[1:] == [["2023", "<5"], ["2024", "5"], ["2025", "x"], ["Total", "14"]]
    html = response.content.decode()
    assert (
        '<span class="hidden-count" aria-hidden="true">&lt;5</span><span class="visually-hidden">fewer than 5'
        in html
    )


@pytest.mark.usefixtures("analytics")
def test_public_page_never_shows_a_count_from_1_to_4(client: Client) -> None:
    for query in ("", "?year=2023", "?year=2024", "?year=2025", "?exact=1"):
        response = page(client, query)
        assert response.status_code == 200
        cells = numbers_in_tables(response)
        assert "<5" in cells, query
        for cell in cells:
            assert cell in ("<5", "x") or int(cell) == 0 or int(cell) >= 5, (query, cell)
        for spec in chart_specs(response):
            for value in spec["data"]["values"]:
                assert value["reports"] is None or value["reports"] == 0 or value["reports"] >= 5
                shown = value["shown"]
                assert shown in ("fewer than 5", "hidden") or int(shown) == 0 or int(shown) >= 5


@pytest.mark.usefixtures("analytics")
def test_charts_leave_hidden_counts_out_and_say_so(client: Client) -> None:
    specs = chart_specs(page(client))
    assert len(specs) == 6  # per year, kind x channel, profession, sector, province, who did it
    for spec in specs:
        for value in spec["data"]["values"]:
            if value["hidden"]:
                assert value["reports"] is None
                assert value["shown"] in ("fewer than 5", "hidden")
            else:
                assert value["reports"] == 0 or value["reports"] >= 5
    per_year = specs[0]
    assert [(value["label"], value["reports"], value["mark"]) for value in per_year["data"]["values"]] == [
        ("2023", None, "<5"),
        ("2024", 5, "5"),
        ("2025", None, "x"),
    ]
    assert [value["shown"] for value in per_year["data"]["values"]] == ["fewer than 5", "5", "hidden"]
    assert "Hidden counts are left out of the chart: 2023 (<5), 2025 (x)." in per_year["description"]
    marks = per_year["layer"][1]
    assert marks["transform"] == [{"filter": "datum.hidden"}]
    assert marks["encoding"]["text"] == {"field": "mark"}


@pytest.mark.usefixtures("analytics")
def test_per_profession_province_sector_and_perpetrator_over_all_years(client: Client) -> None:
    tables = tables_of(page(client))
    profession = column(tables["Reports per profession"])
    assert profession["General practitioner (huisarts)"] == "6"
    assert profession["Ambulance staff"] == "5"
    assert profession["Nurse (verpleegkundige)"] == "<5"
    assert profession["Pharmacist (apotheker)"] == "<5"
    assert profession["Dentist (tandarts)"] == "0"
    assert profession["Total"] == "14"
    province = column(tables["Reports per province"])
    assert (province["North Holland (Noord-Holland)"], province["Utrecht"]) == ("6", "5")
    assert (province["South Holland (Zuid-Holland)"], province["Zeeland"], province["Not given"]) == (
        "0",
        "<5",
        "<5",
    )
    sector = column(tables["Reports per sector"])
    assert (sector["GP care (huisartsenzorg)"], sector["Ambulance care"], sector["Pharmacy"]) == (
        "6",
        "5",
        "<5",
    )
    who = column(tables["Reports by who did it"])
    assert (who["Patient"], who["Random citizen"], who["Relative or close one (naaste)"]) == ("6", "5", "<5")


@pytest.mark.usefixtures("analytics")
def test_kind_by_channel_is_for_the_latest_year_and_every_small_count_and_its_giveaways_are_hidden(
    client: Client,
) -> None:
    response = page(client)
    table = tables_of(response)["Reports per kind of incident and channel, 2025"]
    header = table[0]
    rows = {row[0]: dict(zip(header[1:], row[1:], strict=True)) for row in table[1:]}
    assert rows["Verbal threat"]["In person"] == "6"
    assert rows["Verbal threat"]["Phone"] == "<5"
    assert rows["Intimidation"]["Phone"] == "<5"
    assert rows["Intimidation"]["In person"] == "0"
    assert rows["Intimidation"]["Total (reports)"] == "<5"
    # 6 + "<5" = 8 would make the small count 2: the 8 is hidden ("x": 6 + 1 to 3 with the phone total < 5).
    assert rows["Verbal threat"]["Total (reports)"] == "x"
    assert rows["Total (mentions)"]["In person"] == "6"
    assert rows["Total (mentions)"]["Phone"] == "<5"
    # The per-year table hides 2025's number of reports, so the grand total of mentions is hidden too.
    assert rows["Total (mentions)"]["Total (reports)"] == "x"
    assert rows["Physical violence"]["In person"] == "0"  # that was 2024
    heatmap = chart_specs(response)[1]
    cells = {(value["kind"], value["channel"]): value for value in heatmap["data"]["values"]}
    assert (cells["Verbal threat", "Phone"]["text"], cells["Verbal threat", "Phone"]["reports"]) == (
        "<5",
        None,
    )
    assert cells["Verbal threat", "In person"]["text"] == "6"
    assert (
        "A report can name several kinds of incident and counts once for each of them."
        in response.content.decode()
    )


@pytest.mark.usefixtures("analytics")
def test_another_year_is_chosen_with_the_year_parameter(client: Client) -> None:
    response = page(client, "?year=2024")
    table = tables_of(response)["Reports per kind of incident and channel, 2024"]
    rows = {row[0]: row for row in table[1:]}
    # 2024's five reports are all physical violence in person: nothing small, everything shown.
    assert rows["Physical violence"][1] == "5"
    assert rows["Total (mentions)"][-1] == "5"
    assert "<5" not in [cell for row in table for cell in row]
    assert '<option value="2024" selected>' in response.content.decode()


@pytest.mark.usefixtures("analytics")
def test_labels_come_from_the_report_form_in_the_page_language(client: Client) -> None:
    response = page(client, language="nl")
    with translation.override("nl"):
        dutch_label = str(Profession.GENERAL_PRACTITIONER.label)
    assert dutch_label in response.content.decode()


@pytest.mark.usefixtures("analytics")
def test_the_methods_note_says_only_list_answers_the_rule_and_the_last_build(client: Client) -> None:
    html = page(client).content.decode()
    assert "Only answers that reporters picked from lists in the report form are counted" in html
    assert "every count from 1 to 4 is hidden and shown as &lt;5" in html
    assert "knowing that a &lt;5 is 1 to 4 and an x is 5 or more" in html
    assert "x: hidden so that a small number cannot be worked out" in html
    assert "Zeros are shown" in html
    assert "The figures were last updated on" in html
    assert NARRATIVE not in html


@pytest.mark.usefixtures("analytics")
def test_the_legend_says_what_under_5_and_x_stand_for(client: Client) -> None:
    html = page(client).content.decode()
    assert (
        '<dt><span class="hidden-count">&lt;5</span></dt>\n    <dd>fewer than 5 reports (1 to 4)</dd>' in html
    )
    assert "hidden so that a small number cannot be worked out (such a count is 5 or more)." in html


def test_a_table_that_no_hiding_can_protect_is_not_shown(
    client: Client, settings: Any, tmp_path: Path, organisation: Any
) -> None:
    # 6 reports, 5 by general practitioners and 1 by a pharmacist: the total of 6 is in every table, so per
    # profession "<5" + "x" = 6 would give the 1 away, however the table hid its counts.
    route_everything_to(organisation)
    build_with(settings, tmp_path, [(5, GROUPS[0][1]), (1, {**GROUPS[3][1], "occurred_year": "2025"})])
    response = page(client)
    assert response.status_code == 200
    tables = tables_of(response)
    assert tables["Reports per year"][1:] == [["2025", "6"], ["Total", "6"]]
    assert "Reports per profession" not in tables
    assert "This table is not shown: a small number could be worked out from it" in response.content.decode()
    names = [spec["title"] for spec in chart_specs(response)]
    assert "Reports per profession" not in names and "Reports per year" in names


def test_with_fewer_than_5_reports_no_table_is_broken_down(
    client: Client, settings: Any, tmp_path: Path, organisation: Any
) -> None:
    route_everything_to(organisation)
    build_with(settings, tmp_path, [(1, GROUPS[0][1]), (1, GROUPS[1][1]), (1, GROUPS[2][1])])
    response = page(client)
    assert response.status_code == 200
    html = response.content.decode()
    assert tables_of(response) == {}
    assert chart_specs(response) == []
    assert html.count("There are fewer than 5 reports in all") == 6
    assert (
        '<dt>Reports in total</dt>\n    <dd><span class="hidden-count" aria-hidden="true">&lt;5</span>'
        in html
    )


def test_without_an_analytics_database_the_page_says_so(
    client: Client, settings: Any, tmp_path: Path
) -> None:
    settings.ANALYTICS_DIR = tmp_path / "nothing-here"
    analytics_db.close()
    response = page(client)
    assert response.status_code == 200
    assert "The figures are not available yet" in response.content.decode()


def test_with_no_reports_the_page_says_there_are_none(client: Client, settings: Any, tmp_path: Path) -> None:
    settings.ANALYTICS_DIR = tmp_path / "analytics"
    analytics_db.close()
    analytics_db.build()
    response = page(client)
    assert response.status_code == 200
    assert "No reports yet." in response.content.decode()
    assert column(tables_of(response)["Reports per profession"])["Total"] == "0"


# -- Bad input ------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("analytics")
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?year=abc", "Parameter “year”: “abc” is not a year such as 2025."),
        ("?year=1999", "Parameter “year”: there are no figures for 1999; choose a year from 2023 to 2025."),
        ("?exact=yes", "Parameter “exact”: “yes” is not allowed; use 1 for exact counts or leave it out."),
    ],
)
def test_a_bad_parameter_gets_400_naming_it_and_its_value(client: Client, query: str, message: str) -> None:
    response = page(client, query)
    assert response.status_code == 400
    assert message in response.content.decode()


# -- Exact counts for case handlers ---------------------------------------------------------------------------


@pytest.mark.usefixtures("analytics")
def test_exact_counts_are_not_given_to_the_public(client: Client) -> None:
    response = page(client, "?exact=1")
    assert response.status_code == 200
    assert "Exact counts are only for case handlers" in response.content.decode()
    assert tables_of(response)["Reports per year"][1] == ["2023", "<5"]


@pytest.mark.usefixtures("analytics")
def test_exact_counts_are_not_given_to_staff_who_do_not_handle_cases(make_member: Any) -> None:
    response = page(verified_client(make_member(Role.ANALYST)), "?exact=1")
    assert "Exact counts are only for case handlers" in response.content.decode()
    assert tables_of(response)["Reports per year"][1] == ["2023", "<5"]


@pytest.mark.usefixtures("analytics")
def test_a_case_handler_sees_exact_counts_of_their_own_organisations_reports_only(make_member: Any) -> None:
    handler = verified_client(make_member(Role.CASE_HANDLER))
    public = page(handler)
    assert "Show exact counts of your organisation" in public.content.decode()

    response = page(handler, "?exact=1")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Exact counts: not for publication." in html
    assert "Test Beroepsvereniging" in html
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    tables = tables_of(response)
    # The pharmacist's report of 2023 went to the other organisation: not counted here.
    assert tables["Reports per year"][1:] == [["2024", "5"], ["2025", "8"], ["Total", "13"]]
    assert column(tables["Reports per profession"])["Nurse (verpleegkundige)"] == "2"
    assert column(tables["Reports per profession"])["Pharmacist (apotheker)"] == "0"
    kind = tables["Reports per kind of incident and channel, 2025"]
    header = kind[0]
    rows = {row[0]: dict(zip(header[1:], row[1:], strict=True)) for row in kind[1:]}
    assert (rows["Verbal threat"]["In person"], rows["Verbal threat"]["Phone"]) == ("6", "2")
    assert (rows["Intimidation"]["Phone"], rows["Verbal threat"]["Total (reports)"]) == ("2", "8")
    assert rows["Total (mentions)"]["Total (reports)"] == "10"
    specs = chart_specs(response)
    assert [value["reports"] for value in specs[0]["data"]["values"]] == [5, 8]


@pytest.mark.usefixtures("analytics")
def test_a_case_handler_of_another_organisation_sees_only_that_organisations_report(
    make_member: Any, other_organisation: Any
) -> None:
    handler = verified_client(make_member(Role.CASE_HANDLER, other_organisation))
    response = page(handler, "?exact=1")
    tables = tables_of(response)
    assert tables["Reports per year"][1:] == [["2023", "1"], ["Total", "1"]]
    assert column(tables["Reports per profession"])["Pharmacist (apotheker)"] == "1"
    assert column(tables["Reports per profession"])["General practitioner (huisarts)"] == "0"


@pytest.mark.usefixtures("analytics")
def test_the_exact_view_keeps_exact_when_choosing_a_year(make_member: Any) -> None:
    handler = verified_client(make_member(Role.CASE_HANDLER))
    response = page(handler, "?exact=1&year=2024")
    html = response.content.decode()
    assert '<input type="hidden" name="exact" value="1">' in html
    kind = tables_of(response)["Reports per kind of incident and channel, 2024"]
    assert {row[0]: row[1] for row in kind[1:]}["Physical violence"] == "5"
