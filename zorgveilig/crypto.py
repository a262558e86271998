"""Encryption primitives for data at rest: sealing, key wrapping, key derivation and receipt codes.

Only primitives live here; which key protects which field is decided by the apps that call them and is
described in docs/threat-model.md. Every function works on raw bytes so callers store blobs in a
BinaryField without any encoding step.

Formats (all versioned with a leading byte so a later algorithm can sit next to this one):

- sealed blob: ``0x01 | nonce (12) | ChaCha20-Poly1305 ciphertext and tag``; the associated data is the
  version byte followed by ``context`` in UTF-8, so a blob copied to another row or field does not open.
- wrapped key: ``0x01 | ephemeral X25519 public key (32) | sealed blob`` where the sealing key comes from
  HKDF-SHA256 over the X25519 shared secret, with both public keys and ``context`` in the info.
"""

from __future__ import annotations

import os
import re
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

KEY_BYTES = 32
NONCE_BYTES = 12
SALT_BYTES = 16
_TAG_BYTES = 16

_SEAL_VERSION = 1
_WRAP_VERSION = 1
_WRAP_INFO = b"zorgveilig key wrap v1\x00"
_KDF_AD = b"zorgveilig kdf v1\x00"


class DecryptionError(Exception):
    """A blob did not open: wrong key, tampered bytes, another context, or an unknown format."""


def new_data_key() -> bytes:
    """A fresh random 256-bit key, for one report or one session."""
    return os.urandom(KEY_BYTES)


def new_salt() -> bytes:
    return os.urandom(SALT_BYTES)


def _check_key(key: bytes, what: str = "key") -> None:
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise ValueError(f"{what} must be {KEY_BYTES} bytes")


def _associated_data(version: int, context: str) -> bytes:
    if not context:
        # An empty context would let a blob be moved anywhere: that is always a caller's mistake.
        raise ValueError("context must name the place the ciphertext belongs to")
    return bytes([version]) + context.encode("utf-8")


def seal(key: bytes, plaintext: bytes, *, context: str) -> bytes:
    """Encrypt and authenticate ``plaintext`` under ``key``, bound to ``context`` (e.g. "report:17:narrative")."""
    _check_key(key)
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = ChaCha20Poly1305(key).encrypt(nonce, plaintext, _associated_data(_SEAL_VERSION, context))
    return bytes([_SEAL_VERSION]) + nonce + ciphertext


def open_sealed(key: bytes, blob: bytes, *, context: str) -> bytes:
    """The plaintext of a blob made by :func:`seal` with the same key and context; else DecryptionError."""
    _check_key(key)
    aad = _associated_data(_SEAL_VERSION, context)
    blob = bytes(blob)  # a BinaryField may hand back a memoryview
    if len(blob) < 1 + NONCE_BYTES + _TAG_BYTES or blob[0] != _SEAL_VERSION:
        raise DecryptionError("not a sealed blob of a known version")
    nonce, ciphertext = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        return ChaCha20Poly1305(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        raise DecryptionError("wrong key, wrong context or tampered data") from None


def generate_keypair() -> tuple[bytes, bytes]:
    """A new X25519 key pair as raw bytes: (private, public)."""
    private = X25519PrivateKey.generate()
    return private.private_bytes_raw(), private.public_key().public_bytes_raw()


def public_key_of(private_key: bytes) -> bytes:
    """The raw X25519 public key that belongs to ``private_key``."""
    _check_key(private_key, "private key")
    return X25519PrivateKey.from_private_bytes(private_key).public_key().public_bytes_raw()


def _wrapping_key(shared: bytes, ephemeral_public: bytes, recipient_public: bytes, context: str) -> bytes:
    info = _WRAP_INFO + ephemeral_public + recipient_public + context.encode("utf-8")
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(shared)


def wrap_key(public_key: bytes, data_key: bytes, *, context: str) -> bytes:
    """Encrypt ``data_key`` so that only the holder of the private half of ``public_key`` can recover it."""
    _check_key(public_key, "public key")
    _check_key(data_key, "data key")
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public_key))
    kek = _wrapping_key(shared, ephemeral_public, public_key, context)
    return bytes([_WRAP_VERSION]) + ephemeral_public + seal(kek, data_key, context=context)


def unwrap_key(private_key: bytes, wrapped: bytes, *, context: str) -> bytes:
    """The data key inside a blob made by :func:`wrap_key`; DecryptionError for another key or context."""
    _check_key(private_key, "private key")
    wrapped = bytes(wrapped)
    if len(wrapped) < 1 + KEY_BYTES or wrapped[0] != _WRAP_VERSION:
        raise DecryptionError("not a wrapped key of a known version")
    ephemeral_public, sealed = wrapped[1 : 1 + KEY_BYTES], wrapped[1 + KEY_BYTES :]
    private = X25519PrivateKey.from_private_bytes(private_key)
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
    except ValueError:  # a low-order point gives an all-zero secret: never made by wrap_key
        raise DecryptionError("invalid ephemeral key") from None
    kek = _wrapping_key(shared, ephemeral_public, private.public_key().public_bytes_raw(), context)
    data_key = open_sealed(kek, sealed, context=context)
    if len(data_key) != KEY_BYTES:
        raise DecryptionError("wrapped value is not a key")
    return data_key


def derive_key(
    secret: str,
    salt: bytes,
    *,
    purpose: str,
    memory_kib: int | None = None,
    iterations: int | None = None,
) -> bytes:
    """A 256-bit key from a password or receipt code with Argon2id.

    ``purpose`` goes into Argon2's associated data, so the same secret and salt give unrelated keys for
    different purposes. The cost comes from the KDF_* settings unless given; a caller that stores keys
    derived this way should store the cost it used, so a later change of the settings keeps them openable.
    """
    if not purpose:
        raise ValueError("purpose must be given")
    if len(salt) < 8:
        raise ValueError("salt must be at least 8 bytes")
    kdf = Argon2id(
        salt=bytes(salt),
        length=KEY_BYTES,
        iterations=iterations if iterations is not None else settings.KDF_ITERATIONS,
        lanes=settings.KDF_LANES,
        memory_cost=memory_kib if memory_kib is not None else settings.KDF_MEMORY_KIB,
        ad=_KDF_AD + purpose.encode("utf-8"),
    )
    return kdf.derive(secret.encode("utf-8"))


# Receipt codes ---------------------------------------------------------------------------------------------

# Crockford's base32: digits and upper-case letters without I, L, O and U.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_LENGTH = 16  # 16 characters of 5 bits: 80 bits of entropy
RECEIPT_GROUP = 4
_RECEIPT_CONFUSIONS = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Separators people type or paste: white space, hyphen-minus and the Unicode dashes, underscore, dot.
_RECEIPT_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_.]+")

# Public and fixed on purpose: the lookup hash must be the same on every installation and after a restore.
# A secret salt is not needed because a code has 80 random bits; see docs/threat-model.md.
RECEIPT_LOOKUP_SALT = b"zorgveilig receipt lookup v1"


def _group(code: str) -> str:
    return "-".join(code[i : i + RECEIPT_GROUP] for i in range(0, len(code), RECEIPT_GROUP))


def new_receipt_code() -> str:
    """A new receipt code with 80 random bits, grouped for reading: ``XXXX-XXXX-XXXX-XXXX``."""
    return _group("".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH)))


def normalise_receipt_code(typed: str) -> str | None:
    """The canonical ``XXXX-XXXX-XXXX-XXXX`` form of a typed code, or None if it cannot be one.

    Accepts lower case, spaces and dashes anywhere, and reads O as 0 and I or L as 1.
    """
    compact = _RECEIPT_SEPARATORS.sub("", typed)
    if not compact.isascii():  # before upper(): "ß".upper() is "SS"
        return None
    compact = compact.upper().translate(_RECEIPT_CONFUSIONS)
    if len(compact) != RECEIPT_LENGTH or any(char not in RECEIPT_ALPHABET for char in compact):
        return None
    return _group(compact)


def receipt_lookup_hash(code: str) -> str:
    """A deterministic Argon2id hash of a receipt code (hex), to find its report by an indexed column.

    The code is normalised first, so any accepted spelling finds the same report; an invalid code raises
    ValueError (check with :func:`normalise_receipt_code` before).
    """
    canonical = normalise_receipt_code(code)
    if canonical is None:
        raise ValueError("not a valid receipt code")
    return derive_key(canonical, RECEIPT_LOOKUP_SALT, purpose="receipt-lookup").hex()
