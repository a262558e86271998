"""Shared by the tests/test_evidence_*.py files (no tests here): a data directory of the test's own, sample
files with known bytes, and adding evidence in one call."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from accounts.models import Organisation
from evidence import actions
from evidence.models import EvidenceItem

PYTHON = sys.executable
ZORGVEILIG = str(Path(sys.executable).parent / "zorgveilig")
TIMEOUT = 120

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TEXT_BYTES = b"Verklaring van de getuige: om 14.10 uur hoorde ik twee explosies.\n"


def png_bytes(colour: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(colour: tuple[int, int, int] = (30, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def upload(name: str, data: bytes) -> ContentFile[bytes]:
    return ContentFile(data, name=name)


def metadata(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "collected_by": "Amira Field",
        "collected_at": timezone.now(),
        "how": "recorded_on_scene",
        "tool_or_device": "Phone camera",
        "notes": "North wall of the clinic",
    }
    values.update(overrides)
    return values


def add(
    organisation: Organisation,
    data: bytes | None = None,
    *,
    name: str = "photo.png",
    kind: str = "photo",
    actor: Any = None,
    target: Any = None,
    **overrides: Any,
) -> EvidenceItem:
    return actions.add_evidence(
        actor,
        organisation,
        upload(name, png_bytes() if data is None else data),
        kind,
        metadata(**overrides),
        target=target,
    )


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path) -> Path:
    """The evidence store and its key under a folder of this test's own."""
    folder = tmp_path / "data"
    folder.mkdir()
    settings.DATA_DIR = folder
    settings.EVIDENCE_KEY_FILE = None
    settings.EVIDENCE_DIR = None
    return folder


def stored_files(data_dir: Path) -> list[Path]:
    """The files in the store (not its temporary folder)."""
    root = data_dir / "evidence"
    if not root.exists():
        return []
    return sorted(
        path for path in root.rglob("*") if path.is_file() and "tmp" not in path.relative_to(root).parts
    )


def command_environment(directory: Path) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    environment.update(
        ZORGVEILIG_DATA_DIR=str(directory),
        DATABASE_URL=f"sqlite:///{directory / 'unused.sqlite3'}",
        ZORGVEILIG_HTTPS="0",
        DJANGO_SETTINGS_MODULE="zorgveilig.settings",
    )
    return environment


def run_command(
    bundle: Path, directory: Path, *extra: str, language: str = "en"
) -> subprocess.CompletedProcess[str]:
    """`zorgveilig verify-bundle` as the console script, in a process of its own."""
    environment = command_environment(directory)
    environment["LANGUAGE"] = language
    return subprocess.run(
        [ZORGVEILIG, "verify-bundle", str(bundle), *extra],
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def run_shipped_script(script: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """The verify_bundle.py taken out of a bundle, run with the project's Python and nothing of Django."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "DJANGO_"))
    }
    return subprocess.run(
        [PYTHON, "-I", str(script), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        cwd=script.parent,
    )
