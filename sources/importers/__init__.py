"""The importers, by the source name the command line takes (`zorgveilig import SOURCE FILE`).

A source may publish several layouts (Insecurity Insight: incident spreadsheets, SiND API JSON, country-year
overviews); its importers are tried in the order listed and the first that accepts the table (its required
columns are there, sources.importers.base.TableImporter.accepts) reads it. Importers are imported when first
needed, so a source's importers do not load the others'.
"""

from __future__ import annotations

from django.utils.module_loading import import_string

from sources.importers.base import TableImporter
from sources.readers import BadFile, Table

IMPORTERS: dict[str, tuple[str, ...]] = {
    "who-ssa": ("sources.importers.who_ssa.WhoSsaImporter",),
    "shcc": (
        "sources.importers.hxl_incidents.ShccImporter",
        "sources.importers.overviews.ShccOverviewImporter",
    ),
    "insecurity-insight": (
        "sources.importers.sind_api.SindAidWorkerImporter",
        "sources.importers.sind_api.SindHealthcareImporter",
        "sources.importers.hxl_incidents.InsecurityInsightImporter",
        "sources.importers.overviews.InsecurityInsightOverviewImporter",
    ),
    "awsd": ("sources.importers.awsd.AwsdImporter",),
    "acled": ("sources.importers.acled.AcledImporter",),
    "inso": ("sources.importers.inso.InsoKeyDataImporter",),
}


class UnknownSource(LookupError):
    pass


def source_slug(source: str) -> str:
    """`who_ssa` and `WHO-SSA` are the same as `who-ssa`."""
    return source.strip().lower().replace("_", "-")


def known_source(source: str) -> str:
    """The slug of a source that has importers; UnknownSource otherwise."""
    slug = source_slug(source)
    if slug not in IMPORTERS:
        known = ", ".join(sorted(IMPORTERS))
        raise UnknownSource(f"no importer for source {source!r} (known sources: {known})")
    return slug


def importers_for(source: str) -> list[type[TableImporter]]:
    """The importers of a source, in the order they are tried."""
    return [import_string(path) for path in IMPORTERS[known_source(source)]]


def importer_for(source: str, table: Table | None = None) -> type[TableImporter]:
    """The importer of `source` that reads `table` (without a table: the source's main importer).

    Raises UnknownSource, or BadFile with the main importer's complaint when no importer accepts the table."""
    paths = IMPORTERS[known_source(source)]
    main: type[TableImporter] = import_string(paths[0])
    if table is None:
        return main
    for path in paths:
        candidate: type[TableImporter] = import_string(path)
        if candidate.accepts(table):
            return candidate
    main(table)  # raises BadFile naming what the main layout misses
    raise BadFile("no importer of this source reads this layout")
