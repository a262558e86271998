"""`zorgveilig refresh_mirror`: rebuild the analytics mirror (insights.mirror) from the database."""

from __future__ import annotations

from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from insights.mirror import MirrorError, mirror_dir, refresh_all


class Command(BaseCommand):
    help = "Rebuild the analytics mirror (Parquet files queried with DuckDB) from the database."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast("IO[str]", self.stderr), stderr=True)
        columns = (TextColumn("Releases"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, disable=options["quiet"]) as bar:
            task = bar.add_task("mirror", total=None)
            try:
                count = refresh_all(lambda done, total: bar.update(task, completed=done, total=total))
            except MirrorError as error:
                raise CommandError(str(error)) from None
        self.stdout.write(f"Analytics mirror rebuilt in {mirror_dir()}: {count} releases.")
