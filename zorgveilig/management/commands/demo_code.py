"""`zorgveilig demo_code USERNAME`: the current two-factor code of a demo account (only in demo mode)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import demo


class Command(BaseCommand):
    help = (
        "Print the current two-factor code of a demo account, so the demo can be tried without an "
        "authenticator app. Each code is accepted once; if it was just used, wait for the next one. "
        "Only for the accounts made by `zorgveilig load_demo`, and only with ZORGVEILIG_DEMO=1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "username",
            metavar="USERNAME",
            help="a demo account: " + ", ".join(user.username for user in demo.DEMO_USERS),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            code, seconds = demo.current_code(options["username"])
        except (demo.NotDemoMode, LookupError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(code)
        if options["verbosity"] > 1:
            self.stdout.write(f"valid for another {seconds} s")
