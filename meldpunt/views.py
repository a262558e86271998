"""The public report form and the reporter's follow-up with a receipt code.

No view here stores or logs the client's address or user agent, and none creates a session before the
receipt login (see meldpunt.followup). Files are read into memory, never into temporary files on disk:
plaintext evidence must not be left behind where a later copy of the disk could find it.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from accounts.throttle import Refusal
from meldpunt import actions, attachments, export, followup, intake_throttle, retention, routing
from meldpunt.forms import AddFilesForm, EraseReportForm, ReceiptLoginForm, ReplyForm, ReportForm
from meldpunt.models import Party

# Room for the form fields next to the files, so a report at the file limit is still read.
_FORM_OVERHEAD_BYTES = 1024 * 1024


class _InMemoryUploadHandler(MemoryFileUploadHandler):
    """Keeps every uploaded file in memory; the request size is bounded before the body is read."""

    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        self.activated = True


def _request_too_large(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > attachments.max_report_bytes() + _FORM_OVERHEAD_BYTES


def _too_large_message() -> str:
    return _(
        "Together the files are larger than %(limit)s MB, so nothing was sent. Choose fewer or smaller files "
        "and fill in the form again."
    ) % {"limit": attachments.megabytes(attachments.max_report_bytes())}


def _uploads(files: list[Any]) -> list[actions.Upload]:
    return [actions.Upload(name=file.name or "", data=file.read()) for file in files]


def _add_errors(form: Any, error: ValidationError) -> None:
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _refusal_message(refusal: Refusal) -> str:
    return ngettext(
        "Too many wrong receipt codes were tried. For your safety, try again in %(minutes)d minute.",
        "Too many wrong receipt codes were tried. For your safety, try again in %(minutes)d minutes.",
        refusal.minutes,
    ) % {"minutes": refusal.minutes}


# The report form ---------------------------------------------------------------------------------------------


@never_cache
@csrf_exempt  # checked below, once the upload handlers are set: the CSRF check reads the body
def report_form(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and _request_too_large(request):
        return _render_report_form(request, ReportForm(), status=413, problem=_too_large_message())
    request.upload_handlers = [_InMemoryUploadHandler(request)]
    return _report_form(request)


def _render_report_form(
    request: HttpRequest, form: ReportForm, *, status: int = 200, problem: str = "", prefilled: bool = False
) -> HttpResponse:
    return render(
        request,
        "meldpunt/report_form.html",
        {
            "form": form,
            "problem": problem,
            "available": routing.can_receive_reports(),
            "files_were_sent": request.method == "POST" and bool(request.FILES),
            "prefilled": prefilled,
        },
        status=status,
    )


@never_cache
def report_prefilled(request: HttpRequest) -> HttpResponse:
    """The report form filled in with the answers of an action-framework plan, posted by the plan's button.

    The answers come in a POST, never in the address; the form is only shown, not sent, so nothing is stored
    and the intake rate limit is not touched. The form posts to the normal report address.
    """
    if request.method != "POST":
        return redirect("meldpunt:report")
    return _render_report_form(request, ReportForm.prefilled(dict(request.POST.lists())), prefilled=True)


@csrf_protect
def _report_form(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and (refused := intake_throttle.refusal(request)) is not None:
        return _render_report_form(
            request,
            form if form.is_bound else ReportForm(),
            status=429,
            problem=_(
                "Too many reports were sent from your network in the last hour. Nothing was stored. Please "
                "try again in %(minutes)s minutes; in danger, call 112."
            )
            % {"minutes": refused.minutes},
        )
    if request.method == "POST" and routing.can_receive_reports() and form.is_valid():
        try:
            report, code = actions.submit_report(
                form.cleaned_data, _uploads(form.cleaned_data["attachments"])
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            intake_throttle.count(request)
            # The code is in this response and nowhere else: not in a URL, a session or the database.
            return render(
                request,
                "meldpunt/receipt.html",
                {"code": code, "report": report, "attachment_count": report.attachments.count()},
            )
    return _render_report_form(request, form, status=400 if form.errors else 200)


# The follow-up with a receipt code ----------------------------------------------------------------------------


@never_cache
def followup_login(request: HttpRequest) -> HttpResponse:
    if followup.current(request) is not None:
        return redirect("meldpunt:followup")
    form = ReceiptLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        refusal = followup.refusal(request)
        if refusal is not None:
            form.add_error("code", ValidationError(_refusal_message(refusal), code="throttled"))
        else:
            found = followup.find_report(form.cleaned_data["code"])
            if found is None:
                followup.record_failure(request)
                form.add_error(
                    "code",
                    ValidationError(
                        _("This receipt code does not open a report. Check every character and try again."),
                        code="unknown_code",
                    ),
                )
            else:
                report, data_key = found
                response = HttpResponseRedirect(reverse("meldpunt:followup"))
                followup.start(request, response, report, data_key)
                return response
    return render(
        request,
        "meldpunt/followup_login.html",
        {"form": form, "idle_minutes": followup.IDLE_SECONDS // 60},
        status=400 if form.errors else 200,
    )


def _unlocked_or_login(request: HttpRequest) -> followup.Unlocked | HttpResponse:
    unlocked = followup.current(request)
    if unlocked is not None and unlocked.report.erased_at is not None:
        # Erased from another browser or by a handler: this follow-up has nothing left to show.
        followup.end(request)
        unlocked = None
    if unlocked is None:
        return redirect("meldpunt:followup_login")
    return unlocked


def _followup_page(
    request: HttpRequest,
    unlocked: followup.Unlocked,
    *,
    reply_form: ReplyForm | None = None,
    files_form: AddFilesForm | None = None,
    files_problem: str = "",
    status: int = 200,
) -> HttpResponse:
    content = export.reporter_view(unlocked.report, unlocked.key)
    actions.mark_read_by_reporter(unlocked.report)
    return render(
        request,
        "meldpunt/followup.html",
        {
            **content,
            "reply_form": reply_form or ReplyForm(),
            "files_form": files_form or AddFilesForm(),
            "files_problem": files_problem,
            "idle_minutes": followup.IDLE_SECONDS // 60,
        },
        status=status,
    )


@never_cache
def followup_report(request: HttpRequest) -> HttpResponse:
    unlocked = _unlocked_or_login(request)
    if isinstance(unlocked, HttpResponse):
        return unlocked
    return _followup_page(request, unlocked)


@never_cache
@require_POST
def followup_reply(request: HttpRequest) -> HttpResponse:
    unlocked = _unlocked_or_login(request)
    if isinstance(unlocked, HttpResponse):
        return unlocked
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            actions.add_message(
                unlocked.report, unlocked.key, form.cleaned_data["body"], author_kind=Party.REPORTER
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return redirect(reverse("meldpunt:followup") + "#messages")
    return _followup_page(request, unlocked, reply_form=form, status=400)


@never_cache
@csrf_exempt  # checked below, once the upload handlers are set
@require_POST
def followup_files(request: HttpRequest) -> HttpResponse:
    if _request_too_large(request):
        unlocked = _unlocked_or_login(request)
        if isinstance(unlocked, HttpResponse):
            return unlocked
        return _followup_page(request, unlocked, files_problem=_too_large_message(), status=413)
    request.upload_handlers = [_InMemoryUploadHandler(request)]
    return _followup_files(request)


@csrf_protect
def _followup_files(request: HttpRequest) -> HttpResponse:
    unlocked = _unlocked_or_login(request)
    if isinstance(unlocked, HttpResponse):
        return unlocked
    form = AddFilesForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            actions.add_files(
                unlocked.report,
                unlocked.key,
                _uploads(form.cleaned_data["attachments"]),
                uploaded_by=Party.REPORTER,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return redirect(reverse("meldpunt:followup") + "#files")
    return _followup_page(request, unlocked, files_form=form, status=400)


@never_cache
def followup_export_json(request: HttpRequest) -> HttpResponse:
    unlocked = _unlocked_or_login(request)
    if isinstance(unlocked, HttpResponse):
        return unlocked
    data = export.reporter_export(unlocked.report, unlocked.key)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_export_name()}.json"'
    return response


@never_cache
def followup_export_zip(request: HttpRequest) -> HttpResponse:
    unlocked = _unlocked_or_login(request)
    if isinstance(unlocked, HttpResponse):
        return unlocked
    response = HttpResponse(
        export.reporter_zip(unlocked.report, unlocked.key), content_type="application/zip"
    )
    response["Content-Disposition"] = f'attachment; filename="{_export_name()}.zip"'
    return response


def _export_name() -> str:
    return f"zorgveilig-report-{timezone.localdate():%Y-%m-%d}"


@never_cache
def followup_erase(request: HttpRequest) -> HttpResponse:
    """The reporter deletes their report: a confirmation step, then erasure and the end of the follow-up."""
    unlocked = _unlocked_or_login(request)
    if isinstance(unlocked, HttpResponse):
        return unlocked
    form = EraseReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        erasure = retention.erase_report(
            unlocked.report, actor=None, reason=retention.Reason.REPORTER_REQUEST
        )
        response = render(
            request,
            "meldpunt/followup_erased.html",
            {"erasure": erasure, "organisation": unlocked.report.organisation},
        )
        followup.end(request, response)
        return response
    return render(
        request,
        "meldpunt/followup_erase.html",
        {
            "form": form,
            "report": unlocked.report,
            "message_count": unlocked.report.messages.count(),
            "file_count": unlocked.report.attachments.count(),
            "idle_minutes": followup.IDLE_SECONDS // 60,
        },
        status=400 if form.errors else 200,
    )


@never_cache
@require_POST
def followup_logout(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "meldpunt/followup_login.html",
        {"form": ReceiptLoginForm(), "logged_out": True, "idle_minutes": followup.IDLE_SECONDS // 60},
    )
    followup.end(request, response)
    return response
