"""`zorgveilig recovery_key create|show ORGANISATION_SLUG`: an organisation's offline recovery key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import keys
from accounts.models import Organisation, OrganisationRecoveryKey


class Command(BaseCommand):
    help = (
        "Manage an organisation's recovery key. Every report key is also wrapped for this key, so with its "
        "private half an administrator can give a case handler access again after a forgotten password. "
        "`create` prints the private half ONCE: write it down or print it and keep it offline (a safe, not "
        "a password manager on the server). Only the public half is stored. `show` prints the fingerprint "
        "of the stored public half, to check which paper belongs to it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action", choices=["create", "show"], help="create a key, or show its fingerprint"
        )
        parser.add_argument("organisation", metavar="ORGANISATION_SLUG", help="the organisation's short name")
        parser.add_argument(
            "--replace",
            action="store_true",
            help=(
                "with create: replace an existing recovery key. Reports wrapped for the old key can then "
                "only be recovered with the old private key, so keep that one too."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["organisation"]
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            raise CommandError(f"no organisation with the short name {slug!r}")
        if options["action"] == "show":
            stored = OrganisationRecoveryKey.objects.filter(organisation=organisation).first()
            if stored is None:
                raise CommandError(f"{slug} has no recovery key; make one with: recovery_key create {slug}")
            self.stdout.write(
                f"{organisation.name}: fingerprint {stored.fingerprint}, created {stored.created_at:%Y-%m-%d}"
            )
            return
        try:
            private_text, key_fingerprint = keys.create_recovery_key(organisation, replace=options["replace"])
        except keys.RecoveryKeyExists:
            raise CommandError(
                f"{slug} has a recovery key already (see: recovery_key show {slug}); "
                "use --replace to make a new one"
            ) from None
        self.stdout.write(f"Recovery key of {organisation.name} (fingerprint {key_fingerprint}):")
        self.stdout.write("")
        self.stdout.write(f"    {private_text}")
        self.stdout.write("")
        self.stdout.write(
            "This is shown once and stored nowhere. Keep it offline, for example printed in a safe. Anyone "
            "holding it and a copy of the database can read every report of this organisation."
        )
