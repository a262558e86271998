"""`/api/v1/insights/…`: the aggregates behind the public dashboard, as JSON, public and without a token.

Every endpoint takes the dashboard's selection as query parameters (`from`, `to`, `country`, `source`,
`view`, `certainty`: insights.filters.from_query, so the same values are accepted and refused with the same
messages, each under the parameter's name) and answers with the figures of insights.queries, cached until
the analytics database is rebuilt. Codes come with a translated `label` (Accept-Language). A selection of
records per source (`view=per_source`) counts records; the default counts de-duplicated incidents.

docs/api.md describes them for clients; the export of the rows themselves is the website's
figures/export/ (insights.export_views), not this API. Only aggregates leave here, and only of what may be
published (registry.publication; docs/publication.md): records and incidents at the level "rumour" are
never counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from api.errors import ApiError, invalid_input
from api.schemas import ErrorOut
from insights import labels, queries
from insights.analytics_db import AnalyticsError
from insights.filters import DEDUPLICATED, SOURCE_ORDER, VIEWS, Selection, SelectionError, from_query

router = Router(tags=["insights"], auth=None)

MAX_COUNTRIES = 300
ERRORS: dict[int, Any] = {400: ErrorOut, 503: ErrorOut}


# -- Schemas --------------------------------------------------------------------------------------------------


class SelectionQuery(Schema):
    """The selection, as the dashboard takes it. Strings here: insights.filters.from_query checks them, so
    that messages are translated and name the parameter."""

    date_from: str = Field(
        "", alias="from", description="First day (YYYY-MM-DD) or first year (YYYY) of the period."
    )
    to: str = Field("", description="Last day (YYYY-MM-DD) or last year (YYYY) of the period.")
    country: str = Field(
        "", description="Countries as ISO 3166-1 alpha-3 codes, comma-separated or repeated. None: all."
    )
    source: str = Field(
        "",
        description="Sources, comma-separated or repeated. None: all.",
        json_schema_extra={"examples": ["who-ssa,insecurity-insight"], "x-values": list(SOURCE_ORDER)},
    )
    view: str = Field(
        DEDUPLICATED,
        description="`deduplicated` counts incidents (records of one attack in several sources once); "
        "`per_source` counts the records of each source.",
        json_schema_extra={"enum": list(VIEWS)},
    )
    certainty: str = Field("", description="Certainty levels, comma-separated or repeated. None: all.")


class CountryQuery(SelectionQuery):
    limit: str = Field("", description=f"At most this many countries, 1 to {MAX_COUNTRIES}. None: all.")


class ComparisonQuery(SelectionQuery):
    base_year: str = Field(
        "", description="The year indexed as 100. None: the first year in which every line has events."
    )


class VintageQuery(Schema):
    source: str = Field(
        "", description="Only this source's products.", json_schema_extra={"enum": ["", *SOURCE_ORDER]}
    )
    product: str = Field("", description="Only this product (its short name).")


class SelectionOut(Schema):
    query: dict[str, Any] = Field(description="The selection as query parameters, as understood.")
    period: str
    countries: str
    sources: str
    view: str
    certainty: str


class TotalsOut(Schema):
    selection: SelectionOut
    events: int = Field(description="Incidents (deduplicated) or records (per_source).")
    countries: int
    first_date: date | None
    last_date: date | None
    health_workers_killed: int
    health_workers_injured: int
    health_workers_kidnapped: int
    health_workers_arrested: int
    facilities_destroyed: int
    facilities_damaged: int


class YearRow(Schema):
    year: int
    events: int
    change_percent: float | None = Field(description="Against the year before; null without one.")


class YearsOut(Schema):
    selection: SelectionOut
    rows: list[YearRow]


class MonthRow(Schema):
    month: date = Field(description="The month's first day.")
    events: int
    change_percent: float | None = Field(description="Against the month before; null without one.")


class MonthsOut(Schema):
    selection: SelectionOut
    note: str
    rows: list[MonthRow]


class CountryRow(Schema):
    country: str = Field(description="ISO 3166-1 alpha-3")
    label: str
    events: int
    health_workers_killed: int | None
    health_workers_injured: int | None
    health_workers_kidnapped: int | None
    health_workers_arrested: int | None
    facilities_destroyed: int | None
    facilities_damaged: int | None


class CountriesOut(Schema):
    selection: SelectionOut
    rows: list[CountryRow]


class CodeRow(Schema):
    code: str
    label: str
    events: int


class CodesOut(Schema):
    selection: SelectionOut
    note: str
    rows: list[CodeRow]


class PerpetratorsOut(Schema):
    selection: SelectionOut
    rows: list[CodeRow]
    known: int = Field(description="Events whose perpetrator is known (neither blank nor unknown).")
    state: int
    state_share_percent: float | None = Field(description="Share of state actors among the known.")


class SourceYearRow(Schema):
    source: str = Field(description="A source, or `deduplicated` for the incidents.")
    label: str
    year: int
    events: int
    index: float | None = Field(description="Events against the base year = 100.")


class PairRow(Schema):
    source_a: str
    source_b: str
    incidents: int


class AloneRow(Schema):
    source: str
    incidents: int


class OverlapOut(Schema):
    pairs: list[PairRow] = Field(
        description="Incidents each pair of sources shares (a source with itself: all its)."
    )
    alone: list[AloneRow] = Field(description="Incidents only this source has.")
    in_several_sources: int


class ComparisonOut(Schema):
    selection: SelectionOut
    base_year: int | None
    rows: list[SourceYearRow]
    overlap: OverlapOut


class VintageRow(Schema):
    source: str
    label: str
    product: str
    release_id: int
    vintage_date: date | None
    vintage_label: str
    is_latest: bool
    year: int
    events: int = Field(description="The records of that year as this vintage had them.")


class VintagesOut(Schema):
    rows: list[VintageRow]


# -- Reading the request --------------------------------------------------------------------------------------


def read_selection(request: HttpRequest) -> Selection:
    """The request's selection, always of publishable rows only: this API is public, and its figures
    leave out what registry.publication does not publish (rumours)."""
    try:
        selection = from_query(request.GET, known_sources=SOURCE_ORDER)
    except SelectionError as error:
        raise invalid_input({name: [message] for name, message in error.problems.items()}) from None
    return selection if selection.public else replace(selection, public=True)


def _whole_number(request: HttpRequest, name: str, low: int, high: int) -> int | None:
    given = request.GET.get(name, "").strip()
    if not given:
        return None
    if not given.isdigit() or not low <= int(given) <= high:
        raise invalid_input(
            {
                name: [
                    _("%(value)r is not a whole number from %(low)s to %(high)s")
                    % {"value": given[:20], "low": low, "high": high}
                ]
            }
        )
    return int(given)


def _figures[T](name: str, selection: Selection | None, compute: Callable[[], T], *extra: Any) -> T:
    try:
        return queries.cached(name, selection, compute, *extra)
    except AnalyticsError:
        raise ApiError(503, _("The figures are not available yet; try again later.")) from None


def selection_out(selection: Selection) -> dict[str, Any]:
    return {"query": selection.as_query(), **selection.describe()}


# -- Endpoints ------------------------------------------------------------------------------------------------

PUBLIC = "Public: no token."


@router.get("/totals", response={200: TotalsOut, **ERRORS}, summary="Headline figures", description=PUBLIC)
def totals(request: HttpRequest, filters: Query[SelectionQuery]) -> dict[str, Any]:
    selection = read_selection(request)
    found = _figures("totals", selection, lambda: queries.totals(selection))
    return {"selection": selection_out(selection), **found}


@router.get("/per-year", response={200: YearsOut, **ERRORS}, summary="Events per year", description=PUBLIC)
def per_year(request: HttpRequest, filters: Query[SelectionQuery]) -> dict[str, Any]:
    selection = read_selection(request)
    rows = _figures("per_year", selection, lambda: queries.per_year(selection))
    return {"selection": selection_out(selection), "rows": rows}


@router.get("/per-month", response={200: MonthsOut, **ERRORS}, summary="Events per month", description=PUBLIC)
def per_month(request: HttpRequest, filters: Query[SelectionQuery]) -> dict[str, Any]:
    selection = read_selection(request)
    rows = _figures("per_month", selection, lambda: queries.per_month(selection))
    return {
        "selection": selection_out(selection),
        "note": _("Events dated only to a year are not counted in any month."),
        "rows": rows,
    }


@router.get(
    "/per-country", response={200: CountriesOut, **ERRORS}, summary="Events per country", description=PUBLIC
)
def per_country(request: HttpRequest, filters: Query[CountryQuery]) -> dict[str, Any]:
    selection = read_selection(request)
    limit = _whole_number(request, "limit", 1, MAX_COUNTRIES)
    rows = _figures("per_country", selection, lambda: queries.per_country(selection, limit), limit)
    return {
        "selection": selection_out(selection),
        "rows": [{**row, "label": labels.country_label(row["country"])} for row in rows],
    }


def _codes(rows: list[dict[str, Any]], label: Callable[[str], str]) -> list[dict[str, Any]]:
    return [{**row, "label": label(row["code"])} for row in rows]


@router.get(
    "/per-family",
    response={200: CodesOut, **ERRORS},
    summary="Events per type of attack (family)",
    description=PUBLIC,
)
def per_family(request: HttpRequest, filters: Query[SelectionQuery]) -> dict[str, Any]:
    selection = read_selection(request)
    rows = _figures("per_family", selection, lambda: queries.per_family(selection))
    return {
        "selection": selection_out(selection),
        "note": _("An event of several types of attack counts once under each."),
        "rows": _codes(rows, labels.family_label),
    }


@router.get(
    "/per-resource",
    response={200: CodesOut, **ERRORS},
    summary="Events per health-care resource affected",
    description=PUBLIC,
)
def per_resource(request: HttpRequest, filters: Query[SelectionQuery]) -> dict[str, Any]:
    selection = read_selection(request)
    rows = _figures("per_resource", selection, lambda: queries.per_resource(selection))
    return {
        "selection": selection_out(selection),
        "note": _("An event that affected several resources counts once under each."),
        "rows": _codes(rows, labels.resource_label),
    }


@router.get(
    "/per-perpetrator",
    response={200: PerpetratorsOut, **ERRORS},
    summary="Events per perpetrator category",
    description=PUBLIC,
)
def per_perpetrator(request: HttpRequest, filters: Query[SelectionQuery]) -> dict[str, Any]:
    selection = read_selection(request)
    found = _figures("per_perpetrator", selection, lambda: queries.per_perpetrator(selection))
    return {
        "selection": selection_out(selection),
        **found,
        "rows": _codes(found["rows"], labels.perpetrator_label),
    }


@router.get(
    "/source-comparison",
    response={200: ComparisonOut, **ERRORS},
    summary="Sources side by side: events per year and their overlap",
    description=PUBLIC + " The `view` parameter does not apply: every source and the de-duplicated line "
    "are given.",
)
def source_comparison(request: HttpRequest, filters: Query[ComparisonQuery]) -> dict[str, Any]:
    selection = read_selection(request)
    base_year = _whole_number(request, "base_year", 1900, 2100)
    lines = _figures(
        "per_source_year", selection, lambda: queries.per_source_year(selection, base_year), base_year
    )
    overlap = _figures("overlap", selection, lambda: queries.overlap(selection))
    return {
        "selection": selection_out(selection),
        "base_year": lines["base_year"],
        "rows": [{**row, "label": labels.source_label(row["source"])} for row in lines["rows"]],
        "overlap": overlap,
    }


@router.get(
    "/vintages",
    response={200: VintagesOut, **ERRORS},
    summary="Each vintage's count per year",
    description=PUBLIC + " How a year's figure changed as a source revised its data.",
)
def vintages(request: HttpRequest, filters: Query[VintageQuery]) -> dict[str, Any]:
    source = filters.source.strip()
    if source and source not in SOURCE_ORDER:
        raise invalid_input(
            {
                "source": [
                    _("unknown source %(names)s; the sources are %(known)s")
                    % {"names": source[:40], "known": ", ".join(SOURCE_ORDER)}
                ]
            }
        )
    product = filters.product.strip()
    rows = _figures(
        "vintages", None, lambda: queries.vintages(source or None, product or None), source, product
    )
    return {"rows": [{**row, "label": labels.source_label(row["source"])} for row in rows]}
