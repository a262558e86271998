"""`zorgveilig audit verify` and `zorgveilig audit list`: check and read the audit log from the shell."""

from __future__ import annotations

import argparse
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from audit.chain import expected_event_count, verify
from audit.models import Event


def positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {raw!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of 1 or more, got {value}")
    return value


class Command(BaseCommand):
    help = "Verify the audit log's hash chain, or list its most recent events."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="{verify,list}")
        verify_parser = subcommands.add_parser(
            "verify",
            help="check that no event was changed, removed or reordered (exit status 1 if one was)",
            description=(
                "Walk the whole hash chain from the first event and stop at the first event that is not as "
                "it was written. Prints the number of events and the last hash, or names the first bad "
                "event and exits with status 1."
            ),
        )
        verify_parser.add_argument(
            "--quiet", "-q", action="store_true", help="no progress bar (it is written to standard error)"
        )
        list_parser = subcommands.add_parser(
            "list",
            help="show the most recent events as a table",
            description="Show the last events of the audit log, oldest first, optionally filtered.",
        )
        list_parser.add_argument(
            "--limit", type=positive_int, default=20, help="how many events to show (default: %(default)s)"
        )
        list_parser.add_argument("--action", help="only events with exactly this action, e.g. accounts.login")
        list_parser.add_argument(
            "--object",
            dest="object_ref",
            metavar="TYPE[:ID]",
            help="only events about this object type (e.g. accounts.user) or this one object (accounts.user:7)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self.verify_log(quiet=options["quiet"])
        else:
            self.list_events(
                limit=options["limit"], action=options["action"], object_ref=options["object_ref"]
            )

    def verify_log(self, *, quiet: bool) -> None:
        total = expected_event_count()
        console = Console(file=cast("IO[str]", self.stderr), stderr=True)
        columns = (
            TextColumn(_("Verifying audit log")),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, disable=quiet) as bar:
            progress_task = bar.add_task("verify", total=total)

            def on_event(sequence: int) -> None:
                bar.advance(progress_task)

            result = verify(on_event=on_event)
        if result.problem is not None:
            raise CommandError(
                _("Audit log damaged after %(events)s intact events: %(problem)s")
                % {"events": result.events, "problem": result.problem.message},
                returncode=1,
            )
        self.stdout.write(
            _("Audit log intact: %(events)s events, last hash %(hash)s")
            % {"events": result.events, "hash": result.head_hash}
        )

    def list_events(self, *, limit: int, action: str | None, object_ref: str | None) -> None:
        events = Event.objects.all()
        if action:
            events = events.filter(action=action)
        if object_ref:
            object_type, _sep, object_id = object_ref.partition(":")
            events = events.filter(object_type=object_type)
            if object_id:
                events = events.filter(object_id=object_id)
        selected = list(reversed(events.order_by("-sequence")[:limit]))
        table = Table(title=_("Audit log: last %(count)s events") % {"count": len(selected)})
        table.add_column("#", justify="right")
        table.add_column(_("When"))
        table.add_column(_("Who"))
        table.add_column(_("Action"))
        table.add_column(_("Object"))
        table.add_column(_("Organisation"), justify="right")
        for event in selected:
            table.add_row(
                str(event.sequence),
                timezone.localtime(event.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
                event.actor_label or _("system"),
                event.action,
                f"{event.object_type}:{event.object_id}" if event.object_type else "",
                str(event.organisation_id) if event.organisation_id is not None else "",
            )
        Console(file=cast("IO[str]", self.stdout), width=self._width()).print(table)

    def _width(self) -> int | None:
        # Outside a terminal rich would wrap at 80 columns; a log piped to a file reads better wider.
        return None if self.stdout.isatty() else 140
