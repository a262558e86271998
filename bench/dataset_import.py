"""Import benchmark: synthetic ACLED files of N rows through `zorgveilig import`, next to DuckDB's read_csv.

    make bench-import                                        # 250,000 and 1,000,000 rows, SQLite
    .venv/bin/python bench/dataset_import.py --rows 100000 --rows 1000000
    .venv/bin/python bench/dataset_import.py --database postgresql --rows 200000

For each size it writes an ACLED-layout CSV (bench/synthetic_files.py; not timed), then, each in a fresh
process so that peak memory is the process's own:

* `zorgveilig import acled FILE` into a fresh installation (temporary data directory; SQLite in WAL mode as
  the settings set it, or a new PostgreSQL database that is dropped afterwards): parse, validate,
  harmonise (with the ACLED health rule), store every row with its raw form, compare with the previous
  vintage (none here), and write the analytics mirror (Parquet) — the whole import;
* DuckDB reading the same file into an in-memory table (`CREATE TABLE ... AS SELECT * FROM read_csv(...)`),
  the bare parse-and-store floor for the same bytes.

It prints rows per second and peak resident memory (the process and its children together, sampled every
20 ms) for both, and checks the targets of issue 5 for the
largest size: the whole import of 1,000,000 rows in at most 60 s and 1.5 GB peak memory, and memory that
does not grow with the file (peak for the largest size at most 1.25 x the peak for the smallest). Exit status
1 when a target is missed, 2 when a step failed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import synthetic_files  # noqa: E402

PYTHON = ROOT / ".venv" / "bin" / "python"
ZORGVEILIG = ROOT / ".venv" / "bin" / "zorgveilig"
TARGET_SECONDS = 60.0
TARGET_PEAK_MB = 1536.0
TARGET_ROWS = 1_000_000
GROWTH_LIMIT = 1.25

DUCKDB_SCRIPT = """
import sys, duckdb
db = duckdb.connect(":memory:")
db.execute("SET threads = 2")
db.execute("CREATE TABLE events AS SELECT * FROM read_csv(?, header = true)", [sys.argv[1]])
print(db.execute("SELECT count(*) FROM events").fetchone()[0])
"""


@dataclass
class Run:
    seconds: float
    peak_mb: float
    output: str


def _rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants (the import prepares rows in a child)."""
    total = 0
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as children:
                total += sum(_rss_kib(int(child)) for child in children.read().split())
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return total


def measured(command: list[str], env: dict[str, str]) -> Run:
    """Run `command`, returning its wall time and the peak of the resident memory of it and its child
    processes together, sampled every 20 ms."""
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: S603 - our own commands and fixed arguments
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, _rss_kib(process.pid))
        time.sleep(0.02)
    seconds = time.monotonic() - started
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{stdout}\n{stderr}")
    return Run(seconds, peak / 1024, stdout)


def environment(data_dir: Path, database_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ZORGVEILIG_", "DATABASE"))}
    env.update(
        {
            "ZORGVEILIG_DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-" + uuid.uuid4().hex * 2,
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def postgresql(command: str, name: str, server: str) -> None:
    host, _, port = server.partition(":")
    subprocess.run(  # noqa: S603 - PostgreSQL client tools with fixed arguments
        [command, "-h", host, "-p", port or "5432", "-U", "postgres", name], check=True
    )


def import_once(csv_path: Path, rows: int, database: str, server: str) -> Run:
    data_dir = Path(tempfile.mkdtemp(prefix="zorgveilig-bench-import-"))
    pg_name = f"zorgveilig_bench_{uuid.uuid4().hex[:10]}"
    if database == "sqlite":
        url = f"sqlite:///{data_dir / 'zorgveilig.sqlite3'}"
    else:
        postgresql("createdb", pg_name, server)
        url = f"postgres://postgres@{server}/{pg_name}"
    env = environment(data_dir, url)
    try:
        subprocess.run([str(ZORGVEILIG), "migrate", "-v0"], env=env, check=True)  # noqa: S603 - our own command
        run = measured(
            [
                str(ZORGVEILIG),
                "import",
                "acled",
                str(csv_path),
                "--vintage",
                "2024-01-01",
                "--product",
                "bench",
                "-q",
            ],
            env,
        )
        mirror = list((data_dir / "analytics").glob("records-*.parquet"))
        if not mirror:
            raise RuntimeError("the import wrote no analytics mirror file")
        if f"{rows} read, {rows} imported" not in run.output:
            raise RuntimeError(f"unexpected import summary:\n{run.output}")
        return run
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if database == "postgresql":
            postgresql("dropdb", pg_name, server)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, action="append", help="rows per file (repeatable)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgresql-server", default="127.0.0.1:5432", metavar="HOST:PORT")
    parser.add_argument(
        "--workdir", type=Path, help="where to write the CSV files (default: a temporary one)"
    )
    arguments = parser.parse_args(argv)
    sizes = sorted(set(arguments.rows or [250_000, TARGET_ROWS]))
    if any(size < 1 for size in sizes):
        parser.error("--rows must be at least 1")
    workdir = arguments.workdir or Path(tempfile.mkdtemp(prefix="zorgveilig-bench-files-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"Import benchmark: ACLED layout, {arguments.database}, {os.cpu_count()} CPUs, files in {workdir}")
    print(f"{'rows':>10}  {'what':<26} {'seconds':>8} {'rows/s':>10} {'peak MB':>8}")
    results: dict[int, Run] = {}
    try:
        for size in sizes:
            csv_path = workdir / f"acled-{size}.csv"
            synthetic_files.write("acled", size, csv_path)
            mb = csv_path.stat().st_size / 1e6
            ours = import_once(csv_path, size, arguments.database, arguments.postgresql_server)
            duck = measured([str(PYTHON), "-c", DUCKDB_SCRIPT, str(csv_path)], os.environ.copy())
            results[size] = ours
            for label, run in ((f"zorgveilig import ({mb:.0f} MB)", ours), ("duckdb read_csv", duck)):
                print(
                    f"{size:>10,}  {label:<26} {run.seconds:>8.1f} {size / run.seconds:>10,.0f} {run.peak_mb:>8.0f}"
                )
            csv_path.unlink()
    except (RuntimeError, subprocess.CalledProcessError) as error:
        print(f"benchmark step failed: {error}", file=sys.stderr)
        return 2
    finally:
        if arguments.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    missed = []
    largest, smallest = max(results), min(results)
    if largest >= TARGET_ROWS:
        seconds = results[largest].seconds * TARGET_ROWS / largest
        if seconds > TARGET_SECONDS:
            missed.append(f"{TARGET_ROWS:,} rows would take {seconds:.0f} s (target {TARGET_SECONDS:.0f} s)")
        if results[largest].peak_mb > TARGET_PEAK_MB:
            missed.append(f"peak memory {results[largest].peak_mb:.0f} MB (target {TARGET_PEAK_MB:.0f} MB)")
    if largest > smallest and results[largest].peak_mb > GROWTH_LIMIT * results[smallest].peak_mb:
        missed.append(
            f"peak memory grows with the file: {results[smallest].peak_mb:.0f} MB for {smallest:,} rows, "
            f"{results[largest].peak_mb:.0f} MB for {largest:,}"
        )
    for line in missed:
        print(f"MISSED: {line}")
    if not missed and largest >= TARGET_ROWS:
        print(
            f"Targets met: {TARGET_ROWS:,} rows within {TARGET_SECONDS:.0f} s and {TARGET_PEAK_MB:.0f} MB; flat memory."
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
