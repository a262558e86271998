"""`zorgveilig evaluate_linkage [--events N | --records N] [--seed S] [--from-real] [--labelled FILE]
[--backend duckdb|spark] [--config FILE] [--require-f1 F]`.

Builds the synthetic benchmark (linkage.synthetic), links it with linkage.pipeline.link exactly as a run
would (no database is touched), and prints pairwise precision, recall and F1, B-cubed measures, cluster
counts and the silver-label recall (linkage.evaluation). `--from-real` makes the events from the real
Insecurity Insight file in ../shared/data instead of made-up ones; `--labelled FILE` also links the real files
the hand-labelled pairs name and scores every verdict. `--require-f1 0.95` exits with status 1 when the
synthetic benchmark's pairwise F1 is below 0.95.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from linkage.corpus import CorpusMissing, available, corpus_rows, data_dir
from linkage.evaluation import (
    Evaluation,
    LabelledPair,
    LabelledPairsError,
    LabelledScore,
    SilverRecall,
    evaluate,
    load_labelled_pairs,
    score_labelled_pairs,
    silver_recall,
)
from linkage.frame import frame_from_rows, pair, record_key
from linkage.options import LinkageOptions, OptionsError, load_options
from linkage.pipeline import link
from linkage.synthetic import Benchmark, from_real, generate

REAL_EVENTS_FILE = (
    "insecurity-insight",
    "insecurity_insight/2016-2023-attacks-on-health-care-incident-data.xlsx",
)
SHOWN_MISSES = 25


def fraction(raw: str) -> float:
    value = float(raw)
    if not 0 <= value <= 1:
        raise ValueError(raw)
    return value


class Command(BaseCommand):
    help = (
        "Link a labelled synthetic benchmark (and, with --labelled, hand-labelled real pairs) and print "
        "precision, recall, F1 and cluster measures; docs/linkage.md explains them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        size = parser.add_mutually_exclusive_group()
        size.add_argument("--events", type=int, help="true events in the benchmark (default 2000)")
        size.add_argument("--records", type=int, help="records in the benchmark, instead of --events")
        parser.add_argument("--seed", type=int, default=1, help="the benchmark's seed (default 1)")
        parser.add_argument(
            "--from-real",
            action="store_true",
            help="events from the real Insecurity Insight 2016-2023 file in ../shared/data, each with "
            "perturbed copies in the other sources (--events caps how many)",
        )
        parser.add_argument(
            "--labelled",
            type=Path,
            metavar="FILE",
            help="hand-labelled real pairs (tests/fixtures/linkage/labelled_pairs.yaml) to score too",
        )
        parser.add_argument(
            "--backend",
            choices=("duckdb", "spark"),
            help="where the model runs (default: the ZORGVEILIG_LINKAGE_BACKEND setting, duckdb)",
        )
        parser.add_argument(
            "--config", type=Path, help="a linkage settings file instead of linkage/linkage.yaml"
        )
        parser.add_argument(
            "--require-f1",
            type=fraction,
            metavar="F",
            help="exit with status 1 when the benchmark's pairwise F1 is below F (e.g. 0.95)",
        )
        parser.add_argument("-q", "--quiet", action="store_true", help="no stage messages")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("events", "records"):
            if options[name] is not None and options[name] < 1:
                raise CommandError(f"--{name} must be at least 1")
        if options["config"] is not None and not options["config"].is_file():
            raise CommandError(f"--config {options['config']}: no such file")
        try:
            settings = load_options(options["config"], backend=options["backend"])
        except OptionsError as error:
            raise CommandError(str(error)) from None
        pairs = None
        if options["labelled"] is not None:
            try:
                pairs = load_labelled_pairs(options["labelled"])
            except LabelledPairsError as error:
                raise CommandError(str(error)) from None
        console = Console(file=cast("IO[str]", self.stdout), highlight=False, width=120)
        notes = Console(file=cast("IO[str]", self.stderr), stderr=True, highlight=False)
        started = time.monotonic()

        def say(stage: str) -> None:
            if not options["quiet"]:
                notes.print(f"[{time.monotonic() - started:6.1f} s] {stage}")

        benchmark = self._benchmark(options, say)
        say(f"linking {len(benchmark.rows)} records of {benchmark.events} events ({settings.backend})")
        outcome = link(benchmark.frame(), settings, progress=say)
        result = evaluate(outcome.clusters, benchmark.truth, benchmark.sources)
        claims = {row["unique_id"]: row.get("co_reported_by") for row in benchmark.rows}
        silver = silver_recall(outcome.clusters, benchmark.sources, claims)
        title = "Synthetic benchmark" + (" from real records" if options["from_real"] else "")
        console.print(results_table(title, benchmark, result, silver, settings))
        if pairs is not None:
            self._labelled(pairs, settings, console, notes, say)
        required = options["require_f1"]
        if required is not None and result.pairs.f1 < required:
            raise CommandError(
                f"pairwise F1 {result.pairs.f1:.4f} is below the required {required} "
                f"(precision {result.pairs.precision:.4f}, recall {result.pairs.recall:.4f})"
            )

    def _benchmark(self, options: dict[str, Any], say: Callable[[str], None]) -> Benchmark:
        if not options["from_real"]:
            say("generating the synthetic benchmark")
            if options["records"] is not None:
                return generate(records=options["records"], seed=options["seed"])
            return generate(events=options["events"] or 2000, seed=options["seed"])
        if not available([REAL_EVENTS_FILE]):
            raise CommandError(
                f"--from-real: {data_dir() / REAL_EVENTS_FILE[1]} is not there (the real files are kept "
                "outside the repository, in ../shared/data)"
            )
        say("reading the real Insecurity Insight records")
        rows = corpus_rows([REAL_EVENTS_FILE])
        return from_real(rows, seed=options["seed"], limit=options["events"])

    def _labelled(
        self,
        pairs: list[LabelledPair],
        settings: LinkageOptions,
        console: Console,
        notes: Console,
        say: Callable[[str], None],
    ) -> None:
        named = sorted({(p.a.source, p.a.file) for p in pairs} | {(p.b.source, p.b.file) for p in pairs})
        files = [(source, name) for source, name in named]
        if not available(files):
            missing = [name for _, name in files if not (data_dir() / name).is_file()]
            notes.print(
                f"Labelled pairs skipped: {len(missing)} of the files they name are not in {data_dir()} "
                f"(first: {missing[0]})."
            )
            return
        say(f"reading {len(files)} real files")
        try:
            rows = corpus_rows(files)
        except CorpusMissing as error:
            raise CommandError(str(error)) from None
        say(f"linking {len(rows)} real records")
        outcome = link(frame_from_rows(rows), settings, progress=say)
        key = {
            row["unique_id"]: record_key(row["source"], row["source_id"], row["occurrence"]) for row in rows
        }
        cluster_of = {key[uid]: number for number, cluster in enumerate(outcome.clusters) for uid in cluster}
        duplicates = {pair(key[d.uid_a], key[d.uid_b]) for d in outcome.duplicates}
        score = score_labelled_pairs(pairs, cluster_of, duplicates)
        sources = {row["unique_id"]: row["source"] for row in rows}
        silver = silver_recall(
            outcome.clusters, sources, {row["unique_id"]: row["co_reported_by"] for row in rows}
        )
        console.print(labelled_table(score, silver, len(rows)))
        for missed, done in score.misses[:SHOWN_MISSES]:
            verdict = "same" if missed.same else "different"
            console.print(
                f"  [bold]{verdict}[/bold] but {done}: {missed.a.key} / {missed.b.key}: {missed.reason}"
            )
        if len(score.misses) > SHOWN_MISSES:
            console.print(f"  ... and {len(score.misses) - SHOWN_MISSES} more")


def _share(value: float) -> str:
    return f"{value:.4f}"


def results_table(
    title: str, benchmark: Benchmark, result: Evaluation, silver: SilverRecall, settings: LinkageOptions
) -> Table:
    table = Table(title=f"{title} (seed {benchmark.seed}, {settings.backend})", show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("", style="dim")
    pairs = result.pairs
    found = pairs.true_positives + pairs.false_positives
    wanted = pairs.true_positives + pairs.false_negatives
    rows = [
        ("records", f"{result.records:,}", ", ".join(benchmark.notes)),
        (
            "true events",
            f"{result.true_clusters:,}",
            f"{result.multi_source_events:,} in more than one source",
        ),
        ("predicted clusters", f"{result.predicted_clusters:,}", ""),
        (
            "pairwise precision",
            _share(pairs.precision),
            f"{pairs.true_positives:,} of {found:,} linked pairs",
        ),
        ("pairwise recall", _share(pairs.recall), f"{pairs.true_positives:,} of {wanted:,} true pairs"),
        ("pairwise F1", _share(pairs.f1), "pairs of records of different sources"),
        ("B-cubed precision", _share(result.bcubed.precision), ""),
        ("B-cubed recall", _share(result.bcubed.recall), ""),
        ("B-cubed F1", _share(result.bcubed.f1), ""),
        (
            "events fully recovered",
            _share(result.recovered_share),
            f"{result.fully_recovered:,} of {result.multi_source_events:,} multi-source events",
        ),
        ("silver-label recall", _share(silver.recall), _silver_note(silver)),
    ]
    for row in rows:
        table.add_row(*row)
    return table


def _silver_note(silver: SilverRecall) -> str:
    parts = [f"{source} {linked}/{claimed}" for source, (claimed, linked) in silver.per_source.items()]
    return "named source linked: " + (", ".join(parts) if parts else "no claims")


def labelled_table(score: LabelledScore, silver: SilverRecall, records: int) -> Table:
    table = Table(title=f"Hand-labelled real pairs ({records:,} real records linked)", show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("", style="dim")
    table.add_row(
        "pairs scored", f"{score.scored}", f"{score.missing} with a record not in the linkage input"
    )
    table.add_row("same, linked", f"{score.true_positives}", "")
    table.add_row("same, not linked", f"{score.false_negatives}", "")
    table.add_row("different, linked", f"{score.false_positives}", "")
    table.add_row("different, kept apart", f"{score.true_negatives}", "")
    table.add_row("precision", _share(score.pairs.precision), "")
    table.add_row("recall", _share(score.pairs.recall), "")
    table.add_row("F1", _share(score.pairs.f1), "")
    table.add_row("accuracy", _share(score.accuracy), "")
    table.add_row("silver-label recall", _share(silver.recall), _silver_note(silver))
    return table
