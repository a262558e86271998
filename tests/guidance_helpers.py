"""Shared by the guidance tests: the fixture rule sets and the real rules' location."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from guidance.loader import RULES_DIR

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "guidance"
VALID = FIXTURES / "valid"
BROKEN = FIXTURES / "broken"
BROKEN_CASES = sorted(path.name for path in BROKEN.iterdir() if path.is_dir())

REAL_RULES_PRESENT = (RULES_DIR / "framework.yaml").is_file()
REAL_RULES_ABSENT_REASON = (
    f"the real rule files are not there yet ({RULES_DIR / 'framework.yaml'} is missing)"
)

_EXPECT = re.compile(r"#\s*expect:\s*")


def broken_rules(case: str, target: Path) -> Path:
    """A copy of the valid fixture set under `target` with the files of broken case `case` laid over it."""
    rules = target / case
    shutil.copytree(VALID, rules)
    shutil.copytree(BROKEN / case, rules, dirs_exist_ok=True)
    return rules


def expected_problems(case: str) -> list[tuple[str, int, str]]:
    """(file, line, part of the message) for every `# expect:` comment in the files of a broken case."""
    expected = []
    # Problems that no file line can carry (such as "steps:1: ...") are listed in expected.txt.
    listing = BROKEN / case / "expected.txt"
    if listing.is_file():
        for entry in listing.read_text(encoding="utf-8").splitlines():
            file, line, part = entry.split(":", 2)
            expected.append((file, int(line), part.strip()))
    for path in sorted((BROKEN / case).rglob("*")):
        if not path.is_file() or path == listing:
            continue
        relative = path.relative_to(BROKEN / case).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for part in _EXPECT.split(line)[1:]:
                expected.append((relative, number, part.strip()))
    return expected
