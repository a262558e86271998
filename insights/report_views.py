"""The report pages. Public: the published reports, each as a page, a PDF and its charts (an unpublished
report is a 404, as if it did not exist). Staff with Permission.ANALYSE_DATA: every report with its status,
the form of a new one, a report's page (its build followed live), its document, PDF and charts, rebuilding
and publishing. The work is done by insights.reports."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.permissions import permission_required
from accounts.roles import Permission
from insights import analytics_db, queries, reports
from insights.filters import SelectionError
from insights.models import PolicyReport
from insights.report_forms import ReportForm

POLL_SECONDS = 2
PAGE_SIZE = 25
ANALYSE = Permission.ANALYSE_DATA
CHART_FORMATS = {"svg": "image/svg+xml", "png": "image/png"}
# Lists never load a report's documents.
_HEAVY = ("html", "pdf", "charts")


# -- Shared ---------------------------------------------------------------------------------------------------


def _listed(queryset: QuerySet[PolicyReport]) -> QuerySet[PolicyReport]:
    return queryset.defer(*_HEAVY).select_related("created_by")


def _selection_words(report: PolicyReport) -> list[tuple[str, str]]:
    try:
        return reports.selection_words(reports.selection_of(report), (report.figures or {}).get("totals"))
    except SelectionError:
        return [(_("Selection"), reports._selection_text(report.selection))]


def _row(report: PolicyReport) -> dict[str, Any]:
    return {"report": report, "selection": _selection_words(report)}


def _pdf_response(report: PolicyReport) -> HttpResponse:
    if report.status != PolicyReport.Status.DONE or not report.pdf:
        raise Http404("This report has no PDF (yet).")
    response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{reports.pdf_filename(report)}"'
    return response


def _chart_response(report: PolicyReport, key: str, extension: str) -> HttpResponse:
    chart = next((chart for chart in report.charts if chart.get("key") == key), None)
    if chart is None or extension not in CHART_FORMATS:
        raise Http404("No such chart.")
    svg = str(chart["svg"])
    content: bytes | str = reports.svg_to_png(svg) if extension == "png" else svg
    response = HttpResponse(content, content_type=CHART_FORMATS[extension])
    response["Content-Disposition"] = f'attachment; filename="report-{report.pk}-{key}.{extension}"'
    return response


# -- Public ---------------------------------------------------------------------------------------------------


def _published(pk: int) -> PolicyReport:
    return get_object_or_404(PolicyReport, pk=pk, is_public=True, status=PolicyReport.Status.DONE)


def public_reports(request: HttpRequest) -> HttpResponse:
    published = _listed(PolicyReport.objects.filter(is_public=True, status=PolicyReport.Status.DONE))
    page = Paginator(published.order_by("-published_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "rows": [_row(report) for report in page]}
    return render(request, "insights/reports/public_list.html", context)


def public_report(request: HttpRequest, pk: int) -> HttpResponse:
    report = _published(pk)
    return render(request, "insights/reports/report_page.html", {"report": report, "staff": False})


def public_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _pdf_response(_published(pk))


def public_report_chart(request: HttpRequest, pk: int, key: str, extension: str) -> HttpResponse:
    return _chart_response(_published(pk), key, extension)


# -- Staff ----------------------------------------------------------------------------------------------------


@never_cache
@permission_required(ANALYSE)
@vary_on_headers("HX-Request")
def staff_reports(request: HttpRequest) -> HttpResponse:
    page = Paginator(_listed(PolicyReport.objects.all()), PAGE_SIZE).get_page(request.GET.get("page"))
    for report in page:
        reports.mark_stalled(report)
    rows = [_row(report) for report in page]
    context = {
        "page": page,
        "rows": rows,
        "active": any(row["report"].active for row in rows),
        "poll_seconds": POLL_SECONDS,
    }
    if request.headers.get("HX-Request"):
        return render(request, "insights/reports/_staff_table.html", context)
    return render(request, "insights/reports/staff_list.html", context)


def _options() -> tuple[dict[str, Any], str]:
    """What the analytics database offers the form, and a warning when there is none yet."""
    try:
        return queries.available(), ""
    except analytics_db.AnalyticsError:
        return {}, _(
            "There is no analytics database yet: import a dataset first (or run `zorgveilig "
            "refresh_analytics`). A report made now would fail."
        )


@never_cache
@permission_required(ANALYSE)
def report_new(request: HttpRequest) -> HttpResponse:
    options, warning = _options()
    if request.method != "POST":
        form = ReportForm(None, options=options)
        return render(request, "insights/reports/staff_new.html", {"form": form, "warning": warning})
    form = ReportForm(request.POST, options=options)
    if form.is_valid() and form.selection is not None:
        try:
            report = reports.create_report(
                request.user,
                title=form.cleaned_data["title"],
                kind=form.cleaned_data["kind"],
                selection=form.selection,
                language=form.cleaned_data["language"],
            )
        except reports.ReportRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Report %(number)s is queued.") % {"number": report.pk})
            return redirect("insights_staff:report", pk=report.pk)
    context = {"form": form, "warning": warning, "problems": form.problems()}
    return render(request, "insights/reports/staff_new.html", context, status=400)


def _staff_report(pk: int) -> PolicyReport:
    return get_object_or_404(PolicyReport.objects.select_related("created_by", "rebuilt_from"), pk=pk)


@never_cache
@permission_required(ANALYSE)
@vary_on_headers("HX-Request")
def staff_report(request: HttpRequest, pk: int) -> HttpResponse:
    report = reports.mark_stalled(_staff_report(pk))
    context = {
        "report": report,
        "selection": _selection_words(report),
        "stage": str(reports.STAGES.get(report.stage, "")),
        "comparison": reports.comparison_of(report),
        "releases": [{**row, "records_text": reports._n(row.get("records"))} for row in report.releases],
        "rebuilds": _listed(report.rebuilds.all()),
        "poll_seconds": POLL_SECONDS,
    }
    if request.headers.get("HX-Request"):
        return render(request, "insights/reports/_status.html", context)
    return render(request, "insights/reports/staff_report.html", context)


@never_cache
@permission_required(ANALYSE)
def staff_document(request: HttpRequest, pk: int) -> HttpResponse:
    report = _staff_report(pk)
    if report.status != PolicyReport.Status.DONE:
        messages.info(request, _("The report is not built yet; its page shows how far it is."))
        return redirect("insights_staff:report", pk=report.pk)
    return render(request, "insights/reports/report_page.html", {"report": report, "staff": True})


@never_cache
@permission_required(ANALYSE)
def staff_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _pdf_response(_staff_report(pk))


@never_cache
@permission_required(ANALYSE)
def staff_report_chart(request: HttpRequest, pk: int, key: str, extension: str) -> HttpResponse:
    return _chart_response(_staff_report(pk), key, extension)


@require_POST
@permission_required(ANALYSE)
def report_rebuild(request: HttpRequest, pk: int) -> HttpResponse:
    earlier = _staff_report(pk)
    try:
        report = reports.rebuild_report(request.user, earlier)
    except (reports.ReportRefused, SelectionError) as error:
        messages.error(request, _("The report could not be made again: %(reason)s") % {"reason": error})
        return redirect("insights_staff:report", pk=earlier.pk)
    messages.success(
        request,
        _("Report %(number)s is queued: report %(earlier)s made again with the data as they are now.")
        % {"number": report.pk, "earlier": earlier.pk},
    )
    return redirect("insights_staff:report", pk=report.pk)


@require_POST
@permission_required(ANALYSE)
def report_publish(request: HttpRequest, pk: int) -> HttpResponse:
    report = _staff_report(pk)
    try:
        reports.set_public(request.user, report, not report.is_public)
    except reports.ReportRefused as error:
        messages.error(request, str(error))
        return redirect("insights_staff:report", pk=report.pk)
    if report.is_public:
        messages.success(request, _("The report is published on the public reports page."))
    else:
        messages.success(request, _("The report is no longer public."))
    return redirect("insights_staff:report", pk=report.pk)
