"""`/api/v1/field-reports`: field reports of the token holder's organisations: list, create (as a draft or
submitted at once), read, change, submit.

Every operation needs a staff API token (`Authorization: Bearer zv_…`, accounts.api_tokens), throttled as
for the cases API (api.auth). Who may see and change what is registry.field_reports', exactly as on the staff
pages: without DOCUMENT_ATTACKS or ANALYSE_DATA anywhere every call is a 403; someone else's draft or a report
of another organisation is a 404, the same as a report that does not exist; an analyst reads submitted
reports but changing one is a 403. Input is checked by the form of the staff pages
(registry.field_report_forms), so the messages are the same; completeness on submitting by
registry.field_reports.problems, by field. A change sends the `version` it was made on: when the report
changed since, nothing is changed and the answer is 409 with the current version.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django import forms
from django.core.paginator import EmptyPage, Paginator
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status

from api.auth import TokenAuth, caller
from api.errors import ApiError, form_errors, invalid_input
from api.schemas import ErrorOut
from evidence import actions as evidence_actions
from registry import field_reports
from registry.field_report_forms import FieldReportForm, data_from
from registry.field_report_models import (
    COUNT_FIELDS,
    AttackType,
    Certainty,
    DatePrecision,
    FieldReport,
    GeoPrecision,
    PerpetratorCategory,
    ResourceAffected,
    Weapon,
)
from registry.field_report_models import (
    Status as ReportStatus,
)
from registry.models import IncidentLink

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100


class FieldReportTokenAuth(TokenAuth):
    """As api.auth.TokenAuth, but for field documenters and analysts instead of case handlers."""

    refusal_text = gettext_lazy(
        "This account neither documents attacks nor analyses data, so it cannot use field reports."
    )

    def allows(self, user: Any) -> bool:
        return field_reports.may_use(user)


router = Router(tags=["field reports"], auth=FieldReportTokenAuth())
AUTH_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 429: ErrorOut}


def _enum(values: list[str]) -> dict[str, Any]:
    return {"enum": values}


class FieldReportFields(Schema):
    """The fields a documenter fills in; every one may be left out (a draft), and a change sends only the
    fields it changes. Dates and times are text (`2024-03-08`, `14:30`); counts are people, `null` when
    not known and 0 for none."""

    event_date: str | None = Field(None, description="Day of the attack, YYYY-MM-DD.")
    date_precision: str | None = Field(
        None,
        description="How precise the date is (default `day`).",
        json_schema_extra=_enum(DatePrecision.values),
    )
    event_time: str | None = Field(None, description="Time of the attack, HH:MM (local time), when known.")
    country_iso3: str | None = Field(None, description="ISO 3166-1 alpha-3 code of the country.")
    admin1: str | None = None
    place_name: str | None = None
    latitude: float | None = Field(None, description="Decimal degrees (WGS 84), north positive.")
    longitude: float | None = Field(None, description="Decimal degrees (WGS 84), east positive.")
    geo_precision: str | None = Field(None, json_schema_extra=_enum(GeoPrecision.values))
    facility_id: int | None = Field(None, description="Number of the facility in the facility registry.")
    attack_types: list[str] | None = Field(
        None, description="WHO SSA attack types.", json_schema_extra={"items": _enum(AttackType.values)}
    )
    resources: list[str] | None = Field(
        None, description="Health care affected.", json_schema_extra={"items": _enum(ResourceAffected.values)}
    )
    certainty: str | None = Field(
        None, description="WHO SSA certainty level.", json_schema_extra=_enum(Certainty.values)
    )
    health_workers_killed: int | None = None
    health_workers_injured: int | None = None
    health_workers_kidnapped: int | None = None
    health_workers_arrested: int | None = None
    health_workers_threatened: int | None = None
    health_workers_assaulted: int | None = None
    patients_killed: int | None = None
    patients_injured: int | None = None
    patients_kidnapped: int | None = None
    patients_arrested: int | None = None
    others_killed: int | None = None
    others_injured: int | None = None
    perpetrator_category: str | None = Field(None, json_schema_extra=_enum(PerpetratorCategory.values))
    perpetrator_name: str | None = None
    weapons: list[str] | None = Field(None, json_schema_extra={"items": _enum(Weapon.values)})
    description: str | None = None
    information_sources: str | None = Field(
        None, description="Who told what and how to reach them: restricted to your organisation."
    )


class FieldReportCreate(FieldReportFields):
    organisation: str = Field(
        "", description="Short name of the organisation; needed only when you document for several."
    )
    submit: bool = Field(False, description="Submit at once (the report must then be complete).")


class FieldReportChange(FieldReportFields):
    version: int = Field(description="The version you last loaded.")
    submit: bool = Field(False, description="Submit the draft after the change.")


class SubmitIn(Schema):
    version: int = Field(description="The version you last loaded.")


class EvidenceRef(Schema):
    id: int = Field(description="The item's number in /api/v1/evidence.")
    kind: str
    sha256: str
    added_at: datetime


class FieldReportOut(FieldReportFields):
    id: int
    number: str = Field(examples=["FR-12"])
    organisation: str
    status: str = Field(json_schema_extra=_enum(ReportStatus.values))
    version: int
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    record: str | None = Field(description="The record's key in linkage (`local:FR-12#1`); null for a draft.")
    release: int | None = Field(description="The release of the source `local` that holds the record now.")
    incident: str | None = Field(description="The incident the record is linked to (`I-000042`), if any.")
    missing: dict[str, list[str]] = Field(description="What a draft still needs before it can be submitted.")
    evidence: list[EvidenceRef] = Field(description="Evidence attached to the report (metadata only).")


class FieldReportPage(Schema):
    count: int
    page: int
    pages: int
    per_page: int
    items: list[FieldReportOut]


class ListFilters(Schema):
    status: str = Field("", json_schema_extra=_enum(["", *ReportStatus.values]))
    page: int | None = None
    per_page: int | None = None


class ListFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", ""), *ReportStatus.choices],
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Unknown status: choose draft or submitted.")},
    )
    page = forms.IntegerField(required=False, min_value=1)
    per_page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PER_PAGE)


def _plain(value: Any) -> Any:
    if isinstance(value, date | time):
        return value.strftime("%H:%M") if isinstance(value, time) else value.isoformat()
    return value


def report_out(report: FieldReport) -> dict[str, Any]:
    link = None
    release = None
    if not report.is_draft:
        link = (
            IncidentLink.objects.filter(record_key=field_reports.record_key(report))
            .select_related("incident")
            .first()
        )
        record = field_reports.record_of(report)
        release = record.release_id if record is not None else None
    return {
        **{name: _plain(getattr(report, name)) for name in field_reports.EDITABLE_FIELDS},
        "id": report.pk,
        "number": report.number,
        "organisation": report.organisation.slug,
        "status": report.status,
        "version": report.version,
        "created_by": report.created_by.get_username() if report.created_by else None,
        "created_at": report.created_at,
        "updated_at": report.updated_at,
        "submitted_at": report.submitted_at,
        "record": field_reports.record_key(report) if not report.is_draft else None,
        "release": release,
        "incident": link.incident.number if link is not None else None,
        "missing": field_reports.problems(report, complete=True) if report.is_draft else {},
        "evidence": [
            {"id": item.pk, "kind": item.kind, "sha256": item.sha256, "added_at": item.added_at}
            for item in evidence_actions.items_for(report).filter(organisation=report.organisation)
        ],
    }


def _form(data: dict[str, Any], **kwargs: Any) -> FieldReportForm:
    form = FieldReportForm({name: ("" if value is None else value) for name, value in data.items()}, **kwargs)
    if not form.is_valid():
        raise invalid_input(form_errors(form))
    return form


def _stale(error: field_reports.Stale) -> ApiError:
    return ApiError(409, str(error), version=error.report.version, status=error.report.status)


@router.get(
    "",
    response={200: FieldReportPage, 400: ErrorOut, 404: ErrorOut, **AUTH_ERRORS},
    summary="List field reports",
    description="Your drafts and your organisations' submitted reports, most recently changed first.",
)
def list_reports(request: HttpRequest, filters: Query[ListFilters]) -> dict[str, Any]:
    user = caller(request).user
    form = ListFilterForm(filters.model_dump())
    if not form.is_valid():
        raise invalid_input(form_errors(form))
    chosen = form.cleaned_data
    reports = field_reports.visible_reports(user).order_by("-updated_at", "-pk")
    if chosen["status"]:
        reports = reports.filter(status=chosen["status"])
    per_page = chosen["per_page"] or DEFAULT_PER_PAGE
    paginator = Paginator(reports, per_page)
    try:
        page = paginator.page(chosen["page"] or 1)
    except EmptyPage:
        raise ApiError(404, _("There is no page %(page)s.") % {"page": chosen["page"]}) from None
    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "per_page": per_page,
        "items": [report_out(report) for report in page.object_list],
    }


@router.post(
    "",
    response={201: FieldReportOut, 400: ErrorOut, **AUTH_ERRORS},
    summary="Create a field report",
    description=(
        "A draft with whatever you send, or with `submit` a submitted report, which must then be complete "
        "(the missing fields are named in `errors`). Needs the field-documenter role."
    ),
)
def create_report(request: HttpRequest, payload: FieldReportCreate) -> Status[dict[str, Any]]:
    user = caller(request).user
    organisations = field_reports.documenting_organisations(user)
    if not organisations:
        raise ApiError(403, _("You document attacks for no organisation."))
    values = payload.model_dump(exclude={"submit"})
    if len(organisations) == 1:
        values.pop("organisation")
    form = _form(values, organisations=organisations)
    organisation = form.chosen_organisation()
    assert organisation is not None
    report = field_reports.create(user, organisation, form.values(), submit=payload.submit)
    return Status(201, report_out(report))


@router.get(
    "/{int:report_id}",
    response={200: FieldReportOut, 404: ErrorOut, **AUTH_ERRORS},
    summary="One field report",
)
def report_detail(request: HttpRequest, report_id: int) -> dict[str, Any]:
    return report_out(field_reports.report_for(caller(request).user, report_id))


@router.patch(
    "/{int:report_id}",
    response={200: FieldReportOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut, **AUTH_ERRORS},
    summary="Change a field report",
    description=(
        "Send the fields to change and the `version` you last loaded. A submitted report stays complete; "
        "its record is replaced. With `submit` a draft is submitted after the change."
    ),
)
def change_report(request: HttpRequest, report_id: int, payload: FieldReportChange) -> dict[str, Any]:
    user = caller(request).user
    report = field_reports.report_to_change(user, report_id)
    changes = payload.model_dump(exclude_unset=True, exclude={"version", "submit"})
    form = _form({**data_from(report), **changes})
    try:
        field_reports.update(
            user, report, form.values(), expected_version=payload.version, submit=payload.submit
        )
    except field_reports.Stale as stale:
        raise _stale(stale) from None
    return report_out(report)


@router.post(
    "/{int:report_id}/submit",
    response={200: FieldReportOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut, **AUTH_ERRORS},
    summary="Submit a draft",
    description="The draft becomes a record of the source `local`; what is missing is named in `errors`.",
)
def submit_report(request: HttpRequest, report_id: int, payload: SubmitIn) -> dict[str, Any]:
    user = caller(request).user
    report = field_reports.report_to_change(user, report_id)
    if not report.is_draft:
        raise ApiError(400, _("Field report %(number)s was submitted already.") % {"number": report.number})
    try:
        field_reports.submit(user, report, expected_version=payload.version)
    except field_reports.Stale as stale:
        raise _stale(stale) from None
    return report_out(report)


assert set(COUNT_FIELDS) <= set(FieldReportFields.model_fields)
