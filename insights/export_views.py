"""Exports of the figures' rows (figures/export/): a page that explains the formats and builds the links, and
the download itself.

`insights:export` takes the selection's query parameters (insights.filters.from_query) and `format`
(csv | xlsx | geojson | hxl), `unit` (records | incidents; without it `view` decides), `fields` (public, or
staff for those who may analyse data) and `metadata=1` for the JSON that says what the export holds. Bad
parameters get a 400 with a JSON body naming each; `fields=staff` without the permission a 403. Public
exports are rate-limited per network (insights.export_throttle). The logic is in insights.exports.
"""

from __future__ import annotations

import tempfile
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.permissions import has_permission
from accounts.roles import Permission
from insights import export_throttle, exports, labels, queries
from insights.analytics_db import AnalyticsError
from insights.filters import SOURCE_ORDER, Selection, SelectionError, from_query

# XLSX files are assembled in a temporary file; up to this size in memory.
XLSX_MEMORY_BYTES = 16 * 1024 * 1024
SELECTION_PARAMETERS = ("from", "to", "country", "source", "certainty")
FORMAT_LABELS = {
    exports.CSV: gettext_lazy("CSV"),
    exports.XLSX: gettext_lazy("Excel (XLSX)"),
    exports.GEOJSON: gettext_lazy("GeoJSON"),
    exports.HXL: gettext_lazy("HXL-tagged CSV"),
}
UNIT_LABELS = {
    exports.INCIDENTS: gettext_lazy("De-duplicated incidents"),
    exports.RECORDS: gettext_lazy("Records per source"),
}
LEVEL_LABELS = {
    exports.PUBLIC: gettext_lazy("Public fields"),
    exports.STAFF: gettext_lazy("All harmonised fields (staff)"),
}
METADATA_VALUES = {"1": True, "true": True, "0": False, "false": False, "": False}


def may_export_staff_fields(request: HttpRequest) -> bool:
    return has_permission(request.user, Permission.ANALYSE_DATA)


def read_selection(data: Any) -> Selection:
    return from_query(data, known_sources=SOURCE_ORDER)


def read_request(request: HttpRequest) -> exports.Export:
    """The export a request asks for; raises ExportError naming every bad parameter (selection ones too)."""
    problems: dict[str, str] = {}
    selection = Selection()
    try:
        selection = read_selection(request.GET)
    except SelectionError as error:
        problems.update(error.problems)
    try:
        job = exports.read_export(request.GET, selection)
    except exports.ExportError as error:
        problems.update(error.problems)
    if problems:
        raise exports.ExportError(problems)
    return job


def export_query(job: exports.Export, **extra: str) -> str:
    """Query parameters that ask for `job` (and `extra`), for links."""
    query = {key: value for key, value in job.selection.as_query().items() if key != "view"}
    query.update({"format": job.format, "unit": job.unit})
    if job.level != exports.PUBLIC:
        query["fields"] = job.level
    query.update(extra)
    return urlencode(query, doseq=True)


def export_url(selection: Selection, fmt: str = exports.CSV, unit: str | None = None) -> str:
    """The address of an export of `selection` (other pages link to it with their own selection)."""
    job = exports.Export(
        selection, unit or (exports.INCIDENTS if selection.deduplicated else exports.RECORDS), fmt
    )
    return f"{reverse('insights:export')}?{export_query(job)}"


def _errors(problems: dict[str, str], status: int = 400) -> JsonResponse:
    detail = _("The export cannot be made: see the parameters named in “errors”.")
    return JsonResponse({"detail": detail, "errors": problems}, status=status)


def _metadata_wanted(request: HttpRequest) -> bool:
    given = request.GET.get("metadata", "").strip().lower()
    if given not in METADATA_VALUES:
        raise exports.ExportError(
            {"metadata": _("%(value)r is not 1 or 0") % {"value": request.GET.get("metadata", "")[:20]}}
        )
    return METADATA_VALUES[given]


@require_GET
def export_download(request: HttpRequest) -> HttpResponseBase:
    try:
        job = read_request(request)
        wants_metadata = _metadata_wanted(request)
    except exports.ExportError as error:
        return _errors(error.problems)
    staff = may_export_staff_fields(request)
    if job.level == exports.STAFF and not staff:
        return _errors({"fields": _("Only staff who may analyse data may export every field.")}, status=403)
    if not wants_metadata and not staff:
        refused = _refusal(request)
        if refused is not None:
            return refused
    response: HttpResponseBase
    try:
        response = _metadata_response(job) if wants_metadata else _file_response(job)
    except AnalyticsError:
        return _errors({"analytics": _("The figures are not available yet; try again later.")}, status=503)
    if not wants_metadata and not staff:
        export_throttle.count(request)
    response["Link"] = f'<{reverse("insights:export")}?{export_query(job, metadata="1")}>; rel="describedby"'
    if job.level == exports.STAFF:
        patch_cache_control(response, private=True, no_store=True)
    return response


def _refusal(request: HttpRequest) -> JsonResponse | None:
    """A 429 when this network has made its exports for the hour (insights.export_throttle)."""
    wait = export_throttle.retry_after(request)
    if wait is None:
        return None
    message = _("Too many exports from your network in the last hour; try again in %(minutes)s minutes.")
    response = _errors({"rate_limit": message % {"minutes": max(1, -(-wait // 60))}}, status=429)
    response["Retry-After"] = str(wait)
    return response


def _metadata_response(job: exports.Export) -> HttpResponse:
    response = JsonResponse(exports.metadata(job), json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = f'inline; filename="{job.metadata_filename()}"'
    return response


def _file_response(job: exports.Export) -> HttpResponseBase:
    if job.format == exports.XLSX:
        spool = tempfile.SpooledTemporaryFile(max_size=XLSX_MEMORY_BYTES)  # noqa: SIM115 (FileResponse closes it)
        exports.write_xlsx(job, spool)
        spool.seek(0)
        return FileResponse(spool, as_attachment=True, filename=job.filename(), content_type=job.content_type)
    # The metadata (and any error of a missing analytics database) before the first byte is sent.
    exports.counts(job)
    metadata = exports.metadata(job) if job.format == exports.GEOJSON else None
    response = StreamingHttpResponse(exports.chunks(job, metadata=metadata), content_type=job.content_type)
    response["Content-Disposition"] = f'attachment; filename="{job.filename()}"'
    return response


# -- The page -------------------------------------------------------------------------------------------------


class ExportForm(forms.Form):
    """The choices of the exports page; the values are read by read_request, whose messages it shows."""

    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=list(FORMAT_LABELS.items()),
        widget=forms.RadioSelect,
        required=False,
    )
    unit = forms.ChoiceField(
        label=gettext_lazy("What each row is"),
        choices=list(UNIT_LABELS.items()),
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, options: dict[str, Any], *args: Any, staff: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if staff:
            self.fields["fields"] = forms.ChoiceField(
                label=_("Fields"),
                choices=list(LEVEL_LABELS.items()),
                widget=forms.RadioSelect,
                required=False,
            )
        # `from` is a Python keyword and the parameter's name: added here.
        self.fields["from"] = forms.CharField(
            label=_("From"),
            help_text=_("A date (YYYY-MM-DD) or a year"),
            required=False,
            widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "2023"}),
        )
        self.fields["to"] = forms.CharField(
            label=_("To"),
            help_text=_("A date (YYYY-MM-DD) or a year"),
            required=False,
            widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "2024-12-31"}),
        )
        countries = sorted(options["countries"], key=labels.country_label)
        self.fields["country"] = forms.MultipleChoiceField(
            label=_("Countries"),
            help_text=_("None chosen: every country"),
            choices=[(code, labels.country_label(code)) for code in countries],
            required=False,
            widget=forms.SelectMultiple(attrs={"size": 6}),
        )
        self.fields["source"] = forms.MultipleChoiceField(
            label=_("Sources"),
            help_text=_("None chosen: every source"),
            choices=[(slug, labels.source_label(slug)) for slug in options["sources"]],
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        self.fields["certainty"] = forms.MultipleChoiceField(
            label=_("Certainty"),
            help_text=_("None chosen: every level"),
            choices=[(level, labels.certainty_label(level)) for level in options["certainty"]],
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )


def _options() -> dict[str, Any]:
    found = queries.cached("available", None, queries.available)
    rank = {slug: index for index, slug in enumerate(SOURCE_ORDER)}
    return {**found, "sources": sorted(found["sources"], key=lambda slug: (rank.get(slug, len(rank)), slug))}


def _given(request: HttpRequest) -> dict[str, Any]:
    values: dict[str, Any] = {
        "format": request.GET.get("format") or exports.CSV,
        "unit": request.GET.get("unit") or exports.INCIDENTS,
        "fields": request.GET.get("fields") or exports.PUBLIC,
    }
    for name in ("from", "to"):
        values[name] = request.GET.get(name, "")
    for name in ("country", "source", "certainty"):
        given = [part.strip() for value in request.GET.getlist(name) for part in value.split(",")]
        values[name] = [value.upper() if name == "country" else value for value in given if value]
    return values


def _field_item(form: forms.Form, name: str, problem: str | None) -> dict[str, Any]:
    field = form[name]
    if problem:
        widget = form.fields[name].widget
        widget.attrs["aria-invalid"] = "true"
        widget.attrs["aria-describedby"] = f"{field.auto_id}_error"
    return {
        "field": field,
        "error": problem,
        "multiple": isinstance(form.fields[name].widget, forms.CheckboxSelectMultiple | forms.RadioSelect),
    }


def _links(job: exports.Export) -> dict[str, Any]:
    base = reverse("insights:export")
    formats = []
    for fmt in exports.FORMATS:
        other = exports.Export(job.selection, job.unit, fmt, job.level)
        formats.append(
            {
                "format": fmt,
                "label": FORMAT_LABELS[fmt],
                "url": f"{base}?{export_query(other)}",
                "metadata_url": f"{base}?{export_query(other, metadata='1')}",
                "filename": other.filename(),
            }
        )
    chosen = next(item for item in formats if item["format"] == job.format)
    api_query = urlencode(
        {key: value for key, value in job.selection.as_query().items() if key != "view"}
        | {"view": job.selection.view},
        doseq=True,
    )
    return {"chosen": chosen, "formats": formats, "api_totals": f"/api/v1/insights/totals?{api_query}"}


def _fields_table(staff: bool) -> list[dict[str, Any]]:
    names = exports.STAFF_FIELDS if staff else exports.PUBLIC_FIELDS
    return [
        {
            "name": name,
            "label": exports.field_label(name),
            "hxl": exports.hxl_tag(name),
            "public": name in exports.PUBLIC_FIELDS,
            "records": name in exports.columns(exports.RECORDS, exports.STAFF if staff else exports.PUBLIC),
            "incidents": name
            in exports.columns(exports.INCIDENTS, exports.STAFF if staff else exports.PUBLIC),
        }
        for name in names
    ]


@require_GET
def exports_page(request: HttpRequest) -> HttpResponse:
    staff = may_export_staff_fields(request)
    try:
        options = _options()
    except AnalyticsError:
        return render(request, "insights/exports.html", {"unavailable": True}, status=503)
    form = ExportForm(options, initial=_given(request), staff=staff)
    context: dict[str, Any] = {
        "form": form,
        "staff": staff,
        "fields_table": _fields_table(staff),
        "rate_limit": export_throttle.rate_limit(),
        "batch_note": exports.LIST_SEPARATOR.strip(),
    }
    problems: dict[str, str] = {}
    job = None
    if request.GET:
        try:
            job = read_request(request)
        except exports.ExportError as error:
            problems = error.problems
        if job is not None and job.level == exports.STAFF and not staff:
            problems["fields"] = _("Only staff who may analyse data may export every field.")
    context["items"] = [_field_item(form, name, problems.get(name)) for name in form.fields]
    context["problems"] = [
        {
            "label": form.fields[name].label if name in form.fields else name,
            "message": problem,
            "anchor": f"field-{name}" if name in form.fields else "export-form",
        }
        for name, problem in problems.items()
    ]
    if problems:
        return render(request, "insights/exports.html", context, status=400)
    if job is not None:
        context["job"] = job
        context["described"] = job.selection.describe()
        context["figures"] = exports.counts(job)
        context["links"] = _links(job)
        context["releases"] = [
            {**release, "label": labels.source_label(release["source"])}
            for release in queries.releases_used(job.selection)
        ]
    response = render(request, "insights/exports.html", context)
    if staff:
        patch_cache_control(response, private=True)
    return response
