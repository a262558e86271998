"""`/api/v1/accountability/…`: the public accountability figure, and investigations for staff with a token.

`GET /figure` is public, like the insights aggregates: documented attacks, those investigated and those with
an outcome per year (accountability.figure). The investigations need a staff token (api.auth): field
documenters and analysts read their organisations' investigations, analysts record new ones; an
investigation of another organisation is a 404, as on the staff pages (accountability.access). Input is
checked by the pages' own forms and accountability.actions.check, so the messages are the same.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import EmptyPage, Paginator
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status

from accountability import access, actions, figure
from accountability.forms import FilterForm, InvestigationForm, SourceForm
from accountability.models import Investigation
from api.auth import TokenAuth, caller
from api.errors import ApiError, field_errors, form_errors, invalid_input
from api.schemas import ErrorOut

router = Router(tags=["accountability"])

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
AUTH_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 429: ErrorOut}


def _enum(values: list[str]) -> dict[str, Any]:
    return {"enum": values}


class StaffTokenAuth(TokenAuth):
    """A staff token (api.auth.TokenAuth, with its throttle) of someone who may read investigations: a
    field documenter or an analyst. Others get a 403."""

    refusal_text = gettext_lazy(
        "This account neither documents attacks nor analyses data, so it cannot read investigations."
    )

    def allows(self, user: Any) -> bool:
        return access.may_read(user)


# -- Schemas --------------------------------------------------------------------------------------------------


class FigureRow(Schema):
    year: int
    documented: int = Field(description="Documented attacks (de-duplicated incidents, rumours left out).")
    investigated: int = Field(description="Of those, attacks with at least one investigation opened.")
    with_outcome: int = Field(description="Of those, attacks with an investigation that has an outcome.")
    by_body: dict[str, int] = Field(
        description="Attacks investigated per kind of body (an attack with several counts under each)."
    )


class FigureOut(Schema):
    rows: list[FigureRow]
    totals: FigureRow
    undated: int = Field(description="Documented attacks without a date (in no year).")
    bodies: dict[str, str] = Field(description="The kinds of body, with their names in your language.")
    note: str


class SourceIO(Schema):
    url: str = Field("", description="A web address (http or https).")
    citation: str = Field("", description="A document without a web address: title, author, date.")
    note: str = ""


class InvestigationOut(Schema):
    id: int
    number: str
    incident: int
    incident_number: str
    organisation: str = Field(description="The short name of the organisation that recorded it.")
    opened: str = Field(json_schema_extra=_enum(Investigation.Opened.values))
    body: str = Field(json_schema_extra=_enum(["", *Investigation.Body.values]))
    body_name: str
    opened_at: date | None
    status: str = Field(json_schema_extra=_enum(Investigation.Status.values))
    outcome: str = Field(json_schema_extra=_enum(Investigation.Outcome.values))
    outcome_at: date | None
    sources: list[SourceIO]
    recorded_by: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class InvestigationPage(Schema):
    count: int
    page: int
    pages: int
    per_page: int
    items: list[InvestigationOut]


class InvestigationFilters(Schema):
    """Strings here, checked by accountability.forms.FilterForm so that messages are translated."""

    incident: str = Field("", description="Only investigations of this incident (I-000042 or 42).")
    country: str = Field("", description="Only of incidents in this country (ISO 3166-1 alpha-3).")
    opened: str = Field("", json_schema_extra=_enum(["", *Investigation.Opened.values]))
    body: str = Field("", json_schema_extra=_enum(["", *Investigation.Body.values]))
    status: str = Field("", json_schema_extra=_enum(["", *Investigation.Status.values]))
    outcome: str = Field("", json_schema_extra=_enum(["", *Investigation.Outcome.values]))
    page: str = Field("", description="Page number, from 1.")
    per_page: str = Field("", description=f"Investigations per page, 1 to {MAX_PER_PAGE} (25 without it).")


class InvestigationIn(Schema):
    incident: str = Field(description="The incident investigated: its number (I-000042) or id.")
    organisation: str = Field(
        "", description="The short name of your organisation to record it for; needed if you have several."
    )
    opened: str = Field(json_schema_extra=_enum(Investigation.Opened.values))
    body: str = Field("", json_schema_extra=_enum(["", *Investigation.Body.values]))
    body_name: str = ""
    opened_at: str = Field("", description="YYYY-MM-DD")
    status: str = Field(Investigation.Status.UNKNOWN, json_schema_extra=_enum(Investigation.Status.values))
    outcome: str = Field(
        Investigation.Outcome.NONE_YET, json_schema_extra=_enum(Investigation.Outcome.values)
    )
    outcome_at: str = Field("", description="YYYY-MM-DD")
    sources: list[SourceIO] = Field(default_factory=list)


# -- Endpoints ------------------------------------------------------------------------------------------------


@router.get(
    "/figure",
    response={200: FigureOut},
    auth=None,
    summary="Attacks documented, investigated and with an outcome, per year",
    description="Public: no token. The figure of figures/accountability/.",
)
def public_figure(request: HttpRequest) -> dict[str, Any]:
    data = figure.figure_data()

    def row(values: dict[str, Any], year: int = 0) -> dict[str, Any]:
        return {
            "year": values.get("year", year),
            "documented": values["documented"],
            "investigated": values["investigated"],
            "with_outcome": values["with_outcome"],
            "by_body": {body: values[f"by_{body}"] for body in figure.BODIES},
        }

    return {
        "rows": [row(values) for values in data["rows"]],
        "totals": row(data["totals"]),
        "undated": data["undated"],
        "bodies": {str(body): str(label) for body, label in figure.body_labels().items()},
        "note": _(
            "Counts of attacks (de-duplicated incidents) by the year of the attack; attacks known only as "
            "rumours are left out. `totals` has year 0."
        ),
    }


def investigation_out(investigation: Investigation) -> dict[str, Any]:
    return {
        "id": investigation.pk,
        "number": investigation.number,
        "incident": investigation.incident_id,
        "incident_number": investigation.incident.number,
        "organisation": investigation.organisation.slug,
        **{name: getattr(investigation, name) for name in actions.FIELDS},
        "sources": [
            {"url": source.url, "citation": source.citation, "note": source.note}
            for source in investigation.sources.all()
        ],
        "recorded_by": investigation.recorded_by.get_username() if investigation.recorded_by else None,
        "created_at": investigation.created_at,
        "updated_at": investigation.updated_at,
        "version": investigation.version,
    }


@router.get(
    "/investigations",
    response={200: InvestigationPage, 400: ErrorOut, 404: ErrorOut, **AUTH_ERRORS},
    auth=StaffTokenAuth(),
    summary="List investigations",
    description="Your organisations' investigations, the last changed first.",
)
def list_investigations(request: HttpRequest, filters: Query[InvestigationFilters]) -> dict[str, Any]:
    user = caller(request).user
    data = filters.model_dump()
    problems: dict[str, list[str]] = {}
    per_page, page_number = DEFAULT_PER_PAGE, 1
    for name, low, high in (("per_page", 1, MAX_PER_PAGE), ("page", 1, 1_000_000)):
        given = (data.pop(name) or "").strip()
        if not given:
            continue
        if not given.isdigit() or not low <= int(given) <= high:
            problems[name] = [
                _("%(value)r is not a whole number from %(low)s to %(high)s")
                % {"value": given[:20], "low": low, "high": high}
            ]
        elif name == "per_page":
            per_page = int(given)
        else:
            page_number = int(given)
    form = FilterForm(data)
    if not form.is_valid():
        problems.update(form_errors(form))
    if problems:
        raise invalid_input(problems)
    investigations = form.filter(
        access.visible_investigations(user)
        .select_related("incident", "organisation", "recorded_by")
        .prefetch_related("sources")
        .order_by("-updated_at", "-pk")
    )
    paginator = Paginator(investigations, per_page)
    try:
        page = paginator.page(page_number)
    except EmptyPage:
        raise ApiError(404, _("There is no page %(page)s.") % {"page": page_number}) from None
    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "per_page": per_page,
        "items": [investigation_out(investigation) for investigation in page.object_list],
    }


@router.get(
    "/investigations/{int:investigation_id}",
    response={200: InvestigationOut, 404: ErrorOut, **AUTH_ERRORS},
    auth=StaffTokenAuth(),
    summary="One investigation",
)
def investigation_detail(request: HttpRequest, investigation_id: int) -> dict[str, Any]:
    return investigation_out(access.investigation_for(caller(request).user, investigation_id))


def _organisation(user: Any, slug: str) -> Any:
    allowed = access.editable_organisations(user)
    if not allowed:
        raise PermissionDenied
    if slug:
        for organisation in allowed:
            if organisation.slug == slug:
                return organisation
        raise invalid_input(
            {"organisation": [_("You record no investigations for an organisation with this short name.")]}
        )
    if len(allowed) > 1:
        raise invalid_input(
            {"organisation": [_("You are in several organisations: say which one this is recorded for.")]}
        )
    return allowed[0]


@router.post(
    "/investigations",
    response={201: InvestigationOut, 400: ErrorOut, **AUTH_ERRORS},
    auth=StaffTokenAuth(),
    summary="Record an investigation",
    description="Needs the analyse-data permission in the organisation it is recorded for (403 without it "
    "anywhere). A retired incident is refused, with the incident it was merged into named.",
)
def record_investigation(request: HttpRequest, payload: InvestigationIn) -> Status[dict[str, Any]]:
    user = caller(request).user
    if not access.may_edit(user):
        raise ApiError(403, _("Only staff who analyse data can record investigations."))
    organisation = _organisation(user, payload.organisation.strip())
    data = payload.model_dump(exclude={"sources", "organisation"})
    data["incident_number"] = data.pop("incident")
    data["organisation"] = organisation.pk
    form = InvestigationForm(data, organisations=[organisation])
    problems: dict[str, list[str]] = {}
    if not form.is_valid():
        problems.update(
            {
                ("incident" if name == "incident_number" else name): messages
                for name, messages in form_errors(form).items()
            }
        )
    sources = []
    for number, source in enumerate(payload.sources, start=1):
        source_form = SourceForm(source.model_dump())
        if not source_form.is_valid():
            for name, messages in form_errors(source_form).items():
                problems.setdefault("sources", []).extend(
                    _("Source %(number)d, %(field)s: %(message)s")
                    % {"number": number, "field": name, "message": message}
                    for message in messages
                )
        else:
            sources.append({name: source_form.cleaned_data.get(name) or "" for name in actions.SOURCE_FIELDS})
    if problems:
        raise invalid_input(problems)
    try:
        investigation = actions.record_investigation(
            user, organisation, form.cleaned_data["incident_number"], form.fields_data(), sources
        )
    except ValidationError as error:
        raise invalid_input(field_errors(error)) from None
    return Status(201, investigation_out(investigation))
