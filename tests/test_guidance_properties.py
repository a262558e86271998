"""Property tests (hypothesis) over every combination of answers, on the fixture rules and the real rules.

For any answers: the plan has at least one step, no two of its steps exclude each other, and every legal or
professional claim in it has a source with a url or a citation. The real rules are tested once
guidance/rules/framework.yaml exists.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guidance import RuleSet, load, plan
from guidance.loader import RULES_DIR
from tests.guidance_helpers import REAL_RULES_ABSENT_REASON, REAL_RULES_PRESENT, VALID

RULE_SETS = [
    pytest.param(VALID, id="fixture"),
    pytest.param(
        RULES_DIR,
        id="real",
        marks=pytest.mark.skipif(not REAL_RULES_PRESENT, reason=REAL_RULES_ABSENT_REASON),
    ),
]


@functools.cache
def rules_at(path: Path) -> RuleSet:
    return load(path)


@st.composite
def answers_for(draw: st.DrawFn, rules: RuleSet) -> dict[str, str | list[str]]:
    """Any answers: each fact left out or answered (a multi fact with any number of its codes)."""
    answers: dict[str, str | list[str]] = {}
    for fact in rules.framework.facts:
        if not draw(st.booleans()):
            continue
        if fact.multi:
            answers[fact.name] = draw(st.lists(st.sampled_from(fact.codes), unique=True))
        else:
            answers[fact.name] = draw(st.sampled_from(fact.codes))
    return answers


PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.parametrize("path", RULE_SETS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_every_plan_is_sound(path: Path, data: st.DataObject) -> None:
    rules = rules_at(path)
    answers = data.draw(answers_for(rules))
    result = plan(answers, rules)

    assert result.steps, f"no steps for {answers}"
    for index, step in enumerate(result.steps):
        for other in result.steps[index + 1 :]:
            assert not step.conflicts_with(other), (
                f"{step.id} and {other.id} exclude each other for {answers}"
            )
    # Sorted, each step applies, each dropped step conflicts with a kept one.
    assert [step.sort_key for step in result.steps] == sorted(step.sort_key for step in result.steps)
    for step in result.steps:
        assert step.applies(result.answers)
    for dropped, kept in result.dropped:
        assert kept in result.steps and dropped.conflicts_with(kept)
    # Every claim has a source that can be looked up.
    for step in result.steps:
        for basis in step.basis:
            source = rules.source(basis.source)
            assert source.url or source.citation, f"{step.id}: source {source.id} has no url or citation"
    for partner in result.partners:
        assert partner.contact, f"partner {partner.id} has no contact"
    # One boundary per answered kind.
    assert {boundary.kind for boundary in result.boundaries} == set(result.answers.get("kind", ()))


@pytest.mark.parametrize("path", RULE_SETS)
def test_every_claim_and_partner_in_the_rule_set_is_sourced(path: Path) -> None:
    rules = rules_at(path)
    for step in rules.steps:
        assert step.basis, f"step {step.id} has no basis"
        for basis in step.basis:
            source = rules.source(basis.source)
            assert source.url or source.citation
            assert basis.claim.nl and basis.claim.en
    for partner in rules.partners:
        assert partner.contact
    kinds = rules.framework.fact_map["kind"].codes
    assert sorted(rules.boundary_map) == sorted(kinds)


@pytest.mark.parametrize("path", RULE_SETS)
def test_the_empty_answer_has_a_plan(path: Path) -> None:
    assert plan({}, rules_at(path)).steps
