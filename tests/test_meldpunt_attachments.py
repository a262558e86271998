"""Files on a report: checked by content, size limits, image and zip bombs, sealed storage, EXIF-free previews."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from accounts.models import Organisation
from meldpunt import attachments, sealing
from meldpunt.models import Attachment, Report
from tests.meldpunt_helpers import (
    anonymous_client,
    png_bytes,
    receipt_code_in,
    route_everything_to,
    submit,
    upload,
)

pytestmark = pytest.mark.usefixtures("english_pages")


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Path:
    media = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": media}},
    }
    return media


def _code(error: pytest.ExceptionInfo[ValidationError]) -> str | None:
    return error.value.code


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (16, 8), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker-Secret"  # Make
    exif[0x0110] = "Model-Secret-42"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90 degrees
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def office_zip(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX_MEMBERS = {
    "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
    "word/document.xml": b"<w:document/>",
}


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("photo.png", png_bytes(), "image/png"),
        ("notes.txt", b"Bedreiging op 3 maart, om 14:00.\n", "text/plain"),
        ("letter.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf"),
        ("voice.ogg", b"OggS\x00\x02" + b"\x00" * 60, "audio/ogg"),
        ("voice.mp3", b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 60, "audio/mpeg"),
        ("clip.mp4", b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 40, "video/mp4"),
        ("memo.m4a", b"\x00\x00\x00\x18ftypM4A \x00\x00\x02\x00M4A mp42" + b"\x00" * 40, "audio/mp4"),
        ("letter.docx", office_zip(DOCX_MEMBERS), attachments.DOCX),
    ],
)
def test_accepted_types_are_detected_by_content(name: str, data: bytes, content_type: str) -> None:
    checked = attachments.check_file(name, data)
    assert checked.content_type == content_type
    assert checked.sha256 == hashlib.sha256(data).hexdigest()


def test_jpeg_and_odt_are_accepted() -> None:
    assert attachments.check_file("p.jpg", jpeg_with_exif()).content_type == "image/jpeg"
    odt = office_zip(
        {"mimetype": attachments.ODT.encode(), "content.xml": b"<office:document-content/>"},
        compression=zipfile.ZIP_STORED,
    )
    assert attachments.check_file("brief.odt", odt).content_type == attachments.ODT


def test_type_comes_from_content_not_name() -> None:
    assert attachments.check_file("screenshot.pdf", png_bytes()).content_type == "image/png"


def test_renamed_executable_is_refused_naming_the_file() -> None:
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
    with pytest.raises(ValidationError) as error:
        attachments.check_file("photo.jpg", exe)
    assert _code(error) == "unsupported_type"
    assert error.value.messages[0].startswith("photo.jpg: this type of file is not accepted")


def test_truncated_png_is_refused() -> None:
    data = png_bytes((64, 64))
    with pytest.raises(ValidationError) as error:
        attachments.check_file("cut.png", data[: len(data) // 2])
    assert _code(error) == "damaged_image"
    assert "cut.png: this image is damaged or incomplete" in error.value.messages[0]


def test_jpeg_header_on_garbage_is_refused() -> None:
    with pytest.raises(ValidationError) as error:
        attachments.check_file("fake.jpg", b"\xff\xd8\xff\xe0" + b"\x13" * 500)
    assert _code(error) == "damaged_image"


def test_image_bomb_is_refused(settings: Any) -> None:
    settings.MELDPUNT_MAX_IMAGE_PIXELS = 1_000_000
    buffer = io.BytesIO()
    Image.new("1", (2000, 2000)).save(buffer, format="PNG")  # 4 million pixels in a few kilobytes
    assert len(buffer.getvalue()) < 10_000
    with pytest.raises(ValidationError) as error:
        attachments.check_file("bomb.png", buffer.getvalue())
    assert _code(error) == "image_bomb"
    assert "bomb.png: this image has too many pixels" in error.value.messages[0]


def test_zip_bomb_disguised_as_docx_is_refused(settings: Any) -> None:
    settings.MELDPUNT_MAX_UNPACKED_BYTES = 5 * 1024 * 1024
    members = {**DOCX_MEMBERS, "word/media/filler.bin": b"\x00" * (20 * 1024 * 1024)}
    bomb = office_zip(members)
    assert len(bomb) < 100_000
    with pytest.raises(ValidationError) as error:
        attachments.check_file("report.docx", bomb)
    assert _code(error) == "archive_bomb"
    assert error.value.messages[0].startswith("report.docx: ")


def test_highly_compressed_member_is_refused_even_below_the_total_limit() -> None:
    members = {**DOCX_MEMBERS, "word/media/filler.bin": b"A" * (3 * 1024 * 1024)}
    with pytest.raises(ValidationError) as error:
        attachments.check_file("report.docx", office_zip(members))
    assert _code(error) == "archive_bomb"


def test_zip_with_lying_sizes_is_refused_by_what_it_unpacks(settings: Any) -> None:
    settings.MELDPUNT_MAX_UNPACKED_BYTES = 1024 * 1024
    data = bytearray(office_zip({**DOCX_MEMBERS, "word/big.xml": b"<x/>" * 600_000}))
    # Make the headers claim the big member is tiny: the check must count what really comes out.
    start = data.find(b"word/big.xml")
    while start != -1:
        header = data.rfind(b"PK\x01\x02", 0, start)
        if header != -1 and start - header == 46:
            data[header + 24 : header + 28] = (10).to_bytes(4, "little")
        start = data.find(b"word/big.xml", start + 1)
    with pytest.raises(ValidationError) as error:
        attachments.check_file("lying.docx", bytes(data))
    assert _code(error) in {"archive_bomb", "damaged_archive"}


def test_nested_archive_is_refused() -> None:
    inner = office_zip({"a.txt": b"hello"})
    with pytest.raises(ValidationError) as error:
        attachments.check_file("doc.docx", office_zip({**DOCX_MEMBERS, "word/embeddings/x.zip": inner}))
    assert _code(error) == "nested"
    with pytest.raises(ValidationError) as error:
        attachments.check_file("doc.docx", office_zip({**DOCX_MEMBERS, "word/embeddings/x.bin": inner}))
    assert _code(error) == "nested"


def test_plain_zip_is_not_an_office_document() -> None:
    with pytest.raises(ValidationError) as error:
        attachments.check_file("archive.docx", office_zip({"readme.txt": b"hi"}))
    assert _code(error) == "unsupported_type"


def test_too_many_entries_are_refused() -> None:
    members = {
        **DOCX_MEMBERS,
        **{f"word/p{index}.xml": b"<p/>" for index in range(attachments.MAX_ZIP_ENTRIES)},
    }
    with pytest.raises(ValidationError) as error:
        attachments.check_file("many.docx", office_zip(members))
    assert _code(error) == "archive_bomb"


def test_oversized_file_message_names_file_size_and_limit(settings: Any) -> None:
    settings.MELDPUNT_MAX_FILE_BYTES = 20 * attachments.MB
    with pytest.raises(ValidationError) as error:
        attachments.check_file("photo.jpg", b"\xff\xd8\xff" + b"\x00" * (31 * attachments.MB))
    assert error.value.messages == ["photo.jpg: this file is 31 MB; the limit is 20 MB."]


def test_files_together_over_the_report_limit_are_refused(settings: Any) -> None:
    settings.MELDPUNT_MAX_REPORT_BYTES = 1000
    text = b"a line of plain text\n" * 30
    with pytest.raises(ValidationError) as error:
        attachments.check_files([("a.txt", text), ("b.txt", text)])
    assert any("Together the files of this report are" in message for message in error.value.messages)


def test_file_name_keeps_only_its_last_part() -> None:
    assert attachments.display_name("C:\\Users\\anna\\Desktop\\photo.jpg") == "photo.jpg"
    assert attachments.display_name("../../etc/passwd\x00") == "passwd"


def test_stored_file_is_sealed_and_named_randomly(db: None, organisation: Organisation, _media: Path) -> None:
    route_everything_to(organisation)
    data = png_bytes((12, 12))
    code = receipt_code_in(submit(anonymous_client(), files=[upload("haag-bedreiging.png", data)]))
    attachment = Attachment.objects.get()
    stored = (_media / attachment.storage_name).read_bytes()
    assert data not in stored
    assert "haag" not in attachment.storage_name
    assert b"haag-bedreiging" not in bytes(attachment.sealed_filename)
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert attachment.size == len(data)
    assert attachment.content_type == "image/png"
    report = Report.objects.get()
    key = sealing.unlock_with_receipt(report, code)
    assert key is not None
    assert attachments.read(attachment, key) == data
    assert sealing.open_attachment_name(key, attachment) == "haag-bedreiging.png"


def test_refused_upload_on_the_form_keeps_the_answers_and_names_the_file(
    db: None, organisation: Organisation, _media: Path
) -> None:
    route_everything_to(organisation)
    response = submit(anonymous_client(), files=[upload("photo.jpg", b"MZ" + b"\x00" * 100)])
    html = response.content.decode()
    assert response.status_code == 400
    assert "photo.jpg: this type of file is not accepted" in html
    assert "Zeeuwse-kust-praktijk" in html  # the narrative is still in the form
    assert "choose them again" in html
    assert Report.objects.count() == 0
    assert not any(_media.rglob("*")) if _media.exists() else True


def test_request_larger_than_the_report_limit_is_not_read(
    db: None, organisation: Organisation, settings: Any
) -> None:
    route_everything_to(organisation)
    settings.MELDPUNT_MAX_REPORT_BYTES = 1000
    response = submit(anonymous_client(), files=[upload("big.txt", b"x" * 3 * 1024 * 1024)])
    assert response.status_code == 413
    assert "nothing was sent" in response.content.decode()
    assert Report.objects.count() == 0


def test_preview_has_no_exif_and_keeps_the_orientation() -> None:
    original = jpeg_with_exif()
    assert b"PhoneMaker-Secret" in original
    preview = attachments.preview_without_metadata(original)
    assert b"PhoneMaker-Secret" not in preview
    assert b"Exif" not in preview
    with Image.open(io.BytesIO(preview)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert image.size == (8, 16)  # rotated as the EXIF orientation said


def test_png_preview_drops_text_chunks() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Secret Author Name")
    buffer = io.BytesIO()
    Image.new("RGBA", (4, 4)).save(buffer, format="PNG", pnginfo=info)
    preview = attachments.preview_without_metadata(buffer.getvalue())
    assert b"Secret Author Name" not in preview
    with Image.open(io.BytesIO(preview)) as image:
        assert image.format == "PNG"
