"""Linkage benchmark: 1,000,000 synthetic records of four sources, and the real corpus in ../shared/data.

    make bench-linkage                                         # 1,000,000 synthetic records, then --real
    .venv/bin/python bench/record_linkage.py --records 200000         # a smaller run
    .venv/bin/python bench/record_linkage.py --real                   # only the real files
    .venv/bin/python bench/record_linkage.py --backend spark --records 100000

Synthetic: linkage.synthetic writes the frame of N labelled records (WHO SSA, Insecurity Insight, ACLED,
AWSD; most incidents in one source, busy days, per-source perturbations) to Parquet, with each record's true
incident beside it (not timed). Then, in a fresh process so that peak memory is the linkage's own, the frame
is read and linked with linkage.pipeline.link exactly as `zorgveilig link` runs it: the time of every stage
(training, scoring, resolving), the total, and the peak resident memory of the process and its children
together (sampled every 20 ms, as bench/dataset_import.py does) are printed, and the clusters are scored
against the truth: pairwise precision, recall and F1 over pairs of records of different sources, B-cubed F1.

Real (`--real`): a fresh installation (temporary data directory, SQLite), every incident file of the
sample set imported with `zorgveilig import`, then `zorgveilig link`: the import times, the counts the run
reports, its time and peak memory. Skipped with a message when ../shared/data is absent.

Exit status 1 when the synthetic F1 is below 0.95 (issue 6), 2 when a step failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dataset_import import PYTHON, ZORGVEILIG, Run, environment, measured  # noqa: E402

TARGET_F1 = 0.95
STAGE = "STAGE"
# Files that state no version: the commit date of the copy (../shared/data/SOURCES.md); the two ACLED samples
# are two vintages of one product, the older first (as tests/test_sources_acled.py imports them).
IMPORT_OPTIONS = {
    "2023-MMR-attacks-on-health-care-incident-data.xlsx": ["--vintage", "2024-08-20"],
    "api-sample-aidWorkerKIKA.json": ["--vintage", "2024-03-19"],
    "awsd-incidents-search-format.csv": ["--vintage", "2025-08-26"],
    "acled_old_dummy.csv": ["--vintage", "2022-07-01", "--product", "events"],
    "acled_old_deletion_dummy.csv": ["--vintage", "2022-08-01", "--product", "events"],
}


def _django(data_dir: Path | None = None) -> None:
    """Settings for the linkage modules: of a scratch installation, or (data_dir None) of the environment
    the parent set up."""
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        os.environ.update(environment(data_dir, f"sqlite:///{data_dir / 'zorgveilig.sqlite3'}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zorgveilig.settings")
    import django

    django.setup()


def write_benchmark(records: int, seed: int, workdir: Path) -> tuple[Path, Path]:
    """The frame and the truth as Parquet files, written batch by batch (memory stays flat)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from linkage.frame import SCHEMA
    from linkage.synthetic import frame_batches

    frame_path, truth_path = workdir / "frame.parquet", workdir / "truth.parquet"
    truth_schema = pa.schema([("unique_id", pa.int64()), ("event", pa.int64())])
    with pq.ParquetWriter(frame_path, SCHEMA) as frames, pq.ParquetWriter(truth_path, truth_schema) as truths:
        for table, events in frame_batches(records, seed):
            frames.write_table(table)
            truths.write_table(
                pa.table({"unique_id": table.column("unique_id"), "event": pa.array(events, pa.int64())})
            )
    return frame_path, truth_path


def link_step(frame_path: Path, clusters_path: Path, backend: str) -> None:
    """Inside the measured process: read the frame, link it, write unique_id -> cluster, and report stages."""
    started = time.monotonic()

    def stage(name: str) -> None:
        print(f"{STAGE} {time.monotonic() - started:.3f} {name}", flush=True)

    import pyarrow as pa
    import pyarrow.parquet as pq

    from linkage.options import load_options
    from linkage.pipeline import link

    stage("reading the frame")
    frame = pq.read_table(frame_path)
    outcome = link(frame, load_options(backend=backend), progress=stage)
    stage("writing the clusters")
    uids = [uid for cluster in outcome.clusters for uid in cluster]
    numbers = [number for number, cluster in enumerate(outcome.clusters) for _ in cluster]
    pq.write_table(pa.table({"unique_id": pa.array(uids, pa.int64()), "cluster": numbers}), clusters_path)
    stage("done")
    print(json.dumps({"figures": outcome.figures}, default=str), flush=True)


def stage_times(output: str) -> list[tuple[str, float]]:
    marks = []
    for line in output.splitlines():
        if line.startswith(STAGE + " "):
            _, seconds, name = line.split(" ", 2)
            marks.append((name, float(seconds)))
    return [(name, marks[i + 1][1] - at) for i, (name, at) in enumerate(marks[:-1])]


def score(truth_path: Path, clusters_path: Path, frame_path: Path) -> dict[str, float | int]:
    import pyarrow.parquet as pq

    from linkage.evaluation import evaluate

    truth_table = pq.read_table(truth_path)
    truth = dict(
        zip(truth_table.column("unique_id").to_pylist(), truth_table.column("event").to_pylist(), strict=True)
    )
    frame = pq.read_table(frame_path, columns=["unique_id", "source"])
    sources = dict(
        zip(frame.column("unique_id").to_pylist(), frame.column("source").to_pylist(), strict=True)
    )
    found = pq.read_table(clusters_path)
    clusters: dict[int, list[int]] = defaultdict(list)
    for uid, number in zip(
        found.column("unique_id").to_pylist(), found.column("cluster").to_pylist(), strict=True
    ):
        clusters[number].append(uid)
    return evaluate(clusters.values(), truth, sources).as_dict()


def synthetic(records: int, seed: int, backend: str, workdir: Path) -> float:
    print(f"Synthetic benchmark: {records:,} records, seed {seed}, {backend}, {os.cpu_count()} CPUs")
    started = time.monotonic()
    frame_path, truth_path = write_benchmark(records, seed, workdir)
    print(f"  benchmark written in {time.monotonic() - started:.0f} s (not timed below)")
    clusters_path = workdir / "clusters.parquet"
    (workdir / "installation").mkdir(exist_ok=True)
    env = environment(workdir / "installation", f"sqlite:///{workdir / 'installation' / 'unused.sqlite3'}")
    command = [
        str(PYTHON),
        __file__,
        "--link-step",
        str(frame_path),
        str(clusters_path),
        "--backend",
        backend,
    ]
    run: Run = measured(command, env)
    print(f"  {'stage':<44} {'seconds':>8}")
    for name, seconds in stage_times(run.output):
        print(f"  {name:<44} {seconds:>8.1f}")
    print(f"  {'whole linkage (process wall time)':<44} {run.seconds:>8.1f}")
    print(f"  peak memory (process and children): {run.peak_mb:,.0f} MB")
    figures = json.loads(run.output.strip().splitlines()[-1])["figures"]
    print(
        f"  figures: {figures.get('candidate_pairs', 0):,} candidate pairs, {figures.get('links', 0):,} links, "
        f"{figures.get('clusters', 0):,} clusters, {figures.get('review_pairs', 0):,} to review, "
        f"{figures.get('duplicate_pairs', 0):,} possible duplicates"
    )
    result = score(truth_path, clusters_path, frame_path)
    print(
        f"  pairwise precision {result['pairwise_precision']:.4f}, recall {result['pairwise_recall']:.4f}, "
        f"F1 {result['pairwise_f1']:.4f}; B-cubed F1 {result['bcubed_f1']:.4f}; "
        f"{result['predicted_clusters']:,} clusters for {result['true_clusters']:,} true incidents"
    )
    return float(result["pairwise_f1"])


def real(workdir: Path) -> None:
    _django(workdir / "scratch")
    from linkage.corpus import INCIDENT_FILES, data_dir

    base = data_dir()
    present = [(source, base / name) for source, name in INCIDENT_FILES if (base / name).is_file()]
    present.sort(key=lambda item: item[1].name != "acled_old_dummy.csv")  # the older ACLED vintage first
    if not present:
        print(f"Real corpus skipped: no sample files in {base}.")
        return
    print(f"Real corpus: {len(present)} files from {base} into a fresh installation (SQLite)")
    data = workdir / "real"
    data.mkdir(exist_ok=True)
    env = environment(data, f"sqlite:///{data / 'zorgveilig.sqlite3'}")
    subprocess.run([str(ZORGVEILIG), "migrate", "-v0"], env=env, check=True)  # noqa: S603 - our own command
    for source, path in present:
        extra = IMPORT_OPTIONS.get(path.name, [])
        run = measured([str(ZORGVEILIG), "import", source, str(path), *extra, "-q"], env)
        summary = run.output.strip().splitlines()[0] if run.output.strip() else ""
        print(f"  import {path.name:<58} {run.seconds:>6.1f} s  {summary}")
    run = measured([str(ZORGVEILIG), "link", "-q"], env)
    print(f"  link: {run.seconds:.1f} s, peak memory {run.peak_mb:,.0f} MB")
    for line in run.output.strip().splitlines():
        print(f"    {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--records", type=int, default=1_000_000, help="synthetic records (default 1,000,000)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backend", choices=("duckdb", "spark"), default="duckdb")
    parser.add_argument("--real", action="store_true", help="only the real corpus in ../shared/data")
    parser.add_argument(
        "--with-real", action="store_true", help="the synthetic benchmark, then the real corpus"
    )
    parser.add_argument("--workdir", type=Path, help="where to write the files (default: a temporary one)")
    parser.add_argument("--link-step", nargs=2, type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.link_step:
        _django()
        frame_path, clusters_path = arguments.link_step
        link_step(frame_path, clusters_path, arguments.backend)
        return 0
    if arguments.records < 1:
        parser.error("--records must be at least 1")
    workdir = arguments.workdir or Path(tempfile.mkdtemp(prefix="zorgveilig-bench-linkage-"))
    workdir.mkdir(parents=True, exist_ok=True)
    status = 0
    try:
        if not arguments.real:
            _django(workdir / "scratch")
            f1 = synthetic(arguments.records, arguments.seed, arguments.backend, workdir)
            if f1 < TARGET_F1:
                print(f"MISSED: pairwise F1 {f1:.4f} is below {TARGET_F1}")
                status = 1
        if arguments.real or arguments.with_real:
            real(workdir)
    except (RuntimeError, subprocess.CalledProcessError) as error:
        print(f"benchmark step failed: {error}", file=sys.stderr)
        return 2
    finally:
        if arguments.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
