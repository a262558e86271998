"""Template filters for the action framework: texts in the page's language and labels for codes."""

from __future__ import annotations

from django import template
from django.utils import translation

from guidance import labels
from guidance.ruleset import RuleSet, Text

register = template.Library()


@register.filter
def text(value: Text | None) -> str:
    """A rule-file text in the language of the page: {{ step.title|text }}."""
    if value is None:
        return ""
    return value.get(translation.get_language() or "nl")


@register.filter
def overlay_name(rules: RuleSet) -> str:
    """{{ rules|overlay_name }}: "General practitioner (huisarts), version 3" in the page's language."""
    return labels.overlay_name(rules)


@register.filter
def urgency_label(urgency: str) -> str:
    return labels.urgency_label(urgency)


@register.simple_tag
def code_label(fact: str, code: str) -> str:
    """{% code_label "kind" "doxing" %} -> "Doxing (publishing personal details)" in the page's language."""
    return labels.code_label(fact, code)


@register.simple_tag
def fact_question(fact: str) -> str:
    return labels.fact_question(fact)


@register.filter
def get_item(mapping: object, key: str) -> object:
    """{{ rules.source_map|get_item:basis.source }}: a mapping's value by key (None when missing)."""
    getter = getattr(mapping, "get", None)
    return getter(key) if getter is not None else None
