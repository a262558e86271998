"""The report builder: periodic reports and country briefs in HTML and PDF, made from one selection.

`create_report` records a queued report and hands it to the background worker (insights.report_tasks);
`build_report` does the work: it reads the figures of the selection from the analytics database
(insights.queries), draws the charts on the server as SVG (vl-convert, the same Vega-Lite specifications the
dashboard draws in the browser, put inline so the PDF keeps them as vectors), writes the document
(insights/reports/document.html) and makes its PDF with WeasyPrint, offline. The report keeps every release
it drew on (with vintage and SHA-256), the linkage run and when the analytics database was built, so
`rebuild_report` can make it again from the same selection and say which releases changed since.
This module holds the actions and the build; what the document holds is in insights.report_content
(its charts and tables in insights.report_blocks), the drawing and the PDF in insights.report_rendering.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.chain import record
from insights import analytics_db
from insights.filters import Selection, from_query
from insights.models import PolicyReport
from insights.report_blocks import _n as _n
from insights.report_content import compare_figures, compare_releases, gather
from insights.report_content import selection_words as selection_words
from insights.report_rendering import PDF_TEMPLATE as PDF_TEMPLATE
from insights.report_rendering import STYLESHEET as STYLESHEET
from insights.report_rendering import draw, render_pdf
from insights.report_rendering import pdf_filename as pdf_filename
from insights.report_rendering import svg_to_png as svg_to_png

logger = logging.getLogger(__name__)

# _n, selection_words, PDF_TEMPLATE, STYLESHEET, pdf_filename and svg_to_png are imported under their own
# names above: insights.report_views and the tests use them as reports.<name>.

DOCUMENT_TEMPLATE = "insights/reports/document.html"  # the report itself: the web page and the PDF

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


# -- Comparing a rebuilt report with the one it came from -----------------------------------------------------


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
