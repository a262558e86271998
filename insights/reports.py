"""The report builder: periodic reports and country briefs in HTML and PDF, made from one selection.

`create_report` records a queued report and hands it to the background worker (insights.report_tasks);
`build_report` does the work: it reads the figures of the selection from the analytics database
(insights.queries), draws the charts on the server as SVG (vl-convert, the same Vega-Lite specifications the
dashboard draws in the browser, put inline so the PDF keeps them as vectors), writes the document
(insights/reports/document.html) and makes its PDF with WeasyPrint, offline. The report keeps every release
it drew on (with vintage and SHA-256), the linkage run and when the analytics database was built, so
`rebuild_report` can make it again from the same selection and say which releases changed since.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from html import escape
from pathlib import Path
from typing import Any, Literal

import pycountry
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from audit.chain import record
from insights import analytics_db, charts, labels, queries
from insights.filters import DEDUPLICATED, PER_SOURCE, SOURCE_ORDER, Selection, from_query
from insights.models import PolicyReport

logger = logging.getLogger(__name__)

STYLESHEET = Path(__file__).resolve().parent / "static" / "insights" / "reports" / "report.css"
DOCUMENT_TEMPLATE = "insights/reports/document.html"  # the report itself: the web page and the PDF
PDF_TEMPLATE = "insights/reports/pdf.html"  # the stand-alone page WeasyPrint reads
COUNTRY_OUTLINES = "world/countries-50m.json"  # finer outlines for the map of one country

MONTHS_SHOWN = 60  # the monthly chart is left out of longer periods: its table would run for pages
TOP_COUNTRIES = 20
TOP_AREAS = 15
MAP_POINTS = 5000
MAX_CHART_WIDTH = 660  # CSS pixels: the width of the text on an A4 page with the report's margins
CHART_FONT = "DejaVu Sans, Liberation Sans, sans-serif"

# What the detail page says the build is doing (PolicyReport.stage holds the key).
STAGES = {
    "figures": gettext_lazy("Reading the figures"),
    "charts": gettext_lazy("Drawing the charts"),
    "document": gettext_lazy("Writing the document"),
    "pdf": gettext_lazy("Making the PDF"),
}

Progress = Callable[[int, int, str], None]


class ReportRefused(ValueError):
    """A report cannot be made or changed as asked; the message says why."""


# -- Actions --------------------------------------------------------------------------------------------------


def check_request(kind: str, selection: Selection, language: str) -> dict[str, str]:
    """What is wrong with a report request, per form field (empty when nothing is)."""
    problems: dict[str, str] = {}
    if kind not in PolicyReport.Kind.values:
        problems["kind"] = _("%(value)r is not a kind of report; use periodic or country_brief") % {
            "value": kind[:40]
        }
    elif kind == PolicyReport.Kind.COUNTRY_BRIEF and len(selection.countries) != 1:
        problems["country"] = _("a country brief is about exactly one country; %(count)s chosen") % {
            "count": len(selection.countries)
        }
    if language not in dict(settings.LANGUAGES):
        problems["language"] = _("%(value)r is not a language of the site; use %(known)s") % {
            "value": language[:20],
            "known": ", ".join(code for code, _name in settings.LANGUAGES),
        }
    return problems


def create_report(
    actor: Any,
    *,
    title: str,
    kind: str,
    selection: Selection,
    language: str,
    rebuilt_from: PolicyReport | None = None,
) -> PolicyReport:
    """Record a report and queue its build; returns it (status queued). Raises ReportRefused for a request
    `check_request` refuses. The caller checks Permission.ANALYSE_DATA."""
    from insights.report_tasks import build_policy_report

    problems = check_request(kind, selection, language)
    title = " ".join(title.split())[:200]
    if not title:
        problems["title"] = _("give the report a title")
    if problems:
        raise ReportRefused("; ".join(f"{name}: {problem}" for name, problem in problems.items()))
    with transaction.atomic():
        report = PolicyReport.objects.create(
            title=title,
            kind=kind,
            selection=selection.as_query(),
            language=language,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            rebuilt_from=rebuilt_from,
        )
        result = build_policy_report.enqueue(report.pk)
        report.task_result_id = str(result.id)
        report.save(update_fields=["task_result_id"])
        record(
            "insights.report_rebuilt" if rebuilt_from is not None else "insights.report_created",
            actor=actor,
            target=report,
            details={
                "kind": kind,
                "language": language,
                "selection": _selection_text(report.selection),
                "rebuilt_from": rebuilt_from.pk if rebuilt_from is not None else None,
                "task_result": str(result.id),
            },
        )
    return report


def rebuild_report(actor: Any, report: PolicyReport) -> PolicyReport:
    """A new report with the same title, kind, selection and language, made from the data as it is now;
    it records the report it was rebuilt from, and its page compares the releases both used."""
    return create_report(
        actor,
        title=report.title,
        kind=report.kind,
        selection=selection_of(report),
        language=report.language,
        rebuilt_from=report,
    )


def set_public(actor: Any, report: PolicyReport, public: bool) -> PolicyReport:
    """Publish a finished report on the public reports list, or take it off."""
    if public and report.status != PolicyReport.Status.DONE:
        raise ReportRefused(
            _("only a finished report can be published; this one is %(status)s")
            % {"status": report.get_status_display()}
        )
    with transaction.atomic():
        report.is_public = public
        report.published_at = timezone.now() if public else None
        report.save(update_fields=["is_public", "published_at"])
        record(
            "insights.report_published" if public else "insights.report_unpublished",
            actor=actor,
            target=report,
        )
    return report


def selection_of(report: PolicyReport) -> Selection:
    """The report's selection, read back from what it stored."""
    # Reports can be published, so they hold only what may be published (registry.publication).
    return from_query(report.selection or {}, public=True)


def _selection_text(query: dict[str, Any]) -> str:
    parts = []
    for name, value in query.items():
        parts.append(f"{name}={','.join(value) if isinstance(value, list) else value}")
    return "&".join(parts)


def mark_stalled(report: PolicyReport) -> PolicyReport:
    """A report still queued or building whose background task has ended (the worker was stopped, the
    process died) is marked failed, so its page does not wait for ever."""
    if not report.active or not report.task_result_id:
        return report
    from django.tasks import TaskResultStatus
    from django.tasks.exceptions import TaskResultDoesNotExist, TaskResultMismatch

    from insights.report_tasks import build_policy_report

    try:
        result = build_policy_report.get_result(report.task_result_id)
    except (TaskResultDoesNotExist, TaskResultMismatch, ValueError):
        return report
    if result.status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED):
        report.refresh_from_db()
        if report.active:
            _fail(report, _("the background task ended before the report was finished"))
            report.refresh_from_db()
    return report


# -- Building -------------------------------------------------------------------------------------------------


@dataclass
class Table:
    caption: str
    head: list[str]
    rows: list[list[str]]  # the first cell of a row is its header
    numeric: list[bool] = field(default_factory=list)
    note: str = ""

    def __post_init__(self) -> None:
        if not self.numeric:
            self.numeric = [False] + [True] * (len(self.head) - 1)

    @property
    def wide(self) -> bool:
        return len(self.head) > 4

    @property
    def short(self) -> bool:
        return len(self.rows) <= 15

    @property
    def columns(self) -> list[tuple[str, bool]]:
        return list(zip(self.head, self.numeric, strict=True))

    @property
    def body(self) -> list[list[tuple[str, bool]]]:
        return [list(zip(row, self.numeric, strict=True)) for row in self.rows]


@dataclass
class Block:
    """A chart with the table of its figures, or a table alone."""

    key: str
    table: Table | None = None
    spec: dict[str, Any] | None = None
    svg: SafeString | None = None
    number: int = 0
    note: str = ""

    @property
    def title(self) -> str:
        if self.spec is not None:
            return str(self.spec.get("title", ""))
        return self.table.caption if self.table else ""

    @property
    def description(self) -> str:
        return str(self.spec.get("description", "")) if self.spec else ""


@dataclass
class Section:
    key: str
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: str


class _Tracker:
    """Writes the build's stage and step to the report row as it goes (the detail page polls them)."""

    def __init__(self, report: PolicyReport, progress: Progress | None) -> None:
        self.report = report
        self.progress = progress
        self.done = 0
        self.total = 4

    def step(self, stage: str, *, advance: bool = True) -> None:
        if advance:
            self.done = min(self.total, self.done + 1)
        PolicyReport.objects.filter(pk=self.report.pk).update(
            stage=stage, steps_done=self.done, steps_total=self.total
        )
        if self.progress is not None:
            self.progress(self.done, self.total, stage)


def build_report(report: PolicyReport, progress: Progress | None = None) -> PolicyReport:
    """Make the report's document and PDF from the data as it is now. A failure is stored on the report
    (status failed, the error) rather than raised; the report is returned either way."""
    PolicyReport.objects.filter(pk=report.pk).update(
        status=PolicyReport.Status.BUILDING, error="", stage="figures", steps_done=0, steps_total=4
    )
    tracker = _Tracker(report, progress)
    tracker.step("figures", advance=False)
    try:
        with translation.override(report.language):
            selection = selection_of(report)
            built_at = timezone.now()
            content = gather(report, selection, built_at)
            blocks = [block for section in content["sections"] for block in section.blocks if block.spec]
            tracker.total = 3 + len(blocks)
            tracker.step("charts")
            for block in blocks:
                assert block.spec is not None
                block.svg = draw(block.spec, f"chart-{block.key}", report.language)
                tracker.step("charts")
            tracker.step("document", advance=False)
            body = render_to_string(DOCUMENT_TEMPLATE, content).strip()
            tracker.step("pdf")
            pdf = render_pdf(report, body)
            tracker.step("pdf")
    except analytics_db.AnalyticsError as error:
        logger.warning("Report %s could not be built: %s", report.pk, error)
        _fail(report, str(error))
        report.refresh_from_db()
        return report
    except Exception as error:
        logger.exception("Report %s could not be built", report.pk)
        _fail(report, f"{type(error).__name__}: {error}")
        report.refresh_from_db()
        return report
    with transaction.atomic():
        PolicyReport.objects.filter(pk=report.pk).update(
            status=PolicyReport.Status.DONE,
            stage="",
            steps_done=tracker.total,
            steps_total=tracker.total,
            built_at=built_at,
            html=body,
            pdf=pdf,
            charts=[{"key": block.key, "title": block.title, "svg": str(block.svg)} for block in blocks],
            figures=content["figures"],
            releases=content["releases"],
            linkage_run_id=content["linkage_run"]["id"] if content["linkage_run"] else None,
            analytics_built_at=content["analytics_built_at"],
        )
        record(
            "insights.report_built",
            actor=report.created_by,
            target=report,
            details={
                "releases": [row["release_id"] for row in content["releases"]],
                "sha256": [row["sha256"] for row in content["releases"]],
                "linkage_run": content["linkage_run"]["id"] if content["linkage_run"] else None,
                "pdf_bytes": len(pdf),
            },
        )
    report.refresh_from_db()
    return report


def _fail(report: PolicyReport, error: str) -> None:
    with transaction.atomic():
        PolicyReport.objects.filter(pk=report.pk).update(
            status=PolicyReport.Status.FAILED, error=error[:2000], stage=""
        )
        record(
            "insights.report_failed", actor=report.created_by, target=report, details={"error": error[:300]}
        )


# -- What the report holds ------------------------------------------------------------------------------------


def gather(report: PolicyReport, selection: Selection, built_at: datetime.datetime) -> dict[str, Any]:
    """The document's context: headline figures, summary, sections of charts and tables, method and
    citations. Charts are specifications here; `build_report` draws them."""
    totals = queries.totals(selection)
    years = queries.per_year(selection)
    releases = releases_used(selection)
    run = linkage_run()
    analytics_built = analytics_built_at()
    brief = report.kind == PolicyReport.Kind.COUNTRY_BRIEF
    sections = country_sections(selection) if brief else periodic_sections(selection)
    number = 0
    for section in sections:
        for block in section.blocks:
            number += 1
            block.number = number
    earlier = report.rebuilt_from
    comparison = None
    if earlier is not None:
        comparison = {
            "report": earlier,
            "releases": compare_releases(earlier.releases, releases),
            "figures": compare_figures(earlier.figures, {"totals": totals}),
        }
    return {
        "report": report,
        "brief": brief,
        "country": labels.country_label(selection.countries[0]) if brief and selection.countries else "",
        "built_at": built_at,
        "selection": selection_words(selection, totals),
        "unit": _unit(selection),
        "headline": headline(totals, selection),
        "summary": summary(totals, years, selection, brief=brief),
        "sections": sections,
        "method": method(selection, run, analytics_built, releases),
        "releases": releases,
        "citations": [
            {**row, "vintage": _date(row["vintage_date"]), "records_text": _n(row["records"])}
            for row in releases
        ],
        "linkage_run": run,
        "analytics_built_at": analytics_built,
        "comparison": comparison,
        "figures": {
            "totals": totals,
            "per_year": {str(row["year"]): row["events"] for row in years},
        },
    }


def _n(value: Any) -> str:
    if value is None or value == "":
        return "\u2013"
    return formats.number_format(value, use_l10n=True, force_grouping=True)


def _percent(value: Any) -> str:
    if value is None:
        return "\u2013"
    return f"{formats.number_format(value, decimal_pos=1, use_l10n=True, force_grouping=True)}%"


def _change(value: float | None) -> str:
    if value is None:
        return "\u2013"
    sign = "+" if value > 0 else ("\u2212" if value < 0 else "±")
    return f"{sign}{formats.number_format(abs(value), decimal_pos=1, use_l10n=True, force_grouping=True)}%"


def _date(value: str | datetime.date | None) -> str:
    if not value:
        return "\u2013"
    day = datetime.date.fromisoformat(value) if isinstance(value, str) else value
    return formats.date_format(day, "DATE_FORMAT")


def _moment(value: datetime.datetime) -> str:
    local = timezone.localtime(value)
    return f"{formats.date_format(local, 'DATE_FORMAT')} {formats.time_format(local, 'H:i')}"


def _unit(selection: Selection) -> str:
    return labels.count_label("incidents" if selection.deduplicated else "records")


def selection_words(selection: Selection, totals: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """The selection as label and words, with countries and sources by name; without a period, the dates
    of the first and last event found (from `totals`)."""
    words = selection.describe()
    if not (selection.date_from or selection.date_to) and totals and totals.get("first_date"):
        words["period"] = _("%(start)s to %(end)s (every date in the data)") % {
            "start": _date(totals["first_date"]),
            "end": _date(totals["last_date"]),
        }
    countries = ", ".join(labels.country_label(code) for code in selection.countries)
    sources = ", ".join(labels.source_label(slug) for slug in selection.sources)
    certainty = ", ".join(labels.certainty_label(code) for code in selection.certainty)
    return [
        (_("Period"), words["period"]),
        (_("Countries"), countries or words["countries"]),
        (_("Sources"), sources or words["sources"]),
        (_("Counted"), labels.view_label(selection.view)),
        (_("Certainty"), certainty or words["certainty"]),
    ]


def headline(totals: dict[str, Any], selection: Selection) -> list[Figure]:
    figures = [Figure("events", _unit(selection), _n(totals["events"]))]
    if len(selection.countries) != 1:
        figures.append(Figure("countries", labels.count_label("countries"), _n(totals["countries"])))
    figures += [Figure(name, labels.count_label(name), _n(totals[name])) for name in queries.HEADLINE_COUNTS]
    return figures


def summary(
    totals: dict[str, Any], years: list[dict[str, Any]], selection: Selection, *, brief: bool
) -> list[str]:
    """A few sentences in plain words: how many, when most, the latest year, where, and by whom."""
    events = int(totals["events"])
    if not events:
        return [_("The selection holds no events: nothing was recorded for this period, place and sources.")]
    sentences = []
    if selection.deduplicated:
        text = ngettext(
            "%(count)s incident of violence against health care was recorded from %(first)s to %(last)s.",
            "%(count)s incidents of violence against health care were recorded from %(first)s to %(last)s.",
            events,
        )
    else:
        text = ngettext(
            "The sources hold %(count)s record of violence against health care from %(first)s to %(last)s.",
            "The sources hold %(count)s records of violence against health care from %(first)s to %(last)s.",
            events,
        )
    sentences.append(
        text % {"count": _n(events), "first": _date(totals["first_date"]), "last": _date(totals["last_date"])}
    )
    if len(years) > 1:
        peak = max(years, key=lambda row: (row["events"], row["year"]))
        sentences.append(
            _("The most were recorded in %(year)s: %(count)s.")
            % {"year": peak["year"], "count": _n(peak["events"])}
        )
        last, before = years[-1], years[-2]
        if before["year"] == last["year"] - 1:
            sentences.append(
                _("In %(year)s there were %(count)s, %(change)s on %(previous)s (%(previous_count)s).")
                % {
                    "year": last["year"],
                    "count": _n(last["events"]),
                    "change": _change(last["change_percent"]),
                    "previous": before["year"],
                    "previous_count": _n(before["events"]),
                }
            )
        last_date = totals["last_date"]
        if last_date and last_date[:4] == str(last["year"]) and last_date[5:] != "12-31":
            sentences.append(
                _(
                    "The figures for %(year)s run to %(date)s only: the newest vintages of the sources end "
                    "there, and sources add events months after they happen."
                )
                % {"year": last["year"], "date": _date(last_date)}
            )
    if not brief and int(totals["countries"]) > 1:
        top = queries.per_country(selection, 1)
        if top:
            sentences.append(
                _("%(country)s had the most: %(count)s (%(share)s of all).")
                % {
                    "country": labels.country_label(top[0]["country"]),
                    "count": _n(top[0]["events"]),
                    "share": _percent(round(top[0]["events"] * 100 / events, 1)),
                }
            )
    perpetrators = queries.per_perpetrator(selection)
    if perpetrators["known"]:
        sentences.append(
            _("Where the perpetrator is known (%(known)s), state actors were named in %(share)s.")
            % {"known": _n(perpetrators["known"]), "share": _percent(perpetrators["state_share_percent"])}
        )
    return sentences


def _year_block(selection: Selection) -> Block:
    rows = queries.per_year(selection)
    table = Table(
        _("Attacks per year"),
        [_("Year"), _unit(selection), _("Change on the year before")],
        [[str(row["year"]), _n(row["events"]), _change(row["change_percent"])] for row in rows],
    )
    return Block("per-year", table, charts.events_per_year(rows) if rows else None)


def _month_block(selection: Selection) -> Block | None:
    rows = queries.per_month(selection)
    if len(rows) < 2 or len(rows) > MONTHS_SHOWN:
        return None
    rows = _with_month_change(rows)
    table = Table(
        _("Attacks per month"),
        [_("Month"), _unit(selection), _("Change on the month before")],
        [
            [
                formats.date_format(datetime.date.fromisoformat(row["month"]), "YEAR_MONTH_FORMAT"),
                _n(row["events"]),
                _change(row["change_percent"]),
            ]
            for row in rows
        ],
        note=_("Events dated to a year only are not in the monthly figures."),
    )
    return Block("per-month", table, charts.events_per_month(rows))


def _with_month_change(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The change on the month before, in %, where the month before has events."""
    found = []
    previous: dict[str, Any] | None = None
    for row in rows:
        month = datetime.date.fromisoformat(row["month"])
        before = (month - datetime.timedelta(days=1)).replace(day=1).isoformat()
        change = None
        if previous is not None and previous["month"] == before and previous["events"]:
            change = round((row["events"] - previous["events"]) * 100 / previous["events"], 1)
        found.append({**row, "change_percent": change})
        previous = row
    return found


def _counts_block(selection: Selection) -> Block:
    rows = queries.counts_per_year(selection)
    names = {name: labels.count_label(name) for name in queries.HEADLINE_COUNTS}
    table = Table(
        _("Health workers and facilities harmed per year"),
        [_("Year"), *names.values()],
        [[str(row["year"]), *(_n(row[name]) for name in names)] for row in rows],
        note=_("Sums of the figures the sources give; an event without a figure adds nothing."),
    )
    return Block("counts-per-year", table, charts.counts_per_year(rows, names) if rows else None)


def _ranked_block(
    key: str,
    rows: list[dict[str, Any]],
    *,
    title: str,
    description: str,
    label_title: str,
    selection: Selection,
) -> Block | None:
    rows = [row for row in rows if row["events"]]
    if not rows:
        return None
    table = Table(title, [label_title, _unit(selection)], [[row["label"], _n(row["events"])] for row in rows])
    spec = charts.ranked_bars(rows, title=title, description=description, label_title=label_title)
    return Block(key, table, spec)


def _families_block(selection: Selection) -> Block | None:
    rows = [{**row, "label": labels.family_label(row["code"])} for row in queries.per_family(selection)]
    return _ranked_block(
        "families",
        rows,
        title=_("Attacks by type of attack"),
        description=_(
            "Bar chart: the number of attacks of each type; an attack of two types counts in both."
        ),
        label_title=_("Type of attack"),
        selection=selection,
    )


def _resources_block(selection: Selection) -> Block | None:
    rows = [{**row, "label": labels.resource_label(row["code"])} for row in queries.per_resource(selection)]
    return _ranked_block(
        "resources",
        rows,
        title=_("Attacks by what was hit"),
        description=_("Bar chart: the number of attacks that hit each part of health care."),
        label_title=_("Health-care resource"),
        selection=selection,
    )


def _perpetrators_block(selection: Selection) -> Block | None:
    found = queries.per_perpetrator(selection)
    rows = [{**row, "label": labels.perpetrator_label(row["code"])} for row in found["rows"]]
    block = _ranked_block(
        "perpetrators",
        rows,
        title=_("Attacks by perpetrator"),
        description=_("Bar chart: the number of attacks per kind of perpetrator, as the sources name them."),
        label_title=_("Perpetrator"),
        selection=selection,
    )
    if block is not None and found["known"]:
        block.note = _("State actors: %(share)s of the %(known)s attacks whose perpetrator is known.") % {
            "share": _percent(found["state_share_percent"]),
            "known": _n(found["known"]),
        }
    return block


def _sources_block(selection: Selection) -> Block | None:
    found = queries.per_source_year(selection)
    rows = found["rows"]
    if not rows:
        return None
    slugs = {row["source"] for row in rows} - {DEDUPLICATED}
    order = [*sorted(slugs, key=_source_rank), DEDUPLICATED]
    years = sorted({row["year"] for row in rows})
    counts = {(row["source"], row["year"]): row["events"] for row in rows}
    table = Table(
        _("Records per year of each source, and the de-duplicated incidents"),
        [_("Year"), *(labels.source_label(slug) for slug in order)],
        [[str(year), *(_n(counts.get((slug, year), 0)) for slug in order)] for year in years],
        note=_(
            "A source's column counts its own records in its newest vintage; the last column counts each "
            "incident once, however many sources reported it."
        ),
    )
    lines = [
        {**row, "label": labels.source_label(row["source"]), "deduplicated": row["source"] == DEDUPLICATED}
        for row in rows
    ]
    spec = charts.sources_per_year(lines, indexed=False, base_year=found["base_year"])
    return Block("sources-per-year", table, spec)


def _source_rank(slug: str) -> tuple[int, str]:
    return (SOURCE_ORDER.index(slug) if slug in SOURCE_ORDER else len(SOURCE_ORDER), slug)


@cache
def _numeric(iso3: str) -> str | None:
    country = pycountry.countries.get(alpha_3=iso3) if len(iso3) == 3 else None
    return str(country.numeric) if country is not None else None


def _countries_blocks(selection: Selection) -> list[Block]:
    rows = queries.per_country(selection)
    if not rows:
        return []
    mapped = [
        {
            "numeric": _numeric(row["country"]),
            "label": labels.country_label(row["country"]),
            "events": row["events"],
        }
        for row in rows
    ]
    names = [labels.count_label(name) for name in queries.HEADLINE_COUNTS]
    top = rows[:TOP_COUNTRIES]
    table = Table(
        _("The %(count)s countries with the most attacks") % {"count": len(top)}
        if len(rows) > len(top)
        else _("Attacks per country"),
        [_("Country"), _unit(selection), *names],
        [
            [
                labels.country_label(row["country"]),
                _n(row["events"]),
                *(_n(row[n]) for n in queries.HEADLINE_COUNTS),
            ]
            for row in top
        ],
        note=ngettext("%(count)s country in all.", "%(count)s countries in all.", len(rows))
        % {"count": len(rows)}
        + " "
        + _("A dash: no source gives this figure."),
    )
    located = [row for row in mapped if row["numeric"]]
    spec = charts.choropleth(located, inline_world=True)
    _in_classes(spec, located)
    return [Block("countries", table, spec)]


# Five classes, light to dark (ColorBrewer Oranges): the darkest has 7.3:1 contrast with white.
CLASS_COLOURS = ("#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603")


def map_classes(values: Iterable[int], count: int = len(CLASS_COLOURS)) -> list[tuple[int, int]]:
    """Up to `count` classes (lowest, highest) of about as many countries each (quantiles)."""
    ordered = sorted(value for value in values if value > 0)
    if not ordered:
        return []
    uppers: list[int] = []
    for index in range(1, count):
        upper = ordered[min(len(ordered) - 1, len(ordered) * index // count)]
        if not uppers or upper > uppers[-1]:
            uppers.append(upper)
    if not uppers or ordered[-1] > uppers[-1]:
        uppers.append(ordered[-1])
    classes, lowest = [], ordered[0]
    for upper in uppers:
        classes.append((lowest, upper))
        lowest = upper + 1
    return classes


def _in_classes(spec: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """Colour the map by classes with a legend of ranges: a few countries with many attacks would leave
    every other country the palest colour of a continuous scale, and a PDF viewer does not draw the
    gradient of its legend."""
    classes = map_classes(row["events"] for row in rows)
    names = [_n(low) if low == high else f"{_n(low)}\u2013{_n(high)}" for low, high in classes]
    for row in rows:
        row["class"] = next(
            (name for (low, high), name in zip(classes, names, strict=True) if low <= row["events"] <= high),
            "",
        )
    colours = list(CLASS_COLOURS[len(CLASS_COLOURS) - len(classes) :])
    for layer in spec.get("layer", []):
        for step in layer.get("transform", []):
            if "lookup" in step:
                step["from"]["fields"] = ["label", "events", "class"]
        colour = layer.get("encoding", {}).get("color")
        if colour is not None:
            layer["encoding"]["color"] = {
                "field": "class",
                "type": "ordinal",
                "title": colour.get("title", ""),
                "scale": {"domain": names, "range": colours},
                "legend": {"orient": "bottom-left", "direction": "vertical"},
            }


def per_area(selection: Selection, limit: int = TOP_AREAS) -> dict[str, Any]:
    """Events per first-level administrative area (as the sources name it), most first, at most `limit`,
    and how many areas there are."""

    def compute() -> dict[str, Any]:
        # The area only where its source publishes it (registry.publication): reports can be published.
        from insights import exports
        from registry import publication

        published, params = exports.published_facts(selection)
        columns = ", ".join(["admin1", publication.ADMIN1_FROM, *queries.HEADLINE_COUNTS])
        cursor = analytics_db.connection().cursor()
        try:
            result = cursor.execute(f"SELECT {columns} FROM ({published}) published", params)  # noqa: S608
            names = [column[0] for column in result.description]
            areas: dict[str, dict[str, Any]] = {}
            for values in result.fetchall():
                row = dict(zip(names, values, strict=True))
                shown = publication.publishes(row[publication.ADMIN1_FROM], "admin1")
                area = (row["admin1"] or "").strip() if shown else ""
                found = areas.setdefault(
                    area, {"area": area, "events": 0, **dict.fromkeys(queries.HEADLINE_COUNTS)}
                )
                found["events"] += 1
                for name in queries.HEADLINE_COUNTS:
                    if row[name] is not None:
                        found[name] = (found[name] or 0) + int(row[name])
        finally:
            cursor.close()
        rows = sorted(areas.values(), key=lambda row: (-row["events"], row["area"]))
        return {"areas": len([row for row in rows if row["area"]]), "rows": rows[:limit]}

    return queries.cached("report_areas", selection, compute, limit)


def _areas_block(selection: Selection) -> Block | None:
    found = per_area(selection)
    if not found["rows"]:
        return None
    names = [labels.count_label(name) for name in queries.HEADLINE_COUNTS]
    rows = [{**row, "label": row["area"] or _("Area not given")} for row in found["rows"]]
    title = _("Attacks per area")
    table = Table(
        title,
        [_("Area"), _unit(selection), *names],
        [[row["label"], _n(row["events"]), *(_n(row[n]) for n in queries.HEADLINE_COUNTS)] for row in rows],
        note=ngettext(
            "The first-level administrative area as the sources name it; %(count)s area in all.",
            "The first-level administrative areas as the sources name them; %(count)s areas in all.",
            found["areas"],
        )
        % {"count": found["areas"]}
        + " "
        + _("A dash: no source gives this figure."),
    )
    spec = charts.ranked_bars(
        rows,
        title=title,
        description=_("Bar chart: the number of attacks in each first-level administrative area."),
        label_title=_("Area"),
    )
    return Block("areas", table, spec)


@cache
def _country_outlines() -> dict[str, Any]:
    for folder in [
        settings.BASE_DIR / "zorgveilig" / "static" / "vendor",
        Path(settings.STATIC_ROOT) / "vendor",
    ]:
        path = folder / COUNTRY_OUTLINES
        if path.exists():
            return dict(json.loads(path.read_text(encoding="utf-8")))
    return charts.world_topology()


def country_map(iso3: str, points: list[dict[str, Any]]) -> dict[str, Any]:
    """The country's outline with a dot for every located event (Vega-Lite, drawn on the server)."""
    numeric = _numeric(iso3)
    spec: dict[str, Any] = {
        "$schema": charts.SCHEMA,
        "title": _("Where the attacks took place"),
        "description": _(
            "Map: the outline of %(country)s with a dot for every place where attacks took place, larger "
            "where there were more."
        )
        % {"country": labels.country_label(iso3)},
        "width": 560,
        "height": 380,
        "projection": {"type": "mercator"},
        "config": {"font": "DejaVu Sans, sans-serif", "view": {"stroke": None}},
        "layer": [],
    }
    if numeric:
        spec["layer"].append(
            {
                "data": {
                    "values": _country_outlines(),
                    "format": {"type": "topojson", "feature": "countries"},
                },
                "transform": [{"filter": {"field": "id", "equal": numeric}}],
                "mark": {"type": "geoshape", "fill": "#ececec", "stroke": "#6b6b6b", "strokeWidth": 0.8},
            }
        )
    spec["layer"].append(
        {
            "data": {"values": _places(points)},
            "mark": {
                "type": "circle",
                "opacity": 0.6,
                "color": "#c0392b",
                "stroke": "#ffffff",
                "strokeWidth": 0.4,
            },
            "encoding": {
                "longitude": {"field": "longitude", "type": "quantitative"},
                "latitude": {"field": "latitude", "type": "quantitative"},
                "size": {
                    "field": "events",
                    "type": "quantitative",
                    "title": _("Attacks at one place"),
                    "scale": {"range": [12, 400]},
                    "legend": {"orient": "right", "format": ",d"},
                },
            },
        }
    )
    return spec


def _places(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events at (about) the same place, within 0.01 degree (about a kilometre), as one dot sized by
    their number: many events share a town's coordinates, and thousands of dots make a slow PDF."""
    places: dict[tuple[float, float], int] = {}
    for point in points:
        key = (round(float(point["latitude"]), 2), round(float(point["longitude"]), 2))
        places[key] = places.get(key, 0) + 1
    return [
        {"latitude": latitude, "longitude": longitude, "events": events}
        for (latitude, longitude), events in sorted(places.items(), key=lambda item: -item[1])
    ]


def _map_block(selection: Selection) -> Block | None:
    from insights import geo

    found = geo.public_points(selection, MAP_POINTS)  # only coordinates that may be published
    if not found["rows"]:
        return None
    block = Block("map", None, country_map(selection.countries[0], found["rows"]))
    shown = ngettext(
        "%(shown)s attack of %(total)s has coordinates and is shown.",
        "%(shown)s attacks of %(total)s have coordinates and are shown.",
        found["shown"],
    )
    block.note = shown % {"shown": _n(found["shown"]), "total": _n(queries.totals(selection)["events"])}
    block.note += " " + _("The table of attacks per area gives the figures of this map.")
    return block


def periodic_sections(selection: Selection) -> list[Section]:
    trend = Section(
        "trend", _("Over time"), blocks=_present([_year_block(selection), _month_block(selection)])
    )
    places = Section("places", _("Where"), blocks=_countries_blocks(selection))
    harm = Section("harm", _("Health workers and facilities"), blocks=[_counts_block(selection)])
    kinds = Section(
        "kinds",
        _("What happened and who did it"),
        blocks=_present(
            [_families_block(selection), _resources_block(selection), _perpetrators_block(selection)]
        ),
    )
    sources = Section("sources", _("The sources side by side"), blocks=_present([_sources_block(selection)]))
    sources.paragraphs.append(_overlap_sentence(selection))
    return [section for section in (trend, places, harm, kinds, sources) if section.blocks]


def country_sections(selection: Selection) -> list[Section]:
    trend = Section(
        "trend", _("Over time"), blocks=_present([_year_block(selection), _month_block(selection)])
    )
    places = Section("places", _("Where"), blocks=_present([_areas_block(selection), _map_block(selection)]))
    harm = Section("harm", _("Health workers and facilities"), blocks=[_counts_block(selection)])
    kinds = Section(
        "kinds",
        _("What happened and who did it"),
        blocks=_present([_families_block(selection), _perpetrators_block(selection)]),
    )
    sources = Section("sources", _("The sources side by side"), blocks=_present([_sources_block(selection)]))
    sources.paragraphs.append(_overlap_sentence(selection))
    return [section for section in (trend, places, harm, kinds, sources) if section.blocks]


def _present(blocks: Iterable[Block | None]) -> list[Block]:
    return [block for block in blocks if block is not None and (block.table is not None or block.spec)]


def _overlap_sentence(selection: Selection) -> str:
    found = queries.overlap(selection)
    incidents = int(queries.totals(Selection(**{**_fields(selection), "view": DEDUPLICATED}))["events"])
    return ngettext(
        "Of the %(incidents)s de-duplicated incident, %(several)s was reported by more than one source.",
        "Of the %(incidents)s de-duplicated incidents, %(several)s were reported by more than one source.",
        incidents,
    ) % {"incidents": _n(incidents), "several": _n(found["in_several_sources"])}


def _fields(selection: Selection) -> dict[str, Any]:
    return {
        "date_from": selection.date_from,
        "date_to": selection.date_to,
        "countries": selection.countries,
        "sources": selection.sources,
        "view": selection.view,
        "certainty": selection.certainty,
        "public": selection.public,
    }


def method(
    selection: Selection,
    run: dict[str, Any] | None,
    analytics_built: datetime.datetime | None,
    releases: list[dict[str, Any]],
) -> list[str]:
    """The method section, paragraph by paragraph."""
    paragraphs = [
        _(
            "A record is one row of a source's dataset: one event as that source reports it. Only the newest "
            "vintage of each dataset is used, and only records about health care. Several sources often "
            "report the same attack, so their records cannot simply be added up."
        ),
        _(
            "An incident is one attack as ZorgVeilig's registry sees it: the records of different sources "
            "that describe the same event are linked into one incident (de-duplication), so an attack that "
            "three sources report counts once. Records are linked by a probabilistic model (Fellegi-Sunter, "
            "with Splink) that compares date, place, type of attack and the figures; uncertain pairs are "
            "checked by analysts, and their decisions hold in every later run."
        ),
    ]
    if selection.deduplicated:
        paragraphs.append(_("This report counts de-duplicated incidents."))
    else:
        paragraphs.append(
            _(
                "This report counts records per source: an attack that several sources report counts once per source."
            )
        )
    if run is not None:
        paragraphs.append(
            _("The incidents come from linkage run %(run)s, finished on %(date)s.")
            % {"run": run["id"], "date": _moment(run["finished_at"])}
        )
    else:
        paragraphs.append(_("No linkage run has finished yet: every record is its own incident."))
    paragraphs.append(
        _(
            "Counts of people and facilities are the sums of the figures the sources give; an event for "
            "which a source gives no figure adds nothing, so these sums are lower bounds. For an incident, "
            "the registry takes one figure from its records, not their sum."
        )
    )
    paragraphs.append(
        _(
            "Events are counted by the date they took place. A source may add or correct events in a later "
            "vintage, so the figures of recent months are likely to rise."
        )
    )
    if analytics_built is not None:
        paragraphs.append(
            _("The figures were read from the analytics database built on %(date)s.")
            % {"date": _moment(analytics_built)}
        )
    if not releases:
        paragraphs.append(_("No release of the chosen sources holds records for this selection."))
    return paragraphs


def releases_used(selection: Selection) -> list[dict[str, Any]]:
    """Every release the selection's figures draw on, with its vintage, SHA-256, citation and how many of its
    records fall in the selection (the current release of each product the selection has records of)."""
    from sources.models import Release

    rows = queries.releases_used(selection)
    where, params = selection.where(view=PER_SOURCE)
    cursor = analytics_db.connection().cursor()
    try:
        counts = dict(
            cursor.execute(
                f"SELECT release_id, count(*) FROM facts WHERE {where} GROUP BY release_id",  # noqa: S608
                params,
            ).fetchall()
        )
    finally:
        cursor.close()
    stored = {
        release.pk: release
        for release in Release.objects.select_related("product__source").filter(
            pk__in=[row["release_id"] for row in rows]
        )
    }
    used = []
    for row in rows:
        records = int(counts.get(row["release_id"], 0))
        if not records:
            continue
        release = stored.get(row["release_id"])
        source = release.product.source if release is not None else None
        used.append(
            {
                "release_id": row["release_id"],
                "source": row["source"],
                "source_name": (source.name if source is not None else row.get("source_name"))
                or labels.source_name(row["source"]),
                "product": row["product"],
                "vintage_date": row["vintage_date"],
                "vintage_label": row["vintage_label"] or "",
                "sha256": release.sha256 if release is not None else "",
                "file_name": release.file_name if release is not None else "",
                "citation": release.citation if release is not None else "",
                "licence": source.licence if source is not None else "",
                "url": source.url if source is not None else "",
                "records": records,
            }
        )
    return used


def linkage_run() -> dict[str, Any] | None:
    """The latest finished linkage run (the one the registry's incidents come from)."""
    from linkage.models import LinkageRun

    run = (
        LinkageRun.objects.filter(status=LinkageRun.Status.DONE, finished_at__isnull=False)
        .order_by("-finished_at", "-pk")
        .first()
    )
    if run is None:
        return None
    return {"id": run.pk, "finished_at": run.finished_at}


def analytics_built_at() -> datetime.datetime | None:
    """When the analytics database was built (read as UTC: DuckDB would need pytz for a TIMESTAMPTZ)."""
    try:
        row = analytics_db.connection().execute("SELECT built_at AT TIME ZONE 'UTC' FROM meta").fetchone()
    except analytics_db.AnalyticsError:
        raise
    except Exception:  # an older file without the meta table
        return None
    if not row or row[0] is None:
        return None
    built: datetime.datetime = row[0]
    return built.replace(tzinfo=datetime.UTC)


# -- Comparing a rebuilt report with the one it came from -----------------------------------------------------


@dataclass(frozen=True)
class ReleaseChange:
    source: str
    product: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def status(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        same = (self.before.get("release_id"), self.before.get("sha256")) == (
            self.after.get("release_id"),
            self.after.get("sha256"),
        )
        return "same" if same else "changed"

    @property
    def label(self) -> str:
        return str(
            {
                "same": _("same release"),
                "changed": _("newer release"),
                "added": _("new in this report"),
                "removed": _("no longer used"),
            }[self.status]
        )


def compare_releases(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[ReleaseChange]:
    """Release by release (per source and product): the same, changed (another vintage), added or gone."""
    old = {(row["source"], row["product"]): row for row in before}
    new = {(row["source"], row["product"]): row for row in after}
    keys = sorted(set(old) | set(new))
    return [
        ReleaseChange(source, product, old.get((source, product)), new.get((source, product)))
        for source, product in keys
    ]


def compare_figures(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The headline figures of both reports, side by side."""
    old = before.get("totals", {}) if before else {}
    new = after.get("totals", {})
    rows = []
    for name in ("events", "countries", *queries.HEADLINE_COUNTS):
        rows.append(
            {
                "label": labels.count_label(name),
                "before": _n(old.get(name)),
                "after": _n(new.get(name)),
                "same": old.get(name) == new.get(name),
            }
        )
    return rows


def comparison_of(report: PolicyReport) -> dict[str, Any] | None:
    """For the detail page: how a finished rebuilt report differs from the report it was rebuilt from."""
    earlier = report.rebuilt_from
    if earlier is None or report.status != PolicyReport.Status.DONE:
        return None
    return {
        "report": earlier,
        "releases": compare_releases(earlier.releases, report.releases),
        "figures": compare_figures(earlier.figures, report.figures),
    }


# -- Charts and PDF -------------------------------------------------------------------------------------------

_SVG_START = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?<svg\b([^>]*)>", re.DOTALL)


def draw(spec: dict[str, Any], element_id: str, language: str) -> SafeString:
    """The chart as inline SVG: drawn by vl-convert with the numbers and dates of the report's language,
    named and described for screen readers (role img, <title> and <desc>)."""
    import vl_convert

    static = dict(spec)
    if static.get("width") == "container":
        static["width"] = 640
    # The PDF sets text in DejaVu Sans; vl-convert must measure labels in the same font, or they overlap.
    static["config"] = {**static.get("config", {}), "font": CHART_FONT}
    locale: Literal["nl-NL", "en-GB"] = "nl-NL" if language.startswith("nl") else "en-GB"
    svg = str(
        vl_convert.vegalite_to_svg(
            static,
            vl_version=charts.VEGA_LITE_VERSION,
            format_locale=locale,
            time_format_locale=locale,
            allowed_base_urls=[],
        )
    )
    return mark_safe(
        accessible_svg(svg, element_id, str(spec.get("title", "")), str(spec.get("description", "")))
    )


def accessible_svg(svg: str, element_id: str, title: str, description: str) -> str:
    """The SVG with a name and description, and no wider than the page (scaled by its viewBox)."""
    found = _SVG_START.match(svg)
    if found is None:
        raise ValueError("vl-convert did not return an SVG document")
    attributes = _fit_width(found.group(1))
    opening = (
        f'<svg{attributes} id="{element_id}" role="img" aria-labelledby="{element_id}-title" '
        f'aria-describedby="{element_id}-desc">'
    )
    names = f'<title id="{element_id}-title">{escape(title)}</title><desc id="{element_id}-desc">{escape(description)}</desc>'
    return opening + names + svg[found.end() :]


_SIZE = re.compile(r'\s(width|height)="([0-9.]+)"')


def _fit_width(attributes: str) -> str:
    sizes = {name: float(value) for name, value in _SIZE.findall(attributes)}
    width, height = sizes.get("width"), sizes.get("height")
    if not width or not height or width <= MAX_CHART_WIDTH:
        return attributes
    scale = MAX_CHART_WIDTH / width
    fitted = _SIZE.sub("", attributes)
    return f' width="{MAX_CHART_WIDTH}" height="{round(height * scale, 1)}"{fitted}'


def svg_to_png(svg: str, scale: float = 2.0) -> bytes:
    import vl_convert

    return bytes(vl_convert.svg_to_png(svg, scale=scale))


def render_pdf(report: PolicyReport, body: str) -> bytes:
    """The PDF of the document: A4, page numbers, the system's fonts, nothing fetched from the network."""
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]

    from guidance.pdf import offline_fetcher

    page = render_to_string(PDF_TEMPLATE, {"report": report, "body": mark_safe(body)})
    fetcher = offline_fetcher()
    stylesheet = CSS(string=STYLESHEET.read_text(encoding="utf-8"), url_fetcher=fetcher)
    # Tagged: headings, tables and figures keep their structure for screen readers.
    pdf: bytes = HTML(string=page, base_url=None, url_fetcher=fetcher).write_pdf(
        stylesheets=[stylesheet], pdf_tags=True
    )
    return pdf


def pdf_filename(report: PolicyReport) -> str:
    day = (report.built_at or report.created_at).date().isoformat()
    return f"{slugify(report.title)[:80] or 'report'}-{report.pk}-{day}.pdf"
