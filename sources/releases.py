"""Importing one file as one release, whatever the source: the mechanics every importer shares.

* The file's SHA-256 identifies it: the same bytes again change nothing and say which release they are.
* One transaction per release: a file that turns out bad halfway (damaged sheet, broken CSV, no data rows)
  leaves the database exactly as it was; rows that are bad on their own are quarantined with row, column
  and reason.
* Every row is kept as it came (`raw`, in column order; the header row on the release) next to its
  harmonised fields: sources.models.Record for incident products, sources.models.Aggregate for aggregate
  products (country-year or country-month totals), which are never mixed.
* Streaming: rows are read, harmonised and written in batches (sources.rowwriter), and everything that
  compares rows (occurrences of repeated identifiers, the differences with the previous vintage) is done by
  the database, so memory does not grow with the size of the file.
* A release is compared with the previous vintage of the same product (the release with the latest earlier
  vintage date; on the same date, the one imported before it). Rows are matched by the source's identifier
  and its occurrence in the file (the 2nd row with Incident ID 4664 is ("4664", 2)), so sources whose
  identifiers repeat are compared deterministically. A row is added, changed (its content hash differs,
  sources.values.RowHasher) or unchanged; a previous row with no counterpart, not even a quarantined row with
  its identifier, is withdrawn. Importing an older vintage after a newer one slots it in between and compares
  the next vintage again.
* Other apps see the rows as they are written, without this app importing them: a factory in `ROW_SINKS`
  (the analytics mirror registers one) gets a RowSink per release, fed every stored row; the sink is
  committed after the database transaction commits and discarded when the import fails. Then
  `sources.signals.release_imported` is sent.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from django.db import IntegrityError, models, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery

from audit.chain import record as audit_record
from sources.crosswalks import CrosswalkError, crosswalks
from sources.importers import UnknownSource, importer_for, known_source
from sources.importers.base import TableImporter
from sources.models import Aggregate, Product, Quarantine, Record, Release, Source
from sources.readers import BadFile, date_in_file_name, open_table
from sources.rowstream import KEY_FIELDS, QUARANTINE_FIELDS, RowPreparer, prepared_batches
from sources.rowwriter import RowWriter
from sources.schema import AGGREGATE_FIELDS, HARMONISED_FIELDS
from sources.signals import release_imported
from sources.values import raw_cell

if TYPE_CHECKING:
    from sources.models import MappingProfile

PRODUCT_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
HASH_CHUNK = 1 << 20

Progress = Callable[[int, int | None], None]
RowModel = type[Record] | type[Aggregate]


class RowSink(Protocol):
    @property
    def preparer(self) -> Callable[[Sequence[list[Any]]], Any]:
        """Called with each batch of rows as they are written, where the rows are prepared (maybe another
        process: picklable, no database); its result is what `add` gets."""

    def add(self, prepared: Any) -> None: ...
    def commit(self) -> None: ...
    def discard(self) -> None: ...


# Called with the new release, its row model and the columns of the rows it will be given (`release_id`,
# sources.rowstream.KEY_FIELDS, then the harmonised fields; values as stored: JSON as text, dates as ISO
# text); returns a sink, or None to skip this release.
ROW_SINKS: list[Callable[[Release, RowModel, list[str]], RowSink | None]] = []


class ImportFailed(Exception):
    """Nothing was imported and nothing was written; the message says why (the caller names the file)."""


@dataclass(frozen=True)
class ImportOutcome:
    release: Release
    already_imported: bool
    seconds: float


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_of_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def rows_model(release: Release) -> RowModel:
    """Where the rows of a release live: Aggregate for aggregate products, Record otherwise."""
    return Aggregate if release.product.kind == Product.Kind.AGGREGATES else Record


def import_file(
    source: str,
    path: Path,
    *,
    vintage: date | None = None,
    product: str | None = None,
    actor: Any = None,
    progress: Progress | None = None,
    options: dict[str, Any] | None = None,
    profile: MappingProfile | None = None,
    parallel: bool | int | None = None,
) -> ImportOutcome:
    """Import `path` as a release of `source` (a name of sources.importers.IMPORTERS, or the source of
    `profile`); see the module notes. `options` are the importer's own (e.g. ACLED's health rule);
    `parallel` forces rows to be prepared in child processes or not (True, False, or how many children;
    sources.rowstream; default: by the size of the file and the number of CPUs).

    Raises ImportFailed for an unknown source, an unreadable or bad file, or a product or vintage that
    cannot be told; in every such case the database is unchanged."""
    started = time.monotonic()
    try:
        if profile is None:
            known_source(source)
        crosswalks()
    except (UnknownSource, CrosswalkError, ImportError) as error:
        raise ImportFailed(str(error)) from None
    if profile is not None and profile.source_slug != source.strip().lower().replace("_", "-"):
        raise ImportFailed(
            f"mapping profile {profile.slug!r} is for source {profile.source_slug!r}, not {source!r}"
        )
    try:
        digest, size = sha256_of_file(path)
    except OSError as error:
        raise ImportFailed(f"cannot be read: {error.strerror or error}") from None
    existing = _release_with_hash(digest)
    if existing is not None:
        return ImportOutcome(existing, True, time.monotonic() - started)

    sinks: list[RowSink] = []
    try:
        table = open_table(path)
        importer = _importer(source, table, options, profile)
        product_slug = product or importer.default_product(path.name)
        if product_slug is None:
            raise BadFile(
                f"cannot tell which {importer.source.slug} product this file is from its name; "
                "name it with --product (e.g. incident-data-2022)"
            )
        if not PRODUCT_SLUG.fullmatch(product_slug):
            raise BadFile(f"product {product_slug!r}: use lowercase letters, digits and hyphens")
        vintage_date, label, citation = _vintage(vintage, importer, path.name)
        with transaction.atomic():
            if (existing := _release_with_hash(digest)) is not None:
                return ImportOutcome(existing, True, time.monotonic() - started)
            release = _write_release(
                importer,
                path=path,
                size=size,
                digest=digest,
                product_slug=product_slug,
                product_given=product is not None,
                vintage=(vintage_date, label, citation),
                actor=actor,
                progress=progress,
                profile=profile,
                sinks=sinks,
                parallel=parallel,
            )
            transaction.on_commit(lambda: _committed(release, sinks))
    except BadFile as error:
        _discard(sinks)
        raise ImportFailed(str(error)) from None
    except IntegrityError:
        _discard(sinks)
        # Another process imported the same bytes between the check and the write.
        existing = _release_with_hash(digest)
        if existing is None:
            raise
        return ImportOutcome(existing, True, time.monotonic() - started)
    except BaseException:
        _discard(sinks)
        raise
    return ImportOutcome(release, False, time.monotonic() - started)


def _committed(release: Release, sinks: list[RowSink]) -> None:
    for sink in sinks:
        sink.commit()
    release_imported.send(sender=Release, release=release)


def _discard(sinks: list[RowSink]) -> None:
    for sink in sinks:
        sink.discard()


def _importer(
    source: str, table: Any, options: dict[str, Any] | None, profile: MappingProfile | None
) -> TableImporter:
    if profile is not None:
        from sources.importers.profile import ProfileImporter

        return ProfileImporter(table, {**(options or {}), "profile": profile})
    return importer_for(source, table)(table, options)


def _release_with_hash(digest: str) -> Release | None:
    return Release.objects.select_related("product__source").filter(sha256=digest).first()


def _vintage(given: date | None, importer: TableImporter, file_name: str) -> tuple[date, str, str]:
    stated = importer.vintage_from_content()
    if given is not None:
        return given, stated[1] if stated else "", stated[2] if stated else ""
    if stated is not None:
        return stated
    from_name = date_in_file_name(file_name) if importer.vintage_from_file_name else None
    if from_name is not None:
        return from_name, "", ""
    why = (
        "the file states no version and its name holds no date"
        if importer.vintage_from_file_name
        else f"{importer.source.slug} files state no version, and a date in their names is not their vintage"
    )
    raise BadFile(
        f"cannot tell the vintage: {why}; "
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
    profile: MappingProfile | None,
    sinks: list[RowSink],
    parallel: bool | int | None,
) -> Release:
    info = importer.source
    source, _created = Source.objects.get_or_create(
        slug=info.slug,
        defaults={"name": info.name, "unit": info.unit, "licence": info.licence, "url": info.url},
    )
    product, created = Product.objects.get_or_create(
        source=source, slug=product_slug, defaults={"kind": importer.product_kind}
    )
    if not created and product.kind != importer.product_kind:
        raise BadFile(
            f"product {product_slug!r} holds {product.get_kind_display()}, but this file has "
            f"{Product.Kind(importer.product_kind).label}; name another product with --product"
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
        options={
            "product": product_slug,
            "product_given": product_given,
            "profile": profile.slug if profile is not None else None,
            **importer.release_options(),
        },
        profile=profile,
        imported_by=actor if getattr(actor, "is_authenticated", False) else None,
        headers=[raw_cell(header) for header in table.headers],
        hxl_tags=[raw_cell(tag) for tag in table.hxl_tags],
        columns=importer.map.describe(),
        notes=importer.map.notes,
    )
    model: RowModel = rows_model(release)
    counts = _write_rows(importer, path, release, model, progress, sinks, parallel)
    if counts["rows_read"] == 0:
        raise BadFile("no data rows below the header")
    _number_occurrences(release, model)
    for name in ("rows_read", "rows_imported", "rows_quarantined", "rows_blank", "rows_with_warnings"):
        setattr(release, name, counts[name])
    release.rows_health_related = counts["rows_health_related"]
    release.save()
    compare_with_previous(release, fresh=True)
    later = _neighbour(release, earlier=False)
    if later is not None:
        compare_with_previous(later)
    release.refresh_from_db()
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


def _write_rows(
    importer: TableImporter,
    path: Path,
    release: Release,
    model: RowModel,
    progress: Progress | None,
    sinks: list[RowSink],
    parallel: bool | int | None,
) -> Counter[str]:
    harmonised_fields = AGGREGATE_FIELDS if model is Aggregate else HARMONISED_FIELDS
    writer = RowWriter(model, release.pk, KEY_FIELDS + harmonised_fields)
    quarantine = RowWriter(Quarantine, release.pk, QUARANTINE_FIELDS)
    sinks.extend(
        sink for factory in ROW_SINKS if (sink := factory(release, model, writer.columns)) is not None
    )
    counts: Counter[str] = Counter()
    total = importer.table.total_rows
    preparer = RowPreparer(
        importer, writer, quarantine, harmonised_fields, extras=[sink.preparer for sink in sinks]
    )
    for batch in prepared_batches(preparer, path, parallel=parallel):
        writer.add_prepared(batch.rows)
        quarantine.add_prepared(batch.quarantine)
        for sink, extra in zip(sinks, batch.extras, strict=True):
            sink.add(extra)
        counts.update(batch.counts)
        if progress is not None:
            progress(batch.done, max(total, batch.done) if total is not None else None)
    if progress is not None:
        progress(batch.done, batch.done)
    writer.flush()
    quarantine.flush()
    return counts


def _number_occurrences(release: Release, model: RowModel) -> None:
    """Number the rows that share an identifier (1, 2, ... in row order, quarantined rows included), so that
    (source_id, occurrence) is unique within the release. Rows were written with occurrence 1; only the
    identifiers that repeat are looked at, so this costs one grouped scan of the release's index."""
    rows = model.objects.filter(release=release)
    quarantined = Quarantine.objects.filter(release=release).exclude(source_id="")
    repeated = set(
        rows.values("source_id").annotate(n=Count("id")).filter(n__gt=1).values_list("source_id", flat=True)
    )
    # Quarantined rows are few: their identifiers are looked up among the rows, not the other way round.
    in_quarantine = Counter(quarantined.values_list("source_id", flat=True))
    repeated |= {source_id for source_id, count in in_quarantine.items() if count > 1}
    names = sorted(in_quarantine)
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        repeated |= set(rows.filter(source_id__in=chunk).values_list("source_id", flat=True))
    if not repeated:
        return
    ordered: list[tuple[int, models.Model]] = []
    names = sorted(repeated)
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        ordered += [
            (row.row_number, row)
            for row in rows.filter(source_id__in=chunk).only("id", "source_id", "row_number")
        ]
        ordered += [
            (row.row_number, row)
            for row in quarantined.filter(source_id__in=chunk).only("id", "source_id", "row_number")
        ]
    ordered.sort(key=lambda pair: pair[0])
    seen: Counter[str] = Counter()
    changed_rows: list[Any] = []
    changed_quarantine: list[Any] = []
    for _number, row in ordered:
        seen[row.source_id] += 1  # type: ignore[attr-defined]
        row.occurrence = seen[row.source_id]  # type: ignore[attr-defined]
        (changed_quarantine if isinstance(row, Quarantine) else changed_rows).append(row)
    model.objects.bulk_update(changed_rows, ["occurrence"], batch_size=1000)
    Quarantine.objects.bulk_update(changed_quarantine, ["occurrence"], batch_size=1000)


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


def compare_with_previous(release: Release, *, fresh: bool = False) -> None:
    """(Re)compute how `release` differs from the vintage before it, in the database (see the notes).

    `fresh`: the rows were just written, all as added and without a previous row, so a first vintage needs
    no query at all."""
    model = rows_model(release)
    previous = _neighbour(release, earlier=True)
    rows = model.objects.filter(release=release)
    if previous is None:
        if not fresh:
            rows.exclude(change=Record.Change.ADDED).update(change=Record.Change.ADDED)
            rows.exclude(previous=None).update(previous=None)
        tallies = {Record.Change.ADDED.value: release.rows_imported} if fresh else _tallies(rows)
    else:
        same_key = model.objects.filter(
            release=previous, source_id=OuterRef("source_id"), occurrence=OuterRef("occurrence")
        )
        rows.update(previous=Subquery(same_key.values("id")[:1]))
        rows.exclude(previous=None).update(change=Record.Change.CHANGED)
        if not fresh:
            rows.filter(previous=None).update(change=Record.Change.ADDED)
        same_content = model.objects.filter(pk=OuterRef("previous_id"), content_hash=OuterRef("content_hash"))
        rows.filter(Exists(same_content)).update(change=Record.Change.UNCHANGED)
        tallies = _tallies(rows)
    release.previous = previous
    release.withdrawn = withdrawn_records(release, previous=previous).count() if previous else 0
    for change_name in Record.Change.values:
        setattr(release, change_name, tallies.get(change_name, 0))
    release.save(update_fields=["previous", "withdrawn", *Record.Change.values])


def _tallies(rows: models.QuerySet[Any]) -> dict[str, int]:
    return dict(rows.values_list("change").annotate(n=Count("id")).values_list("change", "n"))


def withdrawn_records(release: Release, *, previous: Release | None = None) -> models.QuerySet[Any]:
    """The rows of the previous vintage that `release` no longer has, neither imported nor quarantined
    (a queryset of Record or Aggregate, in row order; empty when there is no previous vintage)."""
    model = rows_model(release)
    previous = previous if previous is not None else release.previous
    if previous is None:
        return model.objects.none()
    kept = model.objects.filter(
        release=release, source_id=OuterRef("source_id"), occurrence=OuterRef("occurrence")
    )
    quarantined = Quarantine.objects.filter(
        release=release, source_id=OuterRef("source_id"), occurrence=OuterRef("occurrence")
    )
    return (
        model.objects.filter(release=previous)
        .exclude(Exists(kept))
        .exclude(Exists(quarantined))
        .order_by("row_number")
    )
