"""`zorgveilig linkage_counts [--year Y] [--country ISO3 ...] [--family F]`: each source's current records,
the de-duplicated union (registry incidents) and the overlap matrix between sources, as on the counts page."""

from __future__ import annotations

import argparse
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.forms import ValidationError
from django.utils.translation import gettext as _
from rich.console import Console
from rich.table import Table

from linkage.counts import overlap_matrix, source_counts
from registry.forms import iso3_codes
from sources.crosswalks import crosswalks


def year(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a year like 2023, got {raw!r}") from None
    if not 1900 <= value <= 2200:
        raise argparse.ArgumentTypeError(f"expected a year from 1900 to 2200, got {value}")
    return value


class Command(BaseCommand):
    help = (
        "Print each source's current records, the de-duplicated number of incidents and the overlap between "
        "sources, for an optional year, countries and type of attack."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=year, help="only incidents of this year (by their date)")
        parser.add_argument(
            "--country",
            dest="countries",
            nargs="+",
            action="extend",
            default=[],
            metavar="ISO3",
            help="only these countries (ISO 3166-1 alpha-3 codes, e.g. SYR UKR)",
        )
        parser.add_argument(
            "--family",
            choices=list(crosswalks().attack_families),
            help="only this attack-type family (sources/crosswalks.yaml)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            countries = iso3_codes(" ".join(options["countries"]))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        filters = {
            "year": options["year"],
            "countries": countries,
            "families": [options["family"]] if options["family"] else [],
        }
        totals = source_counts(**filters)
        matrix = overlap_matrix(**filters)
        console = Console(file=cast("IO[str]", self.stdout), width=None if self.stdout.isatty() else 160)

        table = Table(title=_("Records and incidents per source"))
        table.add_column(_("Source"))
        table.add_column(_("Current records"), justify="right")
        table.add_column(_("Incidents with a record of this source"), justify="right")
        table.add_column(_("Incidents only this source has"), justify="right")
        for slug in matrix["sources"]:
            table.add_row(
                slug,
                str(totals["by_source"].get(slug, 0)),
                str(matrix["incidents"][slug]),
                str(matrix["only"][slug]),
            )
        table.add_section()
        table.add_row(_("Sum of the sources' records"), str(totals["sum"]), "", "")
        table.add_row(_("De-duplicated: incidents"), str(totals["union"]), "", "")
        console.print(table)

        grid = Table(title=_("Incidents shared by two sources (diagonal: only that source)"))
        grid.add_column("")
        for slug in matrix["sources"]:
            grid.add_column(slug, justify="right")
        for first in matrix["sources"]:
            cells = [
                f"[bold]{matrix['only'][first]}[/bold]"
                if first == second
                else str(matrix["shared"][first][second])
                for second in matrix["sources"]
            ]
            grid.add_row(first, *cells)
        console.print(grid)
