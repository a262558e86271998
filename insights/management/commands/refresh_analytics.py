"""`zorgveilig refresh_analytics`: build the analytics database (insights.analytics_db) now."""

from __future__ import annotations

from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from insights.analytics_db import PARTS, AnalyticsError, build
from insights.mirror import MirrorError, refresh_all


class Command(BaseCommand):
    help = (
        "Build the analytics database that the dashboard, map, reports and API read: the current records, "
        "the de-duplicated incidents and the meldpunt statistics."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--part",
            action="append",
            choices=PARTS,
            help="rebuild only this part (repeatable); the others are copied from the current file",
        )
        parser.add_argument(
            "--mirror",
            action="store_true",
            help="first write the Parquet mirror of every release again from the database",
        )
        parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast("IO[str]", self.stderr), stderr=True)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, disable=options["quiet"]) as bar:
            try:
                if options["mirror"]:
                    mirrored = bar.add_task("Releases", total=None)
                    refresh_all(lambda done, total: bar.update(mirrored, completed=done, total=total))
                building = bar.add_task("Analytics database", total=None)

                def step(label: str, done: int, total: int) -> None:
                    bar.update(
                        building, description=f"Analytics database: {label}", completed=done, total=total
                    )

                built = build(options["part"], progress=step)
            except (AnalyticsError, MirrorError) as error:
                raise CommandError(str(error)) from None
        self.stdout.write(
            f"Analytics database {built.path} built in {built.seconds:.1f} s "
            f"({', '.join(built.parts)}): {built.records:,} records, {built.incidents:,} incidents, "
            f"{built.nl_reports:,} meldpunt reports."
        )
