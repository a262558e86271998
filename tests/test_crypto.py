"""The encryption primitives of zorgveilig.crypto: sealing, key wrapping, key derivation, receipt codes."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zorgveilig import crypto
from zorgveilig.crypto import DecryptionError

CONTEXT = "report:17:narrative"


def flip(blob: bytes, index: int) -> bytes:
    changed = bytearray(blob)
    changed[index] ^= 0x01
    return bytes(changed)


# Sealing --------------------------------------------------------------------------------------------------


def test_sealed_blob_opens_with_same_key_and_context() -> None:
    key = crypto.new_data_key()
    blob = crypto.seal(key, b"De patient dreigde mij.", context=CONTEXT)
    assert crypto.open_sealed(key, blob, context=CONTEXT) == b"De patient dreigde mij."


def test_sealed_blob_does_not_contain_plaintext_and_differs_each_time() -> None:
    key = crypto.new_data_key()
    first = crypto.seal(key, b"secret narrative", context=CONTEXT)
    second = crypto.seal(key, b"secret narrative", context=CONTEXT)
    assert b"secret narrative" not in first
    assert first != second  # random nonce
    assert first[0] == 1  # version byte


def test_empty_plaintext_round_trips() -> None:
    key = crypto.new_data_key()
    assert crypto.open_sealed(key, crypto.seal(key, b"", context=CONTEXT), context=CONTEXT) == b""


def test_sealed_blob_from_memoryview_opens() -> None:
    key = crypto.new_data_key()
    blob = crypto.seal(key, b"x", context=CONTEXT)
    assert crypto.open_sealed(key, memoryview(blob), context=CONTEXT) == b"x"  # type: ignore[arg-type]


def test_wrong_key_does_not_open() -> None:
    blob = crypto.seal(crypto.new_data_key(), b"x", context=CONTEXT)
    with pytest.raises(DecryptionError):
        crypto.open_sealed(crypto.new_data_key(), blob, context=CONTEXT)


def test_blob_moved_to_another_field_or_row_does_not_open() -> None:
    key = crypto.new_data_key()
    blob = crypto.seal(key, b"x", context=CONTEXT)
    for other in ("report:17:name", "report:18:narrative", "report:17:narrative "):
        with pytest.raises(DecryptionError):
            crypto.open_sealed(key, blob, context=other)


def test_every_tampered_byte_is_detected() -> None:
    key = crypto.new_data_key()
    blob = crypto.seal(key, b"a short narrative", context=CONTEXT)
    for index in range(len(blob)):
        with pytest.raises(DecryptionError):
            crypto.open_sealed(key, flip(blob, index), context=CONTEXT)


@pytest.mark.parametrize("blob", [b"", b"\x01", b"\x01" + bytes(27), b"\x02" + bytes(40)])
def test_truncated_or_unknown_version_blob_is_refused(blob: bytes) -> None:
    with pytest.raises(DecryptionError):
        crypto.open_sealed(crypto.new_data_key(), blob, context=CONTEXT)


def test_empty_context_and_short_key_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="context"):
        crypto.seal(crypto.new_data_key(), b"x", context="")
    with pytest.raises(ValueError, match="32 bytes"):
        crypto.seal(b"short", b"x", context=CONTEXT)


@given(plaintext=st.binary(max_size=2048), context=st.text(min_size=1, max_size=40))
def test_seal_round_trips_any_plaintext_and_context(plaintext: bytes, context: str) -> None:
    key = crypto.new_data_key()
    assert crypto.open_sealed(key, crypto.seal(key, plaintext, context=context), context=context) == plaintext


# Key wrapping ---------------------------------------------------------------------------------------------


def test_new_keys_are_random_and_32_bytes() -> None:
    assert len(crypto.new_data_key()) == 32
    assert crypto.new_data_key() != crypto.new_data_key()
    assert len(crypto.new_salt()) == 16
    private, public = crypto.generate_keypair()
    assert len(private) == len(public) == 32
    assert crypto.public_key_of(private) == public


def test_wrapped_key_unwraps_with_the_private_key() -> None:
    private, public = crypto.generate_keypair()
    data_key = crypto.new_data_key()
    wrapped = crypto.wrap_key(public, data_key, context="report:17:handler:3")
    assert data_key not in wrapped
    assert crypto.unwrap_key(private, wrapped, context="report:17:handler:3") == data_key


def test_unwrap_with_another_private_key_fails() -> None:
    _, public = crypto.generate_keypair()
    other_private, _ = crypto.generate_keypair()
    wrapped = crypto.wrap_key(public, crypto.new_data_key(), context="report:17:handler:3")
    with pytest.raises(DecryptionError):
        crypto.unwrap_key(other_private, wrapped, context="report:17:handler:3")


def test_unwrap_in_another_context_fails() -> None:
    private, public = crypto.generate_keypair()
    wrapped = crypto.wrap_key(public, crypto.new_data_key(), context="report:17:handler:3")
    with pytest.raises(DecryptionError):
        crypto.unwrap_key(private, wrapped, context="report:18:handler:3")


def test_tampered_wrapped_key_fails() -> None:
    private, public = crypto.generate_keypair()
    wrapped = crypto.wrap_key(public, crypto.new_data_key(), context="ctx")
    for index in range(len(wrapped)):
        with pytest.raises(DecryptionError):
            crypto.unwrap_key(private, flip(wrapped, index), context="ctx")


def test_wrapping_twice_gives_different_blobs() -> None:
    _, public = crypto.generate_keypair()
    data_key = crypto.new_data_key()
    assert crypto.wrap_key(public, data_key, context="ctx") != crypto.wrap_key(
        public, data_key, context="ctx"
    )


def test_low_order_ephemeral_key_is_refused() -> None:
    private, _ = crypto.generate_keypair()
    forged = b"\x01" + bytes(32) + crypto.seal(crypto.new_data_key(), bytes(32), context="ctx")
    with pytest.raises(DecryptionError):
        crypto.unwrap_key(private, forged, context="ctx")


# Key derivation -------------------------------------------------------------------------------------------


def test_derive_key_is_deterministic() -> None:
    salt = crypto.new_salt()
    first = crypto.derive_key("correct horse", salt, purpose="handler-private-key")
    assert len(first) == 32
    assert crypto.derive_key("correct horse", salt, purpose="handler-private-key") == first


def test_derive_key_separates_secret_salt_and_purpose() -> None:
    salt = crypto.new_salt()
    base = crypto.derive_key("correct horse", salt, purpose="handler-private-key")
    assert crypto.derive_key("correct horsE", salt, purpose="handler-private-key") != base
    assert crypto.derive_key("correct horse", crypto.new_salt(), purpose="handler-private-key") != base
    assert crypto.derive_key("correct horse", salt, purpose="receipt-report-key") != base


def test_derive_key_uses_the_cost_settings(settings: Any) -> None:
    salt = crypto.new_salt()
    cheap = crypto.derive_key("pw", salt, purpose="p")
    settings.KDF_ITERATIONS = 2
    assert crypto.derive_key("pw", salt, purpose="p") != cheap
    # An explicit cost (as stored next to a derived key) wins over the settings.
    assert crypto.derive_key("pw", salt, purpose="p", memory_kib=1024, iterations=1) == cheap


def test_derive_key_refuses_short_salt_and_missing_purpose() -> None:
    with pytest.raises(ValueError):
        crypto.derive_key("pw", b"short", purpose="p")
    with pytest.raises(ValueError):
        crypto.derive_key("pw", crypto.new_salt(), purpose="")


@pytest.mark.slow_kdf
def test_production_cost_is_the_default(settings: Any) -> None:
    assert settings.KDF_MEMORY_KIB == 65536
    assert settings.KDF_ITERATIONS == 3
    assert settings.KDF_LANES == 4
    assert len(crypto.derive_key("pw", crypto.new_salt(), purpose="p")) == 32


def _settings_with(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    environment.update({"ZORGVEILIG_DATA_DIR": str(tmp_path), **variables})
    code = "from django.conf import settings; print(settings.KDF_MEMORY_KIB, settings.KDF_ITERATIONS)"
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='zorgveilig.settings'; {code}",
        ],
        capture_output=True,
        text=True,
        env=environment,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def test_kdf_cost_is_read_from_the_environment(tmp_path: Path) -> None:
    result = _settings_with(tmp_path, ZORGVEILIG_KDF_MEMORY_KIB="131072", ZORGVEILIG_KDF_ITERATIONS="4")
    assert result.stdout.split() == ["131072", "4"], result.stderr


@pytest.mark.parametrize(
    ("variable", "raw"),
    [
        ("ZORGVEILIG_KDF_MEMORY_KIB", "1024"),
        ("ZORGVEILIG_KDF_ITERATIONS", "0"),
        ("ZORGVEILIG_KDF_ITERATIONS", "x"),
    ],
)
def test_kdf_cost_out_of_range_names_the_variable(tmp_path: Path, variable: str, raw: str) -> None:
    result = _settings_with(tmp_path, **{variable: raw})
    assert result.returncode != 0
    assert variable in result.stderr


# Receipt codes --------------------------------------------------------------------------------------------

RECEIPT_FORMAT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


def test_receipt_code_format_and_entropy() -> None:
    assert len(crypto.RECEIPT_ALPHABET) == 32
    assert not set("ILOU") & set(crypto.RECEIPT_ALPHABET)
    assert crypto.RECEIPT_LENGTH * math.log2(len(crypto.RECEIPT_ALPHABET)) >= 80
    codes = {crypto.new_receipt_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert RECEIPT_FORMAT.match(code), code


def test_receipt_code_characters_are_spread_evenly() -> None:
    # 2000 codes x 16 characters: each of the 32 symbols is expected 1000 times; a biased generator
    # (e.g. modulo bias or a missing symbol) falls far outside these bounds.
    counts = dict.fromkeys(crypto.RECEIPT_ALPHABET, 0)
    for _ in range(2000):
        for char in crypto.new_receipt_code().replace("-", ""):
            counts[char] += 1
    assert min(counts.values()) > 800
    assert max(counts.values()) < 1200


def test_normalise_accepts_how_people_type_codes() -> None:
    code = "AB01-CD23-EF45-GH67"
    assert crypto.normalise_receipt_code(code) == code
    assert crypto.normalise_receipt_code("ab01cd23ef45gh67") == code
    assert crypto.normalise_receipt_code(" ab01 cd23 ef45 gh67 ") == code
    assert crypto.normalise_receipt_code("AB01\u2013CD23\u2013EF45\u2013GH67") == code  # en dashes
    assert crypto.normalise_receipt_code("ABO1-CD23-EF45-GH67") == code  # O for 0
    assert crypto.normalise_receipt_code("AB0I-CD23-EF45-GH67") == "AB01-CD23-EF45-GH67"
    assert crypto.normalise_receipt_code("AB0l-CD23-EF45-GH67") == "AB01-CD23-EF45-GH67"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "AB01-CD23-EF45-GH6",  # 15 characters
        "AB01-CD23-EF45-GH678",  # 17 characters
        "AB01-CD23-EF45-GH6U",  # U is not in the alphabet
        "AB01-CD23-EF45-GH6!",
        "AB01-CD23-EF45-GHß",  # "ß".upper() would be "SS"
        "AB01-CD23-EF45-GH6\u0131",  # dotless i upper-cases to I
    ],
)
def test_normalise_refuses_what_cannot_be_a_code(typed: str) -> None:
    assert crypto.normalise_receipt_code(typed) is None


_CONFUSABLE = {"0": "0oO", "1": "1iIlL"}


@st.composite
def typed_versions(draw: st.DrawFn) -> tuple[str, str]:
    """A valid code and one way a person might type it (case, separators, confusable letters)."""
    compact = "".join(draw(st.lists(st.sampled_from(crypto.RECEIPT_ALPHABET), min_size=16, max_size=16)))
    typed = []
    for char in compact:
        char = draw(st.sampled_from(_CONFUSABLE.get(char, char + char.lower())))
        typed.append(draw(st.sampled_from(["", "", " ", "-", " - "])) + char)
    return compact, "".join(typed) + draw(st.sampled_from(["", " ", "\n"]))


@given(typed_versions())
def test_normalise_recovers_the_code_from_any_typed_version(pair: tuple[str, str]) -> None:
    compact, typed = pair
    normalised = crypto.normalise_receipt_code(typed)
    assert normalised is not None
    assert normalised.replace("-", "") == compact
    assert crypto.normalise_receipt_code(normalised) == normalised


@given(st.text(max_size=30))
def test_normalise_returns_none_or_a_canonical_code(typed: str) -> None:
    normalised = crypto.normalise_receipt_code(typed)
    assert normalised is None or RECEIPT_FORMAT.match(normalised)


def test_receipt_lookup_hash_is_deterministic_hex_and_spelling_independent() -> None:
    code = crypto.new_receipt_code()
    digest = crypto.receipt_lookup_hash(code)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert crypto.receipt_lookup_hash(code.lower().replace("-", " ")) == digest
    assert crypto.receipt_lookup_hash(crypto.new_receipt_code()) != digest


def test_receipt_lookup_hash_differs_from_the_report_key_derivation() -> None:
    code = crypto.new_receipt_code()
    lookup = crypto.receipt_lookup_hash(code)
    assert crypto.derive_key(code, crypto.RECEIPT_LOOKUP_SALT, purpose="receipt-report-key").hex() != lookup


def test_receipt_lookup_hash_refuses_an_invalid_code() -> None:
    with pytest.raises(ValueError):
        crypto.receipt_lookup_hash("not a code")
