"""zorgveilig link [--backend duckdb|spark] [--config FILE] [-q]: link the current records into incidents."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from linkage.actions import STAGES, RunRefused, link_now
from linkage.models import LinkageRun


class Command(BaseCommand):
    help = (
        "Link the current records of every source into incidents (Splink model, one-to-one assignment, "
        "clusters), respecting reviewers' decisions; docs/linkage.md explains each step."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--backend",
            choices=("duckdb", "spark"),
            help="where the model runs (default: the ZORGVEILIG_LINKAGE_BACKEND setting, duckdb)",
        )
        parser.add_argument(
            "--config", type=Path, help="a linkage settings file instead of linkage/linkage.yaml"
        )
        parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        config: Path | None = options["config"]
        if config is not None and not config.is_file():
            raise CommandError(f"--config {config}: no such file")
        console = Console(file=cast("IO[str]", self.stderr), stderr=True)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, disable=options["quiet"]) as bar:
            task = bar.add_task("Linking", total=len(STAGES))

            def progress(stage: str) -> None:
                done = STAGES.index(stage) if stage in STAGES else None
                bar.update(task, description=f"Linking: {stage}", completed=done)

            try:
                run = link_now(backend=options["backend"], config=config, progress=progress)
            except RunRefused as error:
                raise CommandError(str(error)) from None
            except Exception as error:
                raise CommandError(f"linkage failed: {type(error).__name__}: {error}") from None
            bar.update(task, completed=len(STAGES))
        self.stdout.write(summary(run))


def summary(run: LinkageRun) -> str:
    f = run.figures
    per_source = ", ".join(f"{source} {count}" for source, count in f.get("records_per_source", {}).items())
    return "\n".join(
        [
            f"Linkage run {run.pk} ({run.backend}) done in {f.get('seconds', 0)} s.",
            f"  records      {f.get('records', 0)} ({per_source or 'none'}); "
            f"{f.get('records_without_date', 0)} without a date left out",
            f"  pairs        {f.get('candidate_pairs', 0)} scored, {f.get('eligible_pairs', 0)} eligible, "
            f"{f.get('links', 0)} linked ({f.get('claimed_links', 0)} through a named source, "
            f"{f.get('unambiguous_links', 0)} without contender), {f.get('contenders', 0)} contenders",
            f"  clusters     {f.get('clusters', 0)} ({f.get('multi_source_clusters', 0)} with more than one record)",
            f"  incidents    {f.get('incidents_created', 0)} new, {f.get('incidents_changed', 0)} changed, "
            f"{f.get('incidents_unchanged', 0)} unchanged, {f.get('incidents_retired', 0)} retired",
            f"  review       {f.get('review_queue', 0)} pairs to review "
            f"({f.get('duplicate_pairs', 0)} possible duplicates within a source)",
            f"  decisions    {f.get('decisions_same', 0)} same, {f.get('decisions_different', 0)} different, "
            "respected",
            f"  training     {', '.join(f.get('trained') or ['starting values (too few records to train)'])}",
        ]
    )
