"""The plan engine on the fixture rules: matching, unless, multi facts, ordering, excludes, answer checks."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

import pytest

from guidance import Text, default_rules, load, plan
from guidance.engine import normalise_answers
from tests.guidance_helpers import REAL_RULES_ABSENT_REASON, REAL_RULES_PRESENT, VALID

RULES = load(VALID)


def ids(answers: Mapping[str, str | list[str]]) -> list[str]:
    return list(plan(answers, RULES).step_ids)


def test_no_answers_gives_the_steps_without_conditions() -> None:
    assert ids({}) == ["document", "aftercare"]


def test_a_when_condition_matches() -> None:
    assert "call_112" in ids({"severity": ["acute_danger"]})
    assert "call_112" not in ids({"severity": ["repeated"]})


def test_every_fact_in_when_must_match() -> None:
    # leave_room: kind physical_violence or intimidation, and in person.
    assert "leave_room" in ids({"kind": ["physical_violence"], "channel": "in_person"})
    assert "leave_room" not in ids({"kind": ["physical_violence"], "channel": "phone"})
    assert "leave_room" not in ids({"kind": ["physical_violence"]})  # an unanswered fact matches nothing
    assert "secrecy" in ids({"perpetrator": "patient", "in_care": "yes"})
    assert "secrecy" not in ids({"perpetrator": "patient", "in_care": "no"})


def test_a_multi_fact_matches_on_any_answer() -> None:
    assert "leave_room" in ids({"kind": ["smear", "intimidation"], "channel": "in_person"})
    assert "leave_room" not in ids({"kind": ["smear", "doxing"], "channel": "in_person"})
    # One code as a string is accepted for a multi fact.
    assert "leave_room" in ids({"kind": "intimidation", "channel": "in_person"})


def test_unless_rules_a_step_out() -> None:
    threat = {"severity": ["threat_of_violence"]}
    assert "employer_files" in ids(threat)
    assert "employer_files" in ids({**threat, "employment": "employed"})
    assert "employer_files" not in ids({**threat, "employment": "self_employed"})


def test_steps_are_ordered_by_urgency_then_order_then_id() -> None:
    result = plan(
        {
            "severity": ["acute_danger"],
            "kind": ["physical_violence"],
            "channel": "in_person",
            "perpetrator": "patient",
            "in_care": "yes",
        },
        RULES,
    )
    assert list(result.step_ids) == [
        "call_112",  # now, 10
        "leave_room",  # now, 20
        "document",  # today, 10 (before file_complaint: same order, smaller id)
        "file_complaint",  # today, 10
        "employer_files",  # today, 30
        "secrecy",  # this_week, 40
        "aftercare",  # this_week, 90
    ]
    assert [urgency for urgency, _steps in result.by_urgency()] == ["now", "today", "this_week"]
    assert [step.id for step in result.by_urgency()[0][1]] == ["call_112", "leave_room"]


def test_excluded_steps_keep_the_more_urgent_or_lower_order_one() -> None:
    result = plan({"kind": ["verbal_threat"], "severity": ["threat_of_violence"]}, RULES)
    assert "file_complaint" in result.step_ids
    assert "report_only" not in result.step_ids
    assert [(dropped.id, kept.id) for dropped, kept in result.dropped] == [("report_only", "file_complaint")]
    # Without the threat of violence the report alone is advised.
    assert "report_only" in ids({"kind": ["verbal_threat"]})


def test_excludes_works_in_either_direction_and_urgency_wins() -> None:
    # report_only made more urgent than file_complaint, and only file_complaint names the exclusion: the
    # more urgent report_only is kept.
    steps = tuple(
        dataclasses.replace(step, urgency="now") if step.id == "report_only" else step for step in RULES.steps
    )
    rules = dataclasses.replace(RULES, steps=steps)
    result = plan({"kind": ["verbal_threat"], "severity": ["threat_of_violence"]}, rules)
    assert "report_only" in result.step_ids
    assert "file_complaint" not in result.step_ids


def test_boundaries_of_the_answered_kinds_in_vocabulary_order() -> None:
    result = plan({"kind": ["smear", "verbal_threat"]}, RULES)
    assert [boundary.kind for boundary in result.boundaries] == ["verbal_threat", "smear"]
    assert plan({}, RULES).boundaries == ()


def test_partners_and_sources_of_a_plan() -> None:
    result = plan({"severity": ["acute_danger"]}, RULES)
    assert [partner.id for partner in result.partners] == ["police", "support"]
    assert {source.id for source in result.sources} == {"law_a", "code_b"}
    assert result.version == "test.1"


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"mood": "angry"}, "unknown fact 'mood'"),
        ({"channel": "fax"}, "unknown code 'fax' for fact 'channel'"),
        ({"kind": ["verbal_threat", "shouting"]}, "unknown code 'shouting' for fact 'kind'"),
        ({"channel": ["phone"]}, "fact 'channel' takes one code, not a list"),
    ],
)
def test_answers_are_checked(answers: dict[str, str | list[str]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan(answers, RULES)


def test_empty_answers_count_as_unanswered() -> None:
    assert normalise_answers({"channel": "", "kind": [], "sector": None}, RULES) == {}
    assert ids({"channel": "", "kind": []}) == ids({})


def test_rules_from_a_path(tmp_path: Path) -> None:
    assert plan({}, VALID).step_ids == plan({}, RULES).step_ids
    assert plan({}, str(VALID)).version == "test.1"


def test_text_by_language() -> None:
    text = Text(nl="Bel 112", en="Call 112")
    assert text.get("nl") == "Bel 112"
    assert text.get("en") == "Call 112"
    assert text.get("en-gb") == "Call 112"
    assert text.get("fr") == "Bel 112"


@pytest.mark.skipif(not REAL_RULES_PRESENT, reason=REAL_RULES_ABSENT_REASON)
def test_the_real_rules_are_read_once() -> None:
    default_rules.cache_clear()
    assert default_rules() is default_rules()
    assert plan({}).version == default_rules().version
