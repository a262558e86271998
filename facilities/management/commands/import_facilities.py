"""`zorgveilig import_facilities FILE --organisation SLUG [--format csv|geojson] [--dry-run] [--user NAME]`.

Imports a CSV or GeoJSON file of facilities all or nothing (docs/facilities.md, "Importing"). Prints a
progress bar on standard error; every problem is printed with its row or feature and column, and then
nothing is stored and the exit status is 1.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from accounts.models import Organisation, User
from facilities.actions import ImportOutcome, import_facilities
from facilities.importers import FileFormat

REDRAW_EVERY_SECONDS = 0.1
MAX_PROBLEMS_PRINTED = 200


class Command(BaseCommand):
    help = "Import a CSV or GeoJSON file of medical facilities for an organisation, all or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE", type=Path, help="a CSV (UTF-8) or GeoJSON file")
        parser.add_argument(
            "--organisation", required=True, metavar="SLUG", help="the organisation that registers them"
        )
        parser.add_argument(
            "--format", choices=FileFormat.ALL, help="the file's format (default: told from its name)"
        )
        parser.add_argument("--dry-run", action="store_true", help="check the file and store nothing")
        parser.add_argument("--user", metavar="NAME", help="the account the audit log names (default: none)")
        parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            known = ", ".join(Organisation.objects.values_list("slug", flat=True)) or "none yet"
            raise CommandError(
                f"--organisation {options['organisation']}: no such organisation (known: {known})"
            )
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"--user {options['user']}: no such account")
        data = path.read_bytes()
        console = Console(file=cast("IO[str]", self.stderr), stderr=True)
        columns = (TextColumn(f"Reading {path.name}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, disable=options["quiet"]) as bar:
            task = bar.add_task("read", total=None)
            last_draw = 0.0

            def progress(done: int, total: int) -> None:
                nonlocal last_draw
                now = time.monotonic()
                if now - last_draw >= REDRAW_EVERY_SECONDS or done >= total:
                    bar.update(task, completed=done, total=total)
                    last_draw = now

            outcome = import_facilities(
                actor,
                organisation,
                data,
                file_name=path.name,
                file_format=options["format"],
                dry_run=options["dry_run"],
                progress=progress,
            )
        if not outcome.ok:
            for problem in outcome.problems[:MAX_PROBLEMS_PRINTED]:
                self.stderr.write(f"{path.name}: {problem}")
            if len(outcome.problems) > MAX_PROBLEMS_PRINTED:
                self.stderr.write(f"... and {len(outcome.problems) - MAX_PROBLEMS_PRINTED} more problems")
            raise CommandError(f"{path}: {len(outcome.problems)} problem(s); nothing was imported.")
        self.stdout.write(summary(outcome))


def summary(outcome: ImportOutcome) -> str:
    if outcome.dry_run:
        return (
            f"{outcome.file_name}: {outcome.read.read} facilities read, no problems. An import would register "
            f"{outcome.would_create}, change {outcome.would_update} and leave {outcome.would_leave} as they "
            "are. Nothing was stored (--dry-run)."
        )
    return (
        f"Imported {outcome.file_name} (SHA-256 {outcome.sha256}): {len(outcome.created)} registered, "
        f"{len(outcome.updated)} changed, {len(outcome.unchanged)} unchanged. The proximity check is queued."
    )
