"""Statistics of the Dutch report point (meldpunt) from the analytics database, with small cells hidden.

Only the structured answers a reporter chose from lists are used: never what they wrote, never who they are
or how they reached us. `report_table()` is what the analytics database copies (insights.analytics_db) into
table `nl_reports`; the functions below count that table through `insights.analytics_db.connection()`.

What the public page shows, and how the tables are kept from giving a small count away
(insights.suppression hides the cells: a count from 1 to 4 is shown as "<5", a count hidden to protect one
as "x"):

* reports per year (the year the incident happened), with the total of all reports;
* for one chosen year, kind of incident x channel: a report can name several kinds and counts once for each
  of them, so the counts and the channel totals are *mentions*; the per-kind totals are reports. Years are
  chosen one at a time and never added up, because a table over all years next to the tables of single
  years would let a reader subtract a hidden count. When the per-year table hides a year's number of
  reports, that year's grand total of mentions is hidden too (with one kind per report they are equal);
* over all years: per profession, province, sector and who did it, each with the total of all reports.
  That total is the same in every table, so no table hides it to protect its own counts
  (`suppress_list(keep_total=True)`): it is hidden only when it is below 5, as "<5" everywhere. A table
  that no hiding can protect while that total is shown is withheld, as is a kind x channel table that no
  hiding can protect at all: the page says the table is not shown.
* With fewer than 5 reports in all, no table is broken down: whichever table could not be protected would
  then tell, by being withheld, how few reports the others hold.

A case handler (Permission.HANDLE_CASES) can ask for exact counts of the reports their own organisations
received (`organisation_ids`), which they can already open one by one; exact counts of other
organisations' reports are not shown to anyone but a superuser.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from django.db.models import TextChoices
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from insights import analytics_db
from insights.dutch_charts import bar_chart, heatmap
from insights.suppression import THRESHOLD, Cell, suppress_list, suppress_table
from meldpunt.vocabulary import Channel, Kind, Perpetrator, Profession, Province, Sector

NL_REPORT_SCHEMA = pa.schema(
    [
        ("report_id", pa.int64()),
        ("year", pa.int32()),
        ("month", pa.date32()),
        ("kinds", pa.list_(pa.string())),
        ("channel", pa.string()),
        ("place", pa.string()),
        ("perpetrator", pa.string()),
        ("profession", pa.string()),
        ("sector", pa.string()),
        ("province", pa.string()),
        ("status", pa.string()),
        ("outcome", pa.string()),
    ]
)


def report_table() -> pa.Table:
    """Every meldpunt report's structured fields, one row per report (erased reports too: erasure
    removes identity and narrative, not the fact that something happened)."""
    from meldpunt.models import Report

    fields = (
        "pk",
        "occurred_on",
        "kinds",
        "channel",
        "place",
        "perpetrator",
        "profession",
        "sector",
        "province",
        "status",
        "outcome",
    )
    rows = []
    for values in Report.objects.values_list(*fields).order_by("pk").iterator(chunk_size=5000):
        row = dict(zip(fields, values, strict=True))
        occurred = row.pop("occurred_on")
        rows.append(
            {
                "report_id": row.pop("pk"),
                "year": occurred.year if occurred else None,
                "month": occurred.replace(day=1) if occurred else None,
                **row,
                "kinds": [str(kind) for kind in row["kinds"] or []],
            }
        )
    return pa.Table.from_pylist(rows, schema=NL_REPORT_SCHEMA)


# -- What the page shows --------------------------------------------------------------------------------------


SMALL_MARK = f"<{THRESHOLD}"
HIDDEN_MARK = "x"


@dataclass(frozen=True)
class Count:
    """A figure as a page shows it: `value` is None when the count is hidden, `small` when it is hidden for
    being from 1 to 4 (marked "<5"; other hidden counts are marked "x"). A hidden count's true value is never
    put into a Count, so no template or chart can show it by mistake."""

    value: int | None
    small: bool = False

    @property
    def hidden(self) -> bool:
        return self.value is None

    @property
    def mark(self) -> str:
        """What stands in the table: the count, "<5" or "x"."""
        if self.value is not None:
            return str(self.value)
        return SMALL_MARK if self.small else HIDDEN_MARK

    @property
    def spoken(self) -> str:
        """The count, or what its mark means, for tooltips and screen readers."""
        if self.value is not None:
            return str(self.value)
        return _("fewer than 5") if self.small else _("hidden")


@dataclass(frozen=True)
class Row:
    code: str
    label: str
    count: Count


@dataclass(frozen=True)
class Breakdown:
    """A table of one dimension with its total, and the chart of it. A `withheld` table has no rows and no
    chart: no hiding could keep a small count of it from being worked out."""

    name: str
    title: str
    label_title: str
    rows: tuple[Row, ...]
    total: Count
    spec: dict[str, Any]
    withheld: bool = False

    @property
    def hidden_labels(self) -> list[str]:
        return [row.label for row in self.rows if row.count.hidden]

    @property
    def chart_id(self) -> str:
        return f"chart-{self.name}"

    @property
    def chart_file(self) -> str:
        return f"zorgveilig-reports-{self.name}"


@dataclass(frozen=True)
class CrossRow:
    label: str
    cells: tuple[Count, ...]
    total: Count


@dataclass(frozen=True)
class CrossTable:
    """Kind of incident x channel for one year: counts of reports, with a total per kind (reports) and per
    channel (mentions: a report counts once for each kind it names). A `withheld` table has no rows, totals
    or chart, as for a Breakdown."""

    year: int
    column_labels: tuple[str, ...]
    rows: tuple[CrossRow, ...]
    column_totals: tuple[Count, ...]
    total: Count
    spec: dict[str, Any]
    withheld: bool = False

    chart_id = "chart-kind-channel"

    @property
    def chart_file(self) -> str:
        return f"zorgveilig-reports-kind-channel-{self.year}"

    @property
    def hidden_count(self) -> int:
        every = [*self.column_totals, self.total]
        every += [count for row in self.rows for count in (*row.cells, row.total)]
        return sum(count.hidden for count in every)


@dataclass(frozen=True)
class DutchStatistics:
    exact: bool
    years: tuple[int, ...]
    year: int | None
    per_year: Breakdown
    kind_channel: CrossTable | None
    breakdowns: tuple[Breakdown, ...]
    built_at: datetime.datetime | None = None

    @property
    def reports(self) -> Count:
        return self.per_year.total

    @property
    def too_few(self) -> bool:
        """Fewer than 5 reports in all: the public page breaks nothing down."""
        return self.reports.small


class YearNotCovered(ValueError):
    """The year asked for is not one the statistics cover."""

    def __init__(self, year: int, years: Sequence[int]) -> None:
        self.year = year
        self.years = tuple(years)
        super().__init__(f"no statistics for {year}")


@dataclass(frozen=True)
class _Dimension:
    name: str
    choices: type[TextChoices]
    title: Any
    label_title: Any


# The one-dimensional tables over all years, in the order of the page.
DIMENSIONS = (
    _Dimension("profession", Profession, gettext_lazy("Reports per profession"), gettext_lazy("Profession")),
    _Dimension("sector", Sector, gettext_lazy("Reports per sector"), gettext_lazy("Sector")),
    _Dimension("province", Province, gettext_lazy("Reports per province"), gettext_lazy("Province")),
    _Dimension("perpetrator", Perpetrator, gettext_lazy("Reports by who did it"), gettext_lazy("Who did it")),
)
_COLUMNS = {dimension.name for dimension in DIMENSIONS}


def statistics(year: int | None = None, *, organisation_ids: Sequence[int] | None = None) -> DutchStatistics:
    """Everything the page shows, in the active language.

    Without `organisation_ids` the public figures, small counts hidden (insights.suppression). With them,
    exact counts of only the reports those organisations received (for their case handlers). `year` picks
    the year of the kind x channel table (the latest year with reports when None); raises YearNotCovered
    for a year outside the years that have reports, and AnalyticsError when there is no analytics database.
    """
    exact = organisation_ids is not None
    scope = _report_ids(organisation_ids) if organisation_ids is not None else None
    per_year_counts = reports_per_year(scope)
    years = tuple(range(min(per_year_counts), max(per_year_counts) + 1)) if per_year_counts else ()
    if year is None and years:
        year = years[-1]
    if year is not None and year not in years:
        raise YearNotCovered(year, years)

    # Fewer than 5 reports in all: every table would be made of "<5"s adding up to a "<5", and the one that
    # had to be withheld would tell how few reports the others hold (four 1s under a total of 4, say).
    too_few = not exact and 0 < sum(per_year_counts.values()) < THRESHOLD
    year_rows = [(str(each), str(each)) for each in years]
    per_year, year_hidden = _breakdown(
        "year",
        _("Reports per year"),
        _("Year"),
        year_rows,
        {str(each): count for each, count in per_year_counts.items()},
        exact=exact,
        withhold=too_few,
    )
    breakdowns = []
    for dimension in DIMENSIONS:
        counts = reports_per(dimension.name, scope)
        breakdown, _hidden = _breakdown(
            dimension.name,
            str(dimension.title),
            str(dimension.label_title),
            _categories(dimension.choices, counts),
            counts,
            exact=exact,
            withhold=too_few,
        )
        breakdowns.append(breakdown)

    kind_channel = None
    if year is not None:
        kind_channel = _kind_channel(
            year,
            kinds_by_channel(year, scope),
            exact=exact,
            hide_total=year_hidden[years.index(year)],
            withhold=too_few,
        )
    return DutchStatistics(
        exact=exact,
        years=years,
        year=year,
        per_year=per_year,
        kind_channel=kind_channel,
        breakdowns=tuple(breakdowns),
        built_at=built_at(),
    )


def built_at() -> datetime.datetime | None:
    """When the analytics database was built (insights.analytics_db.built_at, or read here as UTC: DuckDB
    hands a TIMESTAMPTZ to Python only with pytz installed, which this project does not need otherwise)."""
    found = analytics_db.built_at()
    if found is not None:
        return found
    rows = _fetch("SELECT built_at AT TIME ZONE 'UTC' FROM meta", [])
    return rows[0][0].replace(tzinfo=datetime.UTC) if rows and rows[0][0] else None


def _report_ids(organisation_ids: Sequence[int]) -> list[int]:
    from meldpunt.models import Report

    return list(
        Report.objects.filter(organisation_id__in=list(organisation_ids)).values_list("pk", flat=True)
    )


def _categories(choices: type[TextChoices], counts: dict[str, int]) -> list[tuple[str, str]]:
    """Every answer of the list, in the form's order, then any code the list no longer has (shown as it
    is), and 'not given' for reports without an answer."""
    known = [(str(code), str(label)) for code, label in choices.choices]
    codes = {code for code, _label in known}
    extra = sorted(code for code in counts if code not in codes)
    return known + [(code, code or _("Not given")) for code in extra]


def _breakdown(
    name: str,
    title: str,
    label_title: str,
    categories: Sequence[tuple[str, str]],
    counts: dict[str, int],
    *,
    exact: bool,
    withhold: bool,
) -> tuple[Breakdown, list[bool]]:
    """The table and chart of one dimension, and for each category whether its count is hidden."""
    values = [counts.get(code, 0) for code, _label in categories]
    if exact:
        shown = [Count(value) for value in values]
        total = Count(sum(values))
    else:
        # The total of all reports is in every table of one dimension: none may hide it for its own sake.
        suppressed = suppress_list(values, keep_total=True)
        total = _count(suppressed.total)
        if withhold or suppressed.withheld:
            empty = Breakdown(name, title, label_title, (), total, {}, withheld=True)
            return empty, [value > 0 for value in values]
        shown = [_count(cell) for cell in suppressed.cells]
    rows = tuple(Row(code, label, count) for (code, label), count in zip(categories, shown, strict=True))
    spec = bar_chart(rows, title=title, label_title=label_title, vertical=name == "year")
    return Breakdown(name, title, label_title, rows, total, spec), [count.hidden for count in shown]


def _count(cell: Cell) -> Count:
    return Count(cell.shown, small=cell.hidden and cell.primary)


def _kind_channel(
    year: int, counts: dict[tuple[str, str], int], *, exact: bool, hide_total: bool, withhold: bool
) -> CrossTable:
    kinds = _categories(Kind, {kind: 1 for kind, _channel in counts})
    channels = _categories(Channel, {channel: 1 for _kind, channel in counts})
    matrix = [[counts.get((kind, channel), 0) for channel, _label in channels] for kind, _label in kinds]
    if exact:
        cells = [[Count(value) for value in row] for row in matrix]
        row_totals = [Count(sum(row)) for row in matrix]
        column_totals = [Count(sum(column)) for column in zip(*matrix, strict=True)]
        total = Count(sum(map(sum, matrix)))
    else:
        table = suppress_table(matrix, hide_total=hide_total)
        if withhold or table.withheld:
            return CrossTable(year, (), (), (), Count(None), {}, withheld=True)
        cells = [[_count(cell) for cell in row] for row in table.cells]
        row_totals = [_count(cell) for cell in table.row_totals]
        column_totals = [_count(cell) for cell in table.column_totals]
        total = _count(table.total)
    rows = tuple(
        CrossRow(label, tuple(row), row_total)
        for (_code, label), row, row_total in zip(kinds, cells, row_totals, strict=True)
    )
    column_labels = tuple(label for _code, label in channels)
    return CrossTable(
        year=year,
        column_labels=column_labels,
        rows=rows,
        column_totals=tuple(column_totals),
        total=total,
        spec=heatmap(year, rows, column_labels),
    )


# -- Queries on the analytics database ------------------------------------------------------------------------


def _scoped(scope: list[int] | None) -> tuple[str, list[Any]]:
    if scope is None:
        return "TRUE", []
    return "report_id IN (SELECT unnest(?::BIGINT[]))", [scope]


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    cursor = analytics_db.connection().cursor()
    try:
        return cursor.execute(sql, params).fetchall()
    finally:
        cursor.close()


def reports_per_year(scope: list[int] | None = None) -> dict[int, int]:
    """Reports per year the incident happened in (of the reports `scope` names, or all)."""
    where, params = _scoped(scope)
    rows = _fetch(
        f"SELECT year, count(*) FROM nl_reports WHERE year IS NOT NULL AND {where} GROUP BY year",  # noqa: S608
        params,
    )
    return {int(year): int(count) for year, count in rows}


def reports_per(column: str, scope: list[int] | None = None) -> dict[str, int]:
    """Reports per answer of one list question, over all years ('' for no answer)."""
    if column not in _COLUMNS:
        raise ValueError(f"no statistics per {column!r}")
    where, params = _scoped(scope)
    rows = _fetch(
        f"SELECT coalesce({column}, '') AS code, count(*) FROM nl_reports WHERE {where} GROUP BY 1",  # noqa: S608
        params,
    )
    return {str(code): int(count) for code, count in rows}


def kinds_by_channel(year: int, scope: list[int] | None = None) -> dict[tuple[str, str], int]:
    """For one year: reports per kind of incident and channel (a report counts once for each kind)."""
    where, params = _scoped(scope)
    rows = _fetch(
        f"""
        SELECT kind, channel, count(*) FROM (
            SELECT DISTINCT report_id, unnest(kinds) AS kind, coalesce(channel, '') AS channel
            FROM nl_reports WHERE year = ? AND {where}
        ) GROUP BY ALL
        """,  # noqa: S608 (no value is put into the text)
        [year, *params],
    )
    return {(str(kind), str(channel)): int(count) for kind, channel, count in rows}


def public_statistics(year: int | None = None) -> DutchStatistics:
    """The public figures (`statistics` without exact counts), kept in the cache until a new analytics file
    is in place, per year asked and language."""
    from insights.queries import cached

    return cached("dutch", None, lambda: statistics(year), "latest" if year is None else year, get_language())
