"""The content-addressed store: each file once, named by the SHA-256 of its original bytes, never changed.

`put` streams an upload into a private temporary file while hashing and encrypting it, checks its type as
it goes (evidence/filetypes.py), fsyncs it, makes it read-only (0o444) and links it into place at
`<DATA_DIR>/evidence/ab/cd/<sha256>`. When that name exists already the same bytes are stored, and the new
copy is dropped: a file is stored once however often it is collected. Nothing refused is left behind.

Encryption at rest (why a server-held key: evidence/keyfile.py). A stored file is

    b"ZVEV" | version 1 | sealed file key (61) | nonce prefix (7) | chunks

where the file key is 32 random bytes sealed (zorgveilig.crypto.seal) under a key derived from the evidence
master key, and each chunk is up to 1 MiB of the original, encrypted with ChaCha20-Poly1305 under the file
key with the nonce `prefix | chunk number (4) | last-chunk flag (1)` and the header as associated data, so
chunks cannot be reordered, dropped or cut off unnoticed. Reading checks every chunk and, at the end, that
the bytes still have the SHA-256 they are named by. The SHA-256 is always that of the original bytes.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from django.conf import settings
from django.utils.translation import gettext as _

from evidence import filetypes, keyfile
from evidence.filetypes import FileType, Refusal, refusal
from zorgveilig import crypto

CHUNK_BYTES = 1024 * 1024
MAGIC = b"ZVEV"
VERSION = 1
_PREFIX_BYTES = 7
_TAG_BYTES = 16
_SEALED_KEY_BYTES = 1 + crypto.NONCE_BYTES + crypto.KEY_BYTES + _TAG_BYTES
_HEADER_BYTES = len(MAGIC) + 1 + _SEALED_KEY_BYTES + _PREFIX_BYTES
_FILE_KEY_CONTEXT = "evidence:file-key"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
MB = 1024 * 1024


class StoreError(Exception):
    """A stored file is missing, damaged or does not match its name."""


def max_file_bytes() -> int:
    return int(getattr(settings, "EVIDENCE_MAX_FILE_MB", 500)) * MB


def root() -> Path:
    configured = getattr(settings, "EVIDENCE_DIR", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / "evidence"


def path_for(sha256: str) -> Path:
    if not _SHA256.match(sha256):
        raise ValueError("not a SHA-256 in lower-case hex")
    return root() / sha256[:2] / sha256[2:4] / sha256


def exists(sha256: str) -> bool:
    return path_for(sha256).is_file()


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    file_type: FileType
    created: bool  # False when the same bytes were stored already


def _nonce(prefix: bytes, number: int, last: bool) -> bytes:
    return prefix + number.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


class _Encryptor:
    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        file_key = crypto.new_data_key()
        sealed = crypto.seal(keyfile.derived_key("file-key-wrap"), file_key, context=_FILE_KEY_CONTEXT)
        self._prefix = secrets.token_bytes(_PREFIX_BYTES)
        self._header = MAGIC + bytes([VERSION]) + sealed + self._prefix
        self._cipher = ChaCha20Poly1305(file_key)
        self._buffer = bytearray()
        self._number = 0
        handle.write(self._header)

    def _emit(self, chunk: bytes, *, last: bool) -> None:
        nonce = _nonce(self._prefix, self._number, last)
        self._handle.write(self._cipher.encrypt(nonce, chunk, self._header))
        self._number += 1

    def write(self, data: bytes) -> None:
        self._buffer += data
        # Keep at least one byte back: the last chunk is only known as last at finish().
        while len(self._buffer) > CHUNK_BYTES:
            self._emit(bytes(self._buffer[:CHUNK_BYTES]), last=False)
            del self._buffer[:CHUNK_BYTES]

    def finish(self) -> None:
        self._emit(bytes(self._buffer), last=True)
        self._buffer.clear()


def _chunks(upload: Any, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    while data := upload.read(size):
        yield data


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def identify(name: str, upload: Any, kind: str) -> FileType:
    """The type of a seekable upload, checked against the kind of evidence; a Refusal otherwise."""
    upload.seek(0)
    head = upload.read(filetypes.HEAD_BYTES)
    file_type = filetypes.detect(name, head)
    if file_type is filetypes.ZIP:
        upload.seek(0)
        file_type = filetypes.office_type(name, upload)
    filetypes.check_kind(name, kind, file_type)
    upload.seek(0)
    return file_type


def _too_large(name: str, size: int) -> Refusal:
    return refusal(
        name,
        _("this file is %(size)s MB; the limit is %(limit)s MB.")
        % {"size": f"{size / MB:.1f}", "limit": max_file_bytes() // MB},
        "file_too_large",
    )


def put(name: str, upload: Any, kind: str) -> StoredFile:
    """Check, hash, encrypt and store a seekable file object; a Refusal leaves nothing behind."""
    limit = max_file_bytes()
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise _too_large(name, declared)
    file_type = identify(name, upload, kind)
    text_check = filetypes.TextCheck(name) if file_type.text else None

    temporary = root() / "tmp"
    temporary.mkdir(parents=True, exist_ok=True)
    draft = temporary / f"{os.getpid()}-{secrets.token_hex(8)}"
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(descriptor, "wb") as handle:
            encryptor = _Encryptor(handle)
            for chunk in _chunks(upload):
                size += len(chunk)
                if size > limit:
                    raise _too_large(name, size)
                digest.update(chunk)
                if text_check is not None:
                    text_check.feed(chunk)
                encryptor.write(chunk)
            if size == 0:
                raise refusal(name, _("this file is empty."), "empty")
            if text_check is not None:
                text_check.finish()
            encryptor.finish()
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(draft, 0o444)
        sha256 = digest.hexdigest()
        final = path_for(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(draft, final)
            created = True
        except FileExistsError:
            created = False
        _fsync_directory(final.parent)
    finally:
        draft.unlink(missing_ok=True)
    return StoredFile(sha256, size, file_type, created)


def discard(sha256: str) -> None:
    """Remove a file that `put` just created, when the row that would refer to it was not written."""
    path_for(sha256).unlink(missing_ok=True)


def open_chunks(sha256: str) -> Iterator[bytes]:
    """The original bytes of a stored file, chunk by chunk; StoreError when anything does not check out.

    The last chunk is only handed out once the whole file has been checked against its SHA-256.
    """
    path = path_for(sha256)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise StoreError(f"evidence file {sha256} is missing from the store") from None
    with handle:
        header = handle.read(_HEADER_BYTES)
        if len(header) != _HEADER_BYTES or not header.startswith(MAGIC) or header[4] != VERSION:
            raise StoreError(f"evidence file {sha256} is not a stored evidence file")
        sealed = header[5 : 5 + _SEALED_KEY_BYTES]
        prefix = header[5 + _SEALED_KEY_BYTES :]
        try:
            file_key = crypto.open_sealed(
                keyfile.derived_key("file-key-wrap"), sealed, context=_FILE_KEY_CONTEXT
            )
        except crypto.DecryptionError:
            raise StoreError(f"evidence file {sha256}: its key does not open (another master key?)") from None
        cipher = ChaCha20Poly1305(file_key)
        digest = hashlib.sha256()
        block_size = CHUNK_BYTES + _TAG_BYTES
        number = 0
        block = handle.read(block_size)
        while True:
            following = handle.read(block_size)
            last = not following
            try:
                chunk = cipher.decrypt(_nonce(prefix, number, last), block, header)
            except InvalidTag:
                raise StoreError(f"evidence file {sha256} is damaged (chunk {number})") from None
            digest.update(chunk)
            if last:
                if digest.hexdigest() != sha256:
                    raise StoreError(f"evidence file {sha256} does not match its SHA-256")
                yield chunk
                return
            yield chunk
            number += 1
            block = following


def read_bytes(sha256: str) -> bytes:
    """The whole original file in memory (small files, tests)."""
    return b"".join(open_chunks(sha256))
