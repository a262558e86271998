"""The figures: resident memory sampled from /proc, nearest-rank latency percentiles and the result table."""

from __future__ import annotations

import contextlib
import math
import os
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clients import Outcome
from common import console
from rich.table import Table


def _status_kib(pid: int, name: str) -> int:
    """A memory figure (VmRSS, VmHWM) of a process from /proc, in KiB; 0 when it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(rf"^{name}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def _process_tree(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            for child in task.read_text().split():
                found += _process_tree(int(child))
    return found


class MemoryWatch(threading.Thread):
    """Samples the resident memory of a process and its children (psutil is not needed: /proc has it).

    `peak_total_kib` is the highest sampled sum over the tree; `peak_process_kib` the highest VmHWM (the
    kernel's own peak) of any one process in it, so short peaks between samples are not missed there.
    """

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(name=f"memory-{pid}", daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_total_kib = 0
        self.peak_process_kib = 0
        self.available = Path("/proc/self/status").exists()
        self._done = threading.Event()

    def sample(self) -> None:
        pids = _process_tree(self.pid)
        self.peak_total_kib = max(self.peak_total_kib, sum(_status_kib(pid, "VmRSS") for pid in pids))
        self.peak_process_kib = max(self.peak_process_kib, *(_status_kib(pid, "VmHWM") for pid in pids))

    def run(self) -> None:
        while self.available and not self._done.wait(self.interval):
            self.sample()

    def finish(self) -> None:
        if self.available:
            self.sample()
        self._done.set()


@dataclass
class Result:
    label: str
    database: str
    reports: int
    concurrency: int
    wall_seconds: float
    outcomes: list[Outcome]
    kdf: dict[str, Any]
    server: str
    server_peak_kib: int
    server_process_peak_kib: int
    worker_peak_kib: int
    stored: dict[str, int]
    load: tuple[float, float]

    @property
    def failures(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if not outcome.ok]


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `fraction` of all values at or below it."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB" if kib else "not measured"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def print_result(result: Result) -> None:
    posts = [outcome.post_seconds for outcome in result.outcomes if outcome.ok]
    gets = [outcome.get_seconds for outcome in result.outcomes if outcome.get_seconds]
    ok = len(posts)
    kdf = result.kdf
    table = Table(title=f"Report form benchmark: {result.label}", title_justify="left", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    table.add_row("database", result.database)
    table.add_row(
        "machine",
        f"{os.cpu_count()} CPUs; load average (1 min) {result.load[0]:.1f} before the clients started, "
        f"{result.load[1]:.1f} at the end (the benchmark's own processes included)",
    )
    table.add_row("server", result.server)
    table.add_row(
        "receipt KDF",
        f"Argon2id, memory {kdf['memory_kib']} KiB, iterations {kdf['iterations']}, lanes {kdf['lanes']} "
        + ("(--fast-kdf)" if kdf["fast"] else "(production default)"),
    )
    table.add_row("reports", f"{result.reports} ({ok} with a receipt)")
    table.add_row("concurrency", f"{result.concurrency} clients")
    table.add_row("wall time", f"{result.wall_seconds:.1f} s")
    table.add_row("throughput", f"{ok / result.wall_seconds:.2f} reports/s")
    table.add_row(
        "POST latency",
        f"p50 {_ms(percentile(posts, 0.50))}, p95 {_ms(percentile(posts, 0.95))}, "
        f"p99 {_ms(percentile(posts, 0.99))}, max {_ms(max(posts, default=math.nan))}",
    )
    table.add_row("GET form latency", f"p50 {_ms(percentile(gets, 0.50))}, p95 {_ms(percentile(gets, 0.95))}")
    table.add_row("errors", str(len(result.failures)))
    table.add_row(
        "server peak RSS",
        f"{_mib(result.server_peak_kib)} (gunicorn master and workers together); largest single process "
        f"{_mib(result.server_process_peak_kib)}",
    )
    table.add_row("task worker peak RSS", _mib(result.worker_peak_kib))
    stored = result.stored
    table.add_row(
        "stored",
        f"{stored['reports']} reports, {stored['attachments']} files, {stored['handler_keys']} handler and "
        f"{stored['recovery_keys']} recovery key wraps; notification tasks: {stored['tasks_done']} done, "
        f"{stored['tasks'] - stored['tasks_done']} still queued when the server stopped",
    )
    console.print(table)
    problems = Counter(outcome.problem for outcome in result.failures)
    for problem, count in problems.most_common(5):
        console.print(f"  [red]{count} x {problem}[/red]")
