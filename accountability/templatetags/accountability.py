"""`{% incident_investigations incident as panel %}`: what accountability/incident_panel.html shows."""

from __future__ import annotations

from typing import Any

from django import template

from registry.models import Incident

register = template.Library()


@register.simple_tag(takes_context=True)
def incident_investigations(context: template.Context, incident: Incident) -> dict[str, Any]:
    from accountability.views import incident_panel_context

    request = context.get("request")
    user = getattr(request, "user", None)
    return incident_panel_context(user, incident)
