"""Which organisation receives a report, by profession and sector (see RoutingRule for the order)."""

from __future__ import annotations

from accounts.models import Organisation
from meldpunt.models import RoutingRule


def _specificity(rule: RoutingRule) -> int:
    return (2 if rule.profession else 0) + (1 if rule.sector else 0)


def receiving_organisation(profession: str, sector: str) -> Organisation | None:
    """The organisation that receives a report of this profession and sector, or None when none does."""
    rules = [
        rule
        for rule in RoutingRule.objects.select_related("organisation")
        if rule.profession in ("", profession) and rule.sector in ("", sector)
    ]
    if not rules:
        return None
    best = min(rules, key=lambda rule: (-_specificity(rule), rule.priority, rule.pk))
    return best.organisation


def can_receive_reports() -> bool:
    """False when no organisation receives reports at all: the form says so instead of taking a report."""
    return RoutingRule.objects.exists()
