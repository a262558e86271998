"""`zorgveilig serve`: site and task worker start together and stop together."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_audit_cli import ZORGVEILIG, migrated_database, site_environment

TIMEOUT = 30

__all__ = ["migrated_database"]  # a fixture: pytest finds it by name in this module


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Served:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float = TIMEOUT) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.output.append(line)
            if match := re.search(pattern, line):
                return match
        raise AssertionError(f"no line matching {pattern!r} within {timeout} s:\n{''.join(self.output)}")


@pytest.fixture
def migrated(tmp_path: Path, migrated_database: Path) -> Path:
    shutil.copyfile(migrated_database, tmp_path / "zorgveilig.sqlite3")
    return tmp_path


@pytest.fixture
def served(migrated: Path) -> Iterator[tuple[Served, int]]:
    port = free_port()
    process = subprocess.Popen(
        [ZORGVEILIG, "serve", "--addrport", f"127.0.0.1:{port}", "--worker-interval", "0.2"],
        env=site_environment(migrated),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield Served(process), port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=TIMEOUT)


def get_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a local http URL
            return int(response.status)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def wait_for_status(url: str, expected: int, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if get_status(url) == expected:
            return
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer {expected} within {timeout} s")


def wait_until_gone(pid: int, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while process_exists(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process_exists(pid), f"process {pid} still runs"


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_serve_starts_site_and_worker_and_stops_both(served: tuple[Served, int], stop_signal: int) -> None:
    serve, port = served
    worker_pid = int(serve.wait_for(r"task worker:.*pid (\d+)").group(1))
    assert process_exists(worker_pid)
    wait_for_status(f"http://127.0.0.1:{port}/", 200)
    # Static files come from WhiteNoise (with its finders) while DEBUG is off.
    assert get_status(f"http://127.0.0.1:{port}/static/admin/css/base.css") == 200

    serve.process.send_signal(stop_signal)
    assert serve.process.wait(timeout=TIMEOUT) == 0
    wait_until_gone(worker_pid, timeout=5)
    assert get_status(f"http://127.0.0.1:{port}/") is None


def test_serve_stops_when_the_worker_dies(served: tuple[Served, int]) -> None:
    serve, port = served
    worker_pid = int(serve.wait_for(r"task worker:.*pid (\d+)").group(1))
    wait_for_status(f"http://127.0.0.1:{port}/", 200)

    os.kill(worker_pid, signal.SIGKILL)
    serve.wait_for(r"task worker .* stopped unexpectedly")
    assert serve.process.wait(timeout=TIMEOUT) == 1
    assert get_status(f"http://127.0.0.1:{port}/") is None
