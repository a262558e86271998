"""Helpers for the dataset-import tests: fixture paths, small XLSX workbooks written on the fly, counts."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl

from audit.models import Event
from sources.models import Product, Quarantine, Record, Release, Source

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
REAL_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def write_xlsx(
    path: Path, rows: list[list[Any]], *, sheet: str = "Sheet1", metadata: Sequence[str] = ()
) -> Path:
    """A workbook with `rows` on its first sheet and, if given, a MetaData&Notes sheet with one text a row."""
    workbook = openpyxl.Workbook()
    data = workbook.active
    assert data is not None
    data.title = sheet
    for row in rows:
        data.append(row)
    if metadata:
        notes = workbook.create_sheet("MetaData&Notes")
        for line in metadata:
            notes.append([line])
    workbook.save(path)
    return path


def csv_rows(path: Path) -> list[list[Any]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write_csv(path: Path, rows: list[list[Any]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def database_counts() -> dict[str, int]:
    return {
        "sources": Source.objects.count(),
        "products": Product.objects.count(),
        "releases": Release.objects.count(),
        "records": Record.objects.count(),
        "quarantine": Quarantine.objects.count(),
        "audit": Event.objects.count(),
    }
