"""Evidence intake: hashed as it arrives, stored once by content, read-only, encrypted, and checked by content."""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import override

from accounts.models import Organisation
from audit.models import Event
from evidence import actions, keyfile, store
from evidence.models import CustodyEvent, EvidenceItem, ImmutableError
from tests import test_evidence_helpers
from tests.test_evidence_helpers import (
    PDF_BYTES,
    TEXT_BYTES,
    add,
    jpeg_bytes,
    metadata,
    png_bytes,
    stored_files,
    upload,
)

data_dir = test_evidence_helpers.data_dir  # the fixture, shared

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("data_dir")]


def refusal_messages(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


# Hashing and storing ----------------------------------------------------------------------------------------


def test_the_hash_taken_at_intake_is_the_sha256_of_the_bytes(organisation: Organisation) -> None:
    data = png_bytes()
    item = add(organisation, data, name="IMG_0042.png")
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert item.size == len(data)
    assert item.content_type == "image/png"
    assert item.original_filename == "IMG_0042.png"
    assert store.read_bytes(item.sha256) == data


def test_a_file_larger_than_one_chunk_comes_back_whole(organisation: Organisation, settings: Any) -> None:
    # Three and a half chunks of text: the last chunk is shorter, and each chunk is encrypted on its own.
    data = ("Statement line.\n" * (store.CHUNK_BYTES // 16 * 7 // 2)).encode()
    item = add(organisation, data, name="statement.txt", kind="witness_statement")
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert store.read_bytes(item.sha256) == data


def test_a_file_of_exactly_one_chunk_comes_back_whole(organisation: Organisation) -> None:
    data = b"a" * store.CHUNK_BYTES
    item = add(organisation, data, name="a.txt", kind="document")
    assert store.read_bytes(item.sha256) == data


def test_the_store_path_follows_the_hash(organisation: Organisation, data_dir: Path) -> None:
    item = add(organisation)
    sha = item.sha256
    assert stored_files(data_dir) == [data_dir / "evidence" / sha[:2] / sha[2:4] / sha]


def test_the_same_bytes_are_stored_once(
    organisation: Organisation, other_organisation: Organisation, data_dir: Path
) -> None:
    data = png_bytes()
    first = add(organisation, data, name="one.png")
    path = store.path_for(first.sha256)
    before = path.stat()
    second = add(organisation, data, name="two.png")
    third = add(other_organisation, data, name="three.png")
    assert first.pk != second.pk != third.pk
    assert {first.sha256, second.sha256, third.sha256} == {first.sha256}
    assert stored_files(data_dir) == [path]
    # The copy stored first is the one kept: not rewritten by the later intake.
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    collected = Event.objects.filter(action="evidence.collected").order_by("sequence")
    assert [event.details["stored"] for event in collected] == ["new", "existing", "existing"]


def test_stored_files_are_read_only_and_encrypted(organisation: Organisation) -> None:
    data = TEXT_BYTES * 50
    item = add(organisation, data, name="statement.txt", kind="witness_statement")
    path = store.path_for(item.sha256)
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    on_disk = path.read_bytes()
    assert on_disk.startswith(store.MAGIC)
    assert b"getuige" not in on_disk
    assert hashlib.sha256(on_disk).hexdigest() != item.sha256


def test_the_key_file_is_private_and_made_once(data_dir: Path, organisation: Organisation) -> None:
    add(organisation)
    key_path = data_dir / "evidence.key"
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert keyfile.master_key() == keyfile.master_key()


def test_a_damaged_stored_file_is_noticed_when_read(organisation: Organisation) -> None:
    item = add(organisation)
    path = store.path_for(item.sha256)
    damaged = bytearray(path.read_bytes())
    damaged[-5] ^= 0x01
    path.chmod(0o644)
    path.write_bytes(bytes(damaged))
    with pytest.raises(store.StoreError, match="damaged"):
        store.read_bytes(item.sha256)


def test_a_stored_file_cut_short_is_noticed(organisation: Organisation) -> None:
    data = ("x" * 100 + "\n").encode() * 30_000  # three chunks
    item = add(organisation, data, name="long.txt", kind="document")
    path = store.path_for(item.sha256)
    whole = path.read_bytes()
    path.chmod(0o644)
    path.write_bytes(whole[: store._HEADER_BYTES + store.CHUNK_BYTES + 16])  # only the first chunk left
    with pytest.raises(store.StoreError):
        store.read_bytes(item.sha256)


def test_items_and_their_custody_cannot_be_changed_or_deleted(organisation: Organisation) -> None:
    item = add(organisation)
    item.notes = "changed"
    with pytest.raises(ImmutableError):
        item.save()
    with pytest.raises(ImmutableError):
        EvidenceItem.objects.filter(pk=item.pk).update(sha256="0" * 64)
    with pytest.raises(ImmutableError):
        item.delete()
    event = CustodyEvent.objects.get(item=item)
    with pytest.raises(ImmutableError):
        CustodyEvent.objects.filter(pk=event.pk).delete()
    assert EvidenceItem.objects.get(pk=item.pk).notes == "North wall of the clinic"


# Kinds and types --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "kind", "content_type"),
    [
        ("photo.jpg", jpeg_bytes(), "photo", "image/jpeg"),
        ("scan.png", png_bytes(), "document", "image/png"),
        ("report.pdf", PDF_BYTES, "document", "application/pdf"),
        ("statement.txt", TEXT_BYTES, "witness_statement", "text/plain"),
        (
            "clip.mp4",
            b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64,
            "video",
            "video/mp4",
        ),
        (
            "clip.mov",
            b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00" * 64,
            "video",
            "video/quicktime",
        ),
        (
            "voice.m4a",
            b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A isom" + b"\x00" * 64,
            "witness_statement",
            "audio/mp4",
        ),
        ("page.png", png_bytes(), "web_capture", "image/png"),
        ("page.pdf", PDF_BYTES, "web_capture", "application/pdf"),
        ("page.warc", b"WARC/1.1\r\nWARC-Type: response\r\n\r\n", "web_capture", "application/warc"),
        ("page.html", b"<!DOCTYPE html><html><body>Post</body></html>", "web_capture", "text/html"),
    ],
)
def test_accepted_types_are_recognised_by_content(
    organisation: Organisation, name: str, data: bytes, kind: str, content_type: str
) -> None:
    metadata_overrides: dict[str, Any] = {}
    if kind == "web_capture":
        metadata_overrides = {
            "original_url": "https://social.example/post/1",
            "captured_at": timezone.now(),
            "capturer": "Amira Field",
        }
    item = add(organisation, data, name=name, kind=kind, **metadata_overrides)
    assert item.content_type == content_type


def test_an_office_document_is_recognised_without_unpacking(organisation: Organisation) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    item = add(organisation, buffer.getvalue(), name="statement.docx", kind="witness_statement")
    assert item.content_type.endswith("wordprocessingml.document")


# Refusals: a clear message and nothing stored ---------------------------------------------------------------


def _zip(entries: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "kind", "words"),
    [
        ("setup.exe", b"MZ\x90\x00\x03" + b"\x00" * 200, "document", "program"),
        ("tool", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "document", "program"),
        ("run.sh", b"#!/bin/sh\nrm -rf /\n", "witness_statement", "program"),
        ("empty.jpg", b"", "photo", "empty"),
        ("photos.zip", _zip({"a.jpg": "x"}), "photo", "archives are not accepted"),
        (
            "macro.docx",
            _zip({"[Content_Types].xml": "<Types/>", "word/vbaProject.bin": "x"}),
            "document",
            "macros",
        ),
        ("report.pdf", PDF_BYTES, "photo", "cannot be evidence of the kind"),
        (
            "clip.mp4",
            b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64,
            "document",
            "cannot be evidence of the kind",
        ),
        ("data.bin", bytes(range(256)) * 4, "document", "not accepted"),
        ("note.txt", b"plain text at first\n" * 10 + b"\x00\x01\x02 then binary", "document", "not accepted"),
    ],
)
def test_bad_files_are_refused_with_their_name_and_nothing_is_stored(
    organisation: Organisation, data_dir: Path, name: str, data: bytes, kind: str, words: str
) -> None:
    with override("en"), pytest.raises(ValidationError) as refused:
        add(organisation, data, name=name, kind=kind)
    messages = refusal_messages(refused.value)
    assert any(message.startswith(f"{name}:") and words in message for message in messages), messages
    assert not EvidenceItem.objects.exists()
    assert not Event.objects.filter(action__startswith="evidence.").exists()
    assert stored_files(data_dir) == []
    temporary = data_dir / "evidence" / "tmp"
    assert not temporary.exists() or list(temporary.iterdir()) == []


def test_a_text_file_that_turns_binary_after_the_first_chunk_is_refused(
    organisation: Organisation, data_dir: Path
) -> None:
    data = b"a" * (store.CHUNK_BYTES + 10) + b"\x00"
    with override("en"), pytest.raises(ValidationError, match="holds other data"):
        add(organisation, data, name="long.txt", kind="document")
    assert stored_files(data_dir) == []


def test_a_file_over_the_size_limit_is_refused(
    organisation: Organisation, settings: Any, data_dir: Path
) -> None:
    settings.EVIDENCE_MAX_FILE_MB = 1
    data = b"x" * (store.MB + 1)
    with override("en"), pytest.raises(ValidationError) as refused:
        add(organisation, data, name="big.txt", kind="document")
    assert "big.txt: this file is 1.0 MB; the limit is 1 MB." in refusal_messages(refused.value)
    assert stored_files(data_dir) == []


def test_several_files_are_added_all_or_none(organisation: Organisation, data_dir: Path) -> None:
    uploads = [
        upload("a.png", png_bytes()),
        upload("b.exe", b"MZ" + b"\x00" * 100),
        upload("c.png", png_bytes((1, 2, 3))),
    ]
    with override("en"), pytest.raises(ValidationError) as refused:
        actions.add_many(None, organisation, uploads, "photo", metadata())
    assert refused.value.message_dict["uploads"][0].startswith("b.exe:")
    assert not EvidenceItem.objects.exists()
    assert stored_files(data_dir) == []
    uploads = [upload("a.png", png_bytes()), upload("c.png", png_bytes((1, 2, 3)))]
    items = actions.add_many(None, organisation, uploads, "photo", metadata())
    assert [item.original_filename for item in items] == ["a.png", "c.png"]
    assert len(stored_files(data_dir)) == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"collected_by": ""}, "collected_by"),
        ({"how": "stolen"}, "how"),
        ({"original_url": "not a url"}, "original_url"),
        ({"collected_at": timezone.now() + timedelta(days=2)}, "collected_at"),
    ],
)
def test_bad_metadata_is_named_and_nothing_is_stored(
    organisation: Organisation, data_dir: Path, overrides: dict[str, Any], field: str
) -> None:
    with override("en"), pytest.raises(ValidationError) as refused:
        add(organisation, **overrides)
    assert field in refused.value.message_dict
    assert stored_files(data_dir) == []
    assert not EvidenceItem.objects.exists()


def test_a_web_capture_needs_address_time_and_capturer(organisation: Organisation, data_dir: Path) -> None:
    with override("en"), pytest.raises(ValidationError) as refused:
        add(organisation, kind="web_capture")
    assert set(refused.value.message_dict) == {"original_url", "captured_at", "capturer"}
    assert stored_files(data_dir) == []


def test_unknown_metadata_is_refused(organisation: Organisation) -> None:
    with override("en"), pytest.raises(ValidationError, match="Unknown metadata: colour"):
        actions.add_evidence(
            None, organisation, upload("a.png", png_bytes()), "photo", metadata(colour="red")
        )
