"""Numbers as the dashboards show them: grouped by thousands and with the decimal mark of the page's
language (1.634 and 12,5% in Dutch; 1,634 and 12.5% in English), whatever USE_THOUSAND_SEPARATOR says."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def number(value: Any, decimals: int | None = None) -> str:
    """A count or a figure with thousands grouped; an empty string for a missing value."""
    if value is None or value == "":
        return ""
    return formats.number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


@register.filter
def percent(value: Any) -> str:
    """A share in %, with one decimal."""
    if value is None or value == "":
        return ""
    return f"{formats.number_format(value, decimal_pos=1, use_l10n=True, force_grouping=True)}%"


@register.filter
def change(value: Any) -> str:
    """A change in %, signed (+12.5%, a minus sign before a fall); a dash when there is nothing to compare with."""
    if value is None or value == "":
        return "\u2013"
    sign = "+" if value > 0 else ("\u2212" if value < 0 else "±")
    return f"{sign}{formats.number_format(abs(value), decimal_pos=1, use_l10n=True, force_grouping=True)}%"
