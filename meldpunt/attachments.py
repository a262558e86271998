"""Files added to a report: checked by their content (never by their name), hashed, sealed and stored.

`check_file(name, data)` accepts a file or raises ValidationError with a message that names the file and the
reason. Accepted are photos (JPEG, PNG, GIF, WebP, each opened with Pillow), PDF, plain text, audio (MP3,
M4A, OGG), MP4 video and Word, Excel and OpenDocument text files after their ZIP structure has been read
through (sizes, compression ratio, number of entries, no archives inside): zip bombs are refused before
anything is stored.

The original bytes are stored unchanged, sealed with the report key, under a random name in the default
storage; the SHA-256 of the original is kept in plain form so both sides can check a file against it.
Previews without metadata (`preview_without_metadata`) are for handlers; generating them on the case pages
follows with case handling.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from meldpunt.models import Attachment, Party, Report
from meldpunt.sealing import attachment_context, attachment_name_context
from zorgveilig import crypto

MB = 1024 * 1024

JPEG = "image/jpeg"
PNG = "image/png"
GIF = "image/gif"
WEBP = "image/webp"
PDF = "application/pdf"
TEXT = "text/plain"
MP3 = "audio/mpeg"
M4A = "audio/mp4"
OGG = "audio/ogg"
MP4 = "video/mp4"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"

IMAGE_TYPES = frozenset({JPEG, PNG, GIF, WEBP})
_PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG", GIF: "GIF", WEBP: "WEBP"}

# Names inside an office document that are archives themselves: refused, whatever they contain.
_ARCHIVE_SUFFIXES = (".zip", ".jar", ".7z", ".rar", ".gz", ".tgz", ".bz2", ".xz", ".cab", ".docx", ".xlsx")
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"7z\xbc\xaf", b"Rar!", b"\x1f\x8b", b"BZh", b"\xfd7zXZ")


def max_file_bytes() -> int:
    return int(getattr(settings, "MELDPUNT_MAX_FILE_BYTES", 20 * MB))


def max_report_bytes() -> int:
    return int(getattr(settings, "MELDPUNT_MAX_REPORT_BYTES", 50 * MB))


def max_image_pixels() -> int:
    return int(getattr(settings, "MELDPUNT_MAX_IMAGE_PIXELS", 40_000_000))


def max_unpacked_bytes() -> int:
    return int(getattr(settings, "MELDPUNT_MAX_UNPACKED_BYTES", 100 * MB))


MAX_ZIP_ENTRIES = 2000
MAX_COMPRESSION_RATIO = 100


def megabytes(size: int) -> str:
    return f"{size / MB:.0f}" if size >= 10 * MB else f"{size / MB:.1f}"


@dataclass(frozen=True)
class CheckedFile:
    name: str
    data: bytes
    sha256: str
    content_type: str

    @property
    def size(self) -> int:
        return len(self.data)


def _refuse(name: str, reason: str, code: str) -> ValidationError:
    return ValidationError(
        _("%(name)s: %(reason)s") % {"name": name, "reason": reason}, code=code, params={"name": name}
    )


def _unsupported(name: str) -> ValidationError:
    return _refuse(
        name,
        _(
            "this type of file is not accepted. Accepted are photos (JPEG, PNG, GIF, WebP), PDF, plain text, "
            "audio (MP3, M4A, OGG), MP4 video and Word, Excel or OpenDocument text files."
        ),
        "unsupported_type",
    )


def _looks_like_mp3(data: bytes) -> bool:
    if data.startswith(b"ID3"):
        return True
    # An MPEG audio frame header: 11 sync bits, then a layer that is not "reserved".
    return len(data) >= 4 and data[0] == 0xFF and (data[1] & 0xE0) == 0xE0 and (data[1] & 0x06) != 0


def _is_plain_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(char.isprintable() or char in "\t\n\r\f" for char in text)


def sniff(data: bytes) -> str | None:
    """The content type the first bytes declare, or None; ZIP-based types are only 'application/zip' here."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"OggS"):
        return OGG
    if data[4:8] == b"ftyp":
        return M4A if data[8:12] in (b"M4A ", b"M4B ") else MP4
    if data.startswith(b"PK\x03\x04"):
        return "application/zip"
    if _looks_like_mp3(data):
        return MP3
    if _is_plain_text(data):
        return TEXT
    return None


def _check_image(name: str, data: bytes, content_type: str) -> None:
    Image.MAX_IMAGE_PIXELS = max_image_pixels()
    try:
        with warnings.catch_warnings():
            # Pillow only warns between the limit and twice the limit; any image over it is refused.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != _PILLOW_FORMATS[content_type]:
                    raise _unsupported(name)
                image.verify()
            # verify() does not decode the pixels: a truncated file shows only when they are loaded.
            with Image.open(io.BytesIO(data)) as image:
                image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(
            name,
            _("this image has too many pixels (more than %(limit)s million).")
            % {"limit": max_image_pixels() // 1_000_000},
            "image_bomb",
        ) from None
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _refuse(
            name, _("this image is damaged or incomplete and cannot be opened."), "damaged_image"
        ) from None


def _check_zip(name: str, data: bytes) -> str:
    """The office document type of a ZIP file after reading every entry through, or a ValidationError."""
    damaged = _refuse(name, _("this file is damaged and cannot be opened."), "damaged_archive")
    too_big = _refuse(
        name,
        _("this document unpacks to too much data or is compressed suspiciously strongly; it is refused."),
        "archive_bomb",
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise damaged from None
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            raise too_big
        names = {entry.filename for entry in entries}
        total = 0
        mimetype = b""
        for entry in entries:
            if entry.filename.lower().endswith(_ARCHIVE_SUFFIXES):
                raise _refuse(name, _("this document contains another archive; it is refused."), "nested")
            # The sizes in the headers can lie: count what really comes out, and stop as soon as it is
            # too much, before it has all been unpacked.
            limit = min(max_unpacked_bytes() - total, MAX_COMPRESSION_RATIO * max(entry.compress_size, 1024))
            unpacked = 0
            head = b""
            try:
                with archive.open(entry) as member:
                    while chunk := member.read(64 * 1024):
                        if not head:
                            head = chunk[:64]
                        unpacked += len(chunk)
                        if unpacked > limit:
                            raise too_big
            except ValidationError:
                raise
            except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError, RuntimeError):
                raise damaged from None
            total += unpacked
            if head.startswith(_ARCHIVE_MAGIC):
                raise _refuse(name, _("this document contains another archive; it is refused."), "nested")
            if entry.filename == "mimetype":
                mimetype = head.strip()
        if total > MAX_COMPRESSION_RATIO * max(len(data), 1):
            raise too_big
    if mimetype == ODT.encode():
        return ODT
    if "[Content_Types].xml" in names:
        if any(entry.startswith("word/") for entry in names):
            return DOCX
        if any(entry.startswith("xl/") for entry in names):
            return XLSX
    raise _unsupported(name)


def check_file(name: str, data: bytes) -> CheckedFile:
    """Accept one uploaded file, or raise ValidationError naming the file and the reason."""
    name = display_name(name)
    if len(data) > max_file_bytes():
        raise _refuse(
            name,
            _("this file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": megabytes(len(data)), "limit": megabytes(max_file_bytes())},
            "file_too_large",
        )
    if not data:
        raise _refuse(name, _("this file is empty."), "empty")
    content_type = sniff(data)
    if content_type is None:
        raise _unsupported(name)
    if content_type in IMAGE_TYPES:
        _check_image(name, data, content_type)
    elif content_type == "application/zip":
        content_type = _check_zip(name, data)
    elif content_type == PDF and b"%%EOF" not in data[-2048:]:
        raise _refuse(name, _("this PDF is incomplete (its end is missing)."), "damaged_pdf")
    return CheckedFile(name, data, hashlib.sha256(data).hexdigest(), content_type)


def check_files(files: Iterable[tuple[str, bytes]], *, already_stored: int = 0) -> list[CheckedFile]:
    """Check every file; all problems are reported together, and the total must fit the report limit."""
    files = list(files)
    checked: list[CheckedFile] = []
    problems: list[ValidationError] = []
    for name, data in files:
        try:
            checked.append(check_file(name, data))
        except ValidationError as error:
            problems.append(error)
    total = already_stored + sum(len(data) for _name, data in files)
    if total > max_report_bytes():
        problems.append(
            ValidationError(
                _("Together the files of this report are %(size)s MB; the limit is %(limit)s MB.")
                % {"size": megabytes(total), "limit": megabytes(max_report_bytes())},
                code="report_too_large",
            )
        )
    if problems:
        raise ValidationError(problems)
    return checked


def display_name(name: str) -> str:
    """The last part of a file name as the browser sent it, without control characters, at most 200 long."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable()).strip()
    return name[:200] or _("(no name)")


def store(report: Report, key: bytes, checked: CheckedFile, uploaded_by: Party) -> Attachment:
    """Seal and store one checked file. Call inside the transaction that records it."""
    file_id = secrets.token_hex(16)
    sealed = crypto.seal(key, checked.data, context=attachment_context(report.pk, file_id))
    storage_name = default_storage.save(f"meldpunt/{file_id}", ContentFile(sealed))
    return Attachment.objects.create(
        report=report,
        file_id=file_id,
        storage_name=storage_name,
        sha256=checked.sha256,
        size=checked.size,
        content_type=checked.content_type,
        sealed_filename=crypto.seal(
            key, checked.name.encode(), context=attachment_name_context(report.pk, file_id)
        ),
        uploaded_by=uploaded_by,
    )


def discard(stored: Iterable[Attachment]) -> None:
    """Remove the stored bytes of attachments whose transaction did not commit."""
    for attachment in stored:
        default_storage.delete(attachment.storage_name)


def stored_size(report: Report) -> int:
    return sum(Attachment.objects.filter(report=report).values_list("size", flat=True))


def read(attachment: Attachment, key: bytes) -> bytes:
    """The original bytes of a stored file; checked against the SHA-256 taken at intake."""
    with default_storage.open(attachment.storage_name, "rb") as handle:
        sealed = handle.read()
    data = crypto.open_sealed(
        key, sealed, context=attachment_context(attachment.report_id, attachment.file_id)
    )
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise crypto.DecryptionError("attachment does not match its SHA-256")
    return data


def preview_without_metadata(image_bytes: bytes) -> bytes:
    """A re-encoded copy of an image without EXIF or other metadata (JPEG stays JPEG, the rest PNG).

    The orientation from EXIF is applied to the pixels first, so the preview looks the same.
    """
    Image.MAX_IMAGE_PIXELS = max_image_pixels()
    with Image.open(io.BytesIO(image_bytes)) as source:
        is_jpeg = source.format == "JPEG"
        image = ImageOps.exif_transpose(source)
        image.load()
    # A new image holds only the pixels: no info dictionary, EXIF, XMP, ICC comments or text chunks.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    palette = image.getpalette() if image.mode == "P" else None
    if palette:
        clean.putpalette(palette)
    output = io.BytesIO()
    if is_jpeg:
        clean.convert("RGB").save(output, format="JPEG", quality=90)
    else:
        if clean.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            clean = clean.convert("RGBA")
        clean.save(output, format="PNG")
    return output.getvalue()
