"""What the clients send: the form fields of a report (codes from meldpunt.vocabulary), a pool of photos,
PDF and text files made once, and the multipart body."""

from __future__ import annotations

import io
import math
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from PIL import Image

from meldpunt import vocabulary


@dataclass(frozen=True)
class File:
    name: str
    content_type: str
    data: bytes


def _noise_image(side: int, rng: random.Random, image_format: str) -> bytes:
    # Noise does not compress: the file is as large as asked, and Pillow on the server really reads it.
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **({"quality": 90} if image_format == "JPEG" else {}))
    return buffer.getvalue()


def make_image(target_bytes: int, rng: random.Random, image_format: str) -> bytes:
    side = max(8, int(math.sqrt(target_bytes / 3)))
    data = _noise_image(side, rng, image_format)
    # One correction for the format's own ratio of bytes to pixels.
    side = max(8, int(side * math.sqrt(target_bytes / len(data))))
    return _noise_image(side, rng, image_format)


_WORDS = (
    *("patiënt", "dreigde", "wachtkamer", "praktijk", "dienst", "avond", "ingang", "auto", "bericht"),
    *("telefoon", "collega", "politie", "melding", "aangifte", "familie", "bezoeker", "nachtdienst"),
    *("afdeling", "receptie", "huisbezoek"),
)


def _sentences(target_bytes: int, rng: random.Random) -> str:
    lines: list[str] = []
    size = 0
    while size < target_bytes:
        line = " ".join(rng.choice(_WORDS) for _ in range(12)).capitalize() + "."
        lines.append(line)
        size += len(line.encode()) + 1
    return "\n".join(lines) + "\n"


def make_text(target_bytes: int, rng: random.Random) -> bytes:
    return _sentences(target_bytes, rng).encode()


def make_pdf(target_bytes: int, rng: random.Random) -> bytes:
    """A small valid PDF: one page whose content stream holds enough lines of text to reach the size."""
    lines = _sentences(max(target_bytes - 600, 100), rng).splitlines()
    stream = "BT /F1 9 Tf 40 800 Td 11 TL\n" + "".join(f"({line}) '\n" for line in lines) + "ET\n"
    stream_bytes = stream.encode("latin-1", errors="replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream_bytes) + stream_bytes + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@dataclass(frozen=True)
class FilePool:
    """A few files made once, reused by the reports: making a photo per report would measure the client."""

    images: list[File]
    documents: list[File]

    @classmethod
    def make(cls, image_kib: int, document_kib: int, seed: int) -> FilePool:
        rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        images = [
            File(f"foto-{number}.{suffix}", content_type, make_image(image_kib * 1024, rng, image_format))
            for number in range(4)
            for image_format, suffix, content_type in (
                ("PNG", "png", "image/png"),
                ("JPEG", "jpg", "image/jpeg"),
            )
        ]
        documents = [
            file
            for number in range(4)
            for file in (
                File(f"brief-{number}.pdf", "application/pdf", make_pdf(document_kib * 1024, rng)),
                File(f"berichten-{number}.txt", "text/plain", make_text(document_kib * 1024, rng)),
            )
        ]
        return cls(images, documents)

    def files_for(self, rng: random.Random) -> list[File]:
        """One photo, and a PDF or text file for every other report: one or two files each."""
        files = [rng.choice(self.images)]
        if rng.random() < 0.5:
            files.append(rng.choice(self.documents))
        return files


def _some(rng: random.Random, values: Sequence[str], most: int) -> list[str]:
    return rng.sample(list(values), rng.randint(0, most))


def report_fields(number: int, rng: random.Random) -> list[tuple[str, str]]:
    """The form fields of one report, with codes from meldpunt.vocabulary, as a browser would send them."""
    channel = rng.choice(vocabulary.Channel.values)
    fields: list[tuple[str, str]] = [
        ("kinds", kind) for kind in rng.sample(vocabulary.Kind.values, rng.randint(1, 3))
    ]
    fields += [
        ("channel", channel),
        ("channel_platform", f"Platform {number}" if channel in ("social_media", "messaging_app") else ""),
        ("place", rng.choice(vocabulary.Place.values)),
        ("perpetrator", rng.choice(vocabulary.Perpetrator.values)),
        ("perpetrator_in_care", rng.choice(vocabulary.InCare.values)),
        ("occurred_day", str(rng.randint(1, 28)) if rng.random() < 0.6 else ""),
        ("occurred_month", str(rng.randint(1, 12))),
        ("occurred_year", str(date.today().year - 1)),
        ("frequency", rng.choice(vocabulary.Frequency.values)),
        ("profession", rng.choice(vocabulary.Profession.values)),
        ("sector", rng.choice(vocabulary.Sector.values)),
        ("province", rng.choice(["", *vocabulary.Province.values])),
        ("narrative", f"Benchmarkmelding {number}. " + _sentences(rng.randint(300, 1500), rng)),
    ]
    fields += [("consequences", value) for value in _some(rng, vocabulary.Consequence.values, 2)]
    fields += [("steps_taken", value) for value in _some(rng, vocabulary.StepTaken.values, 2)]
    named = rng.random() < 0.6
    preference = rng.choice(vocabulary.ContactPreference.values) if named else "receipt_only"
    fields += [
        ("name", f"Testpersoon {number}" if named else ""),
        ("employer", "Benchmarkpraktijk" if named else ""),
        ("role", "Huisarts" if named else ""),
        ("contact_preference", preference),
        ("email", f"melder-{number}@example.invalid" if preference == "email" else ""),
        ("phone", f"06{number:08d}" if preference == "phone" else ""),
    ]
    return fields


def multipart(fields: Sequence[tuple[str, str]], files: Sequence[File]) -> tuple[bytes, str]:
    boundary = f"----ZorgVeiligBench{secrets.token_hex(12)}"
    body = bytearray()
    for name, value in fields:
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        body += value.encode() + b"\r\n"
    for file in files:
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="{file.name}"'
            f"\r\nContent-Type: {file.content_type}\r\n\r\n"
        ).encode()
        body += file.data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), f"multipart/form-data; boundary={boundary}"
