"""The real sample files (../shared/data) as linkage input, read with the importers and no database.

The evaluation uses them two ways: the hand-labelled pairs (tests/fixtures/linkage/labelled_pairs.yaml) name
records of these files, and linkage.synthetic.from_real turns the records of one file into events with
perturbed copies in the other sources. The files are never copied into the repository (datasets.md §14);
everything here skips cleanly when they are absent.

Records are read as `zorgveilig import` would harmonise them (same importers, same ACLED health rule), and
only those the linkage would see are kept: about health care, with a date and a country, each record key
once (the first file that has it wins, as the newest product does in linkage.frame.current_record_rows).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings

from linkage.frame import record_key

# The incident files of the sample set (datasets.md §2), by source, in the order a key is taken from.
INCIDENT_FILES: tuple[tuple[str, str], ...] = (
    ("who-ssa", "who_ssa/ssa-dashboard-report_data_20240308.xlsx"),
    ("shcc", "shcc/2022-shcc-incident-data.xlsx"),
    ("insecurity-insight", "insecurity_insight/2016-2023-attacks-on-health-care-incident-data.xlsx"),
    ("insecurity-insight", "insecurity_insight/2023-MMR-attacks-on-health-care-incident-data.xlsx"),
    ("insecurity-insight", "insecurity_insight/api-sample-aidWorkerKIKA.json"),
    ("awsd", "awsd/awsd-incidents-search-format.csv"),
    ("acled", "acled/acled_old_deletion_dummy.csv"),
    ("acled", "acled/acled_old_dummy.csv"),
)


class CorpusMissing(Exception):
    """A file of the sample set is not there; the message names it."""


def data_dir() -> Path:
    """../shared/data next to the project, where the sample files are kept outside the repository."""
    return Path(settings.BASE_DIR).parent / "shared" / "data"


def available(files: Iterable[tuple[str, str]] = INCIDENT_FILES, folder: Path | None = None) -> bool:
    base = folder or data_dir()
    return all((base / name).is_file() for _, name in files)


def read_file(source: str, path: Path) -> Iterator[dict[str, Any]]:
    """Every incident row the importer of `source` reads from `path`, harmonised (fields of
    sources.schema.Harmonised), with source, source_id, occurrence and file; quarantined rows are left out."""
    from sources.importers import importer_for
    from sources.importers.base import RowProblem
    from sources.readers import open_table

    if not path.is_file():
        raise CorpusMissing(f"{path}: no such file")
    table = open_table(path)
    importer = importer_for(source, table)(table, None)
    if importer.product_kind != "incidents":
        return
    seen: Counter[str] = Counter()
    try:
        for _row_number, cells in table.rows:
            try:
                source_id = importer.source_id(cells)
                imported = importer.read_row(cells)
            except RowProblem:
                continue
            seen[source_id] += 1
            row = dataclasses.asdict(imported.harmonised)
            row.update(source=source, source_id=source_id, occurrence=seen[source_id], file=path.name)
            yield row
    finally:
        close = getattr(table.rows, "close", None)
        if close is not None:
            close()


def corpus_rows(
    files: Iterable[tuple[str, str]] = INCIDENT_FILES, folder: Path | None = None
) -> list[dict[str, Any]]:
    """The records of `files` (source, path under `folder`) the linkage would see, each with a unique_id,
    ready for linkage.frame.frame_from_rows."""
    base = folder or data_dir()
    rows: list[dict[str, Any]] = []
    keys: set[str] = set()
    for source, name in files:
        for row in read_file(source, base / name):
            if not (row["health_related"] and row["event_date"] and row["country_iso3"]):
                continue
            key = record_key(source, row["source_id"], row["occurrence"])
            if key in keys:
                continue
            keys.add(key)
            row["unique_id"] = len(rows) + 1
            rows.append(row)
    return rows
