"""`zorgveilig load_demo`: the documented demo organisations and accounts (only with ZORGVEILIG_DEMO=1)."""

from __future__ import annotations

from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from accounts import demo
from insights.demo import load_demo_datasets


class Command(BaseCommand):
    help = (
        "Create the demo organisations and one demo account per role, each with a confirmed authenticator "
        f"app. Password of every demo account: {demo.DEMO_PASSWORD!r}; 2FA secret (add it to an "
        f"authenticator app as a time-based key): {demo.DEMO_TOTP_SECRET}, or print the current code with "
        "`zorgveilig demo_code USERNAME`. Accounts: "
        + ", ".join(user.username for user in demo.DEMO_USERS)
        + ". Safe to run again: existing demo data is brought back to the documented state. "
        "Refused unless ZORGVEILIG_DEMO=1 is set, because these credentials are public."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.epilog = "Example: ZORGVEILIG_DEMO=1 zorgveilig load_demo"

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            demo.require_demo_mode()
        except demo.NotDemoMode as error:
            raise CommandError(str(error)) from None
        console = Console(file=cast(IO[str], self.stdout), highlight=False, soft_wrap=True)
        total = len(demo.DEMO_ORGANISATIONS) + len(demo.DEMO_USERS)
        with Progress(
            TextColumn("[bold]Loading demo data"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("", total=total)

            def step(label: str, changed: bool) -> None:
                progress.advance(task)
                progress.update(task, description=label)
                state = "[green]created or updated[/green]" if changed else "[dim]already up to date[/dim]"
                progress.console.print(f"  {label}: {state}")

            changes = demo.load_demo(on_step=step)
            datasets = load_demo_datasets(on_step=lambda label: progress.update(task, description=label))
        console.print(
            f"[bold]Demo data loaded[/bold] ({changes} of {total} created or updated). "
            f"Log in with any of {', '.join(u.username for u in demo.DEMO_USERS)}, "
            f"password [bold]{demo.DEMO_PASSWORD}[/bold]; the 2FA code comes from an authenticator app with "
            f"the key [bold]{demo.DEMO_TOTP_SECRET}[/bold] or from `zorgveilig demo_code USERNAME`."
        )
        if datasets:
            console.print(
                f"[bold]Demo datasets[/bold]: {datasets} files imported, linked and ready on the dashboard."
            )
