"""`zorgveilig recover_access ORGANISATION_SLUG USERNAME`: give a handler access again with the recovery key."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import keys
from accounts.models import Organisation
from meldpunt.recovery import RecoveryError, recover_access


class Command(BaseCommand):
    help = (
        "Give a case handler access again to their organisation's reports after a forgotten password: the "
        "report keys are opened with the organisation's recovery key (typed in, never stored) and wrapped for "
        "the handler's new key pair. The handler must have logged in once with their new password first."
    )

    # Tests and scripts may pass the key on a stream instead of a terminal.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organisation", metavar="ORGANISATION_SLUG")
        parser.add_argument("username", metavar="USERNAME")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"no organisation with the short name {options['organisation']!r}")
        user = get_user_model()._default_manager.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user named {options['username']!r}")
        stream = options.get("stdin") or sys.stdin
        typed = getpass.getpass("Recovery key (ZVRK1-...): ") if stream.isatty() else stream.readline()
        try:
            private_key = keys.parse_recovery_private_key(typed)
        except ValueError as error:
            raise CommandError(f"recovery key: {error}") from None

        def progress(done: int, total: int) -> None:
            width = 30
            filled = width * done // max(total, 1)
            self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} reports", ending="")

        try:
            result = recover_access(organisation, user, private_key, on_report=progress)
        except RecoveryError as error:
            raise CommandError(str(error)) from None
        self.stderr.write("")
        self.stdout.write(
            f"{user.get_username()} can read {result.rewrapped} more report(s) of {organisation.name}; "
            f"{result.already_readable} were readable already"
            + (
                f"; {result.without_recovery_copy} report(s) came in before the recovery key existed and "
                "cannot be recovered with it"
                if result.without_recovery_copy
                else ""
            )
        )
