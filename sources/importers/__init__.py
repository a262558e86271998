"""The importers, by the source name the command line takes (`zorgveilig import SOURCE FILE`)."""

from __future__ import annotations

from sources.importers.base import TableImporter
from sources.importers.hxl_incidents import InsecurityInsightImporter, ShccImporter
from sources.importers.who_ssa import WhoSsaImporter

IMPORTERS: dict[str, type[TableImporter]] = {
    importer.source.slug: importer for importer in (WhoSsaImporter, ShccImporter, InsecurityInsightImporter)
}


class UnknownSource(LookupError):
    pass


def importer_for(source: str) -> type[TableImporter]:
    """The importer for a source name; `who_ssa` and `WHO-SSA` are the same as `who-ssa`."""
    slug = source.strip().lower().replace("_", "-")
    try:
        return IMPORTERS[slug]
    except KeyError:
        known = ", ".join(sorted(IMPORTERS))
        raise UnknownSource(f"no importer for source {source!r} (known sources: {known})") from None
