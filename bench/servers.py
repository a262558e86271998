"""A fresh installation per database and its processes: data directory, PostgreSQL database, migrate and
the organisation, gunicorn and the task worker, and stopping and removing them again.

`prepare_installation` and `inspect_installation` run inside the installation, in a child process started
with its environment (the entry script's --prepare-installation and --inspect-installation).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from common import BIN, ENTRY, FAST_KDF, HOST, INSPECT_FLAG, PREPARE_FLAG, REPO, BenchError, console
from psycopg import sql

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


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    # Linux: when the benchmark is killed without a chance to clean up, the kernel stops its servers too.
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
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
        output = self._run([sys.executable, str(ENTRY), PREPARE_FLAG], "creating the organisation")
        return dict(json.loads(output.strip().splitlines()[-1]))

    def inspect(self) -> dict[str, int]:
        output = self._run([sys.executable, str(ENTRY), INSPECT_FLAG], "counting what was stored")
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
