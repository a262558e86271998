"""Benchmark of the public report form: many reports with files, over HTTP, against a real server.

For each database (SQLite file, PostgreSQL) this starts a fresh installation of its own: a temporary data
directory, a new database, `zorgveilig migrate`, one organisation with a routing rule, a recovery key and a
case handler with a key pair (so every report key is wrapped for staff as in production), then gunicorn
(as the README's production setup) and the task worker. A pool of clients then does what a browser does:
GET the form for the CSRF cookie and token, POST the report as multipart with one or two files, and check
that the answer is the receipt page with a receipt code. Only 127.0.0.1 is ever contacted.

    .venv/bin/python bench/meldpunt_submit.py                       # 1000 reports, SQLite and PostgreSQL
    .venv/bin/python bench/meldpunt_submit.py --reports 100 --database sqlite --fast-kdf

Exit status: 0 when every submission got a receipt, 1 when any failed, 2 when a server could not start.
See bench/README.md for what the figures mean.

This file is the command line and the run over the databases; the rest lives next to it in bench/:
payloads.py (form fields and files), clients.py (the submitting clients), servers.py (the installation,
its database and processes, and the steps run inside it), metrics.py (memory, percentiles, the table) and
common.py (what they share).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

# The modules next to this file, also when Python did not put its directory first on sys.path (python -P).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from clients import Submitter, submit_all
from common import HOST, INSPECT_FLAG, PREPARE_FLAG, BenchError, console
from metrics import MemoryWatch, Result, print_result
from payloads import FilePool
from servers import Installation, free_port, inspect_installation, postgresql_database, prepare_installation

# Options ------------------------------------------------------------------------------------------------------


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {raw}")
    return value


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Submit many reports with files to the public report form of a fresh ZorgVeilig "
        "installation per database, over HTTP, and print throughput and latency.",
    )
    parser.add_argument("--reports", type=_positive, default=1000, help="reports to submit (%(default)s)")
    parser.add_argument(
        "--concurrency", type=_positive, default=8, help="clients submitting at once (%(default)s)"
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql", "both"),
        default="both",
        help="which database to measure (%(default)s)",
    )
    parser.add_argument(
        "--workers",
        type=_positive,
        default=3,
        help="gunicorn worker processes (%(default)s, as in the README's production command)",
    )
    parser.add_argument(
        "--threads",
        type=_positive,
        default=1,
        help="threads per gunicorn worker; above 1 gunicorn uses its gthread worker (%(default)s)",
    )
    parser.add_argument(
        "--image-kib", type=_positive, default=200, help="approximate size of each photo (%(default)s KiB)"
    )
    parser.add_argument(
        "--document-kib",
        type=_positive,
        default=50,
        help="approximate size of each PDF or text file (%(default)s KiB)",
    )
    parser.add_argument(
        "--fast-kdf",
        action="store_true",
        help="run the server with ZORGVEILIG_KDF_MEMORY_KIB=8192 and ZORGVEILIG_KDF_ITERATIONS=1 instead of "
        "the production default (64 MiB, 3 passes); the figures then say so",
    )
    parser.add_argument(
        "--no-task-worker",
        action="store_true",
        help="do not run the task worker next to the server (notification tasks then only queue up)",
    )
    parser.add_argument(
        "--postgresql",
        default=f"postgresql://postgres@{HOST}:5432/postgres",
        metavar="URL",
        help="PostgreSQL server to create the benchmark database on; only its host, port, user and "
        "password are used (%(default)s)",
    )
    parser.add_argument("--seed", type=int, default=20250311, help="seed for the report contents")
    parser.add_argument(
        "--timeout", type=_positive, default=120, help="seconds to wait for one HTTP answer (%(default)s)"
    )
    options = parser.parse_args(argv)
    if urlsplit(options.postgresql).hostname not in (HOST, "localhost", "::1"):
        parser.error("--postgresql must point at this machine (127.0.0.1, localhost or ::1)")
    if options.image_kib + options.document_kib > 45 * 1024:
        parser.error("--image-kib plus --document-kib must stay below the 50 MB a report may hold")
    return options


# Running ------------------------------------------------------------------------------------------------------


def measure(
    label: str, database: str, database_url: str, options: argparse.Namespace, pool: FilePool
) -> Result:
    with tempfile.TemporaryDirectory(prefix="zorgveilig-bench-") as directory:
        if database_url == "sqlite":
            database_url = f"sqlite:///{Path(directory) / 'zorgveilig.sqlite3'}"
        installation = Installation(label, Path(directory), database_url, options.fast_kdf)
        try:
            console.print(f"[bold]{label}[/bold]: migrating a new database and creating the organisation...")
            prepared = installation.prepare()
            port = free_port()
            server = installation.start_server(port, options.workers, options.threads, prepared["form_path"])
            worker = None if options.no_task_worker else installation.start_task_worker()
            server_memory = MemoryWatch(server.pid)
            worker_memory = MemoryWatch(worker.pid) if worker is not None else None
            server_memory.start()
            if worker_memory is not None:
                worker_memory.start()
            submitter = Submitter(port, prepared["form_path"], pool, options.seed, options.timeout)
            load_before = os.getloadavg()[0]
            wall, outcomes = submit_all(submitter, options.reports, options.concurrency, label)
            load_after = os.getloadavg()[0]
            server_memory.finish()
            if worker_memory is not None:
                worker_memory.finish()
        finally:
            installation.stop()
        stored = installation.inspect()
    kind = "sync" if options.threads == 1 else f"gthread, {options.threads} threads each"
    return Result(
        label=label,
        database=database,
        reports=options.reports,
        concurrency=options.concurrency,
        wall_seconds=wall,
        outcomes=outcomes,
        kdf=prepared["kdf"],
        server=f"gunicorn {metadata.version('gunicorn')}, {options.workers} workers ({kind}), "
        + ("no task worker" if worker is None else "and the task worker"),
        server_peak_kib=server_memory.peak_total_kib,
        server_process_peak_kib=server_memory.peak_process_kib,
        worker_peak_kib=worker_memory.peak_process_kib if worker_memory is not None else 0,
        stored=stored,
        load=(load_before, load_after),
    )


# Main -----------------------------------------------------------------------------------------------------------


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(options: argparse.Namespace) -> int:
    console.print(
        f"Making the files: {options.image_kib} KiB photos (PNG, JPEG), {options.document_kib} KiB PDF and "
        "text files..."
    )
    pool = FilePool.make(options.image_kib, options.document_kib, options.seed)
    results: list[Result] = []
    if options.database in ("sqlite", "both"):
        results.append(
            measure("SQLite", "SQLite file (WAL), in a new data directory", "sqlite", options, pool)
        )
        print_result(results[-1])
    if options.database in ("postgresql", "both"):
        with postgresql_database(options.postgresql) as created:
            if created is not None:
                database_url, version = created
                name = urlsplit(database_url).path.lstrip("/")
                results.append(
                    measure(
                        "PostgreSQL",
                        f"PostgreSQL {version} at {urlsplit(database_url).netloc}, new database {name}",
                        database_url,
                        options,
                        pool,
                    )
                )
                print_result(results[-1])
    failed = sum(len(result.failures) for result in results)
    if failed:
        console.print(f"[red bold]{failed} submissions did not get a receipt.[/red bold]")
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments == [PREPARE_FLAG]:
        prepare_installation()
        return 0
    if arguments == [INSPECT_FLAG]:
        inspect_installation()
        return 0
    options = parse_arguments(arguments)
    # SIGTERM stops the benchmark as Ctrl-C does: through the finally blocks that stop the servers. SIGINT
    # too, also when a shell started us in the background with SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return run(options)
    except BenchError as error:
        console.print(f"[red]{error}[/red]")
        return 2
    except KeyboardInterrupt:
        console.print(
            "[yellow]Interrupted; the servers are stopped and the benchmark databases removed.[/yellow]"
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
