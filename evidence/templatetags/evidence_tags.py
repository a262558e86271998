"""Template tags for evidence: what `evidence/attach.html` needs to show and upload evidence for a target."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from accounts.models import Organisation
from evidence import access, actions
from evidence.forms import ACCEPT, target_token
from evidence.models import How, Kind

register = template.Library()


@register.simple_tag(takes_context=True)
def evidence_may_add(context: template.Context) -> bool:
    request = context.get("request")
    return request is not None and access.may_add(request.user)


@register.simple_tag(takes_context=True)
def evidence_attach(context: template.Context, target: Any) -> dict[str, Any]:
    """Everything the include needs, for the logged-in user and the object the evidence documents."""
    request = context.get("request")
    user = getattr(request, "user", None)
    organisation = getattr(target, "organisation", None)
    if not isinstance(organisation, Organisation):
        choices = access.organisations_to_add(user)
        organisation = choices[0] if choices else None
    can_view = organisation is not None and access.may_view(user, organisation)
    can_add = organisation is not None and access.may_add(user, organisation)
    return {
        "token": target_token(target),
        "organisation": organisation,
        "can_view": can_view,
        "can_add": can_add,
        "items": list(actions.items_for(target).filter(organisation=organisation)) if can_view else [],
        "kinds": Kind.choices,
        "hows": How.choices,
        "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "accept": ACCEPT,
        "collected_by": (user.get_full_name() or user.get_username()) if user is not None else "",
        "next": request.get_full_path() if request is not None else "",
    }
