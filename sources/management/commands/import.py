"""`zorgveilig import SOURCE FILE [--vintage DATE] [--product NAME] [--profile NAME]`: one file, one release.

Prints a progress bar on standard error and a summary of the counts; a file that cannot be imported gets
one message naming the file and what is wrong, exit status 1, and leaves the database as it was.
"""

from __future__ import annotations

import argparse
import datetime
import time
from pathlib import Path
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sources.importers import IMPORTERS, UnknownSource, importer_for
from sources.releases import ImportFailed, ImportOutcome, import_file

# Redrawing the bar for every row would cost more than reading the row.
REDRAW_EVERY_SECONDS = 0.1


def vintage_date(raw: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {raw!r}") from None


class Command(BaseCommand):
    help = "Import one dataset file as a release (a vintage) of a source."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", metavar="SOURCE", help=f"the source: {', '.join(sorted(IMPORTERS))}")
        parser.add_argument("file", metavar="FILE", type=Path, help="the file as published (XLSX or CSV)")
        parser.add_argument(
            "--vintage",
            type=vintage_date,
            metavar="DATE",
            help="the file's vintage, YYYY-MM-DD (default: the version the file states, or a date in its name)",
        )
        parser.add_argument(
            "--product",
            metavar="NAME",
            help="the series the file belongs to, compared with its earlier vintages "
            "(default: told from the file name, e.g. incident-data-2022 for 2022-shcc-incident-data.xlsx)",
        )
        parser.add_argument("--profile", metavar="NAME", help="a mapping profile (not available yet)")
        parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if options["profile"]:
            raise CommandError(
                f"--profile {options['profile']}: mapping profiles are not available yet; "
                "the importers read the published layouts by header text without one"
            )
        try:
            importer_for(options["source"])
        except UnknownSource as error:
            raise CommandError(str(error)) from None
        if not path.exists():
            raise CommandError(f"{path}: no such file")
        if not path.is_file():
            raise CommandError(f"{path}: not a file")
        console = Console(file=cast("IO[str]", self.stderr), stderr=True)
        columns = (
            TextColumn(f"Importing {path.name}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, disable=options["quiet"]) as bar:
            task = bar.add_task("import", total=None)
            last_draw = 0.0

            def progress(done: int, total: int | None) -> None:
                nonlocal last_draw
                now = time.monotonic()
                if now - last_draw >= REDRAW_EVERY_SECONDS or (total is not None and done >= total):
                    bar.update(task, completed=done, total=total)
                    last_draw = now

            try:
                outcome = import_file(
                    options["source"],
                    path,
                    vintage=options["vintage"],
                    product=options["product"],
                    progress=progress,
                )
            except ImportFailed as error:
                raise CommandError(f"{path}: {error}") from None
        self.stdout.write(summary(outcome))


def summary(outcome: ImportOutcome) -> str:
    release = outcome.release
    if outcome.already_imported:
        return (
            f"{release.file_name}: already imported as release {release.pk} ({release.product}, vintage "
            f"{release.vintage_date.isoformat()}); nothing changed."
        )
    label = f" ({release.vintage_label})" if release.vintage_label else ""
    previous = f"release {release.previous_id}" if release.previous_id else "none"
    lines = [
        f"Imported {release.file_name} as release {release.pk}: {release.product}, vintage "
        f"{release.vintage_date.isoformat()}{label}, importer {release.importer} {release.importer_version}.",
        f"  SHA-256      {release.sha256}",
        f"  rows         {release.rows_read} read, {release.rows_imported} imported, "
        f"{release.rows_quarantined} quarantined, {release.rows_blank} blank skipped, "
        f"{release.rows_with_warnings} with warnings",
        f"  vs previous  ({previous}): {release.added} added, {release.changed} changed, "
        f"{release.unchanged} unchanged, {release.withdrawn} withdrawn",
        f"  took         {outcome.seconds:.1f} s",
    ]
    for problem in release.quarantine.all()[:10]:
        lines.append(f"  quarantined  row {problem.row_number}, column {problem.column!r}: {problem.reason}")
    if release.rows_quarantined > 10:
        lines.append(f"  ... and {release.rows_quarantined - 10} more quarantined rows")
    return "\n".join(lines)
