"""Importing a dataset file from the web UI: the upload is stored privately, a background task imports it.

request_import() keeps the uploaded file under DATA_DIR/imports/<random>/ (never served), records an
ImportRequest and queues sources.tasks.import_dataset; run_import_request() is what that task does: it calls
sources.releases.import_file, records the outcome on the request and deletes the stored file. The release
keeps the file's SHA-256, so the same bytes uploaded again are recognised without keeping the file.

While the import runs, its progress is written to a small file next to the upload as well as to the tasks
page: the import is one database transaction, so progress rows written inside it would only become visible
when it is over.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import os
import secrets
import shutil
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from audit.chain import record as audit_record
from sources.importers import UnknownSource, known_source, source_slug
from sources.models import ImportRequest, MappingProfile
from sources.releases import ImportFailed, import_file

logger = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]

UPLOAD_FOLDER = "upload"
PROGRESS_FILE = "progress.json"
PROGRESS_INTERVAL = 0.5
MAX_NAME_LENGTH = 180


class ImportRefused(ValueError):
    """The request cannot be queued (unknown source, a profile of another source); nothing was stored."""


def imports_dir() -> Path:
    """Where uploads wait for their import: inside the data directory, which is never served."""
    return Path(settings.DATA_DIR) / "imports"


def safe_file_name(name: str) -> str:
    """The uploaded file's own name, without any folder or control characters: import_file reads the
    product and the vintage date from it and stores it on the release."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    if base in ("", ".", ".."):
        base = "upload"
    if len(base) > MAX_NAME_LENGTH:
        stem, dot, extension = base.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            base = stem[: MAX_NAME_LENGTH - len(extension) - 1] + "." + extension
        else:
            base = base[:MAX_NAME_LENGTH]
    return base


def _checked_source(source: str, profile: MappingProfile | None) -> str:
    if profile is not None:
        if source and source_slug(source) != profile.source_slug:
            raise ImportRefused(
                f"mapping profile {profile.slug!r} is for source {profile.source_slug!r}, not {source!r}"
            )
        return profile.source_slug
    try:
        return known_source(source)
    except UnknownSource as error:
        raise ImportRefused(str(error)) from None


def _store(uploaded_file: UploadedFile, folder: Path) -> tuple[Path, int, str]:
    name = safe_file_name(uploaded_file.name or "")
    target = folder / UPLOAD_FOLDER / name
    target.parent.mkdir(parents=True, mode=0o700)
    digest = hashlib.sha256()
    size = 0
    with target.open("xb") as handle:
        for chunk in uploaded_file.chunks():
            digest.update(chunk)
            size += len(chunk)
            handle.write(chunk)
    return target, size, digest.hexdigest()


def request_import(
    uploaded_file: UploadedFile,
    *,
    source: str,
    product: str = "",
    vintage: datetime.date | None = None,
    profile: MappingProfile | None = None,
    actor: Any = None,
) -> ImportRequest:
    """Store the upload and queue its import; returns the ImportRequest (status QUEUED).

    `source` is a name of sources.importers.IMPORTERS, or blank (or the same) with a mapping profile, whose
    source is then used. Raises ImportRefused without storing anything when the source cannot be used. The
    caller checks Permission.ANALYSE_DATA."""
    from sources.tasks import import_dataset

    slug = _checked_source(source, profile)
    root = imports_dir()
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = root / secrets.token_hex(16)
    try:
        path, size, digest = _store(uploaded_file, folder)
        with transaction.atomic():
            request = ImportRequest.objects.create(
                source_slug=slug,
                product=product,
                vintage_date=vintage,
                profile=profile,
                file_name=path.name,
                stored_as=path.relative_to(root).as_posix(),
                file_size=size,
                requested_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            result = import_dataset.enqueue(request.pk)
            request.task_result_id = str(result.id)
            request.save(update_fields=["task_result_id"])
            audit_record(
                "sources.import_requested",
                actor=actor,
                target=request,
                details={
                    "source": slug,
                    "product": product,
                    "vintage": vintage.isoformat() if vintage else "",
                    "profile": profile.slug if profile is not None else "",
                    "file_size": size,
                    "sha256": digest,
                    "task_result": str(result.id),
                },
            )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return request


def stored_folder(request: ImportRequest) -> Path | None:
    """The private folder of the request's upload, or None when the request names none (or a bad one)."""
    if not request.stored_as:
        return None
    root = imports_dir().resolve()
    folder = (root / request.stored_as.split("/", 1)[0]).resolve()
    if folder.parent != root:
        return None
    return folder


def progress_of(request: ImportRequest) -> tuple[int, int | None] | None:
    """(rows done, rows in all or None) of a running import, as its task last wrote them; None if unknown."""
    folder = stored_folder(request)
    if folder is None:
        return None
    try:
        state = json.loads((folder / PROGRESS_FILE).read_text(encoding="utf-8"))
        done, total = int(state["done"]), state.get("total")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return done, int(total) if isinstance(total, int) else None


class _ProgressFile:
    """Writes (done, total) to the request's folder at most every PROGRESS_INTERVAL seconds, and always
    when the last row is reached; replaced atomically, so a reader never sees half a file."""

    def __init__(self, folder: Path, then: Progress | None) -> None:
        self.path = folder / PROGRESS_FILE
        self.then = then
        self.last = 0.0

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        if finished or now - self.last >= PROGRESS_INTERVAL:
            self.last = now
            partial = self.path.with_suffix(".tmp")
            try:
                partial.write_text(json.dumps({"done": done, "total": total}), encoding="utf-8")
                os.replace(partial, self.path)
            except OSError:
                logger.warning("Could not write the progress of an import to %s", self.path)
        if self.then is not None:
            self.then(done, total)


def _finish(request: ImportRequest, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(request, name, value)
    request.finished_at = timezone.now()
    with transaction.atomic():
        request.save(update_fields=[*fields, "finished_at"])
        audit_record(
            "sources.import_finished",
            actor=request.requested_by,
            target=request,
            details={
                "status": request.status,
                "release": request.release_id,
                "task_result": request.task_result_id,
            },
        )


def outcome_of(request: ImportRequest) -> dict[str, Any]:
    """What the import task returns (and the tasks page describes): JSON only."""
    release = request.release
    return {
        "request": request.pk,
        "status": request.status,
        "release": release.pk if release is not None else None,
        "rows_imported": release.rows_imported if release is not None else 0,
        "rows_quarantined": release.rows_quarantined if release is not None else 0,
        "error": request.error,
    }


def run_import_request(request_id: int, progress: Progress | None = None) -> dict[str, Any]:
    """Import the stored upload of request `request_id` (what sources.tasks.import_dataset runs).

    A request that is not queued any more (run before) is left as it is. The stored upload is deleted
    afterwards, whatever the outcome."""
    claimed = ImportRequest.objects.filter(pk=request_id, status=ImportRequest.Status.QUEUED).update(
        status=ImportRequest.Status.RUNNING
    )
    request = ImportRequest.objects.select_related("profile", "requested_by", "release").get(pk=request_id)
    if not claimed:
        return outcome_of(request)
    folder = stored_folder(request)
    path = folder / request.stored_as.split("/", 1)[-1] if folder is not None else None
    try:
        if folder is None or path is None or not path.is_file():
            _finish(
                request,
                status=ImportRequest.Status.FAILED,
                error="the uploaded file is no longer there; upload it again",
            )
            return outcome_of(request)
        try:
            outcome = import_file(
                request.source_slug,
                path,
                vintage=request.vintage_date,
                product=request.product or None,
                actor=request.requested_by,
                progress=_ProgressFile(folder, progress),
                profile=request.profile,
            )
        except ImportFailed as error:
            _finish(request, status=ImportRequest.Status.FAILED, error=str(error))
        except Exception as error:
            logger.exception("Import request %s failed unexpectedly", request.pk)
            _finish(
                request,
                status=ImportRequest.Status.FAILED,
                error=f"unexpected error ({type(error).__name__}); the server log has the details",
            )
            raise
        else:
            status = (
                ImportRequest.Status.ALREADY_IMPORTED
                if outcome.already_imported
                else ImportRequest.Status.DONE
            )
            _finish(request, status=status, release=outcome.release)
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    return outcome_of(request)
