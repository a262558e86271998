"""`{% incident_facilities incident as links %}`: the facilities near an incident, for
facilities/incident_panel.html, which the incident page includes (the registry does not import us)."""

from __future__ import annotations

from typing import Any

from django import template

from facilities.models import FacilityIncident

register = template.Library()


@register.simple_tag
def incident_facilities(incident: Any) -> list[FacilityIncident]:
    """The links of `incident` to facilities, those notified before the attack first, then nearest first."""
    if incident is None or getattr(incident, "pk", None) is None:
        return []
    return list(
        FacilityIncident.objects.filter(incident_id=incident.pk)
        .select_related("facility", "notification")
        .order_by("-notified_before_attack", "distance_m", "pk")
    )
