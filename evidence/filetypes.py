"""What an uploaded file is, by its first bytes (never by its name), and whether it fits the kind of evidence.

`detect(head)` names the type from the magic bytes; programs (Windows, Linux and macOS executables, scripts
starting with `#!`, WebAssembly, Android code, Windows shortcuts) are refused by name, archives too (add the
files inside one by one). Office documents are ZIP files: `office_type` reads their table of contents, never
unpacking anything, and refuses macro-enabled ones. Text types are checked as the whole file streams in
(`TextCheck`), so a file that starts as text and goes on as something else is refused too.

Every refusal is a `Refusal` (a ValidationError) whose message names the file and the reason.
"""

from __future__ import annotations

import codecs
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evidence.models import Kind

HEAD_BYTES = 64 * 1024


class Family:
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"
    WEB = "web"


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str
    family: str
    label: str | Promise
    text: bool = False  # checked as UTF-8 text while it streams in


JPEG = FileType("image/jpeg", "jpg", Family.IMAGE, "JPEG")
PNG = FileType("image/png", "png", Family.IMAGE, "PNG")
GIF = FileType("image/gif", "gif", Family.IMAGE, "GIF")
WEBP = FileType("image/webp", "webp", Family.IMAGE, "WebP")
HEIC = FileType("image/heic", "heic", Family.IMAGE, "HEIC")
AVIF = FileType("image/avif", "avif", Family.IMAGE, "AVIF")
TIFF = FileType("image/tiff", "tif", Family.IMAGE, "TIFF")
MP4 = FileType("video/mp4", "mp4", Family.VIDEO, "MP4")
QUICKTIME = FileType("video/quicktime", "mov", Family.VIDEO, "QuickTime")
THREE_GP = FileType("video/3gpp", "3gp", Family.VIDEO, "3GP")
WEBM = FileType("video/webm", "webm", Family.VIDEO, "WebM")
MATROSKA = FileType("video/x-matroska", "mkv", Family.VIDEO, "Matroska")
AVI = FileType("video/x-msvideo", "avi", Family.VIDEO, "AVI")
MP3 = FileType("audio/mpeg", "mp3", Family.AUDIO, "MP3")
M4A = FileType("audio/mp4", "m4a", Family.AUDIO, "M4A")
OGG = FileType("audio/ogg", "ogg", Family.AUDIO, "Ogg")
WAV = FileType("audio/wav", "wav", Family.AUDIO, "WAV")
FLAC = FileType("audio/flac", "flac", Family.AUDIO, "FLAC")
AMR = FileType("audio/amr", "amr", Family.AUDIO, "AMR")
PDF = FileType("application/pdf", "pdf", Family.DOCUMENT, "PDF")
TEXT = FileType("text/plain", "txt", Family.DOCUMENT, gettext_lazy("plain text"), text=True)
RTF = FileType("application/rtf", "rtf", Family.DOCUMENT, "RTF", text=True)
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", Family.DOCUMENT, "Word"
)
XLSX = FileType(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", Family.DOCUMENT, "Excel"
)
PPTX = FileType(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pptx",
    Family.DOCUMENT,
    "PowerPoint",
)
ODT = FileType("application/vnd.oasis.opendocument.text", "odt", Family.DOCUMENT, "OpenDocument text")
ODS = FileType(
    "application/vnd.oasis.opendocument.spreadsheet", "ods", Family.DOCUMENT, "OpenDocument spreadsheet"
)
WARC = FileType("application/warc", "warc", Family.WEB, "WARC")
WARC_GZ = FileType("application/warc+gzip", "warc.gz", Family.WEB, "WARC (gzip)")
HTML = FileType("text/html", "html", Family.WEB, "HTML", text=True)
MHTML = FileType("multipart/related", "mhtml", Family.WEB, "MHTML", text=True)

# A ZIP file is an office document or an archive: office_type decides once the whole file can be read.
ZIP = FileType("application/zip", "zip", Family.DOCUMENT, "ZIP")

ALL_TYPES = [
    JPEG, PNG, GIF, WEBP, HEIC, AVIF, TIFF, MP4, QUICKTIME, THREE_GP, WEBM, MATROSKA, AVI, MP3, M4A, OGG, WAV,
    FLAC, AMR, PDF, TEXT, RTF, DOCX, XLSX, PPTX, ODT, ODS, WARC, WARC_GZ, HTML, MHTML,
]  # fmt: skip
EXTENSIONS = {file_type.content_type: file_type.extension for file_type in ALL_TYPES}

# Which families each kind of evidence may be. A document or statement may be a photo or scan of paper; a
# statement may be an audio or video recording; a web capture is a screenshot, a PDF print or an archive.
KIND_FAMILIES: dict[str, frozenset[str]] = {
    Kind.PHOTO: frozenset({Family.IMAGE}),
    Kind.VIDEO: frozenset({Family.VIDEO}),
    Kind.DOCUMENT: frozenset({Family.DOCUMENT, Family.IMAGE}),
    Kind.WITNESS_STATEMENT: frozenset({Family.DOCUMENT, Family.IMAGE, Family.AUDIO, Family.VIDEO}),
    Kind.WEB_CAPTURE: frozenset({Family.IMAGE, Family.WEB}),
}
# A web capture that is a document can only be the page printed to PDF.
_WEB_CAPTURE_DOCUMENTS = frozenset({PDF.content_type})

_PROGRAMS = (
    b"MZ",  # Windows (PE) and DOS programs and libraries
    b"\x7fELF",  # Linux and other Unix programs
    b"\xfe\xed\xfa\xce",  # macOS (Mach-O), 32 and 64 bit, both byte orders, and universal binaries
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"\x00asm",  # WebAssembly
    b"dex\n",  # Android
    b"L\x00\x00\x00\x01\x14\x02\x00",  # Windows shortcut
)
_ARCHIVES = (b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07", b"BZh", b"\xfd7zXZ\x00", b"\x1f\x8b")
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_ZIP_ENTRIES = 10_000


class Refusal(ValidationError):
    """A file refused, with a message that names it and says why."""


def refusal(name: str, reason: str, code: str) -> Refusal:
    return Refusal(_("%(name)s: %(reason)s") % {"name": name, "reason": reason}, code=code)


def _looks_like_mp3(head: bytes) -> bool:
    if head.startswith(b"ID3"):
        return True
    return len(head) >= 4 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0 and (head[1] & 0x06) != 0


def _text_of(head: bytes) -> str | None:
    """The head as text when it is UTF-8 without NUL or control characters (an unfinished last character is
    allowed: the head is cut off at any byte)."""
    if b"\x00" in head:
        return None
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return None
    text = text.removeprefix("\ufeff")
    if not all(char.isprintable() or char in "\t\n\r\f" for char in text):
        return None
    return text


def _iso_media(head: bytes) -> FileType:
    brand = head[8:12]
    if brand in (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"):
        return HEIC
    if brand in (b"avif", b"avis"):
        return AVIF
    if brand == b"qt  ":
        return QUICKTIME
    if brand.startswith(b"3g"):
        return THREE_GP
    if brand in (b"M4A ", b"M4B "):
        return M4A
    return MP4


def _gzip_is_warc(head: bytes) -> bool:
    try:
        start = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 16)
    except zlib.error:
        return False
    return start.startswith(b"WARC/")


def detect(name: str, head: bytes) -> FileType:
    """The type the first bytes declare; a Refusal for programs, archives and what is not accepted."""
    if not head:
        raise refusal(name, _("this file is empty."), "empty")
    if head.startswith(b"#!AMR"):  # AMR audio starts like a script
        return AMR
    if head.startswith(_PROGRAMS) or head.startswith(b"#!"):
        raise refusal(
            name, _("this file is a program or script; programs are never accepted as evidence."), "program"
        )
    simple = (
        (b"\xff\xd8\xff", JPEG),
        (b"\x89PNG\r\n\x1a\n", PNG),
        (b"GIF87a", GIF),
        (b"GIF89a", GIF),
        (b"II*\x00", TIFF),
        (b"MM\x00*", TIFF),
        (b"%PDF-", PDF),
        (b"OggS", OGG),
        (b"fLaC", FLAC),
        (b"{\\rtf", RTF),
        (b"WARC/", WARC),
    )
    for magic, file_type in simple:
        if head.startswith(magic):
            return file_type
    if head[:4] == b"RIFF":
        riff = {b"WEBP": WEBP, b"WAVE": WAV, b"AVI ": AVI}.get(head[8:12])
        if riff is not None:
            return riff
    if head[4:8] == b"ftyp":
        return _iso_media(head)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM if b"webm" in head[:64] else MATROSKA
    if head.startswith(b"PK\x03\x04"):
        return ZIP
    if head.startswith(b"\x1f\x8b") and _gzip_is_warc(head):
        return WARC_GZ
    if head.startswith(_ARCHIVES):
        raise refusal(name, _("archives are not accepted: add the files inside it one by one."), "archive")
    if head.startswith(_OLE2):
        raise refusal(
            name,
            _("old Office files (.doc, .xls) and installers are not accepted: save the document as PDF."),
            "old_office",
        )
    if _looks_like_mp3(head):
        return MP3
    text = _text_of(head)
    if text is not None:
        start = text.lstrip().lower()
        if start.startswith(("<!doctype html", "<html")):
            return HTML
        headers = start[:4096]
        if "mime-version:" in headers and "multipart/related" in headers:
            return MHTML
        return TEXT
    raise refusal(name, accepted_types_message(), "unsupported_type")


def accepted_types_message() -> str:
    return _(
        "this type of file is not accepted. Accepted are photos (JPEG, PNG, GIF, WebP, HEIC, TIFF), video "
        "(MP4, MOV, 3GP, WebM, MKV, AVI), audio (MP3, M4A, Ogg, WAV, FLAC, AMR), PDF, plain text, RTF, Word, "
        "Excel, PowerPoint and OpenDocument files, and web captures (WARC, HTML, MHTML)."
    )


def office_type(name: str, file: IO[bytes]) -> FileType:
    """The office document type of a seekable ZIP file from its table of contents, or a Refusal."""
    archive_refused = refusal(
        name, _("archives are not accepted: add the files inside it one by one."), "archive"
    )
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, ValueError, OSError):
        raise refusal(name, _("this file is damaged and cannot be opened."), "damaged_archive") from None
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            raise archive_refused
        names = {entry.filename for entry in entries}
        if any(entry.rsplit("/", 1)[-1].lower() == "vbaproject.bin" for entry in names):
            raise refusal(
                name,
                _("this document contains macros (programs); save it without macros or as PDF."),
                "macros",
            )
        if "mimetype" in names:
            try:
                with archive.open("mimetype") as member:
                    mimetype = member.read(100).strip()
            except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError, RuntimeError):
                mimetype = b""
            for document in (ODT, ODS):
                if mimetype == document.content_type.encode():
                    return document
        if "[Content_Types].xml" in names:
            for prefix, document in (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX)):
                if any(entry.startswith(prefix) for entry in names):
                    return document
    raise archive_refused


def check_kind(name: str, kind: str, file_type: FileType) -> None:
    """Refuse a type that is not evidence of this kind (a PDF as a photo, a video as a web capture)."""
    families = KIND_FAMILIES[kind]
    fits = file_type.family in families
    if kind == Kind.WEB_CAPTURE and file_type.family == Family.DOCUMENT:
        fits = file_type.content_type in _WEB_CAPTURE_DOCUMENTS
    if not fits:
        raise refusal(
            name,
            _("this is a %(type)s file, which cannot be evidence of the kind “%(kind)s”.")
            % {"type": file_type.label, "kind": Kind(kind).label},
            "wrong_kind",
        )


class TextCheck:
    """Fed each chunk of a text file: refuses NUL bytes and anything that is not UTF-8."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    def _refused(self) -> Refusal:
        return refusal(
            self.name, _("this file starts as text but holds other data; it is refused."), "not_text"
        )

    def feed(self, chunk: bytes) -> None:
        if b"\x00" in chunk:
            raise self._refused()
        try:
            self._decoder.decode(chunk, final=False)
        except UnicodeDecodeError:
            raise self._refused() from None

    def finish(self) -> None:
        try:
            self._decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise self._refused() from None
