"""The facility pages for staff, under staff/facilities/ (docs/facilities.md).

Who may do what is decided in facilities.access: facilities are seen by everyone who documents attacks or
analyses data (403 for other staff), changed by their organisation; notifications exist only for the
members of the organisation that sent them (404 for everyone else). The changes are made by
facilities.actions.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import has_permission
from facilities import access, actions, packages
from facilities.access import login_required_here, viewer_required
from facilities.forms import (
    AcknowledgeForm,
    FacilityFilterForm,
    FacilityForm,
    ImportForm,
    NotificationForm,
    PartyForm,
    SentForm,
    StatusForm,
)
from facilities.geojson import feature_collection
from facilities.importers import COLUMNS, REQUIRED
from facilities.models import Facility, FacilityIncident, Notification, Party
from facilities.proximity import distance_setting
from facilities.tasks import request_check

PAGE_SIZE = 50
MAP_LIMIT = 5000
WORLD_FILE = "vendor/world/countries-110m.json"


def map_settings(features: dict[str, Any], *, picker: bool = False) -> dict[str, Any]:
    """What facilities/facilities.js needs: the points, the offline outlines, the optional tile server."""
    return {
        "features": features,
        "worldUrl": static(WORLD_FILE),
        "imagePath": static("vendor/leaflet/images/"),
        "tileUrl": settings.MAP_TILE_URL or None,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION or "",
        "picker": picker,
        "strings": {
            "failed": _("The map could not be loaded; the table has the same facilities."),
            "open": _("Open %(name)s"),
            "picked": _("Coordinates set from the map: %(latitude)s, %(longitude)s"),
        },
    }


def _posted(request: HttpRequest) -> Any:
    """The posted data, also when empty (an empty POST is a form with errors, not a fresh form)."""
    return request.POST if request.method == "POST" else None


# Facilities ----------------------------------------------------------------------------------------------


@viewer_required
def facility_list(request: HttpRequest) -> HttpResponse:
    countries = sorted(set(Facility.objects.values_list("country_iso3", flat=True).distinct()))
    form = FacilityFilterForm(request.GET or None, countries=countries)
    facilities = form.filter(Facility.objects.select_related("organisation")).annotate(
        nearby=Count("incident_links", distinct=True),
        flagged=Count("incident_links", filter=Q(incident_links__notified_before_attack=True), distinct=True),
    )
    page = Paginator(facilities.order_by("country_iso3", "name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    shown = list(facilities.order_by("pk")[: MAP_LIMIT + 1])
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "facilities/facility_list.html",
        {
            "form": form,
            "page": page,
            "facilities": list(page),
            "query": query.urlencode(),
            "map": map_settings(feature_collection(shown[:MAP_LIMIT], staff=True)),
            "map_capped": len(shown) > MAP_LIMIT,
            "map_limit": MAP_LIMIT,
            "can_document": access.may_document(request.user),
            "flagged_total": FacilityIncident.objects.filter(notified_before_attack=True)
            .values("incident_id")
            .distinct()
            .count(),
        },
        status=400 if form.errors else 200,
    )


def _detail_context(request: HttpRequest, facility: Facility) -> dict[str, Any]:
    user = request.user
    visible_organisations = {organisation.pk for organisation in access.viewing_organisations(user)}
    notifications = list(
        facility.notifications.select_related("organisation").order_by("sent_at", "created_at")
    )
    links = list(
        facility.incident_links.select_related("incident", "notification").order_by(
            "-notified_before_attack", "distance_m", "pk"
        )
    )
    return {
        "facility": facility,
        "status_changes": list(facility.status_changes.select_related("recorded_by")),
        "links": links,
        "flagged": [link for link in links if link.notified_before_attack],
        "notifications": [n for n in notifications if n.organisation_id in visible_organisations],
        "other_notifications": sum(
            1 for n in notifications if n.organisation_id not in visible_organisations
        ),
        "sent_notifications": [n for n in notifications if n.sent_at is not None],
        "can_edit": access.may_edit_facility(user, facility),
        "can_document": access.may_document(user),
        "can_open_incidents": has_permission(user, access.ANALYSE),
        "map": map_settings(feature_collection([facility], staff=True)),
        "distance_m": distance_setting(),
    }


@viewer_required
def facility_detail(request: HttpRequest, pk: int) -> HttpResponse:
    facility = access.facility_for(request.user, pk)
    context = _detail_context(request, facility)
    context["status_form"] = StatusForm(initial={"status": facility.status})
    return render(request, "facilities/facility_detail.html", context)


@viewer_required
@require_POST
def facility_status(request: HttpRequest, pk: int) -> HttpResponse:
    facility = access.facility_for(request.user, pk)
    if not access.may_document(request.user):
        raise PermissionDenied
    form = StatusForm(request.POST)
    if form.is_valid():
        actions.record_status(request.user, facility, **form.cleaned_data)
        messages.success(request, _("The status is recorded."))
        return redirect("facilities:detail", pk=facility.pk)
    context = _detail_context(request, facility)
    context["status_form"] = form
    return render(request, "facilities/facility_detail.html", context, status=400)


def _facility_values(form: FacilityForm) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in actions.FACILITY_FIELDS}


@viewer_required
def facility_new(request: HttpRequest) -> HttpResponse:
    organisations = access.registering_organisations(request.user)
    if not organisations:
        raise PermissionDenied
    form = FacilityForm(_posted(request), organisations=organisations)
    if request.method == "POST" and form.is_valid():
        facility = actions.register_facility(
            request.user,
            form.cleaned_data["organisation"],
            _facility_values(form),
            status=form.cleaned_data["status"],
        )
        messages.success(
            request, _("The facility is registered as %(number)s.") % {"number": facility.number}
        )
        return redirect("facilities:detail", pk=facility.pk)
    return render(
        request,
        "facilities/facility_form.html",
        {
            "form": form,
            "facility": None,
            "map": map_settings(feature_collection([], staff=True), picker=True),
        },
        status=400 if form.errors else 200,
    )


@viewer_required
def facility_edit(request: HttpRequest, pk: int) -> HttpResponse:
    facility = access.facility_for(request.user, pk)
    if not access.may_edit_facility(request.user, facility):
        raise PermissionDenied
    form = FacilityForm(_posted(request), instance=Facility.objects.get(pk=facility.pk))
    if request.method == "POST" and form.is_valid():
        changed = actions.change_facility(request.user, facility, _facility_values(form))
        if changed:
            messages.success(request, _("The facility is saved."))
        else:
            messages.info(request, _("Nothing was changed."))
        return redirect("facilities:detail", pk=facility.pk)
    return render(
        request,
        "facilities/facility_form.html",
        {
            "form": form,
            "facility": facility,
            "map": map_settings(feature_collection([facility], staff=True), picker=True),
        },
        status=400 if form.errors else 200,
    )


@viewer_required
def facility_import(request: HttpRequest) -> HttpResponse:
    organisations = access.registering_organisations(request.user)
    if not organisations:
        raise PermissionDenied
    form = ImportForm(
        _posted(request), request.FILES if request.method == "POST" else None, organisations=organisations
    )
    outcome = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            uploaded = form.cleaned_data["file"]
            outcome = actions.import_facilities(
                request.user,
                form.cleaned_data["organisation"],
                uploaded.read(),
                file_name=uploaded.name or "upload",
                file_format=form.cleaned_data["file_format"] or None,
                dry_run=form.cleaned_data["dry_run"],
            )
            if outcome.ok and not outcome.dry_run:
                messages.success(
                    request,
                    _("Imported: %(created)s new facilities, %(updated)s changed, %(unchanged)s unchanged.")
                    % {
                        "created": len(outcome.created),
                        "updated": len(outcome.updated),
                        "unchanged": len(outcome.unchanged),
                    },
                )
                return redirect("facilities:list")
            status = 200 if outcome.ok else 400
        else:
            status = 400
    return render(
        request,
        "facilities/import.html",
        {"form": form, "outcome": outcome, "columns": COLUMNS, "required": REQUIRED},
        status=status,
    )


@viewer_required
@require_POST
def proximity_check(request: HttpRequest) -> HttpResponse:
    if request_check():
        messages.success(
            request, _("The check of incidents near facilities is queued; it runs in the background.")
        )
    else:
        messages.info(request, _("A check of incidents near facilities is already waiting to run."))
    return redirect("facilities:list")


# Parties ---------------------------------------------------------------------------------------------------


@viewer_required
def party_list(request: HttpRequest) -> HttpResponse:
    parties = Party.objects.annotate(notified=Count("recipients"))
    return render(
        request,
        "facilities/party_list.html",
        {"parties": parties, "can_document": access.may_document(request.user)},
    )


@viewer_required
def party_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not access.may_document(request.user):
        raise PermissionDenied
    party = get_object_or_404(Party, pk=pk) if pk is not None else None
    form = PartyForm(_posted(request), instance=party)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in ("name", "kind", "contact", "notes")}
        actions.save_party(request.user, values, Party.objects.get(pk=party.pk) if party else None)
        messages.success(request, _("The party is saved."))
        return redirect("facilities:parties")
    return render(
        request,
        "facilities/party_form.html",
        {"form": form, "party": party},
        status=400 if form.errors else 200,
    )


# Notifications ---------------------------------------------------------------------------------------------


@viewer_required
def notification_list(request: HttpRequest) -> HttpResponse:
    organisations = access.viewing_organisations(request.user)
    notifications = (
        Notification.objects.filter(organisation__in=organisations)
        .select_related("organisation")
        .annotate(
            facility_count=Count("facilities", distinct=True),
            party_count=Count("recipients", distinct=True),
            acknowledged_count=Count(
                "recipients", filter=Q(recipients__acknowledged_at__isnull=False), distinct=True
            ),
        )
        .order_by("-created_at", "-pk")
    )
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "facilities/notification_list.html",
        {"page": page, "notifications": list(page), "can_document": access.may_document(request.user)},
    )


@viewer_required
def notification_new(request: HttpRequest) -> HttpResponse:
    organisations = access.registering_organisations(request.user)
    if not organisations:
        raise PermissionDenied
    countries = sorted(set(Facility.objects.values_list("country_iso3", flat=True).distinct()))
    country = str(request.GET.get("country", "")).upper()[:3]
    facilities = Facility.objects.order_by("country_iso3", "name", "pk")
    if country in countries:
        facilities = facilities.filter(country_iso3=country)
    initial: dict[str, Any] = {"language": get_language() or "en"}
    chosen = request.GET.get("facility")
    if chosen and str(chosen).isdigit():
        initial["facilities"] = [int(chosen)]
    form = NotificationForm(
        _posted(request),
        organisations=organisations,
        facilities=facilities if request.method != "POST" else Facility.objects.all(),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        notification = actions.create_notification(
            request.user,
            data["organisation"],
            facilities=list(data["facilities"]),
            parties=list(data["parties"]),
            language=data["language"],
            sent_at=data["sent_at"],
            method=data["method"],
            notes=data["notes"],
        )
        messages.success(
            request, _("Notification %(number)s is made, with its package.") % {"number": notification.number}
        )
        return redirect("facilities:notification", pk=notification.pk)
    return render(
        request,
        "facilities/notification_form.html",
        {
            "form": form,
            "countries": countries,
            "country": country if country in countries else "",
            "has_parties": Party.objects.exists(),
        },
        status=400 if form.errors else 200,
    )


def _notification_context(request: HttpRequest, notification: Notification) -> dict[str, Any]:
    can_change = access.may_document(request.user, notification.organisation)
    return {
        "notification": notification,
        "facilities": list(notification.facilities.order_by("country_iso3", "name", "pk")),
        "recipients": list(notification.recipients.select_related("party", "recorded_by")),
        "files": list(packages.file_names(notification).values()),
        "zip_name": packages.zip_name(notification),
        "can_change": can_change,
    }


@login_required_here
def notification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notification = access.notification_for(request.user, pk)
    context = _notification_context(request, notification)
    context["sent_form"] = SentForm()
    context["acknowledge_form"] = AcknowledgeForm(notification=notification)
    return render(request, "facilities/notification_detail.html", context)


@login_required_here
def notification_package(request: HttpRequest, pk: int) -> HttpResponse:
    notification = access.notification_for(request.user, pk)
    actions.record_package_download(request.user, notification)
    response = HttpResponse(bytes(notification.package), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{packages.zip_name(notification)}"'
    response["X-Content-SHA256"] = notification.package_sha256
    return response


@login_required_here
@require_POST
def notification_sent(request: HttpRequest, pk: int) -> HttpResponse:
    notification = access.notification_for(request.user, pk, change=True)
    form = SentForm(request.POST)
    if form.is_valid():
        try:
            actions.mark_sent(request.user, notification, **form.cleaned_data)
        except actions.AlreadySent:
            messages.error(request, _("This notification was already marked as sent."))
        else:
            messages.success(request, _("The notification is marked as sent."))
        return redirect("facilities:notification", pk=notification.pk)
    context = _notification_context(request, notification)
    context["sent_form"] = form
    context["acknowledge_form"] = AcknowledgeForm(notification=notification)
    return render(request, "facilities/notification_detail.html", context, status=400)


@login_required_here
@require_POST
def notification_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    notification = access.notification_for(request.user, pk, change=True)
    form = AcknowledgeForm(request.POST, notification=notification)
    if form.is_valid():
        data = form.cleaned_data
        actions.acknowledge(
            request.user,
            data["recipient"],
            acknowledged_at=data["acknowledged_at"],
            acknowledged_by=data["acknowledged_by"],
            note=data["note"],
        )
        messages.success(
            request,
            _("The acknowledgement by %(party)s is recorded.") % {"party": data["recipient"].party.name},
        )
        return redirect("facilities:notification", pk=notification.pk)
    context = _notification_context(request, notification)
    context["sent_form"] = SentForm()
    context["acknowledge_form"] = form
    return render(request, "facilities/notification_detail.html", context, status=400)
