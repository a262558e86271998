"""The case handlers' pages: the queue, the case page with its actions, files and previews, the phone intake.

The views stay thin. meldpunt.cases decides what may change and is how every case is found: `case_for`
gives 404 to anyone who may not handle cases of the report's organisation, so a handler elsewhere cannot
even learn that a case exists. Anonymous visitors are sent to the login page first.

Reading needs the report key, unwrapped with the handler's private key from this session
(accounts.keys.private_key). When that is not possible the page still shows the structured facts and the
forms that need no key, and says why the rest is missing and what to do about it.

Every form works without JavaScript: it posts to its own URL; success redirects back to the case page with
a message (POST-redirect-GET); a refused change re-renders the page with the form's errors (400), a change
made on an outdated version re-renders it as it is now with the StaleCase message (409), and a change that
needs the key the handler does not have re-renders it with the explanation (403).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from accounts import keys
from accounts.permissions import has_permission, organisations_with, permission_required
from accounts.roles import Permission
from meldpunt import actions, attachments, cases, retention, routing, sealing
from meldpunt.case_forms import (
    AssignForm,
    CaseReplyForm,
    CloseForm,
    EraseForm,
    NoteForm,
    QueueFilterForm,
    ReferralForm,
    ReferralStatusForm,
    ReopenForm,
    ShareForm,
    StatusForm,
)
from meldpunt.forms import ReportForm
from meldpunt.models import Attachment, Referral, Report, ReportKey
from meldpunt.vocabulary import (
    Channel,
    Consequence,
    Frequency,
    InCare,
    Kind,
    Perpetrator,
    Place,
    Profession,
    Province,
    Sector,
    StepTaken,
)

PAGE_SIZE = 25
# Handlers work in the Netherlands: every time on these pages is Dutch time, whatever the server runs in.
HANDLER_TIME_ZONE = zoneinfo.ZoneInfo("Europe/Amsterdam")

Status = Report.Status


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    with timezone.override(HANDLER_TIME_ZONE):
        return render(request, template, context, status=status)


def _login_first(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous visitors go to the login page; for everyone else `cases.case_for` decides (404)."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return guarded


def _case_url(report: Report, anchor: str = "") -> str:
    url = reverse("cases:detail", args=[report.pk])
    return f"{url}#{anchor}" if anchor else url


def _labels(choices: Any, codes: list[str]) -> list[str]:
    labels = dict(choices.choices)
    return [str(labels.get(code, code)) for code in codes]


# Reading: the report key -------------------------------------------------------------------------------------

NOT_SHARED = "not_shared"
LOG_IN_AGAIN = "log_in_again"
OPEN_AGAIN = "open_again"


@dataclass(frozen=True)
class Access:
    """The report key when the handler can read the case; otherwise why not (one of the constants above)."""

    key: bytes | None
    reason: str = ""

    @property
    def message(self) -> str:
        if self.reason == NOT_SHARED:
            return str(cases.NoKey().args[0])
        if self.reason == OPEN_AGAIN:
            return _(
                "Your key for reading cases did not come along with this request. That happens when you "
                "follow a link from an email: open the case again from this site. If it still cannot be "
                "read, log out and log in again."
            )
        if self.reason == LOG_IN_AGAIN:
            return _(
                "Your key for reading cases is not unlocked in this session. Log out and log in again with "
                "your password to read this case."
            )
        return ""


def _access(request: HttpRequest, report: Report) -> Access:
    private_key = keys.private_key(request)
    if private_key is None:
        # The session holds a sealed key but the browser did not send its half (SameSite=Strict after a
        # link from elsewhere, see accounts.keys.session_has_key), or there is no key in the session at all.
        return Access(None, OPEN_AGAIN if keys.session_has_key(request) else LOG_IN_AGAIN)
    try:
        return Access(cases.report_key_for(request.user, private_key, report))
    except cases.NoKey:
        return Access(None, NOT_SHARED)


# The queue ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    report: Report
    kinds: list[str]
    overdue: bool
    unread: int


@never_cache
@permission_required(Permission.HANDLE_CASES)
def queue(request: HttpRequest) -> HttpResponse:
    organisations = organisations_with(request.user, Permission.HANDLE_CASES)
    form = QueueFilterForm(request.GET or None, organisations=organisations)
    reports = cases.with_unread_counts(cases.queue_for(request.user, **form.filters()))
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [
        QueueRow(
            report,
            _labels(Kind, report.kinds),
            cases.is_overdue(report, now),
            report.unread,  # type: ignore[attr-defined]  # annotated by with_unread_counts
        )
        for report in page
    ]
    filtered = form.is_bound and any(
        value for name, value in form.data.items() if name != "page" and name in form.fields
    )
    return _render(
        request,
        "meldpunt/cases/queue.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "filtered": filtered,
            "several_organisations": len(organisations) > 1,
        },
    )


# The case page -----------------------------------------------------------------------------------------------


@dataclass
class CaseForms:
    """The forms on the case page; a failed one is passed in bound, with its errors."""

    status: StatusForm | None = None
    close: CloseForm | None = None
    reopen: ReopenForm | None = None
    assign: AssignForm | None = None
    reply: CaseReplyForm | None = None
    note: NoteForm | None = None
    referral: ReferralForm | None = None
    share: ShareForm | None = None
    erase: EraseForm | None = None
    referral_status: dict[int, ReferralStatusForm] = field(default_factory=dict)


def _facts(report: Report) -> list[tuple[str, str]]:
    """The structured answers of the report, as (question, answer); empty answers left out."""
    meta = Report._meta
    when = (
        report.occurred_on.strftime("%Y-%m-%d")
        if report.occurred_precision == "day"
        else report.occurred_on.strftime("%Y-%m")
    )

    def label(name: str) -> str:
        return str(getattr(meta.get_field(name), "verbose_name", name))

    def one(choices: Any, code: str) -> str:
        return str(dict(choices.choices).get(code, code)) if code else ""

    facts = [
        (label("kinds"), ", ".join(_labels(Kind, report.kinds))),
        (label("channel"), one(Channel, report.channel)),
        (label("place"), one(Place, report.place)),
        (label("perpetrator"), one(Perpetrator, report.perpetrator)),
        (label("perpetrator_in_care"), one(InCare, report.perpetrator_in_care)),
        (label("occurred_on"), when),
        (label("frequency"), one(Frequency, report.frequency)),
        (label("profession"), one(Profession, report.profession)),
        (label("sector"), one(Sector, report.sector)),
        (label("province"), one(Province, report.province)),
        (label("consequences"), ", ".join(_labels(Consequence, report.consequences))),
        (label("steps_taken"), ", ".join(_labels(StepTaken, report.steps_taken))),
        (label("contact_preference"), report.get_contact_preference_display()),
    ]
    return [(question, answer) for question, answer in facts if answer]


IDENTITY_LABELS = {
    "name": gettext_lazy("Name"),
    "employer": gettext_lazy("Organisation or employer"),
    "role": gettext_lazy("Position"),
    "email": gettext_lazy("Email address"),
    "phone": gettext_lazy("Phone number"),
}


def _identity(content: sealing.ReportContent) -> list[tuple[str, str]]:
    values = {**content.identity, **content.contact}
    return [(str(IDENTITY_LABELS[name]), values[name]) for name in IDENTITY_LABELS if values.get(name)]


@dataclass(frozen=True)
class FileRow:
    attachment: Attachment
    name: str
    is_image: bool


@dataclass(frozen=True)
class ReferralRow:
    referral: Referral
    note: str
    form: ReferralStatusForm


def _readers(report: Report) -> list[Any]:
    user_ids = set(
        ReportKey.objects.filter(report=report, kind=ReportKey.Kind.HANDLER).values_list("user_id", flat=True)
    )
    return [handler for handler in actions.handlers_of(report.organisation) if handler.pk in user_ids]


def _case_page(
    request: HttpRequest,
    report: Report,
    access: Access,
    *,
    forms: CaseForms | None = None,
    failed: Form | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    """The case page as it is now. `failed` is the form whose errors are summed up at the top."""
    cases.record_view(request.user, report, "case")
    forms = forms or CaseForms()
    key = access.key
    is_closed = report.status == Status.CLOSED
    handlers = actions.handlers_of(report.organisation)
    readers = _readers(report)
    reader_ids = {reader.pk for reader in readers}
    colleagues = [handler for handler in handlers if handler.pk not in reader_ids]

    content = sealing.open_report(key, report) if key is not None else None
    files = [
        FileRow(
            attachment,
            sealing.open_attachment_name(key, attachment) if key is not None else "",
            attachment.content_type in attachments.IMAGE_TYPES,
        )
        for attachment in report.attachments.all()
    ]
    referrals = [
        ReferralRow(
            referral,
            cases.open_referral_note(key, referral) if key is not None else "",
            forms.referral_status.get(referral.pk) or ReferralStatusForm(referral=referral),
        )
        for referral in report.referrals.select_related("created_by")
    ]
    context = {
        "report": report,
        "access": access,
        "problem": problem,
        "failed": failed,
        "is_closed": is_closed,
        "overdue": cases.is_overdue(report),
        "facts": _facts(report),
        "content": content,
        "identity": _identity(content) if content is not None else [],
        "files": files,
        "timeline": cases.timeline(report, key) if key is not None else [],
        "status_changes": report.status_changes.select_related("changed_by") if key is None else [],
        "referrals": referrals,
        "readers": readers,
        "status_form": None if is_closed else (forms.status or StatusForm(report=report)),
        "close_form": None if is_closed else (forms.close or CloseForm(report=report)),
        "reopen_form": (forms.reopen or ReopenForm(report=report)) if is_closed else None,
        "assign_form": forms.assign or AssignForm(report=report, handlers=handlers),
        # Forms that need the key are shown only to those who can read; a form sent without the key comes
        # back as it was sent, so nothing typed is lost.
        "reply_form": forms.reply or (CaseReplyForm() if key is not None and not is_closed else None),
        "note_form": forms.note or (NoteForm() if key is not None else None),
        "referral_form": forms.referral or (ReferralForm() if key is not None else None),
        "share_form": forms.share
        or (ShareForm(colleagues=colleagues) if key is not None and colleagues else None),
        "police_kinds": sorted(cases.POLICE_REFERRALS),
        "erase_form": forms.erase or EraseForm(report=report),
        "erase_after": retention.erase_after(report),
    }
    response = _render(request, "meldpunt/cases/detail.html", context, status=status)
    add_never_cache_headers(response)  # what the reporter wrote must not stay in a browser cache
    return response


@_login_first
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = cases.case_for(request.user, pk)
    return _case_page(request, report, _access(request, report))


# Shared by the case page's forms ------------------------------------------------------------------------


def _add_errors(form: Form, error: ValidationError, rename: dict[str, str] | None = None) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        target = (rename or {}).get(name, name)
        form.add_error(target if target in form.fields else None, errors)


def _case_and_access(request: HttpRequest, pk: int) -> tuple[Report, Access]:
    report = cases.case_for(request.user, pk)
    return report, _access(request, report)


# Files -------------------------------------------------------------------------------------------------------


def _file_and_key(request: HttpRequest, pk: int, attachment_id: int) -> tuple[Report, Attachment, Access]:
    report, access = _case_and_access(request, pk)
    attachment = get_object_or_404(Attachment, pk=attachment_id, report=report)
    return report, attachment, access


@never_cache
@_login_first
def attachment(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    """The file exactly as it was sent (its SHA-256 is checked on the way), always as a download."""
    report, file, access = _file_and_key(request, pk, attachment_id)
    if access.key is None:
        messages.error(request, access.message)
        return redirect(_case_url(report, "files"))
    data = attachments.read(file, access.key)
    cases.record_view(request.user, report, "file")
    response = HttpResponse(data, content_type=file.content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=sealing.open_attachment_name(access.key, file)
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@_login_first
def preview(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    """A photo re-encoded without EXIF or other metadata (no location, no camera), to look at in the page."""
    report, file, access = _file_and_key(request, pk, attachment_id)
    if file.content_type not in attachments.IMAGE_TYPES:
        raise Http404("Only photos have a preview.")
    if access.key is None:
        messages.error(request, access.message)
        return redirect(_case_url(report, "files"))
    image = attachments.preview_without_metadata(attachments.read(file, access.key))
    cases.record_view(request.user, report, "preview")
    response = HttpResponse(
        image, content_type=attachments.JPEG if file.content_type == attachments.JPEG else attachments.PNG
    )
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Phone intake ------------------------------------------------------------------------------------------------


def _code_groups(code: str) -> list[str]:
    return code.split("-")


@never_cache
@permission_required(Permission.HANDLE_CASES)
def phone_intake(request: HttpRequest) -> HttpResponse:
    """A report taken down by a staff member on the phone, for the caller, who gets the receipt code."""
    form = ReportForm(request.POST or None)
    available = routing.can_receive_reports()
    if request.method == "POST" and available and form.is_valid():
        try:
            report, code = actions.submit_report(
                form.cleaned_data, (), source=Report.Source.PHONE, entered_by=request.user
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            # The code is in this response and nowhere else (never_cache: not even in the browser's cache).
            can_open = has_permission(
                request.user, Permission.HANDLE_CASES, report.organisation
            ) and cases.can_read(request.user, report)
            return _render(
                request,
                "meldpunt/cases/phone_handover.html",
                {"code": code, "groups": _code_groups(code), "report": report, "can_open": can_open},
            )
    return _render(
        request,
        "meldpunt/cases/phone_intake.html",
        {"form": form, "available": available},
        status=400 if form.errors else 200,
    )
