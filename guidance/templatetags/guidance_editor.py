"""Template tags of the overlay editor: changes and their differences in words, and who may edit."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.permissions import has_permission
from accounts.roles import Permission
from guidance.labels import urgency_label
from guidance.overlay_content import ChangeSummary

register = template.Library()

# The keys of a change, as the editor's forms call them.
FIELD_NAMES = {
    "id": gettext_lazy("short name"),
    "urgency": gettext_lazy("urgency"),
    "order": gettext_lazy("order"),
    "title": gettext_lazy("title"),
    "what": gettext_lazy("what to do"),
    "why": gettext_lazy("why"),
    "basis": gettext_lazy("basis and sources"),
    "partners": gettext_lazy("who can help"),
    "when": gettext_lazy("when it applies"),
    "unless": gettext_lazy("when it does not apply"),
    "excludes": gettext_lazy("steps it is never shown with"),
    "step": gettext_lazy("step"),
    "field": gettext_lazy("text"),
    "text": gettext_lazy("new text"),
    "reason": gettext_lazy("reason"),
}


def _language() -> str:
    return translation.get_language() or "nl"


@register.filter
def in_language(value: Any) -> str:
    """A stored text {nl, en} in the page's language: {{ body.reason|in_language }}."""
    if not isinstance(value, dict):
        return ""
    return str(value.get("en" if _language().lower().startswith("en") else "nl", ""))


@register.simple_tag
def describe_change(summary: ChangeSummary) -> str:
    """One sentence saying what a change does: "Hides the step “Call 112” (call_112)"."""
    title = summary.title.get(_language()) if summary.title is not None else summary.step
    values = {"title": title, "step": summary.step, "field": FIELD_NAMES.get(summary.field, summary.field)}
    if summary.kind == "add":
        return _("Adds the step “%(title)s” (%(step)s)") % values
    if summary.kind == "replace":
        return _("Replaces the text “%(field)s” of the step “%(title)s” (%(step)s)") % values
    if summary.kind == "hide":
        return _("Hides the step “%(title)s” (%(step)s)") % values
    return _("A change that cannot be read: remove it")


@register.simple_tag
def field_names(fields: tuple[str, ...]) -> str:
    return ", ".join(str(FIELD_NAMES.get(name, name)) for name in fields)


@register.filter
def urgency_name(code: Any) -> str:
    return urgency_label(str(code))


@register.simple_tag
def can_edit_guidance(user: Any) -> bool:
    """{% can_edit_guidance user as can_edit %}: whether the user may edit any profession overlay."""
    return has_permission(user, Permission.EDIT_GUIDANCE)
