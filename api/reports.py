"""`POST /api/v1/reports`: the report form for machines (an employer's incident system, an app).

Public and without authentication, like the report form; and exempt from CSRF, because CSRF protects a
browser session's cookies from other sites, and this endpoint has no session and acts for no one: it takes
the same report anybody may send on the public form. Every ninja operation is CSRF-exempt at Django's level;
this one also has no cookie-based authentication that would check it.

It takes `multipart/form-data` (or urlencoded without files) with the fields of the report form and files
under `attachments`, validated by meldpunt.forms.ReportForm and meldpunt.attachments exactly as on the
website, and the same rate limit (meldpunt.intake_throttle). Files are read into memory, never to a
temporary file on disk. No address, user agent or session is stored; the answer holds the receipt code and
nothing that identifies the reporter.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status

from api.errors import ApiError, field_errors, form_errors, invalid_input
from api.schemas import ErrorOut, ReceiptOut
from meldpunt import actions, attachments, intake_throttle, routing
from meldpunt.forms import MultipleFileField, ReportForm
from meldpunt.models import Report

router = Router(tags=["reports"])

# Room for the form fields next to the files, so a report at the file limit is still read (as on the form).
FORM_OVERHEAD_BYTES = 1024 * 1024
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class _InMemoryUploadHandler(MemoryFileUploadHandler):
    """Keeps every uploaded file in memory; the request size is bounded before the body is read."""

    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        self.activated = True


def _field_schema(field: Any) -> dict[str, Any]:
    schema: dict[str, Any]
    if isinstance(field, MultipleFileField):
        schema = {"type": "array", "items": {"type": "string", "format": "binary"}}
    elif hasattr(field, "choices"):
        values = [str(value) for value, _label in field.choices if value != ""]
        if hasattr(field, "widget") and getattr(field.widget, "allow_multiple_selected", False):
            schema = {"type": "array", "items": {"type": "string", "enum": values}}
        else:
            schema = {"type": "string", "enum": values}
    elif field.__class__.__name__ == "IntegerField":
        schema = {"type": "integer"}
        if field.min_value is not None:
            schema["minimum"] = field.min_value
        if field.max_value is not None:
            schema["maximum"] = field.max_value
    else:
        schema = {"type": "string"}
        if getattr(field, "max_length", None):
            schema["maxLength"] = field.max_length
        if field.__class__.__name__ == "EmailField":
            schema["format"] = "email"
    schema["description"] = field.label  # lazy: the document is rendered in the request's language
    return schema


def _request_body_schema() -> dict[str, Any]:
    """The report form's fields as the OpenAPI request body, so the document follows the form."""
    fields = ReportForm.base_fields
    properties = {name: _field_schema(field) for name, field in fields.items()}
    required = [name for name, field in fields.items() if field.required]
    schema = {"type": "object", "properties": properties, "required": required}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": schema,
                    "encoding": {"attachments": {"contentType": "application/octet-stream"}},
                }
            },
        }
    }


def _too_large(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > attachments.max_report_bytes() + FORM_OVERHEAD_BYTES


@router.post(
    "",
    auth=None,
    response={201: ReceiptOut, 400: ErrorOut, 413: ErrorOut, 415: ErrorOut, 429: ErrorOut, 503: ErrorOut},
    summary="Submit a report",
    description=(
        "Public: no token. Send multipart/form-data with the report form's fields (a list field repeated once "
        "per value) and any files under `attachments`. The answer holds the receipt code, once."
    ),
    openapi_extra=_request_body_schema(),
)
def submit_report(request: HttpRequest) -> Status[dict[str, Any]]:
    if request.content_type not in FORM_TYPES:
        raise ApiError(
            415,
            _("Send the report as multipart/form-data, with the fields of the report form and any files."),
        )
    if _too_large(request):
        raise ApiError(
            413,
            _("Together the files are larger than %(limit)s MB, so nothing was read.")
            % {"limit": attachments.megabytes(attachments.max_report_bytes())},
        )
    # Before anything reads the body, so no file is ever written to a temporary file on disk.
    request.upload_handlers = [_InMemoryUploadHandler(request)]
    refusal = intake_throttle.refusal(request)
    if refusal is not None:
        raise ApiError(
            429,
            _(
                "Too many reports were sent from your network in the last hour. Nothing was stored. Please "
                "try again in %(minutes)s minutes; in danger, call 112."
            )
            % {"minutes": refusal.minutes},
            headers={"Retry-After": str(refusal.retry_after)},
        )
    if not routing.can_receive_reports():
        raise ApiError(503, _("The meldpunt does not take reports yet: no organisation receives them."))
    form = ReportForm(request.POST, request.FILES)
    if not form.is_valid():
        raise invalid_input(form_errors(form))
    uploads = [
        actions.Upload(name=file.name or "", data=file.read()) for file in form.cleaned_data["attachments"]
    ]
    try:
        report, code = actions.submit_report(form.cleaned_data, uploads, source=Report.Source.API)
    except ValidationError as error:
        raise invalid_input(field_errors(error)) from None
    intake_throttle.count(request)
    return Status(
        201,
        {"receipt_code": code, "status": report.status, "received_on": timezone.localdate(report.created_at)},
    )
