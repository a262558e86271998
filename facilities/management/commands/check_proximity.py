"""`zorgveilig check_proximity [--distance METRES] [--facility ID ...]`: link incidents to the facilities
near them now (facilities.proximity), instead of waiting for the task that follows every linkage run."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from facilities import proximity
from facilities.models import Facility


class Command(BaseCommand):
    help = "Link every located incident to the registered facilities within the set distance."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--distance",
            type=int,
            metavar="METRES",
            help=f"the distance (default: the setting, now {proximity.distance_setting()} m)",
        )
        parser.add_argument(
            "--facility", type=int, action="append", metavar="ID", help="only this facility (repeatable)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        distance = options["distance"]
        if distance is not None and not 1 <= distance <= 100_000:
            raise CommandError("--distance: give a number of metres from 1 to 100000")
        chosen = options["facility"]
        if chosen:
            missing = sorted(
                set(chosen) - set(Facility.objects.filter(pk__in=chosen).values_list("pk", flat=True))
            )
            if missing:
                raise CommandError(f"--facility: no facility {', '.join(map(str, missing))}")
        result = proximity.check(facility_ids=chosen, metres=distance)
        self.stdout.write(
            f"Checked {result.incidents_checked:,} located incidents against {result.facilities:,} facilities "
            f"within {result.distance_m} m: {result.links:,} links ({result.added} new, {result.changed} "
            f"changed, {result.removed} removed), {result.flagged:,} near a facility notified before the attack."
        )
