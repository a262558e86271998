"""The field-report pages: the list, a new report, one report (with its evidence), editing, submitting.

Who may do what is registry.field_reports' business (`may_use`, `report_for`, `report_to_change`): without
DOCUMENT_ATTACKS or ANALYSE_DATA anywhere every page is a 403; someone else's draft, or a report of another
organisation, is a 404. Anonymous visitors are sent to the login page.

Every form works without JavaScript (the map picker only fills in the latitude and longitude fields): it posts
to its own address, success redirects to the report's page with a message, a refused change re-renders the
form with the problems by field (400), and a change made on an outdated version re-renders it with the
report as it is now (409).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.permissions import has_permission
from accounts.roles import Permission
from registry import field_reports
from registry.field_report_forms import (
    SUBMIT,
    FieldReportForm,
    country_name,
    country_numbers,
    data_from,
    initial_from,
)
from registry.field_report_models import (
    CERTAINTY_CRITERIA,
    CERTAINTY_SOURCE,
    COUNT_GROUPS,
    AttackType,
    Certainty,
    DatePrecision,
    FieldReport,
    GeoPrecision,
    PerpetratorCategory,
    ResourceAffected,
    Status,
    Weapon,
)
from registry.models import IncidentLink

PAGE_SIZE = 25
EVIDENCE_ATTACH_TEMPLATE = "evidence/attach.html"
NOTHING = "\u2013"


def _field_reports_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous visitors go to the login page; without DOCUMENT_ATTACKS or ANALYSE_DATA anywhere: 403."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not field_reports.may_use(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return guarded


def _detail_url(report: FieldReport) -> str:
    return reverse("field_reports:detail", kwargs={"pk": report.pk})


def _add_problems(form: FieldReportForm, error: ValidationError) -> None:
    for name, messages_ in error.message_dict.items():
        form.add_error(name if name in form.fields else None, messages_)


def _version(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return -1  # never a report's version: the change is refused as stale


def map_config() -> dict[str, Any]:
    """What registry/static/registry/field_report.js needs."""
    return {
        "worldUrl": static("vendor/world/countries-50m.json"),
        "imagePath": static("vendor/leaflet/images/"),
        "tileUrl": getattr(settings, "MAP_TILE_URL", "") or None,
        "tileAttribution": getattr(settings, "MAP_TILE_ATTRIBUTION", "") or "",
        "countryNumbers": country_numbers(),
        "strings": {
            "outlines": _("Country outlines: Natural Earth"),
            "placed": _("The marker is at latitude %(latitude)s, longitude %(longitude)s."),
            "removed": _("The marker was removed; the place has no coordinates."),
            "invalid": _("Latitude must be between -90 and 90 and longitude between -180 and 180."),
            "marker": _("The place of the attack"),
            "failed": _("The map could not be loaded. Type the latitude and longitude instead."),
        },
    }


def _form_page(
    request: HttpRequest,
    form: FieldReportForm,
    *,
    report: FieldReport | None = None,
    status: int = 200,
    problem: str = "",
) -> HttpResponse:
    return render(
        request,
        "registry/field_reports/form.html",
        {
            "form": form,
            "report": report,
            "problem": problem,
            "map_config": map_config(),
            "certainty_source": CERTAINTY_SOURCE,
        },
        status=status,
    )


# The list -------------------------------------------------------------------------------------------------


@never_cache
@_field_reports_page
def report_list(request: HttpRequest) -> HttpResponse:
    visible = field_reports.visible_reports(request.user)
    drafts = list(visible.filter(status=Status.DRAFT).order_by("-updated_at", "-pk"))
    submitted = visible.filter(status=Status.SUBMITTED).order_by("-submitted_at", "-pk")
    page = Paginator(submitted, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for report in [*drafts, *rows]:
        report.country_label = country_name(report.country_iso3)  # type: ignore[attr-defined]
    return render(
        request,
        "registry/field_reports/list.html",
        {
            "drafts": drafts,
            "page": page,
            "submitted": rows,
            "can_create": bool(field_reports.documenting_organisations(request.user)),
        },
    )


# A new report ---------------------------------------------------------------------------------------------


@never_cache
@_field_reports_page
def new_report(request: HttpRequest) -> HttpResponse:
    organisations = field_reports.documenting_organisations(request.user)
    if not organisations:
        raise PermissionDenied
    if request.method != "POST":
        form = FieldReportForm(organisations=organisations, initial={"date_precision": DatePrecision.DAY})
        return _form_page(request, form)
    form = FieldReportForm(request.POST, organisations=organisations)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    organisation = form.chosen_organisation()
    assert organisation is not None  # the form only offers the user's organisations
    submit = request.POST.get("action") == SUBMIT
    try:
        report = field_reports.create(request.user, organisation, form.values(), submit=submit)
    except ValidationError as error:
        _add_problems(form, error)
        return _form_page(request, form, status=400)
    if submit:
        messages.success(request, _("Field report %(number)s was submitted.") % {"number": report.number})
    else:
        messages.success(
            request,
            _("Draft %(number)s was saved. Add photos and other evidence below, or go on editing it.")
            % {"number": report.number},
        )
    return redirect(_detail_url(report))


# One report -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    restricted: bool = False


def _text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return NOTHING
    return str(value)


def _labels(choices: Any, codes: list[str]) -> str:
    labels = dict(choices.choices)
    return "; ".join(str(labels.get(code, code)) for code in codes) or NOTHING


def _label(name: str) -> str:
    field: Any = FieldReport._meta.get_field(name)
    return str(field.verbose_name)


def _one(choices: Any, code: str) -> str:
    return str(dict(choices.choices).get(code, code)) if code else NOTHING


def facts(report: FieldReport) -> list[Fact]:
    coordinates = (
        f"{report.latitude:.5f}, {report.longitude:.5f}"
        if report.latitude is not None and report.longitude is not None
        else NOTHING
    )
    return [
        Fact(_label("event_date"), report.event_date.isoformat() if report.event_date else NOTHING),
        Fact(_label("date_precision"), _one(DatePrecision, report.date_precision)),
        Fact(_label("event_time"), report.event_time.strftime("%H:%M") if report.event_time else NOTHING),
        Fact(_label("country_iso3"), country_name(report.country_iso3) or NOTHING),
        Fact(_label("admin1"), _text(report.admin1)),
        Fact(_label("place_name"), _text(report.place_name)),
        Fact(_("coordinates"), coordinates),
        Fact(_label("geo_precision"), _one(GeoPrecision, report.geo_precision)),
        Fact(_label("facility_id"), _text(field_reports.facility_label(report.facility_id))),
        Fact(_label("attack_types"), _labels(AttackType, report.attack_types)),
        Fact(_label("resources"), _labels(ResourceAffected, report.resources)),
        Fact(_label("certainty"), _one(Certainty, report.certainty)),
        Fact(_label("perpetrator_category"), _one(PerpetratorCategory, report.perpetrator_category)),
        Fact(_label("perpetrator_name"), _text(report.perpetrator_name)),
        Fact(_label("weapons"), _labels(Weapon, report.weapons)),
        Fact(_label("description"), _text(report.description)),
        Fact(_label("information_sources"), _text(report.information_sources), restricted=True),
    ]


def count_rows(report: FieldReport) -> list[dict[str, Any]]:
    return [
        {
            "label": label,
            "counts": [(count_label, _text(getattr(report, name))) for name, count_label in counts],
        }
        for _group, label, counts in COUNT_GROUPS
    ]


def evidence_attach_available() -> bool:
    try:
        get_template(EVIDENCE_ATTACH_TEMPLATE)
    except TemplateDoesNotExist:
        return False
    return True


def _incident_link(report: FieldReport) -> IncidentLink | None:
    if report.is_draft:
        return None
    return (
        IncidentLink.objects.filter(record_key=field_reports.record_key(report))
        .select_related("incident")
        .first()
    )


@never_cache
@_field_reports_page
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = field_reports.report_for(request.user, pk)
    can_change = field_reports.may_change(request.user, report)
    link = _incident_link(report)
    return render(
        request,
        "registry/field_reports/detail.html",
        {
            "report": report,
            "facts": facts(report),
            "count_rows": count_rows(report),
            "certainty_criteria": CERTAINTY_CRITERIA.get(Certainty(report.certainty))
            if report.certainty
            else "",
            "certainty_source": CERTAINTY_SOURCE,
            "can_change": can_change,
            "record": field_reports.record_of(report) if not report.is_draft else None,
            "incident": link.incident if link is not None else None,
            "can_open_incident": has_permission(request.user, Permission.ANALYSE_DATA),
            "evidence_attach": evidence_attach_available(),
            "missing": field_reports.problems(report, complete=True) if report.is_draft else {},
            "country": country_name(report.country_iso3),
        },
    )


# Editing and submitting -----------------------------------------------------------------------------------


@never_cache
@_field_reports_page
def edit_report(request: HttpRequest, pk: int) -> HttpResponse:
    report = field_reports.report_to_change(request.user, pk)
    if request.method != "POST":
        return _form_page(request, FieldReportForm(initial=initial_from(report)), report=report)
    form = FieldReportForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, report=report, status=400)
    submit = request.POST.get("action") == SUBMIT
    was_draft = report.is_draft
    try:
        field_reports.update(
            request.user, report, form.values(), expected_version=_version(request), submit=submit
        )
    except field_reports.Stale as stale:
        fresh = FieldReportForm(initial=initial_from(stale.report))
        return _form_page(request, fresh, report=stale.report, status=409, problem=str(stale))
    except ValidationError as error:
        _add_problems(form, error)
        return _form_page(request, form, report=report, status=400)
    if was_draft and not report.is_draft:
        messages.success(request, _("Field report %(number)s was submitted.") % {"number": report.number})
    elif was_draft:
        messages.success(request, _("Draft %(number)s was saved.") % {"number": report.number})
    else:
        messages.success(
            request,
            _("Field report %(number)s was changed; its record was updated.") % {"number": report.number},
        )
    return redirect(_detail_url(report))


@never_cache
@require_POST
@_field_reports_page
def submit_report(request: HttpRequest, pk: int) -> HttpResponse:
    report = field_reports.report_to_change(request.user, pk)
    if not report.is_draft:
        messages.info(
            request, _("Field report %(number)s was submitted already.") % {"number": report.number}
        )
        return redirect(_detail_url(report))
    try:
        field_reports.submit(request.user, report, expected_version=_version(request))
    except field_reports.Stale as stale:
        messages.error(request, str(stale))
        return redirect(_detail_url(stale.report))
    except ValidationError as error:
        form = FieldReportForm(data_from(report))
        form.is_valid()
        _add_problems(form, error)
        problem = _("The draft is not complete yet: fill in the fields named below, then submit it.")
        return _form_page(request, form, report=report, status=400, problem=problem)
    messages.success(request, _("Field report %(number)s was submitted.") % {"number": report.number})
    return redirect(_detail_url(report))
