"""Enqueueing the meldpunt's periodic tasks when they are due: reminders every quarter hour, retention daily.

Django's tasks framework has no periodic scheduler, so this is a small one. It needs no table of its own:
the task results the database backend keeps (django_tasks_db's DBTaskResult) already say when each task was
last enqueued. A job is due when its last enqueue is at least its interval ago and none of its runs is still
waiting in the queue (a stopped worker does not make the queue grow by one task per interval).

The check and the enqueue happen in one transaction that holds the database's write lock (SQLite: an
exclusive transaction; PostgreSQL: a transaction-level advisory lock), so several processes ticking at once
(two `zorgveilig serve`, or cron next to `serve`) enqueue each task once. Pruning old task results
(`prune_db_task_results`) at most makes a task run one interval early; both tasks are idempotent.

`zorgveilig serve` runs `Scheduler` in a thread; `zorgveilig meldpunt_housekeeping --enqueue` does one tick
(for cron). The intervals are settings in minutes: MELDPUNT_REMINDER_INTERVAL_MINUTES (default 15) and
MELDPUNT_RETENTION_INTERVAL_MINUTES (default 1440).
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, connections
from django.db.models import Max
from django.tasks import Task, TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from meldpunt.reminders import send_acknowledgement_reminders
from meldpunt.retention import erase_expired_reports

logger = logging.getLogger(__name__)

DEFAULT_REMINDER_MINUTES = 15
DEFAULT_RETENTION_MINUTES = 24 * 60
TICK_SECONDS = 60.0
_LOCK_KEY = zlib.crc32(b"zorgveilig.meldpunt.scheduler")


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: Task
    interval: timedelta


def _minutes(name: str, default: int) -> timedelta:
    value = int(getattr(settings, name, default))
    if value < 1:
        raise ValueError(f"{name} must be at least 1 minute, not {value}")
    return timedelta(minutes=value)


def periodic_jobs() -> list[PeriodicJob]:
    """The jobs with their intervals as the settings say now."""
    return [
        PeriodicJob(
            "reminders",
            send_acknowledgement_reminders,
            _minutes("MELDPUNT_REMINDER_INTERVAL_MINUTES", DEFAULT_REMINDER_MINUTES),
        ),
        PeriodicJob(
            "retention",
            erase_expired_reports,
            _minutes("MELDPUNT_RETENTION_INTERVAL_MINUTES", DEFAULT_RETENTION_MINUTES),
        ),
    ]


def last_enqueued(task: Task) -> datetime | None:
    result: datetime | None = DBTaskResult.objects.filter(task_path=task.module_path).aggregate(
        last=Max("enqueued_at")
    )["last"]
    return result


def is_waiting(task: Task) -> bool:
    return DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY).exists()


def is_due(job: PeriodicJob, now: datetime) -> bool:
    if is_waiting(job.task):
        return False
    last = last_enqueued(job.task)
    return last is None or last <= now - job.interval


@contextmanager
def _scheduler_lock() -> Iterator[None]:
    with exclusive_transaction():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        yield


@dataclass(frozen=True)
class Enqueued:
    job: PeriodicJob
    result_id: str


def enqueue_due(
    now: datetime | None = None, *, force: bool = False, only: set[str] | None = None
) -> list[Enqueued]:
    """One tick: enqueue every job that is due (every job with `force`); returns what was enqueued.

    `only` limits the tick to the jobs with these names ("reminders", "retention").
    """
    moment = now or timezone.now()
    enqueued = []
    for job in periodic_jobs():
        if only is not None and job.name not in only:
            continue
        with _scheduler_lock():
            if force or is_due(job, moment):
                result = job.task.enqueue()
                enqueued.append(Enqueued(job, str(result.id)))
    for item in enqueued:
        logger.info("Enqueued the periodic task %s (%s)", item.job.name, item.result_id)
    return enqueued


class Scheduler:
    """`enqueue_due` every `tick` seconds in a daemon thread, until `stop()`."""

    def __init__(self, tick: float = TICK_SECONDS) -> None:
        self.tick = tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ticks = 0  # finished ticks, for watching the loop without touching the database

    def describe(self) -> str:
        return ", ".join(
            f"{job.name} every {int(job.interval.total_seconds() // 60)} min" for job in periodic_jobs()
        )

    def start(self) -> None:
        periodic_jobs()  # a bad setting shows now, not in the thread
        self._thread = threading.Thread(target=self._run, name="meldpunt-scheduler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                enqueue_due()
            except DatabaseError:
                # A busy or briefly unreachable database: the next tick tries again.
                logger.exception("The scheduler could not check the periodic tasks")
            finally:
                # This thread's connection only; a long-lived idle connection would hold SQLite's WAL.
                connections.close_all()
                self.ticks += 1
            self._stop.wait(self.tick)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
