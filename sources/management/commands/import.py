"""`zorgveilig import SOURCE FILE [--vintage DATE] [--product NAME] [--profile NAME] [--health-rule FILE]`.

One file, one release.

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

from sources.importers import IMPORTERS, UnknownSource, known_source
from sources.models import MappingProfile
from sources.releases import ImportFailed, ImportOutcome, import_file

# Redrawing the bar for every row would cost more than reading the row.
REDRAW_EVERY_SECONDS = 0.1


def vintage_date(raw: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {raw!r}") from None


def importer_option(raw: str) -> tuple[str, str]:
    key, separator, value = raw.partition("=")
    if not separator or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {raw!r}")
    return key.strip(), value.strip()


class Command(BaseCommand):
    help = "Import one dataset file as a release (a vintage) of a source."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", metavar="SOURCE", help=f"the source: {', '.join(sorted(IMPORTERS))}")
        parser.add_argument(
            "file", metavar="FILE", type=Path, help="the file as published (XLSX, CSV or JSON)"
        )
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
        parser.add_argument(
            "--profile",
            metavar="NAME",
            help="read the file with this mapping profile (its code; see docs/mapping-profiles.md)",
        )
        parser.add_argument(
            "--health-rule",
            type=Path,
            metavar="FILE",
            help="ACLED only: the YAML rule that tells which events are about health care "
            "(default: sources/acled_health_rule.yaml); stored with the release",
        )
        parser.add_argument(
            "--option",
            action="append",
            default=[],
            type=importer_option,
            metavar="KEY=VALUE",
            help="an option of the source's importer, e.g. year=2021 for an SHCC overview file whose "
            "year cannot be told otherwise (repeatable)",
        )
        parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        profile = None
        if options["profile"]:
            profile = MappingProfile.objects.filter(slug=options["profile"]).first()
            if profile is None:
                known = ", ".join(MappingProfile.objects.values_list("slug", flat=True)) or "none yet"
                raise CommandError(
                    f"--profile {options['profile']}: no such mapping profile (known: {known})"
                )
        else:
            try:
                known_source(options["source"])
            except UnknownSource as error:
                raise CommandError(str(error)) from None
        importer_options: dict[str, Any] = dict(options["option"])
        if options["health_rule"] is not None:
            if not options["health_rule"].is_file():
                raise CommandError(f"--health-rule {options['health_rule']}: no such file")
            importer_options["health_rule"] = options["health_rule"]
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
                    options=importer_options,
                    profile=profile,
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
        f"  health care  {release.rows_health_related} of {release.rows_imported} rows",
        f"  took         {outcome.seconds:.1f} s",
    ]
    for problem in release.quarantine.all()[:10]:
        lines.append(f"  quarantined  row {problem.row_number}, column {problem.column!r}: {problem.reason}")
    if release.rows_quarantined > 10:
        lines.append(f"  ... and {release.rows_quarantined - 10} more quarantined rows")
    return "\n".join(lines)
