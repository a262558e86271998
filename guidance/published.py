"""The rule set a health-care worker gets: the rule files plus the published overlay of their profession.

Views, the PDF and the API call `rules_for(profession)` or `plan_for(answers)`; they never read overlays
themselves.

Each call asks the database for the current version of the profession's overlay (one small query), so a
version published by another process counts at once; the generic rules with that version applied are kept
in memory per version, since a published version never changes.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime

from guidance.engine import Answers, Plan, default_rules, plan
from guidance.models import OverlayVersion
from guidance.overlay_content import apply_overlay
from guidance.ruleset import RuleSet

# (version pk, published at) -> (the generic rules it was applied to, the result). The time is part of the
# key because a test database can hand out the same pk again after a rollback.
_applied: dict[tuple[int, datetime], tuple[RuleSet, RuleSet]] = {}
_applied_lock = threading.Lock()
_MAX_APPLIED = 256


def rules_for(profession: str | None) -> RuleSet:
    """The generic rules with the published overlay of `profession` applied (the generic rules without one)."""
    generic = default_rules()
    if not profession:
        return generic
    current = (
        OverlayVersion.objects.filter(overlay__profession=profession)
        .order_by("-number")
        .values_list("pk", "published_at", "number")
        .first()
    )
    if current is None:
        return generic
    pk, published_at, number = current
    cached = _applied.get((pk, published_at))
    if cached is not None and cached[0] is generic:
        return cached[1]
    content = OverlayVersion.objects.values_list("content", flat=True).get(pk=pk)
    applied = dataclasses.replace(
        apply_overlay(generic, profession, content, f"{profession}, version {number}"), overlay_version=number
    )
    with _applied_lock:
        if len(_applied) >= _MAX_APPLIED:
            _applied.clear()
        _applied[(pk, published_at)] = (generic, applied)
    return applied


def plan_for(answers: Answers) -> Plan:
    """The plan for `answers`, under the rules for the profession they name."""
    profession = answers.get("profession")
    return plan(answers, rules_for(profession if isinstance(profession, str) and profession else None))
