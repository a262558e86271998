"""The incident pages for analysts: the list of canonical incidents and one incident with its sources.

Incidents are global data, like the datasets they come from: every page needs Permission.ANALYSE_DATA in any
organisation (403 without it) and unknown numbers are a 404. Splitting and merging are posted to
linkage.views (they record the reviewer's decisions), which re-renders the incident page through
`incident_page` when the change is refused.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.permissions import permission_required
from accounts.roles import Permission
from registry.forms import IncidentFilterForm, MergeForm, SplitForm
from registry.incidents import FIGURES, source_rank
from registry.models import Incident, IncidentLink
from sources.models import Record, Source
from sources.views import PAGE_SIZE as RECORDS_PAGE_SIZE

ANALYSE = Permission.ANALYSE_DATA
PAGE_SIZE = 50
NOTHING = "\u2013"


def value_text(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return NOTHING
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, float):
        return f"{value:.5f}".rstrip("0").rstrip(".")
    return str(value)


def source_names(slugs: Any = None) -> dict[str, str]:
    sources = Source.objects.all() if slugs is None else Source.objects.filter(slug__in=list(slugs))
    return dict(sources.values_list("slug", "name"))


def _label(model: Any, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


# The list ---------------------------------------------------------------------------------------------------


@permission_required(ANALYSE)
def incident_list(request: HttpRequest) -> HttpResponse:
    names = source_names()
    known = sorted(set(IncidentLink.objects.values_list("source", flat=True).distinct()), key=source_rank)
    form = IncidentFilterForm(request.GET or None, sources=[(slug, names.get(slug, slug)) for slug in known])
    incidents = form.filter(Incident.objects.order_by("-event_date", "pk"))
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "registry/incident_list.html",
        {"form": form, "page": page, "incidents": list(page), "names": names},
        status=400 if form.errors else 200,
    )


# One incident -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    source: str


@dataclass(frozen=True)
class FigureRow:
    label: str
    value: str
    source: str
    by_source: list[str]


@dataclass(frozen=True)
class LinkRow:
    link: IncidentLink
    source_name: str
    source_id: str
    record_url: str
    record_label: str


def _facts(incident: Incident, names: dict[str, str]) -> list[Fact]:
    def named(slug: str) -> str:
        return names.get(slug, slug) if slug else NOTHING

    every = _("every source (together)")
    place = named(incident.place_from)
    ranked = sorted(incident.sources or [], key=lambda slug: (source_rank(slug), slug))
    coordinates = (
        f"{value_text(incident.latitude)}, {value_text(incident.longitude)}"
        if incident.latitude is not None
        else NOTHING
    )
    facts = [
        (_label(Incident, "event_date"), value_text(incident.event_date), named(incident.date_from)),
        (_label(Incident, "date_precision"), value_text(incident.date_precision), named(incident.date_from)),
        # Every record of an incident has a country; the highest-ranked source's is used.
        (
            _label(Incident, "country_iso3"),
            value_text(incident.country_iso3),
            named(ranked[0] if ranked else ""),
        ),
        (_label(Incident, "admin1"), value_text(incident.admin1), place),
        (_("coordinates"), coordinates, place),
        (_label(Incident, "geo_precision"), value_text(incident.geo_precision), place),
        (_label(Incident, "attack_families"), value_text(incident.attack_families), every),
        (_label(Incident, "who_ssa_types"), value_text(incident.who_ssa_types), every),
        (_label(Incident, "resources"), value_text(incident.resources), every),
        (
            _label(Incident, "perpetrator_category"),
            value_text(incident.perpetrator_category),
            named(incident.perpetrator_from),
        ),
        (_label(Incident, "certainty"), value_text(incident.certainty), _("the most certain source")),
        (_label(Incident, "description"), value_text(incident.description), named(incident.description_from)),
    ]
    # A fact no source gives was taken from none.
    return [Fact(label, value, source if value != NOTHING else NOTHING) for label, value, source in facts]


def _figures(incident: Incident, sources: list[str], names: dict[str, str]) -> list[FigureRow]:
    rows = []
    for name in FIGURES:
        figure = (incident.figures or {}).get(name)
        if not isinstance(figure, dict):
            continue
        given = figure.get("by_source") or {}
        rows.append(
            FigureRow(
                label=_label(Record, name),
                value=value_text(figure.get("value")),
                source=names.get(str(figure.get("source", "")), str(figure.get("source", ""))),
                by_source=[value_text(given.get(slug)) for slug in sources],
            )
        )
    return rows


def split_key(key: str) -> tuple[str, str, str]:
    """(source, identifier, occurrence) of a record key (linkage.frame.record_key)."""
    source, _sep, rest = key.partition(":")
    identifier, _hash, occurrence = rest.rpartition("#")
    return source, identifier, occurrence


def record_location(record: Record) -> tuple[str, str]:
    """The records page of the record's release that shows it, and a label for the link."""
    before = Record.objects.filter(release_id=record.release_id, row_number__lt=record.row_number).count()
    url = reverse("sources:release_records", kwargs={"pk": record.release_id})
    page = before // RECORDS_PAGE_SIZE + 1
    if page > 1:
        url += "?" + urlencode({"page": page})
    label = _("release %(release)s, row %(row)s") % {"release": record.release_id, "row": record.row_number}
    return url, label


def _link_rows(incident: Incident, names: dict[str, str]) -> list[LinkRow]:
    links = incident.links.select_related("record").order_by("source", "record_key")
    rows = []
    for link in sorted(links, key=lambda link: (source_rank(link.source), link.record_key)):
        url, label = record_location(link.record) if link.record is not None else ("", "")
        rows.append(
            LinkRow(link, names.get(link.source, link.source), split_key(link.record_key)[1], url, label)
        )
    return rows


def incident_page(
    request: HttpRequest,
    incident: Incident,
    *,
    split_form: SplitForm | None = None,
    merge_form: MergeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    names = source_names()
    sources = sorted(incident.sources or [], key=lambda slug: (source_rank(slug), slug))
    links = _link_rows(incident, names)
    context = {
        "incident": incident,
        "facts": _facts(incident, names),
        "figure_sources": [names.get(slug, slug) for slug in sources],
        "figures": _figures(incident, sources, names),
        "links": links,
        "active": incident.status == Incident.Status.ACTIVE,
        "can_split": incident.status == Incident.Status.ACTIVE and len(links) > 1,
        "split_form": split_form or SplitForm(incident=incident),
        "merge_form": merge_form or MergeForm(incident=incident),
    }
    return render(request, "registry/incident_detail.html", context, status=status)


def incident_or_404(pk: int) -> Incident:
    return get_object_or_404(Incident.objects.select_related("merged_into"), pk=pk)


@permission_required(ANALYSE)
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return incident_page(request, incident_or_404(pk))
