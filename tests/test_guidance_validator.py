"""The rule-file validator: every kind of problem with its file and line, and the clean fixture set passing."""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from guidance import Problem, RuleSetError, load, validate
from tests.guidance_helpers import (
    BROKEN_CASES,
    REAL_RULES_ABSENT_REASON,
    REAL_RULES_PRESENT,
    VALID,
    broken_rules,
    expected_problems,
)


def test_the_valid_fixture_set_has_no_problems() -> None:
    assert validate(VALID) == []
    rules = load(VALID)
    assert rules.version == "test.1"
    assert {step.id for step in rules.steps} >= {"call_112", "document", "aftercare"}


def test_every_broken_case_marks_its_problems() -> None:
    # The cases cover: YAML syntax, unknown and missing keys, types, urgency values, missing translations,
    # duplicate ids and keys, unknown sources/partners/steps/facts/codes, partners without contact, missing
    # boundaries, and facts that disagree with meldpunt.vocabulary.
    assert set(BROKEN_CASES) >= {"syntax", "steps", "sources", "partners", "boundaries", "framework_vocab"}
    for case in BROKEN_CASES:
        assert expected_problems(case), f"broken case {case} marks no `# expect:` line"


@pytest.mark.parametrize("case", BROKEN_CASES)
def test_broken_case_reports_exactly_the_marked_problems(case: str, tmp_path: Path) -> None:
    problems = validate(broken_rules(case, tmp_path))
    expected = expected_problems(case)
    unmatched = list(problems)
    missing = []
    for file, line, part in expected:
        match = next((p for p in unmatched if p.file == file and p.line == line and part in p.message), None)
        if match is None:
            missing.append(f"{file}:{line}: ...{part}...")
        else:
            unmatched.remove(match)
    assert not missing, (
        "not reported:\n" + "\n".join(missing) + "\nreported:\n" + "\n".join(map(str, problems))
    )
    assert not unmatched, "reported but not expected:\n" + "\n".join(map(str, unmatched))


def test_load_raises_with_the_problems(tmp_path: Path) -> None:
    with pytest.raises(RuleSetError) as raised:
        load(broken_rules("sources", tmp_path))
    assert (
        Problem("sources.yaml", 10, "source 'no_where': needs a url or a citation") in raised.value.problems
    )
    assert "sources.yaml:10: source 'no_where'" in str(raised.value)


@pytest.mark.parametrize("name", ["framework.yaml", "sources.yaml", "partners.yaml", "boundaries.yaml"])
def test_a_missing_file_is_reported(name: str, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(VALID, rules)
    (rules / name).unlink()
    assert Problem(name, 1, "file is missing") in validate(rules)


def test_no_step_files(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(VALID, rules)
    shutil.rmtree(rules / "steps")
    assert Problem("steps", 1, "no step files (steps/*.yaml)") in validate(rules)


def test_empty_file_and_not_utf8(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(VALID, rules)
    (rules / "sources.yaml").write_text("# nothing yet\n", encoding="utf-8")
    (rules / "steps" / "latin1.yaml").write_bytes("- id: caf\xe9\n".encode("latin-1"))
    problems = validate(rules)
    assert Problem("sources.yaml", 1, "file is empty") in problems
    assert any(p.file == "steps/latin1.yaml" and p.message.startswith("not UTF-8") for p in problems)


def test_yes_and_no_stay_strings(tmp_path: Path) -> None:
    # YAML 1.1 would read `yes`/`no` as booleans; in_care is answered with the codes "yes" and "no".
    rules = load(VALID)
    assert rules.framework.fact_map["in_care"].codes == ("yes", "no", "unknown")


def test_problems_sort_by_file_and_line() -> None:
    problems = [Problem("b.yaml", 2, "x"), Problem("a.yaml", 9, "y"), Problem("a.yaml", 3, "z")]
    assert [str(p) for p in sorted(problems)] == ["a.yaml:3: z", "a.yaml:9: y", "b.yaml:2: x"]


# --- the command ---


def test_check_command_on_a_clean_set() -> None:
    out = StringIO()
    call_command("guidance", "check", "--rules", str(VALID), stdout=out)
    assert (
        "Rule set test.1 (released 2026-11-01) is valid: 9 steps in 3 file(s), 2 sources, 2 partners and "
        in (out.getvalue())
    )
    assert "11 boundaries checked." in out.getvalue()


def test_check_command_lists_problems_by_file_and_line(tmp_path: Path) -> None:
    rules = broken_rules("partners", tmp_path)
    out = StringIO()
    with pytest.raises(CommandError, match=r"5 problem\(s\) in 1 file\(s\)"):
        call_command("guidance", "check", "--rules", str(rules), stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 5
    assert any(
        line.endswith("partners.yaml:14: partner 'silent' has no contact (a phone, url or email)")
        for line in lines
    )


def test_check_command_exit_codes(tmp_path: Path) -> None:
    from zorgveilig.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["guidance", "check", "--rules", str(broken_rules("syntax", tmp_path))])
    assert exited.value.code == 1
    assert main(["guidance", "check", "--rules", str(VALID)]) == 0


def test_check_command_without_a_rules_directory(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no rules directory"):
        call_command("guidance", "check", "--rules", str(tmp_path / "absent"))


@pytest.mark.skipif(not REAL_RULES_PRESENT, reason=REAL_RULES_ABSENT_REASON)
@pytest.mark.django_db
def test_check_command_passes_on_the_real_rules() -> None:
    out = StringIO()
    call_command("guidance", "check", stdout=out)
    assert " is valid: " in out.getvalue()
