"""The evidence master key: 32 random bytes in a file, from which the store's and the signing keys derive.

Why a server-held key and not the meldpunt's per-report keys wrapped for each handler (docs/threat-model.md):
evidence is the organisation's working material. Any authorised member, the CLI and a background task must
be able to export and sign a bundle without a handler's password at hand, and the same file collected by
two organisations is stored once. So the store is encrypted with a key the server can use on its own. It
protects every copy of the store that does not include the key file (a backup of the data directory's
evidence folder, a disk or volume holding the store); it does not protect against someone holding both.
docs/evidence.md says where to keep the file (the setting EVIDENCE_KEY_FILE) and to back it up apart:
without it no stored file can be read.

The file is made on first use, readable by its owner only, and written whole before it is linked into place
so that processes starting at once all end up with the same key (as zorgveilig.env.secret_key_from_file).
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from zorgveilig import crypto

_HEADER = "zorgveilig-evidence-key-v1"


class KeyFileError(Exception):
    """The key file exists but cannot be read or does not hold a key."""


def key_file() -> Path:
    configured = getattr(settings, "EVIDENCE_KEY_FILE", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / "evidence.key"


def _read(path: Path) -> bytes:
    try:
        header, _space, encoded = path.read_text(encoding="ascii").strip().partition(" ")
        key = base64.b64decode(encoded, validate=True)
    except (OSError, UnicodeDecodeError, binascii.Error) as error:
        raise KeyFileError(f"{path}: cannot read the evidence key: {error}") from None
    if header != _HEADER or len(key) != crypto.KEY_BYTES:
        raise KeyFileError(f"{path}: this is not an evidence key file ({_HEADER})")
    return key


def master_key() -> bytes:
    """The master key, read from its file or made there on first use."""
    path = key_file()
    if path.exists():
        return _read(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = crypto.new_data_key()
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(f"{_HEADER} {base64.b64encode(key).decode('ascii')}\n")
            file.flush()
            os.fsync(file.fileno())
        os.link(draft, path)
    except FileExistsError:
        return _read(path)
    finally:
        draft.unlink(missing_ok=True)
    return key


def derived_key(purpose: str) -> bytes:
    """A 256-bit key for one purpose ("file-key-wrap", "signing-key"), unrelated to the others."""
    info = b"zorgveilig evidence v1\x00" + purpose.encode("utf-8")
    return HKDF(algorithm=hashes.SHA256(), length=crypto.KEY_BYTES, salt=None, info=info).derive(master_key())
