"""Counts per source, the de-duplicated union and the overlap between sources (linkage.counts), on a small
setup where every number is known, through the function, the page and the command."""

from __future__ import annotations

import datetime
import io
import re
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils.translation import override

from accounts.roles import Role
from linkage.counts import overlap_matrix, source_counts
from linkage.views import heat
from registry.models import Incident
from tests.conftest import MakeMember, login_verified
from tests.incident_helpers import incident, record, release

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]

Y2023 = datetime.date(2023, 5, 2)
Y2022 = datetime.date(2022, 8, 9)


@pytest.fixture
def setup() -> None:
    """Current records: WHO SSA 4 (SSA-2 is in two products and counts once; an older vintage does not
    count), SHCC 3, ACLED 2 (a record not about health care and one without a date do not count).

    Incidents: I1 = SSA-1 + SH-1 + AC-1 (UKR 2023), I2 = SSA-2 (UKR 2023), I3 = SSA-3 + SH-2 (SYR 2022),
    I4 = AC-2 (SYR 2022), I5 = SSA-4 + SH-3 (UKR 2023, threat), and a retired incident that never counts."""
    older = release("who-ssa", product="global", vintage=datetime.date(2023, 1, 1))
    record(older, "SSA-OLD", date=Y2023)
    ssa_global = release("who-ssa", product="global")
    ssa_ukraine = release("who-ssa", product="ukraine", vintage=datetime.date(2024, 2, 1))
    ssa1 = record(ssa_global, "SSA-1", date=Y2023)
    ssa2 = record(ssa_global, "SSA-2", date=Y2023, families=["individual_weapons"])
    record(ssa_ukraine, "SSA-2", date=Y2023, families=["individual_weapons"])
    ssa3 = record(ssa_global, "SSA-3", date=Y2022, country="SYR")
    ssa4 = record(ssa_ukraine, "SSA-4", date=Y2023, families=["threat"])
    shcc = release("shcc")
    sh1 = record(shcc, "SH-1", date=Y2023)
    sh2 = record(shcc, "SH-2", date=Y2022, country="SYR")
    sh3 = record(shcc, "SH-3", date=Y2023, families=["threat"])
    acled = release("acled")
    ac1 = record(acled, "AC-1", date=Y2023)
    ac2 = record(acled, "AC-2", date=Y2022, country="SYR")
    record(acled, "AC-X", date=Y2023, health_related=False)
    record(acled, "AC-N", date=None)
    release("shcc", product="overview", kind="aggregates")  # aggregates are never counted as incidents
    incident(ssa1, sh1, ac1)
    incident(ssa2)
    incident(ssa3, sh2)
    incident(ac2)
    incident(ssa4, sh3)
    Incident.objects.create(status=Incident.Status.RETIRED, event_date=Y2023, country_iso3="UKR")


@pytest.mark.usefixtures("setup")
def test_counts_per_source_and_the_union_without_a_filter() -> None:
    assert source_counts() == {"by_source": {"who-ssa": 4, "shcc": 3, "acled": 2}, "sum": 9, "union": 5}


@pytest.mark.usefixtures("setup")
def test_overlap_matrix_without_a_filter() -> None:
    matrix = overlap_matrix()
    assert matrix["sources"] == ["who-ssa", "shcc", "acled"]
    assert matrix["shared"] == {
        "who-ssa": {"shcc": 3, "acled": 1},
        "shcc": {"who-ssa": 3, "acled": 1},
        "acled": {"who-ssa": 1, "shcc": 1},
    }
    assert matrix["only"] == {"who-ssa": 1, "shcc": 0, "acled": 1}
    assert matrix["incidents"] == {"who-ssa": 4, "shcc": 3, "acled": 2}
    assert matrix["total"] == 5


@pytest.mark.usefixtures("setup")
@pytest.mark.parametrize(
    ("filters", "by_source", "union", "shared", "only"),
    [
        (
            {"year": 2023},
            {"who-ssa": 3, "shcc": 2, "acled": 1},
            3,
            {("who-ssa", "shcc"): 2, ("who-ssa", "acled"): 1, ("shcc", "acled"): 1},
            {"who-ssa": 1, "shcc": 0, "acled": 0},
        ),
        (
            {"countries": ["syr"]},
            {"who-ssa": 1, "shcc": 1, "acled": 1},
            2,
            {("who-ssa", "shcc"): 1, ("who-ssa", "acled"): 0, ("shcc", "acled"): 0},
            {"who-ssa": 0, "shcc": 0, "acled": 1},
        ),
        (
            {"families": ["threat"]},
            {"who-ssa": 1, "shcc": 1, "acled": 0},
            1,
            {("who-ssa", "shcc"): 1, ("who-ssa", "acled"): 0, ("shcc", "acled"): 0},
            {"who-ssa": 0, "shcc": 0, "acled": 0},
        ),
        (
            {"year": 2023, "countries": ["UKR", "SYR"], "families": ["heavy_weapons", "individual_weapons"]},
            {"who-ssa": 2, "shcc": 1, "acled": 1},
            2,
            {("who-ssa", "shcc"): 1, ("who-ssa", "acled"): 1, ("shcc", "acled"): 1},
            {"who-ssa": 1, "shcc": 0, "acled": 0},
        ),
        (
            {"year": 2019},
            {"who-ssa": 0, "shcc": 0, "acled": 0},
            0,
            {("who-ssa", "shcc"): 0, ("who-ssa", "acled"): 0, ("shcc", "acled"): 0},
            {"who-ssa": 0, "shcc": 0, "acled": 0},
        ),
    ],
)
def test_filters_by_year_countries_and_type(
    filters: dict[str, Any],
    by_source: dict[str, int],
    union: int,
    shared: dict[tuple[str, str], int],
    only: dict[str, int],
) -> None:
    totals = source_counts(**filters)
    assert totals["by_source"] == by_source and totals["union"] == union
    matrix = overlap_matrix(**filters)
    assert {pair: matrix["shared"][pair[0]][pair[1]] for pair in shared} == shared
    assert all(matrix["shared"][b][a] == count for (a, b), count in shared.items())
    assert matrix["only"] == only and matrix["total"] == union


def test_nothing_imported_counts_nothing() -> None:
    assert source_counts() == {"by_source": {}, "sum": 0, "union": 0}
    assert overlap_matrix() == {"sources": [], "shared": {}, "only": {}, "incidents": {}, "total": 0}


def test_heat_levels_grow_with_the_share_of_the_highest_count() -> None:
    assert [heat(value, 10) for value in (0, 1, 2, 5, 9, 10)] == [0, 1, 1, 3, 5, 5]
    assert heat(3, 0) == 0


# The page and the command -------------------------------------------------------------------------------------


def url(**query: Any) -> str:
    with override("en"):
        found = reverse("linkage:counts")
    return found + ("?" + "&".join(f"{name}={value}" for name, value in query.items()) if query else "")


def cells(page: str) -> list[str]:
    """The overlap grid's cells, row by row, as 'class:number'."""
    grid = page[page.index('<table class="overlap-grid">') :]
    grid = grid[: grid.index("</table>")]
    return [f"{css}:{value}" for css, value in re.findall(r'<td class="([^"]+)">(\d+)', grid)]


@pytest.mark.usefixtures("setup")
def test_counts_page_shows_the_numbers_and_the_overlap_as_a_coloured_grid(
    client: Client, make_member: MakeMember
) -> None:
    login_verified(client, make_member(Role.ANALYST))
    response = client.get(url(year=2023))
    page = response.content.decode()

    assert response.status_code == 200
    assert '<th scope="row">WHO-SSA <span class="source-slug">who-ssa</span></th>' in page
    assert re.search(r"WHO-SSA <span[^>]*>who-ssa</span></th>\s*<td class=\"number\">3</td>", page)
    assert '<td class="number"><strong>3</strong></td>' in page  # the de-duplicated union
    assert '<td class="number">6</td>' in page  # the sum of the sources' records
    assert "<caption>Incidents shared by two sources, out of 3 incidents</caption>" in page
    assert '<th scope="col"><span class="column-name">SHCC</span></th>' in page
    # who-ssa: only 1, with shcc 2, with acled 1; shcc: 2, only 0, 1; acled: 1, 1, only 0. Highest is 2.
    assert cells(page) == [
        "heat-3 diagonal:1",
        "heat-5:2",
        "heat-3:1",
        "heat-5:2",
        "heat-0 diagonal:0",
        "heat-3:1",
        "heat-3:1",
        "heat-3:1",
        "heat-0 diagonal:0",
    ]
    assert 'role="img"' in page and '<title id="count-chart-title">' in page


@pytest.mark.usefixtures("setup")
def test_counts_page_refuses_an_unknown_country_code(client: Client, make_member: MakeMember) -> None:
    login_verified(client, make_member(Role.ANALYST))
    response = client.get(url(countries="UKR,XXZ"))
    assert response.status_code == 400
    assert "XXZ is not an ISO 3166-1 alpha-3 country code" in response.content.decode()
    viewer = login_verified(Client(), make_member(Role.VIEWER))
    assert viewer.get(url()).status_code == 403


@pytest.mark.usefixtures("setup")
def test_command_prints_the_counts_the_union_and_the_matrix() -> None:
    out = io.StringIO()
    call_command("linkage_counts", "--country", "SYR", "--family", "heavy_weapons", stdout=out)
    text = out.getvalue()
    lines = [" ".join(line.replace("│", " ").split()) for line in text.splitlines()]
    assert "who-ssa 1 1 0" in lines and "acled 1 1 1" in lines
    assert "De-duplicated: incidents 2" in lines
    assert "Sum of the sources' records 3" in lines
    assert "who-ssa 0 1 0" in lines  # the matrix row: only who-ssa 0, with shcc 1, with acled 0

    with pytest.raises(CommandError, match="XXZ is not an ISO"):
        call_command("linkage_counts", "--country", "XXZ", stdout=io.StringIO())
