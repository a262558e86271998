"""The forms of the case page that change a case: status, closing, reopening, assignment, replies, notes,
referrals, sharing access and erasure on request. Each posts to its own URL and answers as described in
meldpunt.case_views (redirect on success, 400 for form errors, 409 for an outdated version, 403 without key).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from meldpunt import actions, cases, retention
from meldpunt.case_forms import (
    AssignForm,
    CaseReplyForm,
    CloseForm,
    EraseForm,
    NoteForm,
    ReferralForm,
    ReferralStatusForm,
    ReopenForm,
    ShareForm,
    StatusForm,
    VersionedForm,
)
from meldpunt.case_views import (
    Access,
    CaseForms,
    _add_errors,
    _case_and_access,
    _case_page,
    _case_url,
    _login_first,
)
from meldpunt.models import Referral, Report

# Changing a case ---------------------------------------------------------------------------------------------


def _posted_version_is_old(form: Form, report: Report) -> bool:
    """The handler looked at an older version than the case has now.

    Checked before the form itself: its choices follow the case as it is now, so a change based on what
    the handler saw before could otherwise be refused as an invalid choice instead of as outdated.
    """
    posted = str(form.data.get("version", ""))
    return posted.isdigit() and int(posted) != report.version


def _submit(
    request: HttpRequest,
    report: Report,
    access: Access,
    form: Form,
    forms: CaseForms,
    perform: Callable[[], str],
    *,
    anchor: str,
    needs_key: bool = False,
    rename: dict[str, str] | None = None,
) -> HttpResponse:
    """Run `perform` (which returns the success message) for a valid form, and answer as described above."""
    if needs_key and access.key is None:
        return _case_page(request, report, access, forms=forms, problem=access.message, status=403)
    if isinstance(form, VersionedForm) and _posted_version_is_old(form, report):
        return _case_page(request, report, access, problem=str(cases.StaleCase(report)), status=409)
    if form.is_valid():
        try:
            message = perform()
        except cases.StaleCase as stale:
            # Nothing of this change was stored: show the case as it is now, with fresh forms.
            return _case_page(request, stale.report, access, problem=str(stale), status=409)
        except ValidationError as error:
            _add_errors(form, error, rename)
        else:
            messages.success(request, message)
            return redirect(_case_url(report, anchor))
    return _case_page(request, report, access, forms=forms, failed=form, status=400)


@require_POST
@_login_first
def change_status(request: HttpRequest, pk: int) -> HttpResponse:
    report, access = _case_and_access(request, pk)
    form = StatusForm(request.POST, report=report)

    def perform() -> str:
        cases.change_status(
            report,
            request.user,
            form.cleaned_data["status"],
            expected_version=form.cleaned_data["version"],
        )
        return _("The case is now “%(status)s”.") % {"status": report.get_status_display()}

    return _submit(request, report, access, form, CaseForms(status=form), perform, anchor="handling")


@require_POST
@_login_first
def close(request: HttpRequest, pk: int) -> HttpResponse:
    report, access = _case_and_access(request, pk)
    form = CloseForm(request.POST, report=report)

    def perform() -> str:
        cases.close(
            report,
            request.user,
            outcome=form.cleaned_data["outcome"],
            expected_version=form.cleaned_data["version"],
        )
        return _("The case is closed with the outcome “%(outcome)s”.") % {
            "outcome": report.get_outcome_display()
        }

    return _submit(request, report, access, form, CaseForms(close=form), perform, anchor="handling")


@require_POST
@_login_first
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    report, access = _case_and_access(request, pk)
    form = ReopenForm(request.POST, report=report)

    def perform() -> str:
        cases.reopen(report, request.user, expected_version=form.cleaned_data["version"])
        return _("The case has been reopened and is “%(status)s” again.") % {
            "status": report.get_status_display()
        }

    return _submit(request, report, access, form, CaseForms(reopen=form), perform, anchor="handling")


@require_POST
@_login_first
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    report, access = _case_and_access(request, pk)
    form = AssignForm(request.POST, report=report, handlers=actions.handlers_of(report.organisation))

    def perform() -> str:
        assignee = form.cleaned_data["assignee"]
        cases.assign(
            report,
            request.user,
            assignee,
            expected_version=form.cleaned_data["version"],
            data_key=access.key,
        )
        if assignee is None:
            return _("The case is no longer assigned to anyone.")
        return _("The case is now assigned to %(name)s.") % {"name": assignee.get_username()}

    return _submit(request, report, access, form, CaseForms(assign=form), perform, anchor="handling")


@require_POST
@_login_first
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    report, access = _case_and_access(request, pk)
    form = CaseReplyForm(request.POST)

    def perform() -> str:
        assert access.key is not None
        cases.reply(report, request.user, access.key, form.cleaned_data["body"])
        return _("Your message has been sent. The reporter reads it with their receipt code.")

    return _submit(
        request, report, access, form, CaseForms(reply=form), perform, anchor="timeline", needs_key=True
    )


@require_POST
@_login_first
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    report, access = _case_and_access(request, pk)
    form = NoteForm(request.POST)

    def perform() -> str:
        assert access.key is not None
        cases.add_note(report, request.user, access.key, form.cleaned_data["note"])
        return _("The internal note has been added.")

    return _submit(
        request, report, access, form, CaseForms(note=form), perform, anchor="timeline", needs_key=True
    )


@require_POST
@_login_first
def add_referral(request: HttpRequest, pk: int) -> HttpResponse:
    report, access = _case_and_access(request, pk)
    form = ReferralForm(request.POST)

    def perform() -> str:
        assert access.key is not None
        data = form.cleaned_data
        referral = cases.add_referral(
            report,
            request.user,
            access.key,
            kind=data["kind"],
            referred_on=data["referred_on"],
            status=data["status"],
            vpt_code=data.get("vpt_code") or "",
            note=data.get("note") or "",
        )
        return _("The referral (%(kind)s) has been recorded.") % {"kind": referral.get_kind_display()}

    return _submit(
        request,
        report,
        access,
        form,
        CaseForms(referral=form),
        perform,
        anchor="referrals",
        needs_key=True,
    )


@require_POST
@_login_first
def referral_status(request: HttpRequest, pk: int, referral_id: int) -> HttpResponse:
    report, access = _case_and_access(request, pk)
    referral = get_object_or_404(Referral, pk=referral_id, report=report)
    form = ReferralStatusForm(request.POST, referral=referral)

    def perform() -> str:
        cases.set_referral_status(referral, request.user, form.cleaned_data["status"])
        return _("The referral (%(kind)s) is now “%(status)s”.") % {
            "kind": referral.get_kind_display(),
            "status": referral.get_status_display(),
        }

    return _submit(
        request,
        report,
        access,
        form,
        CaseForms(referral_status={referral.pk: form}),
        perform,
        anchor="referrals",
    )


@require_POST
@_login_first
def share(request: HttpRequest, pk: int) -> HttpResponse:
    report, access = _case_and_access(request, pk)
    form = ShareForm(request.POST, colleagues=actions.handlers_of(report.organisation))

    def perform() -> str:
        assert access.key is not None
        colleague = form.cleaned_data["colleague"]
        if cases.share_key(report, access.key, colleague, actor=request.user):
            return _("%(name)s can now read this case.") % {"name": colleague.get_username()}
        return _("%(name)s could already read this case.") % {"name": colleague.get_username()}

    return _submit(
        request,
        report,
        access,
        form,
        CaseForms(share=form),
        perform,
        anchor="access",
        needs_key=True,
        rename={"assignee": "colleague"},
    )


@require_POST
@_login_first
def erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Erase the case's content at the reporter's request; what stays is the anonymous statistics row."""
    report, access = _case_and_access(request, pk)
    form = EraseForm(request.POST, report=report)
    if _posted_version_is_old(form, report):
        return _case_page(request, report, access, problem=str(cases.StaleCase(report)), status=409)
    if not form.is_valid():
        return _case_page(request, report, access, forms=CaseForms(erase=form), failed=form, status=400)
    erasure = retention.erase_report(report, actor=request.user, reason=retention.Reason.HANDLER_ON_REQUEST)
    messages.success(
        request,
        _(
            "Case #%(number)s has been erased: its report, messages, notes and files are gone. Only the "
            "anonymous statistics remain."
        )
        % {"number": erasure.report_id},
    )
    return redirect("cases:queue")
