"""`zorgveilig meldpunt_housekeeping`: the meldpunt's periodic jobs once, for cron or by hand.

    zorgveilig meldpunt_housekeeping            # run reminders and retention now, in this process
    zorgveilig meldpunt_housekeeping --enqueue  # enqueue the jobs that are due, for the task worker
    zorgveilig meldpunt_housekeeping --only retention

Exit status 0 when everything went well, 1 when a report could not be erased (the others were), 2 for bad
arguments or configuration.
"""

from __future__ import annotations

from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from meldpunt import reminders, retention, scheduler

JOBS = ("reminders", "retention")


class Command(BaseCommand):
    help = (
        "Run the meldpunt's periodic jobs once: reminders of reports not acknowledged in time, and erasure "
        "of closed reports after their retention period. By default they run now in this process; with "
        "--enqueue the jobs that are due are queued for the task worker instead (for cron)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--now",
            action="store_true",
            help="run the jobs in this process now, whether due or not (the default)",
        )
        mode.add_argument(
            "--enqueue",
            action="store_true",
            help="enqueue the jobs that are due for the task worker, as `zorgveilig serve` does every minute",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="with --enqueue: enqueue the jobs even when they are not due",
        )
        parser.add_argument(
            "--only",
            choices=JOBS,
            action="append",
            help="only this job (may be given twice)",
        )
        parser.add_argument(
            "--quiet", "-q", action="store_true", help="no progress bar (it is written to standard error)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        only = set(options["only"] or JOBS)
        if options["force"] and not options["enqueue"]:
            raise CommandError(_("--force only applies to --enqueue."), returncode=2)
        try:
            scheduler.periodic_jobs()
        except ValueError as error:
            raise CommandError(str(error), returncode=2) from None
        if options["enqueue"]:
            self.enqueue(only, force=options["force"])
        else:
            self.run_now(only, quiet=options["quiet"])

    def enqueue(self, only: set[str], *, force: bool) -> None:
        now = timezone.now()
        enqueued = {item.job.name: item for item in scheduler.enqueue_due(now, force=force, only=only)}
        for job in scheduler.periodic_jobs():
            if job.name not in only:
                continue
            if job.name in enqueued:
                self.stdout.write(
                    _("%(job)s: enqueued (task result %(id)s).")
                    % {"job": job.name, "id": enqueued[job.name].result_id}
                )
            elif scheduler.is_waiting(job.task):
                self.stdout.write(
                    _("%(job)s: not enqueued, a run is still waiting for the task worker.")
                    % {"job": job.name}
                )
            else:
                last = scheduler.last_enqueued(job.task)
                self.stdout.write(
                    _("%(job)s: not due yet (last enqueued %(last)s, every %(minutes)s minutes).")
                    % {
                        "job": job.name,
                        "last": timezone.localtime(last).strftime("%Y-%m-%d %H:%M") if last else "-",
                        "minutes": int(job.interval.total_seconds() // 60),
                    }
                )

    def run_now(self, only: set[str], *, quiet: bool) -> None:
        console = Console(file=cast("IO[str]", self.stderr), stderr=True)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        failed = 0
        with Progress(*columns, console=console, disable=quiet) as bar:

            def follow(label: str) -> Any:
                bar_task: TaskID = bar.add_task(label, total=None)

                def on_progress(done: int, total: int) -> None:
                    bar.update(bar_task, completed=done, total=total)

                return on_progress

            if "reminders" in only:
                sent = reminders.send_reminders(on_progress=follow(_("Reminders")))
                self.stdout.write(
                    _(
                        "Reminders: %(overdue)s overdue reports without a reminder, %(reminded)s reminders "
                        "queued for the task worker; %(pruned)s old throttle rows pruned."
                    )
                    % {
                        "overdue": sent.overdue,
                        "reminded": sent.reminded,
                        "pruned": sent.throttle_rows_pruned,
                    }
                )
            if "retention" in only:
                run = retention.erase_expired(on_progress=follow(_("Retention")))
                failed = run.failed
                self.stdout.write(
                    _(
                        "Retention: %(due)s reports past their retention period, %(erased)s erased, "
                        "%(failed)s failed; %(orphans)s orphaned files removed."
                    )
                    % {
                        "due": run.due,
                        "erased": run.erased,
                        "failed": run.failed,
                        "orphans": run.orphan_files,
                    }
                )
        if failed:
            raise CommandError(
                _("%(count)s reports could not be erased; see the log for which and why.")
                % {"count": failed},
                returncode=1,
            )
