"""`/api/v1/cases`: the case queue, one case with its content, status changes and replies to the reporter.

Every operation needs a token (api.auth.TokenAuth); what a handler may see and do is decided by
meldpunt.cases exactly as on the staff pages: a case of an organisation where they do not handle cases is
a 404, the same as a case that does not exist. Reading the content unwraps the report key with the private
key the token carries (meldpunt.cases.report_key_for); when the key was never shared with this handler, the
case comes back with its structured part only and `"readable": false`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import EmptyPage, Paginator
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Query, Router, Status

from accounts.models import Organisation
from accounts.permissions import organisations_with
from accounts.roles import Permission
from api.auth import TokenAuth, caller
from api.errors import ApiError, form_errors, invalid_input
from api.schemas import (
    CaseDetailOut,
    CaseFilters,
    CaseOut,
    CasePage,
    ErrorOut,
    MessageCreatedOut,
    MessageIn,
    StaleOut,
    StatusIn,
)
from meldpunt import cases, sealing
from meldpunt.forms import ReplyForm
from meldpunt.models import Report, ReportKey

router = Router(tags=["cases"], auth=TokenAuth())

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
REOPEN = "reopen"
AUTH_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 429: ErrorOut}


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", ""), *Report.Status.choices],
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Unknown status: choose one of the case statuses.")},
    )
    assigned = forms.ChoiceField(
        choices=[("", ""), ("me", "me"), ("nobody", "nobody")],
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose “me” or “nobody”.")},
    )
    overdue = forms.ChoiceField(
        choices=[("", ""), ("true", "true"), ("false", "false")],
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose “true” or “false”.")},
    )
    organisation = forms.SlugField(required=False, max_length=60)
    page = forms.IntegerField(required=False, min_value=1)
    per_page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PER_PAGE)


def _organisation(user: Any, slug: str) -> Organisation | None:
    if not slug:
        return None
    for organisation in organisations_with(user, Permission.HANDLE_CASES):
        if organisation.slug == slug:
            return organisation
    # The same answer for an organisation that does not exist and one where the user handles no cases.
    raise invalid_input({"organisation": [_("You handle no cases of an organisation with this short name.")]})


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


def case_out(report: Report, *, readable: bool, now: Any = None) -> dict[str, Any]:
    """The structured part of a case: nothing anyone wrote."""
    return {
        "id": report.pk,
        "organisation": report.organisation.slug,
        "status": report.status,
        "version": report.version,
        "received_at": report.created_at,
        "acknowledge_by": report.acknowledge_by,
        "acknowledged_at": report.acknowledged_at,
        "overdue": cases.is_overdue(report, now),
        "assigned_to": _username(report.assigned_to),
        "source": report.source,
        "is_anonymous": report.is_anonymous,
        "kinds": list(report.kinds),
        "channel": report.channel,
        "place": report.place,
        "perpetrator": report.perpetrator,
        "perpetrator_in_care": report.perpetrator_in_care,
        "occurred_on": report.occurred_on,
        "occurred_precision": report.occurred_precision,
        "frequency": report.frequency,
        "profession": report.profession,
        "sector": report.sector,
        "province": report.province,
        "consequences": list(report.consequences),
        "steps_taken": list(report.steps_taken),
        "contact_preference": report.contact_preference,
        "outcome": report.outcome,
        "closed_at": report.closed_at,
        "readable": readable,
    }


@router.get(
    "",
    response={200: CasePage, 400: ErrorOut, 404: ErrorOut, **AUTH_ERRORS},
    summary="List cases",
    description="Your organisations' cases, newest first; without a status filter the cases that are not closed.",
)
def list_cases(request: HttpRequest, filters: Query[CaseFilters]) -> dict[str, Any]:
    user = caller(request).user
    form = CaseFilterForm(filters.model_dump())
    if not form.is_valid():
        raise invalid_input(form_errors(form))
    chosen = form.cleaned_data
    reports = cases.queue_for(
        user,
        status=chosen["status"],
        organisation=_organisation(user, chosen["organisation"]),
        assigned=chosen["assigned"],
        overdue=chosen["overdue"] == "true",
    )
    per_page = chosen["per_page"] or DEFAULT_PER_PAGE
    paginator = Paginator(reports, per_page)
    try:
        page = paginator.page(chosen["page"] or 1)
    except EmptyPage:
        raise ApiError(404, _("There is no page %(page)s.") % {"page": chosen["page"]}) from None
    readable = set(
        ReportKey.objects.filter(
            report__in=[report.pk for report in page.object_list],
            kind=ReportKey.Kind.HANDLER,
            user=user,
        ).values_list("report_id", flat=True)
    )
    now = timezone.now()
    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "per_page": per_page,
        "items": [case_out(report, readable=report.pk in readable, now=now) for report in page.object_list],
    }


def _content(report: Report, data_key: bytes) -> dict[str, Any]:
    content = sealing.open_report(data_key, report)
    messages, notes, referral_notes, file_names = [], [], {}, {}
    for entry in cases.timeline(report, data_key):
        if entry.kind == "message":
            messages.append(
                {
                    "id": entry.item.pk,
                    "party": entry.party,
                    "author": entry.author or None,
                    "sent_at": entry.at,
                    "read_at": entry.item.read_at,
                    "body": entry.text,
                }
            )
        elif entry.kind == "note":
            notes.append(
                {
                    "id": entry.item.pk,
                    "internal": True,
                    "author": entry.author or None,
                    "written_at": entry.at,
                    "body": entry.text,
                }
            )
        elif entry.kind == "referral":
            referral_notes[entry.item.pk] = entry.text
        elif entry.kind == "file":
            file_names[entry.item.pk] = entry.text
    return {
        "narrative": content.narrative,
        "platform": content.platform,
        "identity": content.identity,
        "contact": content.contact,
        "messages": messages,
        "notes": notes,
        "referral_notes": referral_notes,
        "file_names": file_names,
    }


@router.get(
    "/{int:case_id}",
    response={200: CaseDetailOut, 404: ErrorOut, **AUTH_ERRORS},
    summary="One case",
    description=(
        "The structured facts, and when the report key is shared with you the opened narrative, identity, "
        "contact details, messages, internal notes, referral notes and file names. Every call is audited."
    ),
)
def case_detail(request: HttpRequest, case_id: int) -> dict[str, Any]:
    who = caller(request)
    report = cases.case_for(who.user, case_id)
    cases.record_view(who.user, report, what="api")
    try:
        data_key: bytes | None = cases.report_key_for(who.user, who.private_key, report)
    except cases.NoKey as no_key:
        data_key, reason = None, str(no_key)
    content = _content(report, data_key) if data_key is not None else None
    referral_notes = content["referral_notes"] if content else {}
    file_names = content["file_names"] if content else {}
    result = case_out(report, readable=content is not None)
    result.update(
        unreadable_reason=None if content else reason,
        narrative=content["narrative"] if content else None,
        platform=content["platform"] if content else None,
        identity=content["identity"] if content else None,
        contact=content["contact"] if content else None,
        messages=content["messages"] if content else None,
        notes=content["notes"] if content else None,
        referrals=[
            {
                "id": referral.pk,
                "kind": referral.kind,
                "status": referral.status,
                "vpt_code": referral.vpt_code,
                "referred_on": referral.referred_on,
                "recorded_by": _username(referral.created_by),
                "recorded_at": referral.created_at,
                "note": referral_notes.get(referral.pk) if content else None,
            }
            for referral in report.referrals.select_related("created_by")
        ],
        attachments=[
            {
                "id": attachment.file_id,
                "sha256": attachment.sha256,
                "size": attachment.size,
                "content_type": attachment.content_type,
                "uploaded_by": attachment.uploaded_by,
                "uploaded_at": attachment.created_at,
                "filename": file_names.get(attachment.pk) if content else None,
            }
            for attachment in report.attachments.all()
        ],
        status_history=[
            {
                "from_status": change.from_status,
                "to_status": change.to_status,
                "changed_by": _username(change.changed_by),
                "changed_at": change.changed_at,
            }
            for change in report.status_changes.select_related("changed_by")
        ],
    )
    return result


@router.post(
    "/{int:case_id}/status",
    response={200: CaseOut, 400: ErrorOut, 404: ErrorOut, 409: StaleOut, **AUTH_ERRORS},
    summary="Change a case's status",
    description=(
        "Send the `version` you last loaded: when someone changed the case since, nothing is changed and the "
        "answer is 409 with the current version. Closing needs an `outcome`; `reopen` brings a closed case "
        "back in progress."
    ),
)
def change_status(request: HttpRequest, case_id: int, payload: StatusIn) -> dict[str, Any]:
    user = caller(request).user
    report = cases.case_for(user, case_id)
    if payload.status == REOPEN:
        cases.reopen(report, user, expected_version=payload.version)
    else:
        cases.change_status(
            report, user, payload.status, expected_version=payload.version, outcome=payload.outcome
        )
    return case_out(report, readable=cases.can_read(user, report))


@router.post(
    "/{int:case_id}/messages",
    response={201: MessageCreatedOut, 400: ErrorOut, 404: ErrorOut, **AUTH_ERRORS},
    summary="Write to the reporter",
    description=(
        "The reporter reads it on the follow-up page with their receipt code. Needs the report key shared "
        "with you (403 with code `no_key` otherwise). A closed case must be reopened first."
    ),
)
def reply(request: HttpRequest, case_id: int, payload: MessageIn) -> Status[dict[str, Any]]:
    who = caller(request)
    report = cases.case_for(who.user, case_id)
    form = ReplyForm({"body": payload.body})
    if not form.is_valid():
        raise invalid_input(form_errors(form))
    data_key = cases.report_key_for(who.user, who.private_key, report)
    message = cases.reply(report, who.user, data_key, form.cleaned_data["body"])
    return Status(201, {"id": message.pk, "sent_at": message.created_at})
