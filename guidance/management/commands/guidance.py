"""`zorgveilig guidance check [--rules DIR]`: validate the action-framework rule files.

Prints `file:line: message` for every problem and exits 1 when there is any; otherwise says what was checked.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guidance.loader import RULES_DIR, load, validate


def _shown(path: Path) -> str:
    """The path as the user can click it: relative to the working directory when below it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


class Command(BaseCommand):
    help = "Work with the action-framework (handelingskader) rule files. `check` validates them."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        check = actions.add_parser("check", help="validate the rule files; exit 1 on any problem")
        check.add_argument(
            "--rules",
            type=Path,
            default=RULES_DIR,
            metavar="DIR",
            help=f"rules directory (default {RULES_DIR})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "check":
            self.check_rules(options["rules"])

    def check_rules(self, rules_dir: Path) -> None:
        if not rules_dir.is_dir():
            raise CommandError(f"no rules directory at {_shown(rules_dir)}")
        problems = validate(rules_dir)
        for problem in problems:
            self.stdout.write(f"{_shown(rules_dir / problem.file)}:{problem.line}: {problem.message}")
        if problems:
            files = len({problem.file for problem in problems})
            raise CommandError(f"{len(problems)} problem(s) in {files} file(s) under {_shown(rules_dir)}")
        rules = load(rules_dir)
        themes = len({step.theme for step in rules.steps})
        self.stdout.write(
            f"Rule set {rules.version} (released {rules.framework.released.isoformat()}) is valid: "
            f"{len(rules.steps)} steps in {themes} file(s), {len(rules.sources)} sources, "
            f"{len(rules.partners)} partners and {len(rules.boundaries)} boundaries checked."
        )
