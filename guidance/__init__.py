"""The action framework (handelingskader): rule files as data, their validator, and the engine.

    from guidance import plan, validate
    plan({"kind": ["verbal_threat"], "channel": "phone", "perpetrator": "patient"})  # -> Plan
    validate(Path("guidance/rules"))                                                   # -> list[Problem]

The generic rules are the YAML files under guidance/rules/ (see guidance/loader.py for the format); the
loader and the engine are pure Python. Profession overlays live in the database (guidance/models.py,
guidance/overlays.py); guidance.published.rules_for(profession) applies the published one.
"""

from __future__ import annotations

from guidance.engine import Plan, default_rules, plan
from guidance.loader import RULES_DIR, Problem, RuleSetError, load, validate
from guidance.ruleset import (
    URGENCIES,
    Basis,
    Boundary,
    Condition,
    Contact,
    Fact,
    Framework,
    HiddenStep,
    Partner,
    RuleSet,
    Source,
    Step,
    Text,
)

__all__ = [
    "RULES_DIR",
    "URGENCIES",
    "Basis",
    "Boundary",
    "Condition",
    "Contact",
    "Fact",
    "Framework",
    "HiddenStep",
    "Partner",
    "Plan",
    "Problem",
    "RuleSet",
    "RuleSetError",
    "Source",
    "Step",
    "Text",
    "default_rules",
    "load",
    "plan",
    "validate",
]
