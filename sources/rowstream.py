"""Turning a table's rows into rows ready to write, in batches, optionally in a second process.

Reading, harmonising, hashing and encoding a row costs more than writing it, so a large file is prepared
in a child process while this process writes the previous batch to the database: the two CPU-bound halves
of an import run side by side. The child is started fresh ("spawn": it inherits no threads, locks or
database connections), opens the same file with the same importer and options, never touches the
database, and sends each batch through a pipe. A problem in the file that stops the import
(sources.readers.BadFile, e.g. a broken CSV quote on line 700,000) travels back as such; any other failure
in the child comes back as a RuntimeError with its traceback. Small files are prepared in this process
(starting a process costs about a second).

Either way the batches are the same, in row order, so what is stored does not depend on how it was read.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import queue
import threading
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from operator import attrgetter
from pathlib import Path
from typing import Any

from orjson import dumps

from sources.importers.base import RowProblem, TableImporter
from sources.readers import BadFile
from sources.rowwriter import JsonText, RowWriter
from sources.values import RowHasher, is_blank, raw_cell, text

BATCH_ROWS = 2000
# Below this many rows (as the reader estimates them) the file is prepared in this process.
PARALLEL_FROM_ROWS = 20_000


# Batches received and waiting to be written (each about 2,000 rows): enough to keep both sides busy.
QUEUED_BATCHES = 4
PIPE_BYTES = 8 << 20  # as much of a batch as the system lets a pipe hold (often at most 1 MiB)


def children_for(cpus: int | None) -> int:
    """Two child processes prepare alternate batches (each reads the whole file, which is cheap, and
    prepares half of it): preparing a row costs more than writing it, so one child alone keeps the writer
    waiting. On a single CPU one child still lets reading overlap writing to disk."""
    return 2 if (cpus or 1) >= 2 else 1


KEY_FIELDS = (
    "row_number",
    "source_id",
    "occurrence",
    "content_hash",
    "raw",
    "change",
    "previous_id",
    "warnings",
)
QUARANTINE_FIELDS = ("row_number", "column", "value", "reason", "source_id", "occurrence", "raw")


@dataclass
class Batch:
    rows: list[list[Any]] = field(default_factory=list)  # as RowWriter.prepare returns them
    quarantine: list[list[Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    done: int = 0  # rows of the table consumed so far, blank ones included
    extras: list[Any] = field(default_factory=list)  # what each of the preparer's extras made of `rows`


class RowPreparer:
    """Prepares the rows of `importer`'s table for `rows` (records or aggregates) and `quarantine`."""

    def __init__(
        self,
        importer: TableImporter,
        rows: RowWriter,
        quarantine: RowWriter,
        harmonised_fields: Sequence[str],
        extras: Sequence[Callable[[Sequence[list[Any]]], Any]] = (),
    ) -> None:
        """`extras` are run on each batch's rows too (sources.releases.RowSink.preparer)."""
        self.extras = list(extras)
        self.importer = importer
        self.rows = rows
        self.quarantine = quarantine
        self.hasher = RowHasher(list(importer.table.headers))
        self.harmonised_fields = tuple(harmonised_fields)
        self.harmonised_values = attrgetter(*harmonised_fields)

    def batches(self, part: int = 0, parts: int = 1) -> Iterator[Batch]:
        """The batches of BATCH_ROWS consumed rows, in order; with `parts` > 1 only every `parts`-th batch
        from `part` on (the other rows are read but not prepared: another process prepares them)."""
        importer, hasher, harmonised_values = self.importer, self.hasher, self.harmonised_values
        prepare, prepare_quarantine = self.rows.prepare, self.quarantine.prepare
        batch = Batch()
        done = 0
        for row_number, cells in importer.table.rows:
            done += 1
            if parts > 1 and ((done - 1) // BATCH_ROWS) % parts != part:
                continue
            # CSV rows are all text: trim them once, for the blank test and the hash.
            texts = [cell.strip() for cell in cells] if set(map(type, cells)) == {str} else None
            if not (any(texts) if texts is not None else not all(is_blank(cell) for cell in cells)):
                batch.counts["rows_blank"] += 1
            else:
                batch.counts["rows_read"] += 1
                source_id = ""
                encoded = JsonText(dumps(cells).decode()) if texts is not None else None
                try:
                    # The encoded row tells cheaply when no cell can hold a NUL.
                    if (encoded is None or "\\u0000" in encoded) and _holds_nul(cells):
                        raise _nul_problem(importer, cells)
                    source_id = importer.source_id(cells)
                    imported = importer.read_row(cells)
                except RowProblem as problem:
                    as_came = [_without_nul(raw_cell(cell)) for cell in cells]
                    value = text(problem.value)[:2000]
                    occurrence = 1 if source_id else None
                    batch.quarantine.append(
                        prepare_quarantine(
                            (
                                row_number,
                                problem.column,
                                value,
                                problem.reason,
                                source_id,
                                occurrence,
                                as_came,
                            )
                        )
                    )
                    batch.counts["rows_quarantined"] += 1
                else:
                    batch.counts["rows_imported"] += 1
                    if imported.warnings:
                        batch.counts["rows_with_warnings"] += 1
                    harmonised = imported.harmonised
                    if getattr(harmonised, "health_related", False):
                        batch.counts["rows_health_related"] += 1
                    raw: Any
                    if texts is not None:  # text only: encoded once, above
                        raw, content_hash = encoded, hasher.of_texts(texts)
                    else:
                        raw, content_hash = [raw_cell(cell) for cell in cells], hasher(cells)
                    keys = (row_number, source_id, 1, content_hash, raw, "added", None, imported.warnings)
                    batch.rows.append(prepare(keys + harmonised_values(harmonised)))
            if done % BATCH_ROWS == 0:
                batch.done = done
                yield self._finished(batch)
                batch = Batch()
        batch.done = done
        if parts == 1:
            yield self._finished(batch)
        elif done == 0:
            if part == 0:
                yield self._finished(batch)
        elif done % BATCH_ROWS and ((done - 1) // BATCH_ROWS) % parts == part:
            yield self._finished(batch)  # the last, partial batch

    def _finished(self, batch: Batch) -> Batch:
        batch.extras = [extra(batch.rows) for extra in self.extras]
        return batch


def _holds_nul(cells: Sequence[Any]) -> bool:
    return any(type(cell) is str and "\x00" in cell for cell in cells)


def _without_nul(value: Any) -> Any:
    return value.replace("\x00", "\ufffd") if type(value) is str else value


def _nul_problem(importer: TableImporter, cells: Sequence[Any]) -> RowProblem:
    """A NUL character (U+0000) cannot be stored (PostgreSQL refuses it in text and JSON): the row is
    quarantined, kept with U+FFFD in its place."""
    position = next(index for index, cell in enumerate(cells) if type(cell) is str and "\x00" in cell)
    headers = importer.table.headers
    column = text(headers[position]) if position < len(headers) else f"column {position + 1}"
    value = _without_nul(cells[position])
    return RowProblem(column, value, "the cell holds a NUL character (U+0000), which cannot be stored")


@dataclass(frozen=True)
class ChildTask:
    """What the child process needs to prepare the same rows (all picklable)."""

    path: Path
    importer: str  # dotted path of the importer class
    options: dict[str, Any]
    release_id: int
    model: str  # app_label.ModelName
    names: tuple[str, ...]
    harmonised_fields: tuple[str, ...]
    extras: tuple[Any, ...]


def prepared_batches(
    preparer: RowPreparer, path: Path, *, parallel: bool | int | None = None
) -> Iterator[Batch]:
    """The preparer's batches; from child processes reading `path` when `parallel` (default: for large
    tables on a machine with more than one CPU; a number says how many children)."""
    if parallel is None:
        total = preparer.importer.table.total_rows or 0
        parallel = total >= PARALLEL_FROM_ROWS and (os.cpu_count() or 1) > 1
    if not parallel:
        yield from preparer.batches()
        return
    importer = type(preparer.importer)
    task = ChildTask(
        path=path,
        importer=f"{importer.__module__}.{importer.__qualname__}",
        options=preparer.importer.options,
        release_id=preparer.rows.release_id,
        model=preparer.rows.model._meta.label,
        names=tuple(preparer.rows.columns[1:]),
        harmonised_fields=preparer.harmonised_fields,
        extras=tuple(preparer.extras),
    )
    context = multiprocessing.get_context("spawn")
    receivers: list[Connection] = []
    children = []
    parts = parallel if type(parallel) is int else children_for(os.cpu_count())
    for part in range(parts):
        receiver, sender = context.Pipe(duplex=False)
        _widen(receiver)
        child = context.Process(target=_prepare_in_child, args=(task, part, parts, sender), daemon=True)
        child.start()
        sender.close()
        receivers.append(receiver)
        children.append(child)
    # A thread receives the batches while this one writes: a child blocks on a full pipe until its batch is
    # read, so receiving only between writes would take turns instead of working side by side.
    messages: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=QUEUED_BATCHES)
    stop = threading.Event()
    receiving = threading.Thread(
        target=_receive, args=(receivers, children, messages, stop), name="import-batches", daemon=True
    )
    receiving.start()
    try:
        while True:
            kind, payload = messages.get()
            if kind == "batch":
                yield payload
            elif kind == "end":
                return
            elif kind == "bad_file":
                raise BadFile(payload)
            else:
                raise RuntimeError(payload)
    finally:
        stop.set()
        for child in children:
            if child.is_alive():
                child.terminate()
        receiving.join()
        for receiver in receivers:
            receiver.close()
        for child in children:
            child.join()


def _widen(connection: Connection) -> None:
    """Let the pipe hold a whole batch (Linux): with the default 64 KiB, receiving a batch of megabytes takes
    dozens of reads, each waiting for this process's interpreter lock while the other thread writes rows."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is None:
        return
    for size in (PIPE_BYTES, 1 << 20):
        try:
            fcntl.fcntl(connection.fileno(), set_size, size)
            return
        except OSError:
            continue


def _receive(
    receivers: list[Connection],
    children: list[Any],
    messages: queue.Queue[tuple[str, Any]],
    stop: threading.Event,
) -> None:
    """Batch i comes from child i % len(children); the first child with nothing more to send ends the rows."""

    def put(message: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                messages.put(message, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    index = 0
    while not stop.is_set():
        part = index % len(receivers)
        try:
            kind, payload = receivers[part].recv()
        except (EOFError, OSError):
            children[part].join(timeout=1)
            put(("error", f"the process preparing the rows stopped (exit code {children[part].exitcode})"))
            return
        if kind == "error":
            payload = f"preparing the rows failed in the child process:\n{payload}"
        if not put((kind, payload)) or kind != "batch":
            return
        index += 1


def _prepare_in_child(task: ChildTask, part: int, parts: int, sender: Connection) -> None:
    try:
        import django

        django.setup()
        from django.apps import apps
        from django.utils.module_loading import import_string

        from sources.models import Quarantine
        from sources.readers import open_table

        importer = import_string(task.importer)(open_table(task.path), task.options)
        model = apps.get_model(task.model)
        preparer = RowPreparer(
            importer,
            RowWriter(model, task.release_id, task.names),
            RowWriter(Quarantine, task.release_id, QUARANTINE_FIELDS),
            task.harmonised_fields,
            task.extras,
        )
        for batch in preparer.batches(part, parts):
            sender.send(("batch", batch))
        sender.send(("end", None))
    except BadFile as error:
        sender.send(("bad_file", str(error)))
    except BaseException:  # reported to the parent, which fails the import
        sender.send(("error", traceback.format_exc()))
    finally:
        sender.close()
