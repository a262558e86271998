"""`zorgveilig guidance check [--rules DIR] [--overlay FILE.yaml ...]`: validate the action framework.

Checks the rule files, then the profession overlays: every overlay's draft and current published version in
the database, or, with --overlay, the given YAML files (the editor's export). Prints one line per problem
and exits 1 when there is any:

    guidance/rules/steps/police.yaml:12: step 'x': urgency 'soon' is not one of now, today, this_week
    overlay huisarts (draft), change 3, export line 41: added step 'y': unknown source 'z'
    huisarts.yaml:41: added step 'y': unknown source 'z'

Overlays in the database were made against the installed rules, so they are checked only with those (not
with --rules pointing elsewhere). A database without tables yet (before `zorgveilig migrate`) has no
overlays: the command says so and checks the rule files alone.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection

from guidance.loader import RULES_DIR, load, validate
from guidance.models import Overlay, OverlayVersion
from guidance.overlay_content import CheckedOverlay, check_changes, check_file
from guidance.ruleset import RuleSet


def _shown(path: Path) -> str:
    """The path as the user can click it: relative to the working directory when below it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


class Command(BaseCommand):
    help = (
        "Work with the action-framework (handelingskader) rule files. `check` validates them and the "
        "profession overlays."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        check = actions.add_parser(
            "check", help="validate the rule files and the profession overlays; exit 1 on any problem"
        )
        check.add_argument(
            "--rules",
            type=Path,
            default=RULES_DIR,
            metavar="DIR",
            help=f"rules directory (default {RULES_DIR}); another one is checked without the database's overlays",
        )
        check.add_argument(
            "--overlay",
            type=Path,
            action="append",
            default=[],
            metavar="FILE",
            help="check this overlay file (YAML, as the editor exports it) instead of the database's overlays; "
            "may be given more than once",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "check":
            rules = self.check_rules(options["rules"])
            if options["overlay"]:
                self.check_overlay_files(options["overlay"], rules)
            elif options["rules"].resolve() == RULES_DIR.resolve():
                self.check_stored_overlays(rules)

    def check_rules(self, rules_dir: Path) -> RuleSet:
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
        return rules

    def check_overlay_files(self, paths: list[Path], rules: RuleSet) -> None:
        total = 0
        for path in paths:
            if not path.is_file():
                raise CommandError(f"no overlay file at {_shown(path)}")
            checked = check_file(path, rules)
            for problem in checked.problems:
                self.stdout.write(f"{_shown(path)}:{problem.line}: {problem.message}")
            total += len(checked.problems)
        if total:
            raise CommandError(f"{total} problem(s) in {len(paths)} overlay file(s)")
        self.stdout.write(
            f"{len(paths)} overlay file(s) checked against rule set {rules.version}: no problems."
        )

    def check_stored_overlays(self, rules: RuleSet) -> None:
        try:
            tables = set(connection.introspection.table_names())
        except DatabaseError as error:
            raise CommandError(
                f"could not open the database to check the profession overlays: {error}"
            ) from None
        if Overlay._meta.db_table not in tables or OverlayVersion._meta.db_table not in tables:
            self.stdout.write(
                "The database has no tables for profession overlays yet (run `zorgveilig migrate`): "
                "only the rule files were checked."
            )
            return
        total = 0
        count = 0
        for overlay in Overlay.objects.order_by("profession"):
            count += 1
            drafts = [change.content for change in overlay.draft_changes.all()]
            total += self.report(
                f"overlay {overlay.profession} (draft)", check_changes(drafts, overlay.profession, rules)
            )
            current = overlay.versions.order_by("-number").first()
            if current is not None:
                where = f"overlay {overlay.profession} (version {current.number})"
                total += self.report(where, check_changes(current.content, overlay.profession, rules))
        if total:
            raise CommandError(f"{total} problem(s) in the profession overlays")
        self.stdout.write(
            f"{count} profession overlay(s) checked (drafts and current versions): no problems."
        )

    def report(self, where: str, checked: CheckedOverlay) -> int:
        for problem in checked.problems:
            change = f", change {problem.change}" if problem.change else ""
            self.stdout.write(f"{where}{change}, export line {problem.line}: {problem.message}")
        return len(checked.problems)
