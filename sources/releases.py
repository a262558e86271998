"""Importing one file as one release, whatever the source: the mechanics every importer shares.

* The file's SHA-256 identifies it: the same bytes again change nothing and say which release they are.
* One transaction per release: a file that turns out bad halfway (damaged sheet, no data rows) leaves the
  database exactly as it was; rows that are bad on their own are quarantined with row, column and reason.
* Every row is kept as it came (`Record.raw`, `Quarantine.raw`, in column order; the header row on the
  release) next to its harmonised fields.
* A release is compared with the previous vintage of the same product (the release with the latest earlier
  vintage date; on the same date, the one imported before it). Records are matched by the source's
  identifier and its occurrence in the file (the 2nd row with Incident ID 4664 is ("4664", 2)), so sources
  whose identifiers repeat are compared deterministically. A record is added, changed (its content hash
  differs, sources.values.content_hash) or unchanged; a previous record with no counterpart, not even a
  quarantined row with its identifier, is withdrawn. Importing an older vintage after a newer one slots it
  in between and compares the next vintage again.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from audit.chain import record as audit_record
from sources.crosswalks import CrosswalkError, crosswalks
from sources.importers import UnknownSource, importer_for
from sources.importers.base import RowProblem, TableImporter
from sources.models import Product, Quarantine, Record, Release, Source
from sources.readers import BadFile, date_in_file_name, open_table
from sources.values import content_hash, is_blank, raw_cell, text

BATCH_SIZE = 1000
PRODUCT_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")

Progress = Callable[[int, int | None], None]
Key = tuple[str, int]


class ImportFailed(Exception):
    """Nothing was imported and nothing was written; the message says why (the caller names the file)."""


@dataclass(frozen=True)
class ImportOutcome:
    release: Release
    already_imported: bool
    seconds: float


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def import_file(
    source: str,
    path: Path,
    *,
    vintage: date | None = None,
    product: str | None = None,
    actor: Any = None,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Import `path` as a release of `source` (a name of sources.importers.IMPORTERS); see the module notes.

    Raises ImportFailed for an unknown source, an unreadable or bad file, or a product or vintage that
    cannot be told; in every such case the database is unchanged."""
    started = time.monotonic()
    try:
        importer_class = importer_for(source)
        crosswalks()
    except (UnknownSource, CrosswalkError) as error:
        raise ImportFailed(str(error)) from None
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportFailed(f"cannot be read: {error.strerror or error}") from None
    digest = sha256_of(data)
    existing = _release_with_hash(digest)
    if existing is not None:
        return ImportOutcome(existing, True, time.monotonic() - started)

    product_slug = product or importer_class.default_product(path.name)
    if product_slug is None:
        raise ImportFailed(
            f"cannot tell which {importer_class.source.slug} product this file is from its name; "
            "name it with --product (e.g. incident-data-2022)"
        )
    if not PRODUCT_SLUG.fullmatch(product_slug):
        raise ImportFailed(f"product {product_slug!r}: use lowercase letters, digits and hyphens")

    try:
        table = open_table(data, path.name)
        importer = importer_class(table)
        vintage_date, label, citation = _vintage(vintage, importer, path.name)
        with transaction.atomic():
            if (existing := _release_with_hash(digest)) is not None:
                return ImportOutcome(existing, True, time.monotonic() - started)
            release = _write_release(
                importer,
                path=path,
                size=len(data),
                digest=digest,
                product_slug=product_slug,
                product_given=product is not None,
                vintage=(vintage_date, label, citation),
                actor=actor,
                progress=progress,
            )
    except BadFile as error:
        raise ImportFailed(str(error)) from None
    except IntegrityError:
        # Another process imported the same bytes between the check and the write.
        existing = _release_with_hash(digest)
        if existing is None:
            raise
        return ImportOutcome(existing, True, time.monotonic() - started)
    return ImportOutcome(release, False, time.monotonic() - started)


def _release_with_hash(digest: str) -> Release | None:
    return Release.objects.select_related("product__source").filter(sha256=digest).first()


def _vintage(given: date | None, importer: TableImporter, file_name: str) -> tuple[date, str, str]:
    stated = importer.vintage_from_content()
    if given is not None:
        return given, stated[1] if stated else "", stated[2] if stated else ""
    if stated is not None:
        return stated
    from_name = date_in_file_name(file_name)
    if from_name is not None:
        return from_name, "", ""
    raise BadFile(
        "cannot tell the vintage: the file states no version and its name holds no date; "
        "pass --vintage YYYY-MM-DD (the date the source published it, or you downloaded it)"
    )


def _write_release(
    importer: TableImporter,
    *,
    path: Path,
    size: int,
    digest: str,
    product_slug: str,
    product_given: bool,
    vintage: tuple[date, str, str],
    actor: Any,
    progress: Progress | None,
) -> Release:
    info = importer.source
    source, _created = Source.objects.get_or_create(
        slug=info.slug,
        defaults={"name": info.name, "unit": info.unit, "licence": info.licence, "url": info.url},
    )
    product, _created = Product.objects.get_or_create(
        source=source, slug=product_slug, defaults={"kind": importer.product_kind}
    )
    table = importer.table
    release = Release.objects.create(
        product=product,
        file_name=path.name[:255],
        file_size=size,
        sha256=digest,
        file_format=table.file_format,
        sheet=table.sheet,
        vintage_date=vintage[0],
        vintage_label=vintage[1],
        citation=vintage[2],
        importer=importer.name,
        importer_version=importer.version,
        crosswalks_version=crosswalks().version,
        options={"product": product_slug, "product_given": product_given, "profile": None},
        imported_by=actor if getattr(actor, "is_authenticated", False) else None,
        headers=[raw_cell(header) for header in table.headers],
        hxl_tags=[raw_cell(tag) for tag in table.hxl_tags],
        columns=importer.map.describe(),
        notes=importer.map.notes,
    )
    previous = _neighbour(release, earlier=True)
    previous_records = _record_keys(previous) if previous is not None else {}
    header_texts = [text(header) for header in table.headers]
    occurrences: Counter[str] = Counter()
    records: list[Record] = []
    quarantine: list[Quarantine] = []
    quarantined_keys: set[Key] = set()
    counts: Counter[str] = Counter()
    done = 0
    for row_number, cells in table.rows:
        done += 1
        if progress is not None:
            progress(done, table.total_rows)
        if all(is_blank(cell) for cell in cells):
            counts["rows_blank"] += 1
            continue
        counts["rows_read"] += 1
        raw = [raw_cell(cell) for cell in cells]
        source_id, occurrence = "", None
        try:
            source_id = importer.source_id(cells)
            occurrences[source_id] += 1
            occurrence = occurrences[source_id]
            imported = importer.read_row(cells)
        except RowProblem as problem:
            quarantine.append(
                Quarantine(
                    release=release,
                    row_number=row_number,
                    column=problem.column,
                    value=text(problem.value)[:2000],
                    reason=problem.reason,
                    source_id=source_id,
                    occurrence=occurrence,
                    raw=raw,
                )
            )
            counts["rows_quarantined"] += 1
            if occurrence is not None:
                quarantined_keys.add((source_id, occurrence))
            continue
        row_hash = content_hash(header_texts, list(cells))
        match = previous_records.get((source_id, occurrence))
        change = _change(match[1] if match else None, row_hash)
        counts[change] += 1
        counts["rows_imported"] += 1
        if imported.warnings:
            counts["rows_with_warnings"] += 1
        records.append(
            Record(
                release=release,
                row_number=row_number,
                source_id=source_id,
                occurrence=occurrence,
                content_hash=row_hash,
                raw=raw,
                change=change,
                previous_id=match[0] if match else None,
                warnings=imported.warnings,
                **asdict(imported.harmonised),
            )
        )
        if len(records) >= BATCH_SIZE:
            Record.objects.bulk_create(records)
            records.clear()
    Record.objects.bulk_create(records)
    Quarantine.objects.bulk_create(quarantine, batch_size=BATCH_SIZE)
    if counts["rows_read"] == 0:
        raise BadFile("no data rows below the header")
    current_keys = set(release.records.values_list("source_id", "occurrence"))
    release.previous = previous
    release.withdrawn = len(set(previous_records) - current_keys - quarantined_keys)
    for name in ("rows_read", "rows_imported", "rows_quarantined", "rows_blank", "rows_with_warnings"):
        setattr(release, name, counts[name])
    for change_name in Record.Change.values:
        setattr(release, change_name, counts[change_name])
    release.save()
    later = _neighbour(release, earlier=False)
    if later is not None:
        compare_with_previous(later)
    audit_record(
        "sources.release_imported",
        actor=actor,
        target=release,
        details={
            "source": source.slug,
            "product": product.slug,
            "sha256": digest,
            "vintage": release.vintage_date.isoformat(),
            "rows_read": release.rows_read,
            "rows_imported": release.rows_imported,
            "rows_quarantined": release.rows_quarantined,
            "added": release.added,
            "changed": release.changed,
            "withdrawn": release.withdrawn,
        },
    )
    return release


def _change(previous_hash: str | None, current_hash: str) -> str:
    if previous_hash is None:
        return Record.Change.ADDED.value
    if previous_hash != current_hash:
        return Record.Change.CHANGED.value
    return Record.Change.UNCHANGED.value


def _record_keys(release: Release) -> dict[Key, tuple[int, str]]:
    rows = release.records.values_list("source_id", "occurrence", "id", "content_hash")
    return {(source_id, occurrence): (pk, digest) for source_id, occurrence, pk, digest in rows.iterator()}


def _quarantined_keys(release: Release) -> set[Key]:
    rows = release.quarantine.filter(occurrence__isnull=False).values_list("source_id", "occurrence")
    return {(source_id, occurrence) for source_id, occurrence in rows if occurrence is not None}


def _neighbour(release: Release, *, earlier: bool) -> Release | None:
    """The vintage just before (or after) `release` among the releases of its product."""
    same_product = Release.objects.filter(product_id=release.product_id).exclude(pk=release.pk)
    if earlier:
        before = Q(vintage_date__lt=release.vintage_date) | Q(
            vintage_date=release.vintage_date, pk__lt=release.pk
        )
        return same_product.filter(before).order_by("-vintage_date", "-pk").first()
    after = Q(vintage_date__gt=release.vintage_date) | Q(vintage_date=release.vintage_date, pk__gt=release.pk)
    return same_product.filter(after).order_by("vintage_date", "pk").first()


def compare_with_previous(release: Release) -> None:
    """(Re)compute how `release` differs from the vintage before it; used when a vintage is slotted in."""
    previous = _neighbour(release, earlier=True)
    previous_records = _record_keys(previous) if previous is not None else {}
    counts: Counter[str] = Counter()
    records = list(release.records.only("id", "source_id", "occurrence", "content_hash"))
    for record in records:
        match = previous_records.get((record.source_id, record.occurrence))
        record.change = _change(match[1] if match else None, record.content_hash)
        record.previous_id = match[0] if match else None
        counts[record.change] += 1
    Record.objects.bulk_update(records, ["change", "previous"], batch_size=BATCH_SIZE)
    current_keys = {(record.source_id, record.occurrence) for record in records}
    release.previous = previous
    release.withdrawn = len(set(previous_records) - current_keys - _quarantined_keys(release))
    for change_name in Record.Change.values:
        setattr(release, change_name, counts[change_name])
    release.save(update_fields=["previous", "withdrawn", *Record.Change.values])


def withdrawn_records(release: Release) -> list[Record]:
    """The records of the previous vintage that `release` no longer has (see the module notes)."""
    if release.previous is None:
        return []
    kept: set[Key] = set(release.records.values_list("source_id", "occurrence"))
    kept |= _quarantined_keys(release)
    return [
        record
        for record in release.previous.records.order_by("row_number")
        if (record.source_id, record.occurrence) not in kept
    ]
