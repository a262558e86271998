"""The dataset pages for analysts: releases and their vintage differences, quarantine, imports.

Everything here is global dataset data: every page needs Permission.ANALYSE_DATA in any organisation (403
without it) and unknown ids are a 404. The work is done elsewhere: imports by sources.actions (queued as a
background task), the comparison of vintages by sources.releases.
"""

from __future__ import annotations

import csv
import datetime
import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.vary import vary_on_headers

from accounts.permissions import permission_required
from accounts.roles import Permission
from sources import actions
from sources.forms import ImportForm, UploadLimit
from sources.models import Aggregate, ImportRequest, Product, Quarantine, Release, Source
from sources.releases import rows_model, withdrawn_records
from sources.values import normalise_header

ANALYSE = Permission.ANALYSE_DATA
PAGE_SIZE = 50
RECENT_REQUESTS = 50
POLL_SECONDS = 2
DIFFERENCE_KINDS = ("added", "changed", "withdrawn")
NOTHING = "\u2013"  # an en dash, for a field without a value

# The harmonised fields a list of rows shows, by kind of product (labels: the models' verbose names).
INCIDENT_FIELDS = (
    "event_date",
    "country_iso3",
    "admin1",
    "attack_families",
    "people_killed",
    "people_injured",
    "health_workers_killed",
    "health_related",
)
AGGREGATE_FIELDS = (
    "country_iso3",
    "period_start",
    "period_precision",
    "events",
    "health_workers_killed",
    "health_workers_kidnapped",
)


# Showing cells --------------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as it came (sources.values.raw_cell), as text: dates stored as {"date": ...} show their value."""
    if isinstance(value, dict) and len(value) == 1:
        value = next(iter(value.values()))
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _field_text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return NOTHING
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _column_label(position: int) -> str:
    return _("column %(number)s") % {"number": position + 1}


@dataclass(frozen=True)
class RowView:
    row_number: int
    source_id: str
    occurrence: int | None
    change: str
    cells: list[str]
    warnings: int


def _fields_of(release: Release) -> tuple[str, ...]:
    return AGGREGATE_FIELDS if rows_model(release) is Aggregate else INCIDENT_FIELDS


def _field_labels(release: Release) -> list[str]:
    model: Any = rows_model(release)
    return [str(model._meta.get_field(name).verbose_name) for name in _fields_of(release)]


def _row_view(row: Any, fields: tuple[str, ...]) -> RowView:
    return RowView(
        row_number=row.row_number,
        source_id=row.source_id,
        occurrence=row.occurrence,
        change=row.get_change_display(),
        cells=[_field_text(getattr(row, name)) for name in fields],
        warnings=len(row.warnings or []),
    )


def _page(request: HttpRequest, rows: Any) -> Page:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


# Vintages of a product, as a chart --------------------------------------------------------------------------

CHART_LEFT = 56
CHART_TOP = 14
CHART_PLOT = 150
CHART_FOOT = 30
BAR_STEP = 68
BAR_WIDTH = 36
MAX_LABELS = 12


@dataclass(frozen=True)
class Segment:
    css: str
    y: float
    height: float


@dataclass(frozen=True)
class Bar:
    release: Release
    x: float
    centre: float
    segments: list[Segment]
    label: str
    summary: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: float
    label_y: float
    top_value: int
    bottom_value: int
    bottom_y: float
    bars: list[Bar]
    axis_x: int = CHART_LEFT - 8
    line_start: int = CHART_LEFT - 4
    top_y: int = CHART_TOP
    bar_width: int = BAR_WIDTH


def vintage_chart(releases: list[Release]) -> Chart:
    """Rows per vintage as stacked bars (unchanged, changed, added) above a baseline, withdrawn below it,
    on one scale, so a vintage that drops half its rows looks like it."""
    most_rows = max((r.unchanged + r.changed + r.added for r in releases), default=0)
    most_withdrawn = max((r.withdrawn for r in releases), default=0)
    scale = CHART_PLOT / max(1, most_rows + most_withdrawn)
    baseline = CHART_TOP + most_rows * scale
    every = math.ceil(len(releases) / MAX_LABELS) or 1
    bars = []
    for index, release in enumerate(releases):
        x = CHART_LEFT + index * BAR_STEP + (BAR_STEP - BAR_WIDTH) / 2
        segments = []
        top = baseline
        for css, value in (
            ("bar-unchanged", release.unchanged),
            ("bar-changed", release.changed),
            ("bar-added", release.added),
        ):
            height = value * scale
            top -= height
            segments.append(Segment(css, round(top, 1), round(height, 1)))
        segments.append(Segment("bar-withdrawn", round(baseline, 1), round(release.withdrawn * scale, 1)))
        summary = _(
            "%(vintage)s: %(rows)s rows; %(added)s added, %(changed)s changed, %(unchanged)s unchanged, "
            "%(withdrawn)s withdrawn"
        ) % {
            "vintage": release.vintage_date.isoformat(),
            "rows": release.unchanged + release.changed + release.added,
            "added": release.added,
            "changed": release.changed,
            "unchanged": release.unchanged,
            "withdrawn": release.withdrawn,
        }
        bars.append(
            Bar(
                release=release,
                x=round(x, 1),
                centre=round(x + BAR_WIDTH / 2, 1),
                segments=[segment for segment in segments if segment.height > 0],
                label=release.vintage_date.isoformat() if index % every == 0 else "",
                summary=summary,
            )
        )
    return Chart(
        width=CHART_LEFT + max(1, len(releases)) * BAR_STEP + 8,
        height=CHART_TOP + CHART_PLOT + CHART_FOOT,
        baseline=round(baseline, 1),
        label_y=CHART_TOP + CHART_PLOT + 20,
        top_value=most_rows,
        bottom_value=most_withdrawn,
        bottom_y=round(baseline + most_withdrawn * scale, 1),
        bars=bars,
    )


@dataclass
class ProductView:
    product: Product
    releases: list[Release]
    chart: Chart


@dataclass
class SourceView:
    source: Source
    products: list[ProductView] = field(default_factory=list)


# Releases ---------------------------------------------------------------------------------------------------


@permission_required(ANALYSE)
def releases(request: HttpRequest) -> HttpResponse:
    in_order = Release.objects.select_related("imported_by", "profile").order_by("vintage_date", "pk")
    products = Product.objects.prefetch_related(Prefetch("releases", queryset=in_order))
    sources = Source.objects.prefetch_related(Prefetch("products", queryset=products)).order_by("name")
    views = []
    for source in sources:
        view = SourceView(source)
        for product in source.products.all():
            vintages = list(product.releases.all())
            if vintages:
                view.products.append(ProductView(product, vintages, vintage_chart(vintages)))
        if view.products:
            views.append(view)
    return render(request, "sources/releases.html", {"sources": views})


def _release(pk: int) -> Release:
    return get_object_or_404(
        Release.objects.select_related("product__source", "imported_by", "profile", "previous"), pk=pk
    )


def _next_vintage(release: Release) -> Release | None:
    return (
        Release.objects.filter(product_id=release.product_id, previous_id=release.pk)
        .order_by("vintage_date", "pk")
        .first()
    )


def _options(release: Release) -> list[tuple[str, str, bool]]:
    """(name, value as text, whether the text is JSON) for each option the release was read with."""
    items = []
    for name, value in sorted((release.options or {}).items()):
        if value is None or value == "":
            items.append((name, NOTHING, False))
        elif isinstance(value, str):
            items.append((name, value, False))
        else:
            items.append((name, json.dumps(value, ensure_ascii=False, sort_keys=True), True))
    return items


@permission_required(ANALYSE)
def release_detail(request: HttpRequest, pk: int) -> HttpResponse:
    release = _release(pk)
    columns = sorted(
        ((name, spec) for name, spec in (release.columns or {}).items() if isinstance(spec, dict)),
        key=lambda item: item[1].get("column", 0),
    )
    headers = [
        (
            position + 1,
            cell_text(header),
            cell_text(release.hxl_tags[position]) if position < len(release.hxl_tags) else "",
        )
        for position, header in enumerate(release.headers or [])
    ]
    context = {
        "release": release,
        "next_vintage": _next_vintage(release),
        "options": _options(release),
        "columns": columns,
        "headers": headers,
        "is_aggregate": rows_model(release) is Aggregate,
    }
    return render(request, "sources/release_detail.html", context)


@permission_required(ANALYSE)
def release_records(request: HttpRequest, pk: int) -> HttpResponse:
    release = _release(pk)
    model: Any = rows_model(release)
    fields = _fields_of(release)
    page = _page(request, model.objects.filter(release=release).order_by("row_number"))
    return render(
        request,
        "sources/release_records.html",
        {
            "release": release,
            "page": page,
            "rows": [_row_view(row, fields) for row in page],
            "labels": _field_labels(release),
        },
    )


# Vintage differences ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    header: str
    before: str
    after: str


@dataclass(frozen=True)
class ChangedRow:
    row: RowView
    previous_row_number: int | None
    differences: list[Difference]


def _cells_by_header(headers: list[Any], cells: list[Any]) -> dict[tuple[str, int], tuple[str, str]]:
    """(normalised header, nth column with that header) -> (header as given, value), the way columns are
    matched across vintages: case, spacing and pandas' `.1` suffixes do not matter."""
    seen: Counter[str] = Counter()
    found: dict[tuple[str, int], tuple[str, str]] = {}
    for position in range(max(len(headers), len(cells))):
        header = cell_text(headers[position]) if position < len(headers) else ""
        name = normalise_header(header) or f"#{position + 1}"
        seen[name] += 1
        value = cell_text(cells[position]) if position < len(cells) else ""
        found[(name, seen[name])] = (header or _column_label(position), value)
    return found


def differences(
    headers: list[Any], cells: list[Any], previous_headers: list[Any], previous_cells: list[Any]
) -> list[Difference]:
    """The columns whose value differs from the previous vintage's row, compared by header."""
    now = _cells_by_header(headers, cells)
    before = _cells_by_header(previous_headers, previous_cells)
    found = []
    for key in [*now, *(key for key in before if key not in now)]:
        header, after_value = now.get(key, ("", ""))
        previous_header, before_value = before.get(key, ("", ""))
        if after_value.strip() != before_value.strip():
            found.append(Difference(header or previous_header, before_value, after_value))
    return found


def _changed_rows(release: Release, page: Page, fields: tuple[str, ...]) -> list[ChangedRow]:
    model: Any = rows_model(release)
    previous = release.previous
    earlier: dict[tuple[str, int], Any] = {}
    if previous is not None:
        ids = {row.source_id for row in page}
        for row in model.objects.filter(release=previous, source_id__in=ids).only(
            "row_number", "source_id", "occurrence", "raw"
        ):
            earlier[(row.source_id, row.occurrence)] = row
    changed = []
    for row in page:
        old = earlier.get((row.source_id, row.occurrence))
        found = (
            differences(release.headers, row.raw, previous.headers, old.raw)
            if old is not None and previous is not None
            else []
        )
        changed.append(ChangedRow(_row_view(row, fields), old.row_number if old else None, found))
    return changed


def _difference_rows(release: Release, kind: str) -> QuerySet[Any] | list[Any]:
    model: Any = rows_model(release)
    if kind == "withdrawn":
        return withdrawn_records(release)
    return model.objects.filter(release=release, change=kind).order_by("row_number")


@permission_required(ANALYSE)
def release_differences(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    if kind not in DIFFERENCE_KINDS:
        raise Http404("No such kind of difference.")
    release = _release(pk)
    fields = _fields_of(release)
    page = _page(request, _difference_rows(release, kind))
    context: dict[str, Any] = {
        "release": release,
        "kind": kind,
        "page": page,
        "labels": _field_labels(release),
        "tabs": [
            ("added", _("Added"), release.added),
            ("changed", _("Changed"), release.changed),
            ("withdrawn", _("Withdrawn"), release.withdrawn),
        ],
    }
    if kind == "changed":
        context["changed_rows"] = _changed_rows(release, page, fields)
    else:
        context["rows"] = [_row_view(row, fields) for row in page]
    return render(request, "sources/release_differences.html", context)


# Quarantine -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuarantineView:
    row: Quarantine
    cells: list[tuple[str, str]]


@permission_required(ANALYSE)
def release_quarantine(request: HttpRequest, pk: int) -> HttpResponse:
    release = _release(pk)
    page = _page(request, Quarantine.objects.filter(release=release).order_by("row_number", "id"))
    headers = release.headers or []
    rows = [
        QuarantineView(
            row,
            [
                (
                    cell_text(headers[p])
                    if p < len(headers) and headers[p] is not None
                    else _column_label(p),
                    cell_text(v),
                )
                for p, v in enumerate(row.raw or [])
            ],
        )
        for row in page
    ]
    return render(
        request, "sources/release_quarantine.html", {"release": release, "page": page, "rows": rows}
    )


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# The export is read back by scripts as well as people: its own column names stay the same in every language,
# like the reasons in it (English data texts of the importers).
QUARANTINE_CSV_COLUMNS = ["file name", "row", "column", "value", "reason", "source id"]


def spreadsheet_safe(value: str) -> str:
    """A cell a spreadsheet program will not run as a formula (CSV injection): a leading = + - @ (or tab or
    carriage return) gets a quote in front."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class _Line:
    def write(self, value: str) -> str:
        return value


def quarantine_csv_lines(release: Release) -> Iterator[str]:
    writer = csv.writer(_Line())
    headers = [cell_text(header) for header in release.headers or []]
    yield "\ufeff" + writer.writerow([spreadsheet_safe(value) for value in QUARANTINE_CSV_COLUMNS + headers])
    rows: Iterable[Quarantine] = (
        Quarantine.objects.filter(release=release).order_by("row_number", "id").iterator(chunk_size=2000)
    )
    for row in rows:
        values = [release.file_name, str(row.row_number), row.column, row.value, row.reason, row.source_id]
        values += [cell_text(cell) for cell in row.raw or []]
        yield writer.writerow([spreadsheet_safe(value) for value in values])


# permission_required is typed for HttpResponse, of which StreamingHttpResponse is no subclass.
@permission_required(ANALYSE)  # type: ignore[arg-type]
def quarantine_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    release = _release(pk)
    product = release.product
    name = f"{product.source.slug}-{product.slug}-{release.vintage_date.isoformat()}-quarantine.csv"
    response = StreamingHttpResponse(quarantine_csv_lines(release), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# Imports ----------------------------------------------------------------------------------------------------


@csrf_exempt
@permission_required(ANALYSE)
def import_form(request: HttpRequest) -> HttpResponse:
    # The upload limit has to be in place before anything reads the request body, CSRF checks included;
    # the check itself follows in _import_form.
    limit = UploadLimit(request)
    if request.method == "POST":
        request.upload_handlers.insert(0, limit)
    return _import_form(request, limit)


@csrf_protect
def _import_form(request: HttpRequest, limit: UploadLimit) -> HttpResponse:
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, upload_too_large=limit.exceeded)
        if form.is_valid():
            data = form.cleaned_data
            try:
                import_request = actions.request_import(
                    data["file"],
                    source=data["source"],
                    product=data["product"],
                    vintage=data["vintage"],
                    profile=data["profile"],
                    actor=request.user,
                )
            except actions.ImportRefused as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The file is uploaded; the import runs in the background."))
                return redirect("sources:import_request", pk=import_request.pk)
    else:
        form = ImportForm()
    return render(request, "sources/import_form.html", {"form": form}, status=400 if form.errors else 200)


STATUS_CSS: dict[str, str] = {
    ImportRequest.Status.QUEUED: "queued",
    ImportRequest.Status.RUNNING: "running",
    ImportRequest.Status.DONE: "finished",
    ImportRequest.Status.ALREADY_IMPORTED: "finished",
    ImportRequest.Status.FAILED: "failed",
}
ACTIVE = {ImportRequest.Status.QUEUED, ImportRequest.Status.RUNNING}


@dataclass(frozen=True)
class RequestView:
    request: ImportRequest
    css: str
    active: bool
    done: int | None = None
    total: int | None = None

    @property
    def percent(self) -> int:
        if not self.total or self.done is None:
            return 0
        return min(100, self.done * 100 // self.total)


def _request_view(import_request: ImportRequest, *, with_progress: bool = False) -> RequestView:
    active = import_request.status in ACTIVE
    done = total = None
    if with_progress and import_request.status == ImportRequest.Status.RUNNING:
        progress = actions.progress_of(import_request)
        if progress is not None:
            done, total = progress
    return RequestView(import_request, STATUS_CSS.get(import_request.status, ""), active, done, total)


def _requests_with(queryset: QuerySet[ImportRequest]) -> QuerySet[ImportRequest]:
    return queryset.select_related("release__product__source", "profile", "requested_by")


@never_cache
@permission_required(ANALYSE)
@vary_on_headers("HX-Request")
def import_requests(request: HttpRequest) -> HttpResponse:
    rows = [_request_view(r) for r in _requests_with(ImportRequest.objects.all())[:RECENT_REQUESTS]]
    context = {"rows": rows, "active": any(row.active for row in rows), "poll_seconds": POLL_SECONDS}
    if request.headers.get("HX-Request"):
        return render(request, "sources/_import_table.html", context)
    return render(request, "sources/import_requests.html", context)


@never_cache
@permission_required(ANALYSE)
@vary_on_headers("HX-Request")
def import_request(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(_requests_with(ImportRequest.objects.all()), pk=pk)
    context = {"row": _request_view(found, with_progress=True), "poll_seconds": POLL_SECONDS}
    if request.headers.get("HX-Request"):
        return render(request, "sources/_import_status.html", context)
    return render(request, "sources/import_request.html", context)
