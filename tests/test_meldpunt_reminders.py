"""Reminders of reports nobody acknowledged in time, and the scheduler that enqueues the periodic tasks.

The reminder task runs in the real worker and its email goes through the locmem backend pytest-django sets
up; the scheduler is checked against the task results in the database, and across real processes.
"""

from __future__ import annotations

import io
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.tasks import TaskResultStatus
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from accounts.models import Organisation, ThrottleFailure
from accounts.roles import Role
from accounts.throttle import LOGIN_ACCOUNT_SCOPE
from audit.models import Event
from jobs.models import TaskProgress
from meldpunt import actions, reminders, retention, scheduler
from meldpunt.models import OrganisationPolicy, Report
from meldpunt.notifications import send_notification
from tests.conftest import MakeMember, run_worker
from tests.meldpunt_helpers import (
    NARRATIVE,
    REPORTER_EMAIL,
    REPORTER_NAME,
    cleaned_report_data,
    route_everything_to,
)
from tests.test_audit_cli import ZORGVEILIG, migrated_database, site_environment
from tests.test_serve import Served, free_port, wait_for_status

__all__ = ["migrated_database"]  # a fixture: pytest finds it by name in this module


@pytest.fixture(autouse=True)
def english_output() -> Iterator[None]:
    """The command's output is read in English here (Dutch, the default, is checked by the catalogue)."""
    with translation.override("en"):
        yield


TIMEOUT = 60


@pytest.fixture
def handlers(organisation: Organisation, make_member: MakeMember) -> list[Any]:
    route_everything_to(organisation)
    users = [make_member(Role.CASE_HANDLER, username=name) for name in ("handler-one", "handler-two")]
    for user in users:
        user.email = f"{user.username}@example.nl"
        user.save()
    return users


def new_report() -> Report:
    report, _code = actions.submit_report(
        cleaned_report_data(name=REPORTER_NAME, email=REPORTER_EMAIL, contact_preference="email")
    )
    return report


def overdue(report: Report, hours: float = 1) -> Report:
    """Move the deadline into the past, as if the report came in days ago."""
    Report.objects.filter(pk=report.pk).update(acknowledge_by=timezone.now() - timedelta(hours=hours))
    report.refresh_from_db()
    return report


# Reminders ---------------------------------------------------------------------------------------------------


@pytest.fixture
def reports(handlers: list[Any]) -> dict[str, Report]:
    reports = {
        "overdue": overdue(new_report()),
        "in time": new_report(),
        "acknowledged": overdue(new_report()),
        "reminded already": overdue(new_report()),
        "erased": overdue(new_report()),
    }
    Report.objects.filter(pk=reports["acknowledged"].pk).update(status=Report.Status.IN_TRIAGE)
    Report.objects.filter(pk=reports["reminded already"].pk).update(
        acknowledge_reminder_sent_at=timezone.now() - timedelta(days=1)
    )
    retention.erase_report(reports["erased"], actor=None, reason="reporter_request")
    Report.objects.filter(pk=reports["erased"].pk).update(status=Report.Status.NEW)  # as if still new
    return reports


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("restore_signals")
def test_reminder_task_emails_each_handler_once_for_each_overdue_report(reports: dict[str, Report]) -> None:
    run_worker()  # the new-report emails
    mail.outbox.clear()

    result = reminders.send_acknowledgement_reminders.enqueue()
    run_worker()

    target = reports["overdue"]
    assert sorted(message.to[0] for message in mail.outbox) == [
        "handler-one@example.nl",
        "handler-two@example.nl",
    ]
    for message in mail.outbox:
        assert f"#{target.pk}" in message.subject
        text = str(message.subject) + str(message.body)
        assert NARRATIVE[:20] not in text
        assert REPORTER_NAME not in text
        assert REPORTER_EMAIL not in text
    assert Report.objects.get(pk=target.pk).acknowledge_reminder_sent_at is not None
    for label in ("in time", "acknowledged"):
        assert Report.objects.get(pk=reports[label].pk).acknowledge_reminder_sent_at is None, label

    db_result = DBTaskResult.objects.get(id=result.id)
    assert db_result.status == TaskResultStatus.SUCCESSFUL
    assert db_result.return_value is not None
    assert db_result.return_value["overdue"] == db_result.return_value["reminded"] == 1
    progress = TaskProgress.objects.get(result_id=str(result.id))
    assert progress.done == progress.total == 1
    event = Event.objects.get(action="meldpunt.acknowledgement_reminder_queued")
    assert event.object_id == str(target.pk)
    assert event.details == {}

    # The next run finds nothing new: one reminder per report, ever.
    mail.outbox.clear()
    reminders.send_acknowledgement_reminders.enqueue()
    run_worker()
    assert mail.outbox == []


@pytest.mark.django_db
def test_second_worker_with_the_same_list_sends_nothing(handlers: list[Any]) -> None:
    report = overdue(new_report())
    # Both workers listed the report before either marked it.
    first_list = list(reminders.overdue_without_reminder().values_list("pk", flat=True))
    second_list = list(reminders.overdue_without_reminder().values_list("pk", flat=True))
    assert first_list == second_list == [report.pk]
    queued_before = DBTaskResult.objects.filter(task_path=send_notification.module_path).count()

    assert reminders.remind(report.pk) is True
    assert reminders.remind(report.pk) is False

    queued = DBTaskResult.objects.filter(task_path=send_notification.module_path).count() - queued_before
    assert queued == 1
    assert Event.objects.filter(action="meldpunt.acknowledgement_reminder_queued").count() == 1


@pytest.mark.django_db
def test_reminder_is_marked_even_when_the_organisation_turned_emails_off(
    handlers: list[Any], organisation: Organisation
) -> None:
    OrganisationPolicy.objects.create(organisation=organisation, notify_by_email=False)
    report = overdue(new_report())
    assert reminders.send_reminders().reminded == 1
    assert Report.objects.get(pk=report.pk).acknowledge_reminder_sent_at is not None


@pytest.mark.django_db
def test_old_throttle_rows_are_pruned(organisation: Organisation) -> None:
    now = timezone.now()
    ThrottleFailure.objects.create(
        scope=LOGIN_ACCOUNT_SCOPE, key_hash="a" * 64, created_at=now - timedelta(days=2)
    )
    ThrottleFailure.objects.create(
        scope="meldpunt.receipt.client", key_hash="b" * 64, created_at=now - timedelta(days=2)
    )
    recent = ThrottleFailure.objects.create(scope=LOGIN_ACCOUNT_SCOPE, key_hash="c" * 64, created_at=now)
    assert reminders.send_reminders().throttle_rows_pruned == 2
    assert list(ThrottleFailure.objects.values_list("pk", flat=True)) == [recent.pk]


# The scheduler -----------------------------------------------------------------------------------------------


def results_of(task: Any) -> int:
    return DBTaskResult.objects.filter(task_path=task.module_path).count()


def age(task: Any, minutes: float) -> None:
    """Make every result of `task` look `minutes` older, as if the clock had moved on."""
    for result in DBTaskResult.objects.filter(task_path=task.module_path):
        DBTaskResult.objects.filter(pk=result.pk).update(
            enqueued_at=result.enqueued_at - timedelta(minutes=minutes)
        )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("restore_signals")
def test_scheduler_enqueues_each_job_once_per_interval() -> None:
    reminder_task = reminders.send_acknowledgement_reminders
    retention_task = retention.erase_expired_reports

    first = scheduler.enqueue_due()
    assert sorted(item.job.name for item in first) == ["reminders", "retention"]
    assert scheduler.enqueue_due() == []  # both still waiting for the worker
    run_worker()
    assert scheduler.enqueue_due() == []  # ran just now
    assert (results_of(reminder_task), results_of(retention_task)) == (1, 1)

    age(reminder_task, 16)
    age(retention_task, 16)
    assert [item.job.name for item in scheduler.enqueue_due()] == ["reminders"]
    run_worker()
    age(retention_task, 24 * 60)
    assert [item.job.name for item in scheduler.enqueue_due()] == ["retention"]
    assert (results_of(reminder_task), results_of(retention_task)) == (2, 2)


@pytest.mark.django_db
def test_a_waiting_run_is_not_enqueued_again_however_old() -> None:
    scheduler.enqueue_due()
    age(reminders.send_acknowledgement_reminders, 3 * 24 * 60)
    assert scheduler.enqueue_due() == []
    assert results_of(reminders.send_acknowledgement_reminders) == 1


@pytest.mark.django_db
def test_intervals_are_settings_in_minutes(settings: Any) -> None:
    settings.MELDPUNT_REMINDER_INTERVAL_MINUTES = 5
    settings.MELDPUNT_RETENTION_INTERVAL_MINUTES = 60
    jobs = {job.name: job.interval for job in scheduler.periodic_jobs()}
    assert jobs == {"reminders": timedelta(minutes=5), "retention": timedelta(minutes=60)}
    settings.MELDPUNT_REMINDER_INTERVAL_MINUTES = 0
    with pytest.raises(ValueError, match="at least 1 minute"):
        scheduler.periodic_jobs()


@pytest.mark.django_db
def test_force_enqueues_even_when_not_due_and_only_limits_the_jobs() -> None:
    assert [item.job.name for item in scheduler.enqueue_due(only={"retention"})] == ["retention"]
    assert [item.job.name for item in scheduler.enqueue_due(force=True, only={"retention"})] == ["retention"]
    assert results_of(retention.erase_expired_reports) == 2
    assert results_of(reminders.send_acknowledgement_reminders) == 0


@pytest.mark.django_db(transaction=True)
def test_scheduler_thread_enqueues_and_stops() -> None:
    loop = scheduler.Scheduler(tick=0.05)
    loop.start()
    try:
        # Not polling the database meanwhile: the in-memory test database of SQLite is shared between the
        # threads' connections and would refuse one of them rather than wait.
        deadline = time.monotonic() + 20
        while loop.ticks < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        loop.stop()
    assert not loop.running
    assert loop.ticks >= 4
    assert results_of(reminders.send_acknowledgement_reminders) == 1
    assert results_of(retention.erase_expired_reports) == 1


# The housekeeping command ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_housekeeping_enqueue_says_what_it_did() -> None:
    out = io.StringIO()
    call_command("meldpunt_housekeeping", "--enqueue", stdout=out)
    assert "reminders: enqueued" in out.getvalue()
    assert "retention: enqueued" in out.getvalue()
    again = io.StringIO()
    call_command("meldpunt_housekeeping", "--enqueue", stdout=again)
    assert "reminders: not enqueued, a run is still waiting for the task worker." in again.getvalue()


@pytest.mark.django_db
def test_housekeeping_now_sends_reminders_in_process(handlers: list[Any]) -> None:
    report = overdue(new_report())
    out = io.StringIO()
    call_command("meldpunt_housekeeping", "--now", "--only", "reminders", "--quiet", stdout=out)
    assert "Reminders: 1 overdue reports without a reminder, 1 reminders queued" in out.getvalue()
    assert "Retention" not in out.getvalue()
    assert Report.objects.get(pk=report.pk).acknowledge_reminder_sent_at is not None


@pytest.mark.django_db
def test_housekeeping_refuses_force_without_enqueue() -> None:
    with pytest.raises(CommandError) as error:
        call_command("meldpunt_housekeeping", "--force")
    assert error.value.returncode == 2


# Across processes --------------------------------------------------------------------------------------------


@pytest.fixture
def site(tmp_path: Path, migrated_database: Path) -> Path:
    shutil.copyfile(migrated_database, tmp_path / "zorgveilig.sqlite3")
    return tmp_path


def task_results(site: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(site / "zorgveilig.sqlite3") as database:
        rows = database.execute("SELECT task_path, status FROM django_tasks_database_dbtaskresult").fetchall()
    return sorted((str(path).rsplit(".", 1)[-1], str(status)) for path, status in rows)


def test_two_processes_enqueueing_at_once_enqueue_each_job_once(site: Path) -> None:
    processes = [
        subprocess.Popen(
            [ZORGVEILIG, "meldpunt_housekeeping", "--enqueue"],
            env=site_environment(site),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=TIMEOUT) for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], outputs
    assert task_results(site) == [
        ("erase_expired_reports", "READY"),
        ("send_acknowledgement_reminders", "READY"),
    ]
    # The subprocesses answer in Dutch, the default language: "in de wachtrij gezet" is "enqueued".
    assert sum(out.count(": in de wachtrij gezet") for out, _err in outputs) == 2


def test_serve_runs_the_scheduler_beside_site_and_worker(site: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [ZORGVEILIG, "serve", "--addrport", f"127.0.0.1:{port}", "--worker-interval", "0.2"],
        env=site_environment(site),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        served = Served(process)
        served.wait_for(r"periodic tasks:\s+reminders every 15 min, retention every 1440 min")
        wait_for_status(f"http://127.0.0.1:{port}/", 200)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if task_results(site) == [
                ("erase_expired_reports", "SUCCESSFUL"),
                ("send_acknowledgement_reminders", "SUCCESSFUL"),
            ]:
                break
            time.sleep(0.2)
        assert task_results(site) == [
            ("erase_expired_reports", "SUCCESSFUL"),
            ("send_acknowledgement_reminders", "SUCCESSFUL"),
        ]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=TIMEOUT) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=TIMEOUT)
