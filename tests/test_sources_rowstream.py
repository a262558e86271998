"""Rows prepared in a second process are stored exactly as rows prepared in this one; a file that turns
out bad in the second process fails the import as a whole."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from sources.models import Quarantine, Record
from sources.releases import ImportFailed, import_file
from tests.sources_helpers import FIXTURES, csv_rows, database_counts, write_csv

pytestmark = pytest.mark.django_db

SSA = FIXTURES / "who_ssa_attacks.csv"
VINTAGE = datetime.date(2024, 3, 8)


def stored(release: Any) -> list[tuple[Any, ...]]:
    fields = ("row_number", "source_id", "occurrence", "content_hash", "raw", "country_iso3", "event_date")
    records = list(Record.objects.filter(release=release).order_by("row_number").values_list(*fields))
    quarantine = list(
        Quarantine.objects.filter(release=release).order_by("row_number").values_list("row_number", "reason")
    )
    return [*records, *quarantine]


def many_rows(tmp_path: Path, name: str, copies: int, *, bad_quote_at: int | None = None) -> Path:
    header, *rows = csv_rows(SSA)
    body = []
    for copy in range(copies):
        for row in filter(None, rows):
            body.append([f"{row[0]}-{copy}", *row[1:]])
    body.append(list(body[0]))  # a repeated identifier: numbered as its 2nd occurrence
    path = write_csv(tmp_path / name, [header, *body])
    if bad_quote_at is not None:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        lines[bad_quote_at] = 'X1,"2024-01-01\n'
        path.write_text("".join(lines), encoding="utf-8")
    return path


def test_rows_prepared_in_a_second_process_are_stored_the_same(tmp_path: Path) -> None:
    path = many_rows(tmp_path, "ssa.csv", 300)
    serial = import_file("who-ssa", path, vintage=VINTAGE, product="serial", parallel=False).release
    twin = tmp_path / "ssa-copy.csv"
    twin.write_bytes(path.read_bytes() + b"\n")  # other bytes, same rows (a blank line at the end)
    parallel = import_file("who-ssa", twin, vintage=VINTAGE, product="parallel", parallel=True).release

    assert stored(serial) == stored(parallel)
    assert parallel.rows_read == serial.rows_read > 2000  # more than one batch
    assert (parallel.rows_imported, parallel.rows_quarantined) == (
        serial.rows_imported,
        serial.rows_quarantined,
    )
    repeated = Record.objects.filter(release=parallel, occurrence=2).values_list("source_id", flat=True)
    assert list(repeated) == [Record.objects.get(release=parallel, row_number=2).source_id]


def test_a_broken_file_found_by_the_second_process_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    import_file("who-ssa", SSA, vintage=VINTAGE)
    before = database_counts()
    path = many_rows(tmp_path, "broken.csv", 300, bad_quote_at=2000)

    with pytest.raises(ImportFailed, match="broken CSV on line"):
        import_file("who-ssa", path, vintage=datetime.date(2024, 4, 1), parallel=True)

    assert database_counts() == before


@pytest.mark.parametrize("rows", [1, 1999, 2000, 4000, 4001])
def test_batches_split_between_the_child_processes_keep_every_row_once(tmp_path: Path, rows: int) -> None:
    header, *body = csv_rows(SSA)
    template = next(filter(None, body))
    lines = [[f"B{number}", *template[1:]] for number in range(rows)]
    serial = import_file(
        "who-ssa",
        write_csv(tmp_path / "a.csv", [header, *lines]),
        vintage=VINTAGE,
        product="a",
        parallel=False,
    ).release
    parallel = import_file(
        "who-ssa",
        write_csv(tmp_path / "b.csv", [header, *lines, []]),
        vintage=VINTAGE,
        product="b",
        parallel=True,
    ).release

    assert stored(parallel) == stored(serial)
    assert parallel.rows_imported == serial.rows_imported == rows
