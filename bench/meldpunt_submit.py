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
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import math
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date
from http.cookies import SimpleCookie
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

import psycopg
from PIL import Image
from psycopg import sql
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from meldpunt import vocabulary

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
PREPARE_FLAG = "--prepare-installation"
INSPECT_FLAG = "--inspect-installation"
FAST_KDF = {"ZORGVEILIG_KDF_MEMORY_KIB": "8192", "ZORGVEILIG_KDF_ITERATIONS": "1"}
# Variables of the calling shell that would change what is measured; the server gets only ours.
_OWN_VARIABLES = (
    "DATABASE_URL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DEBUG",
    "ZORGVEILIG_DATA_DIR",
    "ZORGVEILIG_DEMO",
    "ZORGVEILIG_HTTPS",
    "ZORGVEILIG_KDF_MEMORY_KIB",
    "ZORGVEILIG_KDF_ITERATIONS",
    "ZORGVEILIG_REPORT_RATE_LIMIT",
    "ZORGVEILIG_REPORT_GLOBAL_RATE_LIMIT",
    "ZORGVEILIG_SMTP_HOST",
    "DJANGO_SETTINGS_MODULE",
)
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken"\s+value="([^"]+)"')
_RECEIPT = re.compile(
    r'class="receipt-code"[^>]*>\s*<code>([0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3})</code>'
)

# Wide enough for the result table when the output goes to a file.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)


class BenchError(Exception):
    """The benchmark cannot go on (a server did not start, a setup step failed); the message says why."""


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


# Files and report contents ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class File:
    name: str
    content_type: str
    data: bytes


def _noise_image(side: int, rng: random.Random, image_format: str) -> bytes:
    # Noise does not compress: the file is as large as asked, and Pillow on the server really reads it.
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **({"quality": 90} if image_format == "JPEG" else {}))
    return buffer.getvalue()


def make_image(target_bytes: int, rng: random.Random, image_format: str) -> bytes:
    side = max(8, int(math.sqrt(target_bytes / 3)))
    data = _noise_image(side, rng, image_format)
    # One correction for the format's own ratio of bytes to pixels.
    side = max(8, int(side * math.sqrt(target_bytes / len(data))))
    return _noise_image(side, rng, image_format)


_WORDS = (
    *("patiënt", "dreigde", "wachtkamer", "praktijk", "dienst", "avond", "ingang", "auto", "bericht"),
    *("telefoon", "collega", "politie", "melding", "aangifte", "familie", "bezoeker", "nachtdienst"),
    *("afdeling", "receptie", "huisbezoek"),
)


def _sentences(target_bytes: int, rng: random.Random) -> str:
    lines: list[str] = []
    size = 0
    while size < target_bytes:
        line = " ".join(rng.choice(_WORDS) for _ in range(12)).capitalize() + "."
        lines.append(line)
        size += len(line.encode()) + 1
    return "\n".join(lines) + "\n"


def make_text(target_bytes: int, rng: random.Random) -> bytes:
    return _sentences(target_bytes, rng).encode()


def make_pdf(target_bytes: int, rng: random.Random) -> bytes:
    """A small valid PDF: one page whose content stream holds enough lines of text to reach the size."""
    lines = _sentences(max(target_bytes - 600, 100), rng).splitlines()
    stream = "BT /F1 9 Tf 40 800 Td 11 TL\n" + "".join(f"({line}) '\n" for line in lines) + "ET\n"
    stream_bytes = stream.encode("latin-1", errors="replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream_bytes) + stream_bytes + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@dataclass(frozen=True)
class FilePool:
    """A few files made once, reused by the reports: making a photo per report would measure the client."""

    images: list[File]
    documents: list[File]

    @classmethod
    def make(cls, image_kib: int, document_kib: int, seed: int) -> FilePool:
        rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        images = [
            File(f"foto-{number}.{suffix}", content_type, make_image(image_kib * 1024, rng, image_format))
            for number in range(4)
            for image_format, suffix, content_type in (
                ("PNG", "png", "image/png"),
                ("JPEG", "jpg", "image/jpeg"),
            )
        ]
        documents = [
            file
            for number in range(4)
            for file in (
                File(f"brief-{number}.pdf", "application/pdf", make_pdf(document_kib * 1024, rng)),
                File(f"berichten-{number}.txt", "text/plain", make_text(document_kib * 1024, rng)),
            )
        ]
        return cls(images, documents)

    def files_for(self, rng: random.Random) -> list[File]:
        """One photo, and a PDF or text file for every other report: one or two files each."""
        files = [rng.choice(self.images)]
        if rng.random() < 0.5:
            files.append(rng.choice(self.documents))
        return files


def _some(rng: random.Random, values: Sequence[str], most: int) -> list[str]:
    return rng.sample(list(values), rng.randint(0, most))


def report_fields(number: int, rng: random.Random) -> list[tuple[str, str]]:
    """The form fields of one report, with codes from meldpunt.vocabulary, as a browser would send them."""
    channel = rng.choice(vocabulary.Channel.values)
    fields: list[tuple[str, str]] = [
        ("kinds", kind) for kind in rng.sample(vocabulary.Kind.values, rng.randint(1, 3))
    ]
    fields += [
        ("channel", channel),
        ("channel_platform", f"Platform {number}" if channel in ("social_media", "messaging_app") else ""),
        ("place", rng.choice(vocabulary.Place.values)),
        ("perpetrator", rng.choice(vocabulary.Perpetrator.values)),
        ("perpetrator_in_care", rng.choice(vocabulary.InCare.values)),
        ("occurred_day", str(rng.randint(1, 28)) if rng.random() < 0.6 else ""),
        ("occurred_month", str(rng.randint(1, 12))),
        ("occurred_year", str(date.today().year - 1)),
        ("frequency", rng.choice(vocabulary.Frequency.values)),
        ("profession", rng.choice(vocabulary.Profession.values)),
        ("sector", rng.choice(vocabulary.Sector.values)),
        ("province", rng.choice(["", *vocabulary.Province.values])),
        ("narrative", f"Benchmarkmelding {number}. " + _sentences(rng.randint(300, 1500), rng)),
    ]
    fields += [("consequences", value) for value in _some(rng, vocabulary.Consequence.values, 2)]
    fields += [("steps_taken", value) for value in _some(rng, vocabulary.StepTaken.values, 2)]
    named = rng.random() < 0.6
    preference = rng.choice(vocabulary.ContactPreference.values) if named else "receipt_only"
    fields += [
        ("name", f"Testpersoon {number}" if named else ""),
        ("employer", "Benchmarkpraktijk" if named else ""),
        ("role", "Huisarts" if named else ""),
        ("contact_preference", preference),
        ("email", f"melder-{number}@example.invalid" if preference == "email" else ""),
        ("phone", f"06{number:08d}" if preference == "phone" else ""),
    ]
    return fields


def multipart(fields: Sequence[tuple[str, str]], files: Sequence[File]) -> tuple[bytes, str]:
    boundary = f"----ZorgVeiligBench{secrets.token_hex(12)}"
    body = bytearray()
    for name, value in fields:
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        body += value.encode() + b"\r\n"
    for file in files:
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="{file.name}"'
            f"\r\nContent-Type: {file.content_type}\r\n\r\n"
        ).encode()
        body += file.data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), f"multipart/form-data; boundary={boundary}"


# The clients --------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    ok: bool
    post_seconds: float = 0.0
    get_seconds: float = 0.0
    problem: str = ""


class Submitter:
    """What one anonymous visitor's browser does: open the form, send the report, read the receipt."""

    def __init__(self, port: int, form_path: str, pool: FilePool, seed: int, timeout: int) -> None:
        self.port = port
        self.form_path = form_path
        self.pool = pool
        self.seed = seed
        self.timeout = timeout
        self.origin = f"http://{HOST}:{port}"
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            self._local.connection = connection
        return connection

    def _request(
        self, method: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, str, list[str]]:
        connection = self._connection()
        try:
            connection.request(method, self.form_path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read().decode("utf-8", errors="replace")
        except (OSError, http.client.HTTPException):
            # Next request starts a new connection; the caller counts this one as failed.
            connection.close()
            self._local.connection = None
            raise
        return response.status, content, response.headers.get_all("Set-Cookie") or []

    def submit(self, number: int) -> Outcome:
        rng = random.Random(f"{self.seed}:{number}")  # noqa: S311 - reproducible test data
        browser = {"User-Agent": "ZorgVeiligBench/1.0", "Accept-Language": "nl-NL,nl;q=0.9"}
        started = time.perf_counter()
        try:
            status, page, cookies = self._request("GET", None, browser)
        except (OSError, http.client.HTTPException) as error:
            return Outcome(False, problem=f"GET form: {type(error).__name__}: {error}")
        get_seconds = time.perf_counter() - started
        token = _CSRF_INPUT.search(page)
        jar = SimpleCookie()
        for header in cookies:
            jar.load(header)
        if status != 200 or token is None or "csrftoken" not in jar:
            return Outcome(False, get_seconds=get_seconds, problem=f"GET form: HTTP {status}, no CSRF token")
        fields = [("csrfmiddlewaretoken", token.group(1)), *report_fields(number, rng)]
        body, content_type = multipart(fields, self.pool.files_for(rng))
        headers = {
            **browser,
            "Content-Type": content_type,
            "Cookie": f"csrftoken={jar['csrftoken'].value}",
            "Origin": self.origin,
            "Referer": self.origin + self.form_path,
        }
        started = time.perf_counter()
        try:
            status, page, _cookies = self._request("POST", body, headers)
        except (OSError, http.client.HTTPException) as error:
            return Outcome(False, get_seconds=get_seconds, problem=f"POST: {type(error).__name__}: {error}")
        post_seconds = time.perf_counter() - started
        if status != 200:
            return Outcome(False, post_seconds, get_seconds, f"POST: HTTP {status}")
        if _RECEIPT.search(page) is None:
            return Outcome(False, post_seconds, get_seconds, "POST: HTTP 200 without a receipt code")
        return Outcome(True, post_seconds, get_seconds)


# Processes and their memory ------------------------------------------------------------------------------------


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    # Linux: when the benchmark is killed without a chance to clean up, the kernel stops its servers too.
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


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


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _stop_process(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def _tail(path: Path, lines: int = 25) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


@dataclass
class Installation:
    """One fresh ZorgVeilig: data directory, database, environment, and the processes serving it."""

    label: str
    data_dir: Path
    database_url: str
    fast_kdf: bool
    environment: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        environment = {key: value for key, value in os.environ.items() if key not in _OWN_VARIABLES}
        environment.update(
            {
                "DJANGO_SETTINGS_MODULE": "zorgveilig.settings",
                "DATABASE_URL": self.database_url,
                "ZORGVEILIG_DATA_DIR": str(self.data_dir),
                "ALLOWED_HOSTS": HOST,
                "DEBUG": "0",
                "ZORGVEILIG_DEMO": "0",
                # TLS is the proxy's work in production and not what is measured here; with HTTPS on, the
                # plain-HTTP clients would only be redirected.
                "ZORGVEILIG_HTTPS": "0",
                "ZORGVEILIG_REPORT_RATE_LIMIT": "1000000",
                "ZORGVEILIG_REPORT_GLOBAL_RATE_LIMIT": "10000000",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.fast_kdf:
            environment.update(FAST_KDF)
        self.environment = environment

    def _run(self, arguments: list[str], what: str) -> str:
        result = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
            arguments, env=self.environment, cwd=REPO, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise BenchError(f"{self.label}: {what} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def prepare(self) -> dict[str, Any]:
        self._run([str(BIN / "zorgveilig"), "migrate", "--no-input", "--verbosity", "0"], "migrate")
        output = self._run([sys.executable, __file__, PREPARE_FLAG], "creating the organisation")
        return dict(json.loads(output.strip().splitlines()[-1]))

    def inspect(self) -> dict[str, int]:
        output = self._run([sys.executable, __file__, INSPECT_FLAG], "counting what was stored")
        return {key: int(value) for key, value in json.loads(output.strip().splitlines()[-1]).items()}

    def _start(self, arguments: list[str], log_name: str) -> subprocess.Popen[bytes]:
        log = (self.data_dir / log_name).open("wb")
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            arguments,
            env=self.environment,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Own process group: Ctrl-C reaches only the benchmark, which then stops these in order.
            process_group=0,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        log.close()
        self.processes.append(process)
        return process

    def start_server(self, port: int, workers: int, threads: int, form_path: str) -> subprocess.Popen[bytes]:
        server = self._start(
            [
                str(BIN / "gunicorn"),
                "zorgveilig.wsgi",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--worker-class",
                "gthread" if threads > 1 else "sync",
                "--timeout",
                "120",
                "--graceful-timeout",
                "10",
                "--no-control-socket",
                "--worker-tmp-dir",
                str(self.data_dir),
            ],
            "gunicorn.log",
        )
        self._wait_until_serving(server, port, form_path)
        return server

    def start_task_worker(self) -> subprocess.Popen[bytes]:
        return self._start(
            [
                str(BIN / "zorgveilig"),
                "db_worker",
                "--no-reload",
                "--no-startup-delay",
                "--queue-name",
                "*",
                "--interval",
                "1",
            ],
            "task-worker.log",
        )

    def _wait_until_serving(self, server: subprocess.Popen[bytes], port: int, form_path: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise BenchError(
                    f"{self.label}: gunicorn stopped with status {server.returncode}:\n"
                    + _tail(self.data_dir / "gunicorn.log")
                )
            with contextlib.suppress(OSError, http.client.HTTPException):
                connection = http.client.HTTPConnection(HOST, port, timeout=5)
                connection.request("GET", form_path)
                status = connection.getresponse().status
                connection.close()
                if status == 200:
                    return
            time.sleep(0.2)
        raise BenchError(
            f"{self.label}: gunicorn did not answer within 60 s:\n" + _tail(self.data_dir / "gunicorn.log")
        )

    def stop(self) -> None:
        # The server first, so no new tasks come in; then the worker, which finishes its current task.
        for process in reversed(self.processes):
            _stop_process(process)
        self.processes.clear()


# PostgreSQL -----------------------------------------------------------------------------------------------------


def _postgresql_connection(url: str) -> psycopg.Connection[Any]:
    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or HOST,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname=parts.path.lstrip("/") or "postgres",
        connect_timeout=5,
        autocommit=True,
    )


@contextlib.contextmanager
def postgresql_database(url: str) -> Iterator[tuple[str, str] | None]:
    """A new, empty database on the server of `url` for the length of the block, dropped afterwards.

    Yields (DATABASE_URL, server version), or None when the server cannot be reached (the caller skips).
    """
    try:
        admin = _postgresql_connection(url)
    except psycopg.Error as error:
        console.print(
            f"[yellow]PostgreSQL at {urlsplit(url).netloc} cannot be reached, so it is skipped:[/yellow] "
            f"{str(error).strip()}"
        )
        yield None
        return
    name = f"zorgveilig_bench_{secrets.token_hex(4)}"
    parts = urlsplit(url)
    with admin:
        row = admin.execute("SHOW server_version").fetchone()
        version = str(row[0]) if row else "(unknown version)"
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield parts._replace(path=f"/{name}").geturl(), version
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# Measuring ------------------------------------------------------------------------------------------------------


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


def submit_all(
    submitter: Submitter, reports: int, concurrency: int, label: str
) -> tuple[float, list[Outcome]]:
    outcomes: list[Outcome] = []
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="client")
    pending: set[Future[Outcome]] = set()
    numbers = iter(range(reports))
    with Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:.1f} reports/s, {task.fields[errors]} errors"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("", total=reports, rate=0.0, errors=0)
        started = time.perf_counter()
        try:
            # Never more in flight than there are clients, so a Ctrl-C leaves no queue behind.
            for number in numbers:
                pending.add(pool.submit(submitter.submit, number))
                if len(pending) >= concurrency:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    outcomes += [future.result() for future in done]
                    progress.update(
                        task,
                        completed=len(outcomes),
                        rate=len(outcomes) / (time.perf_counter() - started),
                        errors=sum(not outcome.ok for outcome in outcomes),
                    )
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                outcomes += [future.result() for future in done]
                progress.update(
                    task,
                    completed=len(outcomes),
                    rate=len(outcomes) / (time.perf_counter() - started),
                    errors=sum(not outcome.ok for outcome in outcomes),
                )
            wall = time.perf_counter() - started
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
    return wall, outcomes


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
            port = _free_port()
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


# Steps that run inside a benchmark installation (with its environment) ----------------------------------------


def prepare_installation() -> None:
    """Create what a real installation has before it takes reports; print what the benchmark needs."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory
    from django.urls import reverse
    from django.utils import translation

    from accounts import keys
    from accounts.models import Membership, Organisation, User
    from accounts.roles import Role
    from meldpunt.models import RoutingRule

    organisation = Organisation.objects.create(
        name="Benchmark Beroepsvereniging",
        slug="benchmark",
        kind=Organisation.Kind.PROFESSIONAL_ASSOCIATION,
    )
    RoutingRule.objects.create(organisation=organisation)
    keys.create_recovery_key(organisation)
    password = secrets.token_urlsafe(24)
    handler = User.objects.create_user(
        username="bench-handler", email="bench-handler@example.invalid", password=password
    )
    Membership.objects.create(user=handler, organisation=organisation, role=Role.CASE_HANDLER)
    # What the handler's first login does: create the key pair, its private half sealed under the password.
    request = RequestFactory().post("/")
    request.session = SessionStore()
    keys.unlock(request, handler, password)
    with translation.override(settings.LANGUAGE_CODE):
        form_path = reverse("meldpunt:report")
    print(
        json.dumps(
            {
                "form_path": form_path,
                "kdf": {
                    "memory_kib": settings.KDF_MEMORY_KIB,
                    "iterations": settings.KDF_ITERATIONS,
                    "lanes": settings.KDF_LANES,
                    "fast": os.environ.get("ZORGVEILIG_KDF_MEMORY_KIB")
                    == FAST_KDF["ZORGVEILIG_KDF_MEMORY_KIB"],
                },
            }
        )
    )


def inspect_installation() -> None:
    import django

    django.setup()
    from django_tasks_db.models import DBTaskResult

    from meldpunt.models import Attachment, Report, ReportKey

    print(
        json.dumps(
            {
                "reports": Report.objects.count(),
                "attachments": Attachment.objects.count(),
                "handler_keys": ReportKey.objects.filter(kind=ReportKey.Kind.HANDLER).count(),
                "recovery_keys": ReportKey.objects.filter(kind=ReportKey.Kind.RECOVERY).count(),
                "tasks": DBTaskResult.objects.count(),
                "tasks_done": DBTaskResult.objects.filter(status="SUCCESSFUL").count(),
            }
        )
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
