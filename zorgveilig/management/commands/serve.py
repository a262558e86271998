"""`zorgveilig serve`: the web site and the background task worker together, stopped together.

For a single machine (the demo, a small installation): the worker runs as a child process with the same
interpreter and environment, the site in this process with Django's threaded server (static files come
from WhiteNoise). Ctrl-C or SIGTERM stops both; if the worker dies, the site is stopped too, so tasks never
pile up unnoticed behind a site that still answers.

A thread in this process enqueues the periodic tasks when they are due (meldpunt.scheduler: reminders,
retention); `--no-scheduler` leaves that to cron (`zorgveilig meldpunt_housekeeping --enqueue`).
"""

from __future__ import annotations

import _thread
import signal
import subprocess
import sys
import threading
from types import FrameType
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.commands.runserver import Command as RunserverCommand

from meldpunt.scheduler import Scheduler


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError(raw)
    return value


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    # Linux: if `serve` itself is killed without a chance to clean up, the kernel stops the worker too.
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Worker:
    """The `db_worker` child process, and a watcher thread that notices when it exits on its own."""

    def __init__(self, *, interval: float, out: Any, err: Any) -> None:
        self.interval = interval
        self.out = out
        self.err = err
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = False
        self.died = False

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "zorgveilig.cli",
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--queue-name",
            "*",
            "--interval",
            str(self.interval),
        ]
        # Its own process group: Ctrl-C in the terminal reaches only `serve`, which then stops the worker
        # once, gracefully (a second signal would make the worker abandon its current task).
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            command,
            process_group=0,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        threading.Thread(target=self._watch, name="worker-watch", daemon=True).start()

    def _watch(self) -> None:
        assert self.process is not None
        code = self.process.wait()
        if not self.stopping:
            self.died = True
            self.err.write(
                f"The task worker (pid {self.process.pid}) stopped unexpectedly with exit status {code}; "
                "stopping the web server too."
            )
            _thread.interrupt_main()

    def stop(self, timeout: float) -> None:
        self.stopping = True
        process = self.process
        if process is None or process.poll() is not None:
            return
        self.out.write(f"Stopping the task worker (pid {process.pid}), waiting up to {timeout:g} s...")
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.err.write(f"The task worker did not stop within {timeout:g} s; killing it.")
            process.kill()
            process.wait(timeout=timeout)
        self.out.write("Task worker stopped.")


class _Server(RunserverCommand):
    """Django's development server that starts the worker once it has bound its port.

    Starting the worker only after the bind means a port already in use (which ends runserver at once)
    never leaves a worker behind.
    """

    def __init__(self, worker: Worker, scheduler: Scheduler | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.worker = worker
        self.scheduler = scheduler

    def on_bind(self, server_port: int) -> None:
        super().on_bind(server_port)
        self.worker.start()
        assert self.worker.process is not None
        if self.scheduler is not None:
            self.scheduler.start()
        schedule = self.scheduler.describe() if self.scheduler is not None else "off (--no-scheduler)"
        # Set by runserver's handle() from --addrport; not declared on the class.
        addr: str = getattr(self, "addr", "127.0.0.1")
        host = f"[{addr}]" if getattr(self, "_raw_ipv6", False) else ("0.0.0.0" if addr == "0" else addr)  # noqa: S104
        base = f"{self.protocol}://{host}:{server_port}"
        self.stdout.write(
            "ZorgVeilig is running:\n"
            f"  web site (Dutch):   {base}/\n"
            f"  web site (English): {base}/en/\n"
            f"  task worker:        running (pid {self.worker.process.pid})\n"
            f"  periodic tasks:     {schedule}\n"
            "Press Ctrl-C to stop both."
        )


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Serve the site and run the background task worker until Ctrl-C or SIGTERM stops both."
    # The server runs the system checks itself, once.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--addrport",
            default="127.0.0.1:8000",
            help="address and port of the web server (default: %(default)s)",
        )
        parser.add_argument(
            "--worker-interval",
            type=_positive_float,
            default=1.0,
            help="seconds the worker waits between looks for new tasks (default: %(default)s)",
        )
        parser.add_argument(
            "--shutdown-timeout",
            type=_positive_float,
            default=10.0,
            help="seconds to let the worker finish its current task on stop, before killing it "
            "(default: %(default)s)",
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="do not enqueue the periodic tasks (reminders, retention) from here; run "
            "`zorgveilig meldpunt_housekeeping --enqueue` from cron instead",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker = Worker(interval=options["worker_interval"], out=self.stdout, err=self.stderr)
        scheduler = None if options["no_scheduler"] else Scheduler()
        server = _Server(worker, scheduler, stdout=self.stdout, stderr=self.stderr)
        # Both signals stop both processes, also when the shell started us with SIGINT ignored
        # (a background job), where Python would not turn SIGINT into KeyboardInterrupt.
        previous_int = signal.signal(signal.SIGINT, _interrupt)
        previous_term = signal.signal(signal.SIGTERM, _interrupt)
        try:
            call_command(
                server,
                options["addrport"],
                use_reloader=False,
                use_threading=True,
                shutdown_message="Web server stopped.",
            )
        except (KeyboardInterrupt, SystemExit):
            # runserver turns Ctrl-C into SystemExit(0); an interrupt that arrives before the server
            # loop runs comes as KeyboardInterrupt.
            pass
        finally:
            # A second Ctrl-C while the worker finishes its task must not cut the clean-up short.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            try:
                if scheduler is not None:
                    scheduler.stop()
                worker.stop(options["shutdown_timeout"])
            finally:
                signal.signal(signal.SIGINT, previous_int)
                signal.signal(signal.SIGTERM, previous_term)
        if worker.died:
            raise CommandError("stopped because the task worker died", returncode=1)
