"""`zorgveilig verify-bundle BUNDLE [--public-key PEM]`: the checks of the verifier shipped in every bundle.

The command runs evidence/verify_bundle.py's own code (the same file goes into each bundle), and prints its
report in the site's language. Exit status: 0 intact, 1 problems found, 2 the bundle could not be read.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from evidence import verify_bundle


class Command(BaseCommand):
    help = "Check an evidence bundle: its signature, and every file against the signed manifest."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("bundle", help="the bundle's ZIP file, or the folder it was unpacked into")
        parser.add_argument(
            "--public-key",
            help="the organisation's public key (PEM) to check the signature with, instead of the bundle's own",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            pem = Path(options["public_key"]).read_bytes() if options["public_key"] else None
            result = verify_bundle.verify(options["bundle"], pem)
        except (verify_bundle.Unreadable, OSError) as error:
            self.stderr.write(_("verify-bundle: %(error)s") % {"error": error})
            sys.exit(verify_bundle.UNREADABLE)
        for line in verify_bundle.iter_report(result, _):
            self.stdout.write(line)
        if not result.intact:
            sys.exit(verify_bundle.PROBLEMS)
