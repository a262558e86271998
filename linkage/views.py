"""The linkage pages for analysts: the review queue, one pair side by side with the reviewer's verdict,
splitting and merging incidents (whose pages are registry.views), and the counts with the overlap matrix.

Linkage data is global, like the datasets: every page needs Permission.ANALYSE_DATA in any organisation (403
without it) and unknown ids are a 404. The work is done by linkage.decisions (which records the decisions
and changes the incidents through registry.actions) and linkage.counts. A refused change re-renders its
page with the reason (400); a change that went through redirects with a message (POST-redirect-GET).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import permission_required
from accounts.roles import Permission
from linkage import counts as counting
from linkage import decisions, labels
from linkage.forms import CountsFilterForm, DecisionForm, ReviewFilterForm
from linkage.frame import pair as key_pair
from linkage.models import Decision, LinkageRun, ReviewPair
from registry.forms import MergeForm, SplitForm
from registry.models import IncidentLink
from registry.views import NOTHING, incident_or_404, incident_page, record_location, source_names, value_text
from sources.models import Record
from sources.schema import Harmonised
from sources.views import cell_text

ANALYSE = Permission.ANALYSE_DATA
PAGE_SIZE = 50
HEAT_LEVELS = 5
SOURCE = "release__product__source__slug"


# The review queue -------------------------------------------------------------------------------------------


def latest_run() -> LinkageRun | None:
    return LinkageRun.objects.filter(status=LinkageRun.Status.DONE).order_by("-started_at", "-pk").first()


def open_pairs(run: LinkageRun | None) -> QuerySet[ReviewPair]:
    """The undecided pairs of `run`: uncertain matches first, then possible duplicates, most likely first."""
    if run is None:
        return ReviewPair.objects.none()
    kind_order = Case(
        When(kind=ReviewPair.Kind.UNCERTAIN, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    # A pair decided since (by its keys, also through a split or merge) is no longer open, even when a run
    # queued it again: a duplicate inside one source stays a candidate in every run.
    decided = Decision.objects.filter(key_a=OuterRef("key_a"), key_b=OuterRef("key_b"))
    return (
        ReviewPair.objects.filter(run=run, decision=None)
        .exclude(Exists(decided))
        .annotate(kind_order=kind_order)
        .order_by("kind_order", "-probability", "pk")
    )


def _with_records(pairs: QuerySet[ReviewPair]) -> QuerySet[ReviewPair]:
    return pairs.select_related("record_a__release__product__source", "record_b__release__product__source")


@permission_required(ANALYSE)
def review_queue(request: HttpRequest) -> HttpResponse:
    run = latest_run()
    pairs = open_pairs(run)
    source_pairs = sorted(
        {
            key_pair(a, b)
            for a, b in pairs.values_list(f"record_a__{SOURCE}", f"record_b__{SOURCE}").order_by().distinct()
        }
    )
    countries = sorted(
        {
            code
            for code in pairs.values_list("record_a__country_iso3", flat=True).order_by().distinct()
            if code
        }
        | {
            code
            for code in pairs.values_list("record_b__country_iso3", flat=True).order_by().distinct()
            if code
        }
    )
    form = ReviewFilterForm(request.GET or None, pairs=source_pairs, countries=countries)
    chosen_pair, country = form.chosen()
    if chosen_pair is not None:
        first, second = chosen_pair
        pairs = pairs.filter(
            Q(**{f"record_a__{SOURCE}": first, f"record_b__{SOURCE}": second})
            | Q(**{f"record_a__{SOURCE}": second, f"record_b__{SOURCE}": first})
        )
    if country:
        pairs = pairs.filter(Q(record_a__country_iso3=country) | Q(record_b__country_iso3=country))
    page = Paginator(_with_records(pairs), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "linkage/review_queue.html",
        {"run": run, "form": form, "page": page, "pairs": list(page)},
        status=400 if form.errors else 200,
    )


# One pair ---------------------------------------------------------------------------------------------------

HARMONISED_FIELDS = tuple(field.name for field in dataclasses.fields(Harmonised))


@dataclass(frozen=True)
class FieldRow:
    label: str
    value_a: str
    value_b: str
    same: bool | None  # None: neither record gives a value


@dataclass(frozen=True)
class Comparison:
    name: str
    level: str
    agrees: bool | None


@dataclass(frozen=True)
class Side:
    record: Record
    key: str
    source_name: str
    raw: list[tuple[str, str]]
    link: IncidentLink | None
    record_url: str
    record_label: str


def _raw(record: Record) -> list[tuple[str, str]]:
    headers = record.release.headers or []
    cells = record.raw if isinstance(record.raw, list) else []
    return [
        (
            cell_text(headers[position]) if position < len(headers) else "",
            cell_text(value),
        )
        for position, value in enumerate(cells)
    ]


def _side(record: Record, key: str, names: dict[str, str]) -> Side:
    source = record.release.product.source
    link = IncidentLink.objects.select_related("incident").filter(record_key=key).first()
    url, label = record_location(record)
    return Side(record, key, names.get(source.slug, source.name), _raw(record), link, url, label)


def _field_rows(record_a: Record, record_b: Record) -> list[FieldRow]:
    rows = []
    for name in HARMONISED_FIELDS:
        value_a, value_b = getattr(record_a, name), getattr(record_b, name)
        label = str(getattr(Record._meta.get_field(name), "verbose_name", name))
        text_a, text_b = value_text(value_a), value_text(value_b)
        same = None if text_a == text_b == NOTHING else value_a == value_b
        rows.append(FieldRow(label, text_a, text_b, same))
    return rows


def _comparisons(agreement: Any) -> list[Comparison]:
    if not isinstance(agreement, dict):
        return []
    rows = []
    for name, found in agreement.items():
        found = found if isinstance(found, dict) else {}
        agrees = found.get("agrees")
        rows.append(
            Comparison(
                labels.comparison_label(str(name)),
                labels.level_label(str(found.get("level", ""))),
                agrees if isinstance(agrees, bool) else None,
            )
        )
    return rows


def _pair_or_404(pk: int) -> ReviewPair:
    return get_object_or_404(_with_records(ReviewPair.objects.select_related("run", "decision")), pk=pk)


def _pair_page(
    request: HttpRequest, review: ReviewPair, form: DecisionForm | None = None, status: int = 200
) -> HttpResponse:
    names = source_names()
    first, second = key_pair(review.key_a, review.key_b)
    decision = Decision.objects.select_related("decided_by").filter(key_a=first, key_b=second).first()
    context = {
        "review": review,
        "sides": [_side(review.record_a, review.key_a, names), _side(review.record_b, review.key_b, names)],
        "fields": _field_rows(review.record_a, review.record_b),
        "comparisons": _comparisons(review.agreement),
        "decision": decision,
        "one_source": decisions.source_of(review.key_a) == decisions.source_of(review.key_b),
        "form": form or DecisionForm(initial={"note": decision.note if decision else ""}),
    }
    return render(request, "linkage/review_pair.html", context, status=status)


@permission_required(ANALYSE)
def review_pair(request: HttpRequest, pk: int) -> HttpResponse:
    return _pair_page(request, _pair_or_404(pk))


@require_POST
@permission_required(ANALYSE)
def decide_pair(request: HttpRequest, pk: int) -> HttpResponse:
    review = _pair_or_404(pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _pair_page(request, review, form, status=400)
    verdict = form.cleaned_data["verdict"]
    try:
        decisions.decide(request.user, review.key_a, review.key_b, verdict, form.cleaned_data["note"])
    except decisions.DecisionRefused as error:
        form.add_error(None, str(error))
        return _pair_page(request, review, form, status=400)
    if verdict == Decision.Verdict.SAME:
        messages.success(request, _("Decided: the same incident."))
    else:
        messages.success(request, _("Decided: different incidents."))
    following = open_pairs(latest_run()).first()
    if following is not None:
        return redirect("linkage:pair", pk=following.pk)
    return redirect("linkage:review")


# Splitting and merging incidents ----------------------------------------------------------------------------


@require_POST
@permission_required(ANALYSE)
def split_incident(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_or_404(pk)
    form = SplitForm(request.POST, incident=incident)
    if form.is_valid():
        try:
            created = decisions.split(
                request.user, incident, form.cleaned_data["keys"], form.cleaned_data["note"]
            )
        except decisions.DecisionRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("The records were split off into incident %(number)s.") % {"number": created.number},
            )
            return redirect("registry:detail", pk=incident.pk)
    return incident_page(request, incident, split_form=form, status=400)


@require_POST
@permission_required(ANALYSE)
def merge_incident(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_or_404(pk)
    form = MergeForm(request.POST, incident=incident)
    if form.is_valid():
        other = form.cleaned_data["other"]
        try:
            decisions.merge(request.user, incident, other, form.cleaned_data["note"])
        except decisions.DecisionRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Incident %(other)s was merged into this incident.") % {"other": other.number},
            )
            return redirect("registry:detail", pk=incident.pk)
    return incident_page(request, incident, merge_form=form, status=400)


# Counts and overlap -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    value: int
    heat: int
    diagonal: bool


@dataclass(frozen=True)
class GridRow:
    source: str
    name: str
    cells: list[Cell]


def heat(value: int, highest: int) -> int:
    """0 for nothing, else 1 to HEAT_LEVELS by the share of the highest value (the colour of the cell)."""
    if value <= 0 or highest <= 0:
        return 0
    return max(1, min(HEAT_LEVELS, -(-value * HEAT_LEVELS // highest)))


def overlap_grid(matrix: dict[str, Any], names: dict[str, str]) -> list[GridRow]:
    """The overlap matrix as rows of cells: shared incidents off the diagonal, one source's own on it."""
    slugs = matrix["sources"]
    values = [matrix["shared"][a][b] for a in slugs for b in slugs if a != b] + list(matrix["only"].values())
    highest = max(values, default=0)
    rows = []
    for a in slugs:
        cells = []
        for b in slugs:
            value = matrix["only"][a] if a == b else matrix["shared"][a][b]
            cells.append(Cell(value, heat(value, highest), a == b))
        rows.append(GridRow(a, names.get(a, a), cells))
    return rows


@dataclass(frozen=True)
class SourceRow:
    source: str
    name: str
    records: int
    incidents: int
    only: int


@dataclass(frozen=True)
class CountBar:
    label: str
    value: int
    width: int
    y: int
    css: str

    @property
    def value_x(self) -> int:
        return LABEL_WIDTH + self.width + 6


BAR_LENGTH = 360
BAR_STEP = 28
BAR_HEIGHT = 18
LABEL_WIDTH = 190


def source_rows(totals: dict[str, Any], matrix: dict[str, Any], names: dict[str, str]) -> list[SourceRow]:
    slugs = counting.ordered_sources({*totals["by_source"], *matrix["sources"]})
    return [
        SourceRow(
            slug,
            names.get(slug, slug),
            totals["by_source"].get(slug, 0),
            matrix["incidents"].get(slug, 0),
            matrix["only"].get(slug, 0),
        )
        for slug in slugs
    ]


def count_bars(rows: list[SourceRow], union: int) -> list[CountBar]:
    """A bar per source's records and one for the de-duplicated union, on one scale."""
    highest = max([*(row.records for row in rows), union, 1])
    items = [(row.name, row.records, "bar-source") for row in rows]
    items.append((_("De-duplicated"), union, "bar-union"))
    return [
        CountBar(label, value, round(BAR_LENGTH * value / highest), 4 + index * BAR_STEP, css)
        for index, (label, value, css) in enumerate(items)
    ]


@permission_required(ANALYSE)
def counts(request: HttpRequest) -> HttpResponse:
    form = CountsFilterForm(request.GET or None)
    filters = form.filters()
    totals = counting.source_counts(**filters)
    matrix = counting.overlap_matrix(**filters)
    names = source_names()
    rows = source_rows(totals, matrix, names)
    bars = count_bars(rows, totals["union"])
    context = {
        "form": form,
        "totals": totals,
        "rows": rows,
        "bars": bars,
        "chart": {
            "width": LABEL_WIDTH + BAR_LENGTH + 80,
            "height": 8 + len(bars) * BAR_STEP,
            "label_x": LABEL_WIDTH - 10,
            "bar_x": LABEL_WIDTH,
            "bar_height": BAR_HEIGHT,
            "text_dy": BAR_HEIGHT - 4,
        },
        "grid": overlap_grid(matrix, names),
        "columns": [(slug, names.get(slug, slug)) for slug in matrix["sources"]],
        "matrix_total": matrix["total"],
        "heat_levels": range(1, HEAT_LEVELS + 1),
    }
    return render(request, "linkage/counts.html", context, status=400 if form.errors else 200)
